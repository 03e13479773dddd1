"""Record DevTools' own numbers for the test fixtures (run by hand when fixtures change).

For each fixture it runs the oracle (DevTools' worker code, downloaded at run
time) and writes ``tests/fixtures/expected/NAME.devtools.json.gz``: Summary
rows, statistics, per-node columns (shallow and retained size, distance,
dominator, class key, display name) and the Retainers view's order for a
sample of objects. Only DevTools' output is committed, never its code.

``--runtimes`` does it for the snapshots of every runtime
(tests/fixtures/make_runtimes.sh): ``runtime-<runtime>`` gets the same keys,
plus for those in ``RUNTIME_BASES`` the Comparison against another runtime's
snapshot (``base``, ``comparison``: two processes, two snapshot formats).
``runtime-collision`` is recorded with the class indexes made canonical
(``--canonical-class-names``), with DevTools' unmodified Summary rows as
``summary_as_shown`` (it shows one of the two ``,Function`` rows only).

Usage: python tests/oracle/make_expected.py [--runtimes | NAME ...]
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from heaptui.engine import load_snapshot

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
DEFAULT = ["leaky-2", "leaky-3", "mixed"]
# Snapshots of tests/fixtures/runtime_workload.mjs, one per runtime (tests/fixtures/make_runtimes.sh).
RUNTIMES = ["runtime-node18", "runtime-node20", "runtime-node22", "runtime-node24", "runtime-deno2", "runtime-bun1"]
# Comparison recorded for a runtime's snapshot: {snapshot: base}.
RUNTIME_BASES = {"runtime-node24": "runtime-node22", "runtime-deno2": "runtime-node24"}
#: Objects named "Function" beside the closures (tests/fixtures/runtime_collision.mjs).
COLLISION = "runtime-collision"
# Classes whose first instances get their retainers and edges recorded.
SAMPLE_CLASSES = ("Date", "{url, date}", "Item", "{alpha, beta}", "Map", "WeakMap")
RUNTIME_SAMPLE_CLASSES = (
    *SAMPLE_CLASSES,
    "RequestLog",
    "Circle",
    "Set",
    "WeakSet",
    "WeakRef",
    "FinalizationRegistry",
    "Promise",
    "Generator",
    "Uint8Array",
    "DataView",
    "Function",
    "(concatenated string)",
    "(sliced string)",
)
# The runtime snapshots' records skip lists longer than this (the string table's thousands of edges, the
# thousands of retainers of a shared map): the Node 20 fixtures above check those, and they would multiply
# the size of the committed files.
RUNTIME_LONGEST_LIST = 500


def sample_objects(path: Path, classes: tuple[str, ...] = SAMPLE_CLASSES, longest: int | None = None) -> list[int]:
    """Objects whose retainer order is worth checking: many retainers, ties, the leak path."""
    s = load_snapshot(path)
    counts = np.diff(s.first_retainer)
    edge_counts = np.diff(s.first_edge)
    if longest is not None:  # rank only the nodes with at most `longest` retainers / edges
        counts = np.where(counts > longest, 0, counts)
        edge_counts = np.where(edge_counts > longest, 0, edge_counts)
    rng = np.random.default_rng(7)
    many = np.flatnonzero(counts >= 3)
    picked = set(rng.choice(many, size=min(60, many.size), replace=False).tolist())
    picked.update(np.argsort(-counts)[:5].tolist())
    # Objects with many edges, for the order of their properties (and of a long array's elements).
    picked.update(np.argsort(-edge_counts)[:5].tolist())
    for row in s.summary():
        if row.name in classes:
            picked.update(s.instances(row.class_index)[:2].tolist())
    return sorted(int(s.node_id[v]) for v in picked)


def oracle(path: Path, *extra: str) -> dict:
    args = [str(HERE / "run"), str(path), "--compact", *extra]
    data = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    data.pop("file", None)
    data.pop("base_file", None)
    return data


def main(names: list[str]) -> None:
    if names == ["--runtimes"]:
        names = [*RUNTIMES, COLLISION]
    for name in names or DEFAULT:
        path = FIXTURES / f"{name}.heapsnapshot.gz"
        extra = ["--dump-nodes", "--dump-names"]
        runtime = name in RUNTIMES or name == COLLISION
        sample = sample_objects(path, RUNTIME_SAMPLE_CLASSES, RUNTIME_LONGEST_LIST) if runtime else sample_objects(path)
        for node_id in sample:
            extra += ["--object", str(node_id)]
        if name in RUNTIME_BASES:
            extra += ["--base", str(FIXTURES / f"{RUNTIME_BASES[name]}.heapsnapshot.gz")]
        if name == COLLISION:
            extra.append("--canonical-class-names")
        data = oracle(path, *extra)
        if name in RUNTIME_BASES:
            data["base"] = RUNTIME_BASES[name]
        if name == COLLISION:
            data["summary_as_shown"] = oracle(path)["summary"]
        out = FIXTURES / "expected" / f"{name}.devtools.json.gz"
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(json.dumps(data, separators=(",", ":")).encode())
        print(f"{out}: {len(data['summary'])} classes, {len(data['objects'])} objects")


if __name__ == "__main__":
    main(sys.argv[1:])
