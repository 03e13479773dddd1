"""The 2 GB case: first load, cached reopen, and Node's own JSON.parse on the same file, in one run.

    python benchmarks/big.py [FILE]     (default: the 2 GB benchmark snapshot, generated on first use)

Each figure comes from a fresh process (benchmarks/index_memory.py, so peak RSS is that load's own):
  1. first load, writing the index cache into a new directory (load time, peak RSS, resident after);
  2. reopen through the cache (time, peak RSS, resident);
  3. `heaptui summary FILE` on the cache (wall time, peak RSS), what a user waits for on a reopen;
  4. `node -e "JSON.parse(fs.readFileSync(FILE, 'utf8'))"`: V8 cannot build a string over 512 MB
     (0x1fffffe8 characters), so on a big snapshot this fails: the reason such files need a streaming reader.
Prints a table, PASS/FAIL for issue 10's targets and one JSON line. Stdlib only.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (a sibling script, not a package)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(peers.DATA_DIR, "bench-2gb.heapsnapshot")
SCALE_2GB = 1_280_000  # make_snapshot.js units: ~2.1 GB, 28M nodes, 81M edges (~4 min, ~12 GB for Node)


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, os.path.join(HERE, "index_memory.py"), *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    if not os.path.exists(path):
        subprocess.run(["node", "--max-old-space-size=22000", os.path.join(HERE, "make_snapshot.js"), path,
                        str(SCALE_2GB)], check=True)
    cache = tempfile.mkdtemp(prefix="heaptui-big-cache-")
    try:
        first = child([path, cache])
        reopen = child([path, cache])
        wall, rss = peers.time_cmd([sys.executable, "-m", "heaptui", "--cache-dir", cache, "summary", path,
                                    "--top", "5", "--no-progress"])
        cache_size = sum(os.path.getsize(os.path.join(cache, f)) for f in os.listdir(cache))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    node = subprocess.run(["node", "--max-old-space-size=22000", "-e",
                           "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))", path],
                          capture_output=True, text=True)
    node_wall = time.perf_counter() - started
    node_error = next((line for line in node.stderr.splitlines() if "Error" in line), "") if node.returncode else ""
    size = first["file"]
    print(f"{path}: {size / 1e9:.2f} GB, {first['nodes']:,} nodes, {first['edges']:,} edges")
    print(f"  first load (writes the cache): {first['load']:.1f} s, peak {first['peak'] / 1e9:.2f} GB "
          f"({first['peak_x_file']:.2f} x file), resident after {first['resident'] / 1e9:.2f} GB")
    print(f"  reopen through the cache:      {reopen['load']:.2f} s, peak {reopen['peak'] / 1e9:.2f} GB, "
          f"resident {reopen['resident'] / 1e9:.2f} GB; cache file {cache_size / 1e9:.2f} GB")
    print(f"  heaptui summary on the cache:  {wall:.2f} s, peak {rss / 1e9:.2f} GB")
    print(f"  node JSON.parse:               {node_wall:.1f} s, "
          + (f"fails: {node_error.strip()}" if node_error else "parsed"))
    targets = {"peak < 1.5 x file": first["peak_x_file"] < 1.5,
               "loaded index < 1.25 x file": first["resident_x_file"] < 1.25,
               "summary on a reopen < 2 s per GB of snapshot": wall < 2.0 * size / 1e9}
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(json.dumps({"first": first, "reopen": reopen, "summary_reopen": {"wall": wall, "rss": rss},
                      "cache_size": cache_size, "node": {"wall": node_wall, "error": node_error},
                      "targets": targets}))


if __name__ == "__main__":
    main()
