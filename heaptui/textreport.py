"""Plain-text renderings of the engine's answers, for the headless commands.

Kept apart from the CLI so that the same tables can be printed by tests,
benchmarks or another front end without click. Every text that comes from a
file (names, strings, paths) goes through :func:`clip_middle` or ``visible``,
so its control characters are shown escaped, never sent to the terminal.

Every function takes ``width``: the longest line it may write (the
terminal's, ``$COLUMNS``, 80), or None for whole lines (``--wide``). Numbers
are never cut; names, paths and strings are, in the middle, since the start
and the end are what tell them apart (``{encoding, byteLength, …, toString}``,
``/srv/app/…/leaky-2.heapsnapshot``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .engine.retainer_paths import path_text  # not via .leaks: summary and stats print without its imports
from .engine.sizes import format_percent, format_size
from .engine.snapshot import ClassRow, Snapshot
from .visible import ELLIPSIS, visible

human_size = format_size  # the app's name for it until it imports the engine's
percent = format_percent

if TYPE_CHECKING:
    from .engine.compare import ClassDiff, Comparison
    from .engine.leaks import LargeObject, LeakCluster, LeakReport


def clip_middle(text: str, width: int | None) -> str:
    """``visible(text)`` in at most ``width`` characters: its start and its end, ``…`` between.

    An escape (``\\x1b``) is kept whole or left out, never cut; None keeps all of it.
    """
    if width is None:
        return visible(text)
    if len(text) <= width:
        shown = visible(text)
        if len(shown) <= width:
            return shown
    if width <= len(ELLIPSIS):
        return ELLIPSIS[: max(width, 0)]
    room = width - len(ELLIPSIS)
    head: list[str] = []
    used = 0
    for char in text[: (room + 1) // 2]:
        unit = visible(char)
        if used + len(unit) > (room + 1) // 2:
            break
        head.append(unit)
        used += len(unit)
    tail: list[str] = []
    for char in reversed(text[-(room - used) :] if room > used else ""):
        unit = visible(char)
        if used + len(unit) > room:
            break
        tail.append(unit)
        used += len(unit)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def fit_line(text: str, width: int | None) -> str:
    """A line of the answer's own text (already escaped), cut at the end when it is wider than ``width``."""
    if width is None or len(text) <= width:
        return text
    return text[: max(width - len(ELLIPSIS), 0)] + ELLIPSIS


def wrap(text: str, width: int | None, indent: str = "") -> list[str]:
    """Prose (already escaped) broken into lines of at most ``width``; long paths in it are broken too."""
    if width is None:
        return [indent + text]
    return textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    ) or [indent]


def headline(path: str, facts: str, width: int | None) -> list[str]:
    """``PATH: facts`` on one line when it fits (the path cut in the middle if need be), else on two."""
    shown = visible(path)
    if width is None or len(shown) + 2 + len(facts) <= width:
        return [f"{shown}: {facts}"]
    room = width - 2 - len(facts)
    if room >= 24:
        return [f"{clip_middle(path, room)}: {facts}"]
    return [clip_middle(path, width - 1) + ":", *wrap(facts, width, "  ")]


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None, flex: int = 0, flex_min: int = 12
) -> list[str]:
    """Lines of a table: column ``flex`` holds file text (raw: escaped and cut in the middle here), left-aligned,
    the others are the answer's own (numbers), right-aligned and never cut.

    The flexible column takes what the others leave of ``width``, and no more than its longest cell needs.
    """
    count = len(header)
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) if i != flex else 0 for i in range(count)]
    gap = [0 if i == 0 else (2 if i == flex and flex == count - 1 else 1) for i in range(count)]
    natural = max([len(header[flex])] + [len(visible(row[flex])) for row in rows])
    if width is None:
        widths[flex] = natural
    else:
        left = width - sum(widths) - sum(gap)
        widths[flex] = min(natural, max(left, flex_min, len(header[flex])))

    def line(cells: Sequence[str], raw: bool) -> str:
        parts = []
        for i, cell in enumerate(cells):
            text = (clip_middle(cell, widths[i]) if raw else cell) if i == flex else cell
            last = i == count - 1
            if i == flex:
                text = text if last else f"{text:<{widths[i]}}"
            else:
                text = f"{text:>{widths[i]}}"
            parts.append(" " * gap[i] + text)
        return "".join(parts)

    return [line(header, False), *(line(row, True) for row in rows)]


def summary_table(snapshot: Snapshot, rows: list[ClassRow], width: int | None = 80) -> str:
    total = snapshot.total_size
    lines = headline(
        snapshot.path,
        f"{snapshot.node_count:,} nodes, {snapshot.edge_count:,} edges, total {format_size(total)} ({total:,} bytes)",
        width,
    )
    cells = [
        [
            row.name if row.info.location is None else f"{row.name} @{row.info.location_text}",
            f"{row.count:,}",
            Snapshot.distance_text(row.distance),
            f"{row.shallow_size:,} {format_percent(row.shallow_size, total):>4}",
            f"{row.retained_size:,} {format_percent(row.retained_size, total):>4}",
        ]
        for row in rows
    ]
    lines += table(["Constructor", "Count", "Distance", "Shallow Size", "Retained Size"], cells, width)
    return "\n".join(lines)


def statistics_table(snapshot: Snapshot, width: int | None = 80) -> str:
    st = snapshot.statistics
    rows = [
        ("Total", st.total),
        ("V8 heap", st.v8heap),
        ("  Code", st.code),
        ("  Strings", st.strings),
        ("  JS arrays", st.js_arrays),
        ("  System objects", st.system),
        ("  Other JS objects", st.other_js),
        ("Native", st.native),
        ("  Typed arrays", st.typed_arrays),
        ("  Other non-JS objects", st.other_native),
    ]
    lines = headline(snapshot.path, f"{st.node_count:,} nodes, {st.edge_count:,} edges", width)
    for label, value in rows:
        lines.append(f"{label:<24} {value:>15,}  {format_size(value):>10}  {format_percent(value, st.total):>4}")
    return "\n".join(lines)


def object_report(snapshot: Snapshot, v: int, width: int | None = 80) -> str:
    info: dict[str, Any] = snapshot.object_json(v)  # the JSON's values, read back as what each one is
    room = None if width is None else max(width - 17, 12)
    lines = [
        fit_line(f"@{info['id']}  {clip_middle(str(info['name']), room)}", width),
        f"  class          {clip_middle(str(info['class']), room)}",
        f"  type           {clip_middle(str(info['type']), room)}",
        f"  self size      {info['self_size']:,}",
        f"  retained size  {info['retained_size']:,}",
        f"  distance       {Snapshot.distance_text(int(info['distance']))}",
        f"  retainers      {len(info['retainers'])}",
    ]
    if info["retainers"]:
        cells = [
            [
                f"{r['edge_type']} {r['edge_name']}",
                "in",
                str(r["class"]),
                f"@{r['id']}",
                f"distance {Snapshot.distance_text(int(r['distance']))}",
            ]
            for r in info["retainers"]
        ]
        edge_width = max(len(visible(c[0])) for c in cells)
        ids = max(len(c[3]) for c in cells)
        dist = max(len(c[4]) for c in cells)
        class_width = max(len(visible(c[2])) for c in cells)
        if width is not None:  # 4 of indent, " in ", then the class, the id and the distance
            left = width - 4 - 4 - 1 - ids - 1 - dist
            edge_width = min(edge_width, max(12, left // 2))
            class_width = min(class_width, max(10, left - edge_width - 1))
        for edge, _, cls, node, distance in cells:
            lines.append(
                f"    {clip_middle(edge, edge_width):<{edge_width}} in {clip_middle(cls, class_width):<{class_width}} "
                f"{node:<{ids}} {distance}"
            )
    return "\n".join(lines)


def comparison_table(comparison: Comparison, rows: list[ClassDiff], width: int | None = 80) -> str:
    """The Comparison view's columns, one class per line, and the totals. # New, # Deleted, Alloc. Size and
    Freed Size are left blank when they are unknown (snapshots of separate inspector sessions)."""
    total = comparison.totals
    counts = (
        f"{total.new_count:,} new, {total.deleted_count:,} deleted, "
        if total.new_count is not None and total.deleted_count is not None
        else f"{total.delta:+,} objects, "
    )
    lines = wrap(
        f"{visible(comparison.snapshot.path)} compared with {visible(comparison.base.path)}: "
        f"{counts}size delta {total.size_delta:+,} bytes",
        width,
    )
    cells = [
        [
            row.name if row.info.location is None else f"{row.name} @{row.info.location_text}",
            _count(row.new_count),
            _count(row.deleted_count),
            f"{row.delta:+,}",
            _count(row.alloc_size),
            _count(row.freed_size),
            f"{row.size_delta:+,}",
        ]
        for row in rows
    ]
    lines += table(
        ["Constructor", "# New", "# Deleted", "# Delta", "Alloc. Size", "Freed Size", "Size Delta"], cells, width
    )
    return "\n".join(lines)


def _count(value: int | None) -> str:
    """A count, or blank for an unknown one."""
    return "" if value is None else f"{value:,}"


def wrap_path(text: str, width: int = 96, indent: str = "     ") -> str:
    """A long retainer path broken at its arrows, so each line stays under ``width`` (the app's Leaks view)."""
    lines: list[str] = []
    line = ""
    for part in text.split(" → "):
        piece = part if not line else " → " + part
        if line and len(indent) + len(line) + len(piece) > width:
            lines.append(indent + line + " →")
            line = part
        else:
            line += piece
    lines.append(indent + line)
    return "\n".join(lines)


def fit_path(text: str, width: int | None, indent: str = "     ") -> str:
    """A retainer path (already escaped) for the commands: broken at its arrows so that every line, its
    closing `` →`` included, is at most ``width``; a step too long for a line by itself is cut in the middle.
    """
    if width is None:
        return indent + text
    lines: list[str] = []
    line = ""
    room = max(width - len(indent) - 2, 8)  # " →" ends a broken line
    for part in text.split(" → "):
        if len(part) > room:
            part = part[: (room - 1) // 2] + ELLIPSIS + part[-(room - 1 - (room - 1) // 2) :]
        piece = part if not line else " → " + part
        if line and len(indent) + len(line) + len(piece) + 2 > width:
            lines.append(indent + line + " →")
            line = part
        else:
            line += piece
    lines.append(indent + line)
    return "\n".join(lines)


def leak_text(report: LeakReport, clusters: list[LeakCluster], width: int | None = 80) -> str:
    """The leak report: a line of totals, then each cluster with its classes and its retainer path."""
    b, t, f = (visible(s.path) for s in (report.baseline, report.target, report.final))
    lines = wrap(
        f"{report.leaked_count:,} objects allocated between {b} and {t} are still alive in {f}; "
        f"they retain {report.retained_size:,} bytes ({format_size(report.retained_size)}) "
        f"in {len(report.clusters):,} clusters",
        width,
    )
    if report.held_by_v8:
        lines += wrap(f"({report.held_by_v8:,} more are held only by V8's internals and left out)", width)
    for i, cluster in enumerate(clusters, 1):
        classes = ", ".join(f"{clip_middle(name, 40)} ×{count:,}" for name, count in list(cluster.classes.items())[:5])
        if len(cluster.classes) > 5:
            classes += ", …"
        lines.append("")
        lines += wrap(
            f"{i:>3}. {format_size(cluster.retained_size)} retained by {cluster.count:,} objects: {classes}", width
        )
        lines.append(fit_path(visible(cluster.path_text), width))
    if report.growing:
        lines.append("")
        lines.append(f"Collections that grew in every snapshot ({len(report.growing)}):")
        for g in report.growing:
            s = report.final
            sizes = " → ".join(f"{n:,}" for n in g.sizes)
            lines.append("")
            lines += wrap(
                f"  {visible(g.kind)} @{int(s.node_id[g.node])} {clip_middle(s.class_name(g.node), 40)}: "
                f"{sizes} elements, retained {' → '.join(format_size(r) for r in g.retained_sizes)}",
                width,
            )
            lines.append(fit_path(visible(path_text(g.path)), width))
    return "\n".join(lines)


def largest_text(snapshot: Snapshot, found: list[LargeObject], width: int | None = 80) -> str:
    """The largest objects by retained size, each with its shortest retainer path."""
    total = snapshot.total_size
    lines = headline(snapshot.path, f"the {len(found)} objects with the largest retained sizes", width)
    for i, item in enumerate(found, 1):
        v = item.node
        facts = (
            f"  retained {int(snapshot.retained[v]):,} ({format_percent(int(snapshot.retained[v]), total)}), "
            f"self {int(snapshot.shallow[v]):,}"
        )
        start = f"{i:>3}. @{int(snapshot.node_id[v])} "
        room = None if width is None else max(width - len(start) - len(facts), 12)
        lines.append("")
        lines += wrap(start + clip_middle(snapshot.class_name(v), room) + facts, width)
        lines.append(fit_path(visible(path_text_of(item)), width))
    return "\n".join(lines)


def path_text_of(item: LargeObject) -> str:
    return path_text(item.path)


def allocations_table(
    path: str, rows: list[dict[str, object]], note: str | None = None, total: int | None = None, width: int | None = 80
) -> str:
    """The allocating functions (rows as ``AllocationRow.to_json`` gives them), live size first."""
    count = len(rows) if total is None else total
    lines = (
        headline(path, f"{count:,} functions allocated objects that are still alive", width)
        if note is None
        else wrap(f"{visible(path)}: {visible(note)}", width)
    )
    if not rows:
        return "\n".join(lines)
    cells = []
    for row in rows:
        where = f"{row['script']}:{row['line']}:{row['column']}" if row["script"] and row["line"] else row["script"]
        label = f"{row['function'] or '(anonymous)'}  {where}" if where else str(row["function"] or "(anonymous)")
        cells.append(
            [f"{row['live_size']:,}", f"{row['live_count']:,}", f"{row['size']:,}", f"{row['count']:,}", label]
        )
    lines += table(["Live Size", "Live Count", "Size", "Count", "Function"], cells, width, flex=4)
    return "\n".join(lines)


def strings_table(snapshot: Snapshot, groups: list, total: int, wasted: int, width: int | None = 80) -> str:
    """Duplicated strings (``filters.DuplicatedString``), most wasted bytes first."""
    lines = wrap(
        f"{visible(snapshot.path)}: {total:,} texts are held more than once, wasting {format_size(wasted)} "
        f"({wasted:,} bytes)",
        width,
    )
    if groups:
        cells = [
            [f"{g.wasted:,}", f"{g.size:,}", f"{g.count:,}", '"' + g.value + '"' + ("…" if g.truncated else "")]
            for g in groups
        ]
        lines += table(["Wasted", "Size", "Count", "Value"], cells, width, flex=3)
    return "\n".join(lines)
