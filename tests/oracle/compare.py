"""Compare heaptui's index with DevTools' own numbers, node by node (a developer's tool).

Usage: python tests/oracle/compare.py FILE ORACLE_JSON
where ORACLE_JSON comes from ``tests/oracle/run FILE --dump-nodes``. Prints the
first differences per field and a one-line verdict.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from heaptui.engine import load_snapshot


def main(path: str, oracle_path: str) -> int:
    oracle = json.load(open(oracle_path))
    s = load_snapshot(path)
    nodes = oracle["nodes"]
    bad = 0
    ids = np.array(nodes["id"], dtype=np.int64)
    if not np.array_equal(ids, s.node_id.astype(np.int64)):
        print("node order differs")
        return 1
    checks = {
        "self_size": s.shallow,
        "retained_size": s.retained,
        "distance": s.distances,
        "dominator_id": s.node_id[s.dominator],
    }
    for field, ours in checks.items():
        theirs = np.array(nodes[field], dtype=np.int64)
        diff = np.flatnonzero(theirs != ours.astype(np.int64))
        if diff.size:
            bad += 1
            print(f"{field}: {diff.size} nodes differ, e.g.")
            for v in diff[:5]:
                print(f"  node {v} id {s.node_id[v]} {s.type_name(v)} {s.raw_name(v)[:40]!r}: "
                      f"ours {ours[v]} devtools {theirs[v]}")
    ours_class = [s.class_info(v).key for v in range(s.node_count)]
    diff = [v for v, key in enumerate(nodes["class_key"]) if key != ours_class[v]]
    if diff:
        bad += 1
        print(f"class_key: {len(diff)} nodes differ, e.g.")
        for v in diff[:5]:
            print(f"  node {v} {s.raw_name(v)[:40]!r}: ours {ours_class[v]!r} devtools {nodes['class_key'][v]!r}")
    ours_rows = {r.info.key: r.to_json() for r in s.summary()}
    for row in oracle["summary"]:
        mine = ours_rows.pop(row["key"], None)
        want = {k: row[k] for k in ("name", "count", "distance", "shallow_size", "retained_size")}
        got = None if mine is None else {k: mine[k] for k in want}
        if got != want:
            bad += 1
            print(f"summary {row['key']!r}: ours {got} devtools {want}")
    if ours_rows:
        bad += 1
        print(f"summary: {len(ours_rows)} classes only heaptui has: {list(ours_rows)[:5]}")
    st = oracle["statistics"]
    want = {"total": st["total"], "v8heap": st["v8heap"]["total"], "native": st["native"]["total"],
            "code": st["v8heap"]["code"], "strings": st["v8heap"]["strings"], "js_arrays": st["v8heap"]["jsArrays"],
            "typed_arrays": st["native"]["typedArrays"], "system": st["v8heap"]["system"]}
    got = {k: s.statistics.to_json()[k] for k in want}
    if got != want:
        bad += 1
        print(f"statistics: ours {got} devtools {want}")
    print("SAME as DevTools" if not bad else f"{bad} fields differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
