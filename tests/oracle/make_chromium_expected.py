"""Record DevTools' own numbers for the Chromium fixtures (run by hand when they change).

Runs the oracle (DevTools' worker code, downloaded at run time) on
``tests/fixtures/chromium-{1,2}.heapsnapshot.gz`` with every Summary filter the
dropdown offers (``--filter all``), DevTools' duplicated-string groups, per-node
columns and a sample of objects, and for chromium-2 the Comparison against
chromium-1. Writes ``tests/fixtures/expected/chromium-N.devtools.json.gz`` (gzip
mtime 0, compact JSON); README.md next to this file describes the keys. Only
DevTools' output is committed, never its code.

Usage: python tests/oracle/make_chromium_expected.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"

# (snapshot, base for the Comparison or None)
SNAPSHOTS = [("chromium-1", None), ("chromium-2", "chromium-1")]

# Classes whose instances get their retainers and edges recorded (first two and last one in node order).
SAMPLE_CLASSES = [
    "RowModel", "ClickState", "Store", "ContextHeld", "ConsoleHeld", "FrameModel",
    "<li>", "Detached <li>", "<span>", "Detached <span>", "Detached <button>", "Detached Text",
    "V8EventListener", "Detached V8EventListener", "<ul>", "<iframe>",
]


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.heapsnapshot.gz")


def oracle(name: str, *extra: str) -> dict:
    args = [str(HERE / "run"), fixture(name), "--compact", *extra]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def sample_ids(nodes: dict, native_contexts: list[dict], duplicated: list[dict]) -> list[int]:
    by_class: dict[str, list[int]] = {}
    for node_id, cls in zip(nodes["id"], nodes["class_name"], strict=True):
        by_class.setdefault(cls, []).append(node_id)
    picked: set[int] = set()
    for cls in SAMPLE_CLASSES:
        ids = by_class.get(cls, [])
        picked.update(ids[:2] + ids[-1:])
    picked.update(c["node_id"] for c in native_contexts)
    for group in duplicated[:3]:
        picked.update(group["node_ids"][:2])
    return sorted(picked)


def expected(name: str, base: str | None) -> dict:
    common = ["--filter", "all", "--duplicated-strings"]
    first = oracle(name, *common, "--dump-nodes")
    extra = [*common, "--dump-nodes", "--dump-names"]
    for node_id in sample_ids(first["nodes"], first["native_contexts"], first["duplicated_strings"]):
        extra += ["--object", str(node_id)]
    if base is not None:
        extra += ["--base", fixture(base)]
    data = oracle(name, *extra)
    data.pop("file", None)
    data.pop("base_file", None)
    data["snapshot"] = name
    if base is not None:
        data["base"] = base
    # `filters`: {filter name: Summary rows}; the labels and footer totals go to `filter_info`.
    filters = data.pop("filters")
    data["filters"] = {key: f["filtered_summary"] for key, f in filters.items()}
    data["filter_info"] = {key: {"label": f["label"],
                                 "total_count": f["filtered_summary_total_count"],
                                 "total_shallow_size": f["filtered_summary_total_shallow_size"]}
                           for key, f in filters.items()}
    return data


def main() -> None:
    for name, base in SNAPSHOTS:
        data = expected(name, base)
        out = FIXTURES / "expected" / f"{name}.devtools.json.gz"
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(json.dumps(data, separators=(",", ":")).encode())
        counts = {r["name"]: r["count"] for r in data["summary"]}
        picked = {k: counts.get(k) for k in ("<li>", "Detached <li>", "RowModel", "ClickState")}
        line = f"{out.name}: {len(data['summary'])} classes, {len(data['filters'])} filters, {picked}"
        if base is not None:
            new = {r["name"]: r["added_count"] for r in data["comparison"]
                   if r["name"] in ("Detached <li>", "RowModel", "ClickState")}
            line += f"; new since {base}: {new}"
        print(line)


if __name__ == "__main__":
    main()
