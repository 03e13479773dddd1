"""Plain-text renderings of the engine's answers, for the headless commands.

Kept apart from the CLI so that the same tables can be printed by tests,
benchmarks or another front end without click.
"""

from __future__ import annotations

from .engine.jsnames import printable
from .engine.snapshot import ClassRow, Snapshot


def human_size(size: int) -> str:
    """Bytes as DevTools abbreviates them: ``812 B``, ``12.3 kB``, ``4.1 MB``."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def percent(part: int, total: int) -> str:
    return f"{100 * part / total:.0f}%" if total else "-"


def _truncate(text: str, width: int) -> str:
    text = printable(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_table(snapshot: Snapshot, rows: list[ClassRow], width: int = 100) -> str:
    total = snapshot.total_size
    name_width = max(20, width - 62)
    lines = [
        f"{snapshot.path}: {snapshot.node_count:,} nodes, {snapshot.edge_count:,} edges, "
        f"total {human_size(total)} ({total:,} bytes)",
        f"{'Constructor':<{name_width}} {'Count':>9} {'Distance':>8} {'Shallow Size':>18} {'Retained Size':>18}",
    ]
    for row in rows:
        label = row.name if row.info.location is None else f"{row.name} @{row.info.location_text}"
        lines.append(
            f"{_truncate(label, name_width):<{name_width}} {row.count:>9,} "
            f"{Snapshot.distance_text(row.distance):>8} "
            f"{row.shallow_size:>13,} {percent(row.shallow_size, total):>4} "
            f"{row.retained_size:>13,} {percent(row.retained_size, total):>4}"
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
    lines = [f"{snapshot.path}: {st.node_count:,} nodes, {st.edge_count:,} edges"]
    for label, value in rows:
        lines.append(f"{label:<24} {value:>15,}  {human_size(value):>10}  {percent(value, st.total):>4}")
    return "\n".join(lines)


def object_report(snapshot: Snapshot, v: int) -> str:
    info = snapshot.object_json(v)
    lines = [
        f"@{info['id']}  {_truncate(str(info['name']), 80)}",
        f"  class          {_truncate(str(info['class']), 80)}",
        f"  type           {info['type']}",
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
