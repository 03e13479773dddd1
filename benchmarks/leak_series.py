"""Multi-snapshot benchmark: `heaptui diff` and `heaptui leaks` next to heap-snapshot's `hs diff`, same run.

    python benchmarks/leak_series.py [--runs N] [--scale 60000] [--leak 20000]

Generates (once, into the benchmark data dir) three snapshots of one Node process that leaks LEAK
`{url, date}` objects between each (benchmarks/make_leak_series.js), then times each command in a fresh
process (wall time and peak RSS, medians over --runs) and checks the answers: exactly LEAK new `Date`
objects in the diff, the leak report's first cluster through `requestLogs`. Prints a table, then one
JSON line with every figure. Stdlib only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (a sibling script, not a package)

HERE = os.path.dirname(os.path.abspath(__file__))


def series(scale: int, leak: int) -> list[str]:
    prefix = os.path.join(peers.DATA_DIR, f"leak-series-{scale}-{leak}")
    files = [f"{prefix}-{n}.heapsnapshot" for n in (1, 2, 3)]
    if not all(os.path.exists(f) for f in files):
        subprocess.run(["node", "--expose-gc", peers.NODE_HEAP, os.path.join(HERE, "make_leak_series.js"), prefix,
                        str(scale), str(leak)], check=True)
    return files


def timed(cmd: list[str], runs: int) -> dict:
    walls, rsss, out = [], [], ""
    for _ in range(runs):
        with tempfile.TemporaryFile("w+") as f:
            wall, rss = peers.time_cmd(cmd, stdout=f)
            f.seek(0)
            out = f.read()
        walls.append(wall)
        rsss.append(rss)
    return {"wall": statistics.median(walls), "best": min(walls), "rss": statistics.median(rsss), "out": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--scale", type=int, default=60000)
    ap.add_argument("--leak", type=int, default=20000)
    args = ap.parse_args()
    s1, s2, s3 = series(args.scale, args.leak)
    sizes = [os.path.getsize(f) for f in (s1, s2, s3)]
    heaptui = [sys.executable, "-m", "heaptui", "--no-cache"]
    results = {
        "heaptui diff": timed([*heaptui, "diff", s2, s3, "--json", "--no-progress"], args.runs),
        "heaptui leaks": timed([*heaptui, "leaks", s1, s2, s3, "--json", "--no-progress"], args.runs),
    }
    hs = peers.install_hs(os.path.join(peers.DATA_DIR, "peers"))
    if hs:
        results["hs diff"] = timed([hs, "diff", s2, s3], args.runs)
    checks = {}
    diff = json.loads(results["heaptui diff"]["out"])
    dates = next((r for r in diff["classes"] if r["name"] == "Date"), {})
    checks["diff: new Date == LEAK"] = dates.get("new") == args.leak
    report = json.loads(results["heaptui leaks"]["out"])
    first = report["clusters"][0] if report["clusters"] else {}
    checks["leaks: first cluster through requestLogs"] = "requestLogs" in first.get("path", "")
    print(f"files: {', '.join(f'{s / 1e6:.0f} MB' for s in sizes)} (scale {args.scale}, leak {args.leak})")
    print(f"{'command':<16} {'wall (median)':>14} {'best':>8} {'peak RSS':>10}")
    for name, r in results.items():
        print(f"{name:<16} {r['wall']:>12.2f} s {r['best']:>6.2f} s {r['rss'] / 1e9:>7.2f} GB")
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(json.dumps({"sizes": sizes, "runs": args.runs, "checks": checks,
                      **{k: {m: v for m, v in r.items() if m != "out"} for k, r in results.items()}}))


if __name__ == "__main__":
    main()
