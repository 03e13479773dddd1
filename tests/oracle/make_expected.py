"""Record DevTools' own numbers for the test fixtures (run by hand when fixtures change).

For each fixture it runs the oracle (DevTools' worker code, downloaded at run
time) and writes ``tests/fixtures/expected/NAME.devtools.json.gz``: Summary
rows, statistics, per-node columns (shallow and retained size, distance,
dominator, class key, display name) and the Retainers view's order for a
sample of objects. Only DevTools' output is committed, never its code.

Usage: python tests/oracle/make_expected.py [FIXTURE.heapsnapshot.gz ...]
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


def sample_objects(path: Path) -> list[int]:
    """Objects whose retainer order is worth checking: many retainers, ties, the leak path."""
    s = load_snapshot(path)
    counts = np.diff(s.first_retainer)
    rng = np.random.default_rng(7)
    many = np.flatnonzero(counts >= 3)
    picked = set(rng.choice(many, size=min(60, many.size), replace=False).tolist())
    picked.update(np.argsort(-counts)[:5].tolist())
    # Objects with many edges, for the order of their properties (and of a long array's elements).
    picked.update(np.argsort(-np.diff(s.first_edge))[:5].tolist())
    for row in s.summary():
        if row.name in ("Date", "{url, date}", "Item", "{alpha, beta}", "Map", "WeakMap"):
            picked.update(s.instances(row.class_index)[:2].tolist())
    return sorted(int(s.node_id[v]) for v in picked)


def main(names: list[str]) -> None:
    for name in names or DEFAULT:
        path = FIXTURES / f"{name}.heapsnapshot.gz"
        ids = sample_objects(path)
        args = [str(HERE / "run"), str(path), "--dump-nodes", "--dump-names", "--compact"]
        for node_id in ids:
            args += ["--object", str(node_id)]
        data = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
        data.pop("file", None)
        out = FIXTURES / "expected" / f"{name}.devtools.json.gz"
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(json.dumps(data, separators=(",", ":")).encode())
        print(f"{out}: {len(data['summary'])} classes, {len(data['objects'])} objects")


if __name__ == "__main__":
    main(sys.argv[1:])
