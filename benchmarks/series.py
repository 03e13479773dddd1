"""Multi-snapshot benchmark: `heaptui diff` and `heaptui leaks` next to `hs diff` and memlab find-leaks, same run.

    python benchmarks/series.py [--runs N] [--only 100mb|1gb] [--data-dir DIR] [--skip-memlab]

On first use it generates, into the data dir, three snapshots S1, S2, S3 of one Node process that leaks LEAK
`{url, date}` objects into `requestLogs` between each (benchmarks/make_series.js): ~100 MB files by default
(seconds), ~1 GB files with --only 1gb (minutes, ~6 GB RAM). Then, each in a fresh process (wall time and
peak RSS, best and median of --runs), one after the other:
  heaptui diff S2 S3 and heaptui leaks S1 S2 S3 (--json), without index cache and with a warm one;
  hs diff S3 S2 (heap-snapshot's Comparison view: MAIN first, then the baseline);
  memlab find-leaks --baseline S1 --target S2 --final S3 --trace-all-objects (its default leak filter looks
  for detached DOM / React objects and finds nothing in a Node heap).
Checks the answers (PASS/FAIL): exactly LEAK new Date objects S2 -> S3 (heaptui, and hs), the first leak
cluster through `requestLogs` (heaptui, and memlab); notes the classes where hs and heaptui disagree.
Prints a table, then one JSON line with every figure. Stdlib only.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (a sibling script, not a package)

TINY = os.path.join(os.path.dirname(peers.HERE), "tests", "fixtures", "tiny.heapsnapshot.gz")
# (SCALE, LEAK) for make_series.js: S1/S2/S3 of ~92/100/107 MB, and ~0.94/1.0/1.08 GB.
SERIES = {"100mb": (57000, 20000), "1gb": (600000, 200000)}
MB = 1e6


def ensure_series(data_dir, scale, leak):
    prefix = os.path.join(data_dir, f"series-{scale}-{leak}")
    files = [f"{prefix}-{n}.heapsnapshot" for n in (1, 2, 3)]
    if not all(map(os.path.exists, files)):
        tmp = prefix + ".partial"  # renamed at the end so that an interrupted run is not mistaken for done
        subprocess.run(["node", peers.NODE_HEAP, os.path.join(peers.HERE, "make_series.js"), tmp, str(scale),
                        str(leak)], check=True)
        for n, f in enumerate(files, 1):
            os.replace(f"{tmp}-{n}.heapsnapshot", f)
    return files


def install_memlab_cli(peers_dir):
    """npm-install @memlab/cli (no Chromium download) into peers_dir/memlab-cli; returns its bin script."""
    d = os.path.join(peers_dir, "memlab-cli")
    js = os.path.join(d, "node_modules", "@memlab", "cli", "bin", "memlab.js")
    if not os.path.exists(js):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@memlab/cli"], cwd=d, check=True,
                       env=dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1"), stdout=subprocess.DEVNULL)
    return js


def timed(cmd, runs):
    """Run cmd `runs` times, each a fresh process; {"wall"/"rss": {"best", "median"}, "out": last stdout}."""
    walls, rsss = [], []
    for _ in range(runs):
        with tempfile.TemporaryFile("w+", errors="replace") as f:
            try:
                wall, rss = peers.time_cmd(cmd, stdout=f)
            except subprocess.CalledProcessError as e:
                return {"error": f"exit {e.returncode}: {(e.stderr or '').strip()[-1000:]}"}
            f.seek(0)
            out = f.read()
        walls.append(wall)
        rsss.append(rss)
    return {"wall": {"best": round(min(walls), 3), "median": round(statistics.median(walls), 3)},
            "rss": {"best": min(rsss), "median": int(statistics.median(rsss))}, "out": out}


def hs_rows(text):
    """{class: (new, deleted)} from `hs diff`'s table."""
    rows = re.findall(r"^[▶▼] (.+?)\s+([\d,]+)\s+([\d,]+)\s+[+-]?[\d,]+\s", text, re.M)
    return {name: (int(n.replace(",", "")), int(d.replace(",", ""))) for name, n, d in rows}


def checks(res, leak):
    """[(ok or None when not run, text)] on the answers of the last run of each command."""
    out = []
    def has(tool):
        return tool in res and "out" in res[tool]
    if has("heaptui diff"):
        classes = {c["name"]: c for c in json.loads(res["heaptui diff"]["out"])["classes"]}
        new = classes.get("Date", {}).get("new")
        out.append((new == leak, f"heaptui diff S2 S3: {new} new Date (expected {leak})"))
        if has("hs diff"):
            hs = hs_rows(res["hs diff"]["out"])
            hs_new = hs.get("Date", (None, None))[0]
            out.append((hs_new == leak, f"hs diff S3 S2: {hs_new} new Date (expected {leak})"))
            # heaptui names detached Node objects "Detached Node / X", hs "Node / X": compare them merged.
            ours = {}
            for k, c in classes.items():
                n, d = ours.get(k.removeprefix("Detached "), (0, 0))
                ours[k.removeprefix("Detached ")] = (n + c["new"], d + c["deleted"])
            differ = sorted(k for k in set(hs) | set(ours) if hs.get(k) != ours.get(k))
            out.append((None, f"hs and heaptui: same new/deleted counts for {len(set(hs) | set(ours)) - len(differ)}"
                        f" classes (Detached merged), different for {len(differ)}: " + "; ".join(
                            f"{k} hs {hs.get(k, '-')} heaptui {ours.get(k, '-')}" for k in differ)))
    if has("heaptui leaks"):
        first = (json.loads(res["heaptui leaks"]["out"])["clusters"] or [{}])[0]
        out.append(("requestLogs" in first.get("path", ""), f"heaptui leaks: first cluster ({first.get('count')} "
                    f"objects) through requestLogs: {first.get('path')}"))
    for cmd in ("heaptui diff", "heaptui leaks"):
        if has(cmd) and has(cmd + " (cached)"):
            out.append((res[cmd]["out"] == res[cmd + " (cached)"]["out"], f"{cmd}: same answer with the index cache"))
    if has("memlab find-leaks"):
        # memlab prints each cluster as "--Similar leaks in this run: N--", then its retainer trace.
        blocks = res["memlab find-leaks"]["out"].split("--Similar leaks in this run: ")[1:]
        count = blocks[0].split("--", 1)[0] if blocks else "no cluster"
        out.append((bool(blocks) and "requestLogs" in blocks[0],
                    f"memlab find-leaks: {len(blocks)} clusters, first ({count} similar) through requestLogs"))
    return out


def bench_series(files, leak, tools, runs, cache_dir):
    s1, s2, s3 = files
    for path in files:  # into the page cache, so that whichever tool runs first does not pay for the disk alone
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    ht = [sys.executable, "-m", "heaptui"]
    diff, leaks = ["diff", s2, s3, "--json", "--no-progress"], ["leaks", s1, s2, s3, "--json", "--no-progress"]
    cmds = {"heaptui diff": [*ht, "--no-cache", *diff], "heaptui leaks": [*ht, "--no-cache", *leaks]}
    if tools.get("hs"):
        cmds["hs diff"] = [tools["hs"], "diff", s3, s2]
    if tools.get("memlab"):
        work = cache_dir + "-memlab"  # emptied before each run: memlab keeps state (clusters, logs) there
        cmds["memlab find-leaks"] = ["sh", "-c", 'rm -rf "$0" && mkdir -p "$0" && exec "$@" --work-dir "$0" 2>&1',
                                     work, "node", peers.NODE_HEAP, tools["memlab"], "find-leaks", "--baseline", s1,
                                     "--target", s2, "--final", s3, "--trace-all-objects"]
    # Warm index cache: one untimed run writes the caches of S1..S3, then the timed runs reopen them.
    shutil.rmtree(cache_dir, ignore_errors=True)
    subprocess.run([*ht, "--cache-dir", cache_dir, *leaks], check=True, stdout=subprocess.DEVNULL)
    cmds["heaptui diff (cached)"] = [*ht, "--cache-dir", cache_dir, *diff]
    cmds["heaptui leaks (cached)"] = [*ht, "--cache-dir", cache_dir, *leaks]
    res = {}
    for name, cmd in cmds.items():
        res[name] = timed(cmd, runs)
        print(f"  {name}: " + (res[name].get("error") or f"{res[name]['wall']['median']:.2f} s"), flush=True)
    for d in (cache_dir, cache_dir + "-memlab"):
        shutil.rmtree(d, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=peers.DATA_DIR)
    ap.add_argument("--only", choices=sorted(SERIES), default="100mb")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--skip-memlab", action="store_true")
    args = ap.parse_args()

    scale, leak = SERIES[args.only]
    files = ensure_series(args.data_dir, scale, leak)
    peers_dir = os.path.join(args.data_dir, "peers")
    tools = {"hs": peers.install_hs(peers_dir), "memlab": None if args.skip_memlab else install_memlab_cli(peers_dir)}
    warm, _ = peers.time_cmd([sys.executable, "-m", "heaptui", "--no-cache", "summary", TINY])
    sizes = [os.path.getsize(f) for f in files]
    print(f"{args.only} series (SCALE {scale}, LEAK {leak}): " + " / ".join(f"{s / MB:.0f} MB" for s in sizes)
          + f"; numba cache warmed first ({warm:.2f} s); files pre-read into the page cache; each figure a fresh"
          " process")
    load = round(os.getloadavg()[0], 2)  # well above 0 here: something else is running, figures may be off
    print(f"1-minute load average before timing: {load}")
    res = bench_series(files, leak, tools, args.runs, os.path.join(args.data_dir, f"series-cache-{args.only}"))

    print(f"\n  {'command':<24}{'wall best':>11}{'wall median':>13}{'peak RSS median':>17}  (of {args.runs} run(s))")
    for name, r in res.items():
        if "error" in r:
            print(f"  {name:<24}FAILED: {r['error']}")
        else:
            wall, rss = r["wall"], r["rss"]["median"] / MB
            print(f"  {name:<24}{wall['best']:>9.2f} s{wall['median']:>11.2f} s{rss:>14.0f} MB")
    found = checks(res, leak)
    print("\nchecks:")
    for ok, text in found:
        print(f"  {'NOTE' if ok is None else 'PASS' if ok else 'FAIL'}  {text}")
    print(json.dumps({"series": args.only, "scale": scale, "leak": leak, "bytes": sizes, "runs": args.runs,
                      "loadavg_before": load,
                      "numba_warmup_seconds": round(warm, 3),
                      "results": {k: {m: v for m, v in r.items() if m != "out"} for k, r in res.items()},
                      "checks": [{"ok": ok, "check": text} for ok, text in found]}))


if __name__ == "__main__":
    main()
