"""Memory of a loaded index: peak while loading, resident after, with and without the index cache.

    python benchmarks/index_memory.py FILE [CACHE_DIR]

Loads FILE in this process (run it fresh for each figure) and prints one JSON line: load time and
phases, peak RSS while loading, RSS once loaded, both as multiples of the file's size. With CACHE_DIR
the load goes through the index cache: the first run writes it and then maps it (the loaded index is
the cache file's pages, resident only where read); a second run with the same CACHE_DIR is a reopen.
Targets (issue 10): peak < 1.5 x the file, loaded index < 1.25 x the file.
"""

import gc
import json
import os
import resource
import sys
import time

from heaptui.process_tuning import tune_process

tune_process()  # as the heaptui command does, before numpy is imported

from heaptui.engine.cache import CacheOptions  # noqa: E402
from heaptui.engine.load import load_snapshot  # noqa: E402


def main() -> None:
    path = sys.argv[1]
    cache = CacheOptions(directory=sys.argv[2]) if len(sys.argv) > 2 else None
    started = time.perf_counter()
    s = load_snapshot(path, cache=cache)
    load = time.perf_counter() - started
    gc.collect()
    resident = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = os.path.getsize(path)
    print(
        json.dumps(
            {
                "file": size,
                "nodes": s.node_count,
                "edges": s.edge_count,
                "load": round(load, 2),
                "phases": {k: round(v, 2) for k, v in s.timings.items()},
                "peak": peak,
                "resident": resident,
                "peak_x_file": round(peak / size, 3),
                "resident_x_file": round(resident / size, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
