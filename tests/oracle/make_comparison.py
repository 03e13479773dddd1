"""Record DevTools' own Comparison and "allocated before/between" numbers for the fixtures.

Runs the oracle (DevTools' worker code, downloaded at run time) with ``--base``
and ``--min-node-id/--max-node-id`` and writes
``tests/fixtures/expected/comparison.devtools.json.gz`` (see README.md next to
this file for its layout). Run by hand when the fixtures change. Only DevTools'
output is committed, never its code.

Usage: python tests/oracle/make_comparison.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
OUT = FIXTURES / "expected" / "comparison.devtools.json.gz"

# (base, snapshot): the Comparison view of `snapshot` with `base` as its base.
# mixed -> leaky-3 are two different processes: node ids are not related.
PAIRS = [("leaky-1", "leaky-2"), ("leaky-2", "leaky-3"), ("mixed", "leaky-3")]


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.heapsnapshot.gz")


def oracle(name: str, *extra: str) -> dict:
    args = [str(HERE / "run"), fixture(name), "--compact", *extra]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def comparison(base: str, name: str) -> dict:
    data = oracle(name, "--base", fixture(base))
    return {
        "devtools_version": data["devtools_version"],
        "base": base,
        "snapshot": name,
        "base_max_js_node_id": data["base_max_js_node_id"],
        "max_js_node_id": data["max_js_node_id"],
        "comparison": data["comparison"],
    }


def filtered(name: str, min_node_id: int, max_node_id: int) -> dict:
    data = oracle(name, "--min-node-id", str(min_node_id), "--max-node-id", str(max_node_id))
    return {
        "devtools_version": data["devtools_version"],
        "snapshot": name,
        "min_node_id": min_node_id,
        "max_node_id": max_node_id,
        "filtered_summary_total_count": data["filtered_summary_total_count"],
        "filtered_summary_total_shallow_size": data["filtered_summary_total_shallow_size"],
        "filtered_summary": data["filtered_summary"],
    }


def main() -> None:
    out: dict[str, dict] = {}
    max_id: dict[str, int] = {}
    for base, name in PAIRS:
        entry = comparison(base, name)
        out[f"{base}..{name}"] = entry
        max_id[base] = entry["base_max_js_node_id"]
        max_id[name] = entry["max_js_node_id"]
    # What the Summary's "Objects allocated between leaky-2 and leaky-3" and
    # "Objects allocated before leaky-1" options show on leaky-3 (profiles
    # leaky-1, leaky-2, leaky-3 loaded in that order).
    out["leaky-3 since leaky-2"] = filtered("leaky-3", max_id["leaky-2"], max_id["leaky-3"])
    out["leaky-3 before leaky-1"] = filtered("leaky-3", 0, max_id["leaky-1"])

    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(json.dumps(out, separators=(",", ":")).encode())
    for key, entry in out.items():
        rows = entry.get("comparison", entry.get("filtered_summary"))
        picked = {r["name"]: r.get("added_count", r.get("count")) for r in rows if r["name"] in ("Date", "{url, date}")}
        print(f"{OUT.name} [{key}]: {len(rows)} rows; {picked}")


if __name__ == "__main__":
    main()
