"""Plain-text renderings of the engine's answers, for the headless commands.

Kept apart from the CLI so that the same tables can be printed by tests,
benchmarks or another front end without click. Every text that comes from a
file (names, strings, paths) goes through :func:`_truncate` or ``visible``,
so its control characters are shown escaped, never sent to the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine.leaks import path_text
from .engine.sizes import format_percent, format_size
from .engine.snapshot import ClassRow, Snapshot
from .visible import clip, visible

human_size = format_size  # the app's name for it until it imports the engine's
percent = format_percent

if TYPE_CHECKING:
    from .engine.compare import ClassDiff, Comparison
    from .engine.leaks import LargeObject, LeakCluster, LeakReport


def _truncate(text: str, width: int) -> str:
    """File text in at most ``width`` characters, control characters escaped (an escape is never cut)."""
    return clip(text, width)


def summary_table(snapshot: Snapshot, rows: list[ClassRow], width: int = 100) -> str:
    total = snapshot.total_size
    name_width = max(20, width - 62)
    lines = [
        f"{visible(snapshot.path)}: {snapshot.node_count:,} nodes, {snapshot.edge_count:,} edges, "
        f"total {format_size(total)} ({total:,} bytes)",
        f"{'Constructor':<{name_width}} {'Count':>9} {'Distance':>8} {'Shallow Size':>18} {'Retained Size':>18}",
    ]
    for row in rows:
        label = row.name if row.info.location is None else f"{row.name} @{row.info.location_text}"
        lines.append(
            f"{_truncate(label, name_width):<{name_width}} {row.count:>9,} "
            f"{Snapshot.distance_text(row.distance):>8} "
            f"{row.shallow_size:>13,} {format_percent(row.shallow_size, total):>4} "
            f"{row.retained_size:>13,} {format_percent(row.retained_size, total):>4}"
        )
    return "\n".join(lines)


def statistics_table(snapshot: Snapshot) -> str:
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
    lines = [f"{visible(snapshot.path)}: {st.node_count:,} nodes, {st.edge_count:,} edges"]
    for label, value in rows:
        lines.append(f"{label:<24} {value:>15,}  {format_size(value):>10}  {format_percent(value, st.total):>4}")
    return "\n".join(lines)


def object_report(snapshot: Snapshot, v: int) -> str:
    info: dict[str, Any] = snapshot.object_json(v)  # the JSON's values, read back as what each one is
    lines = [
        f"@{info['id']}  {_truncate(str(info['name']), 80)}",
        f"  class          {_truncate(str(info['class']), 80)}",
        f"  type           {visible(str(info['type']))}",
        f"  self size      {info['self_size']:,}",
        f"  retained size  {info['retained_size']:,}",
        f"  distance       {Snapshot.distance_text(int(info['distance']))}",
        f"  retainers      {len(info['retainers'])}",
    ]
    for r in info["retainers"]:
        lines.append(
            f"    {_truncate(r['edge_type'] + ' ' + str(r['edge_name']), 34):<34} in "
            f"{_truncate(r['class'], 30):<30} @{r['id']:<10} distance {Snapshot.distance_text(int(r['distance']))}"
        )
    return "\n".join(lines)


def comparison_table(comparison: Comparison, rows: list[ClassDiff], width: int = 100) -> str:
    """The Comparison view's columns, one class per line, and the totals. # New, # Deleted, Alloc. Size and
    Freed Size are left blank when they are unknown (snapshots of separate inspector sessions)."""
    name_width = max(20, width - 60)
    total = comparison.totals
    counts = (f"{total.new_count:,} new, {total.deleted_count:,} deleted, "
              if total.new_count is not None and total.deleted_count is not None else f"{total.delta:+,} objects, ")
    lines = [
        f"{visible(comparison.snapshot.path)} compared with {visible(comparison.base.path)}: "
        f"{counts}size delta {total.size_delta:+,} bytes",
        f"{'Constructor':<{name_width}} {'# New':>8} {'# Deleted':>9} {'# Delta':>8} "
        f"{'Alloc. Size':>11} {'Freed Size':>11} {'Size Delta':>11}",
    ]
    for row in rows:
        label = row.name if row.info.location is None else f"{row.name} @{row.info.location_text}"
        lines.append(f"{_truncate(label, name_width):<{name_width}} {_count(row.new_count, 8)} "
                     f"{_count(row.deleted_count, 9)} {row.delta:>+8,} {_count(row.alloc_size, 11)} "
                     f"{_count(row.freed_size, 11)} {row.size_delta:>+11,}")
    return "\n".join(lines)


def _count(value: int | None, width: int) -> str:
    """A right-aligned count, or blanks for an unknown one."""
    return " " * width if value is None else f"{value:>{width},}"


def wrap_path(text: str, width: int = 96, indent: str = "     ") -> str:
    """A long retainer path broken at its arrows, so each line stays under ``width``."""
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


def leak_text(report: LeakReport, clusters: list[LeakCluster]) -> str:
    """The leak report: a line of totals, then each cluster with its classes and its retainer path."""
    b, t, f = (visible(s.path) for s in (report.baseline, report.target, report.final))
    lines = [
        f"{report.leaked_count:,} objects allocated between {b} and {t} are still alive in {f}; "
        f"they retain {report.retained_size:,} bytes ({format_size(report.retained_size)}) "
        f"in {len(report.clusters):,} clusters",
    ]
    if report.held_by_v8:
        lines.append(f"({report.held_by_v8:,} more are held only by V8's internals and left out)")
    for i, cluster in enumerate(clusters, 1):
        classes = ", ".join(f"{_truncate(name, 40)} ×{count:,}" for name, count in list(cluster.classes.items())[:5])
        if len(cluster.classes) > 5:
            classes += ", …"
        lines.append("")
        lines.append(f"{i:>3}. {format_size(cluster.retained_size)} retained by {cluster.count:,} objects: {classes}")
        lines.append(wrap_path(visible(cluster.path_text)))
    if report.growing:
        lines.append("")
        lines.append(f"Collections that grew in every snapshot ({len(report.growing)}):")
        for g in report.growing:
            s = report.final
            sizes = " → ".join(f"{n:,}" for n in g.sizes)
            lines.append("")
            lines.append(f"  {visible(g.kind)} @{int(s.node_id[g.node])} {_truncate(s.class_name(g.node), 40)}: "
                         f"{sizes} elements, retained {' → '.join(format_size(r) for r in g.retained_sizes)}")
            lines.append(wrap_path(visible(path_text(g.path))))
    return "\n".join(lines)


def largest_text(snapshot: Snapshot, found: list[LargeObject]) -> str:
    """The largest objects by retained size, each with its shortest retainer path."""
    total = snapshot.total_size
    lines = [f"{visible(snapshot.path)}: the {len(found)} objects with the largest retained sizes"]
    for i, item in enumerate(found, 1):
        v = item.node
        lines.append("")
        lines.append(f"{i:>3}. @{int(snapshot.node_id[v])} {_truncate(snapshot.class_name(v), 50)}  "
                     f"retained {int(snapshot.retained[v]):,} ({format_percent(int(snapshot.retained[v]), total)}), "
                     f"self {int(snapshot.shallow[v]):,}")
        lines.append(wrap_path(visible(path_text_of(item))))
    return "\n".join(lines)


def path_text_of(item: LargeObject) -> str:
    return path_text(item.path)


def allocations_table(path: str, rows: list[dict[str, object]], note: str | None = None, total: int | None = None,
                      width: int = 110) -> str:
    """The allocating functions (rows as ``AllocationRow.to_json`` gives them), live size first."""
    count = len(rows) if total is None else total
    lines = [f"{visible(path)}: {count:,} functions allocated objects that are still alive" if note is None
             else f"{visible(path)}: {visible(note)}"]
    if not rows:
        return "\n".join(lines)
    name_width = max(20, width - 50)
    lines.append(f"{'Live Size':>12} {'Live Count':>10} {'Size':>12} {'Count':>9}  Function")
    for row in rows:
        where = f"{row['script']}:{row['line']}:{row['column']}" if row["script"] and row["line"] else row["script"]
        label = f"{row['function'] or '(anonymous)'}  {where}" if where else str(row["function"] or "(anonymous)")
        lines.append(f"{row['live_size']:>12,} {row['live_count']:>10,} {row['size']:>12,} {row['count']:>9,}  "
                     f"{_truncate(label, name_width)}")
    return "\n".join(lines)


def strings_table(snapshot: Snapshot, groups: list, total: int, wasted: int, width: int = 110) -> str:
    """Duplicated strings (``filters.DuplicatedString``), most wasted bytes first."""
    lines = [f"{visible(snapshot.path)}: {total:,} texts are held more than once, wasting {format_size(wasted)} "
             f"({wasted:,} bytes)"]
    if groups:
        lines.append(f"{'Wasted':>12} {'Size':>12} {'Count':>8}  Value")
        value_width = max(20, width - 36)
        for g in groups:
            text = '"' + g.value + '"' + ("…" if g.truncated else "")
            lines.append(f"{g.wasted:>12,} {g.size:>12,} {g.count:>8,}  {_truncate(text, value_width)}")
    return "\n".join(lines)
