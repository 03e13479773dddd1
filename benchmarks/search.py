"""Search as the user types it: each prefix of a query timed on one snapshot, as the Summary's search box runs it.

    python benchmarks/search.py [FILE] [QUERY ...] [--cache-dir DIR] [--rounds N] [--baseline OLD_SEARCH_PY]

FILE defaults to the 1 GB benchmark snapshot; ``--cache-dir`` loads it through an index cache there (written on
the first run: later runs load in seconds). QUERY defaults to ``requestL``, ``url``, ``Date`` and ``@<the id of
the node in the middle of the file>``. Each query is timed as typed: every prefix of it (``r``, ``re``, ``req``,
...), ``--rounds`` times (default 3), and the median printed. An ``@id`` is timed whole.

Printed first: the first search after loading (the per-snapshot search index is built then, unless the app built
it when the search box opened), the index's build time (median of ``--rounds`` fresh builds) and its size against
the snapshot's arrays. ``--baseline`` names another version of ``heaptui/engine/search.py`` (e.g. from ``git show
REV:heaptui/engine/search.py``): it is timed on the same prefixes in alternating turns (old, new, old, new, ...),
so a busy moment of the shared machine falls on both alike, and every prefix's hits are compared (same hits, same
order, same totals) and a difference is reported.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

from heaptui.engine import load_snapshot, search_index
from heaptui.engine import search as new_search
from heaptui.engine.cache import SNAPSHOT_ARRAY_FIELDS, CacheOptions

DEFAULT_FILE = "/work/bench/bench-1gb.heapsnapshot"
DEFAULT_QUERIES = ("requestL", "url", "Date")


def anonymous_mb() -> float:
    """The process's anonymous resident memory (its heap; the index cache's mapped arrays are file pages)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1e3
    return 0.0


def baseline_module(path: str) -> ModuleType:
    """Another version of the engine's search module, imported inside ``heaptui.engine`` (its relative imports)."""
    spec = importlib.util.spec_from_file_location("heaptui.engine._search_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def prefixes(query: str) -> list[str]:
    if query.startswith("@"):
        return [query]
    return [query[:n] for n in range(1, len(query) + 1)]


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def same(a, b) -> bool:
    key = [(h.node, h.how, h.text, h.holder, h.edge) for h in a.hits]
    return a.total == b.total and key == [(h.node, h.how, h.text, h.holder, h.edge) for h in b.hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", default=DEFAULT_FILE)
    parser.add_argument("queries", nargs="*")
    parser.add_argument("--cache-dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="another version of heaptui/engine/search.py to time in turns")
    args = parser.parse_args()

    started = time.perf_counter()
    cache = CacheOptions(directory=args.cache_dir) if args.cache_dir else None
    s = load_snapshot(args.file, cache=cache)
    print(f"{Path(args.file).name}: {s.node_count:,} nodes, {s.edge_count:,} edges, {len(s.strings):,} strings")
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    queries = args.queries or [*DEFAULT_QUERIES, f"@{int(s.node_id[s.node_count // 2])}"]
    old = baseline_module(args.baseline) if args.baseline else None
    arrays = sum(a.nbytes for a in (getattr(s, name) for name in SNAPSHOT_ARRAY_FIELDS) if a is not None)
    arrays += s.strings.nbytes

    first_query = next((q for q in queries if not q.startswith("@")), queries[0])[:3]
    before = anonymous_mb()
    seconds, found = timed(new_search.search, s, first_query)
    print(f"first search after loading ({first_query!r}, index built): {seconds:.2f} s, {found.total:,} objects")
    index = s.search_index()
    grown = anonymous_mb() - before
    builds = [
        timed(search_index.build_search_index, s.edge_type, s.edge_name, s.numbered_edge, s.strings)[0]
        for _ in range(args.rounds)
    ]
    print(
        f"search index: built in {statistics.median(builds):.2f} s (median of {len(builds)}), "
        f"{index.nbytes / 1e6:.1f} MB = {100 * index.nbytes / arrays:.1f}% of the snapshot's arrays "
        f"({arrays / 1e6:,.0f} MB); the first search grew the heap (anonymous RSS) by {grown:.0f} MB"
    )

    print(f"\n{'query':<12} {'new s':>8} {'old s':>8} {'objects':>10}  (median of {args.rounds})")
    differences = 0
    for query in queries:
        for prefix in prefixes(query):
            new_times, old_times = [], []
            for _ in range(args.rounds):
                if old is not None:
                    seconds, was = timed(old.search, s, prefix)
                    old_times.append(seconds)
                seconds, found = timed(new_search.search, s, prefix)
                new_times.append(seconds)
                if old is not None and not same(found, was):
                    differences += 1
                    print(f"  DIFFERENT hits for {prefix!r}: {found.total} against {was.total}")
            old_text = f"{statistics.median(old_times):8.3f}" if old_times else f"{'':8}"
            print(f"{prefix:<12} {statistics.median(new_times):8.3f} {old_text} {found.total:>10,}", flush=True)
    if old is not None:
        print("\nsame hits as the baseline for every prefix" if not differences else f"\n{differences} differences")
        sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
