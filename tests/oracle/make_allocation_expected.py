"""Record DevTools' own allocation timeline numbers for the .heaptimeline fixtures (run by hand when they change).

Runs ``allocation_oracle.mjs`` (DevTools' heap snapshot worker, downloaded at
run time) on ``tests/fixtures/timeline-leaky*.heaptimeline.gz`` and writes
``tests/fixtures/expected/NAME.devtools.json.gz``. The inputs it asks about are
picked from the file itself (its samples and nodes, read here with ``json``),
not from heaptui:

- time windows of the overview: the burst of allocation (from the first
  interval after the start with a non-zero size to the last one before the
  next empty interval: the requests), one window of two intervals in the
  middle (where DevTools' id range takes in one interval more than its size
  does), and one in the idle time before the requests;
- the exact id ranges of the burst and of interval 0 (before the recording);
- the allocation stacks of a few objects (the first leaked Dates, and every
  500th node allocated with a stack).

Usage: python tests/oracle/make_allocation_expected.py [NAME ...]
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
DEFAULT = ["timeline-leaky", "timeline-leaky-nostacks"]


def oracle(path: Path, *args: str) -> dict:
    out = subprocess.run(["node", str(HERE / "allocation_oracle.mjs"), str(path), "--compact", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def burst(sizes: list[int]) -> tuple[int, int]:
    """The first run of intervals (after interval 0) whose size is not zero."""
    first = next(i for i in range(1, len(sizes)) if sizes[i])
    last = first
    while last + 1 < len(sizes) and sizes[last + 1]:
        last += 1
    return first, last


def stack_ids(path: Path) -> list[int]:
    data = json.loads(gzip.open(path).read())
    fields = data["snapshot"]["meta"]["node_fields"]
    width, nodes, strings = len(fields), data["nodes"], data["strings"]
    at = {f: fields.index(f) for f in ("name", "id", "trace_node_id")}
    ids = []
    traced = [i for i in range(0, len(nodes), width) if nodes[i + at["trace_node_id"]]]
    dates = [i for i in traced if strings[nodes[i + at["name"]]] == "Date"]
    for i in dates[:3] + traced[::500]:
        ids.append(nodes[i + at["id"]])
    return sorted(set(ids))


def main(names: list[str]) -> None:
    for name in names or DEFAULT:
        path = FIXTURES / f"{name}.heaptimeline.gz"
        first_pass = oracle(path)
        samples = first_pass["samples"]
        ts, ids, sizes = samples["timestamps_ms"], samples["last_assigned_ids"], samples["sizes"]
        a, b = burst(sizes)
        mid = (a + b) // 2
        args = ["--window", f"{ts[a]!r}:{ts[b]!r}", "--window", f"{ts[mid]!r}:{ts[mid + 1]!r}",
                "--window", f"{ts[1]!r}:{ts[max(a - 1, 1)]!r}",
                "--id-range", f"{ids[a - 1]}:{ids[b]}", "--id-range", f"0:{ids[0]}"]
        if first_pass["trace_function_count"]:
            for node_id in stack_ids(path):
                args += ["--stack", str(node_id)]
            args += ["--filtered-tops", "12"]
        data = oracle(path, *args)
        data.pop("file", None)
        data["burst"] = [a, b]
        out = FIXTURES / "expected" / f"{name}.devtools.json.gz"
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(json.dumps(data, separators=(",", ":")).encode())
        print(f"{out}: {len(ts)} samples, burst {a}..{b}, {len(data.get('allocation_tops', []))} allocation tops")


if __name__ == "__main__":
    main(sys.argv[1:])
