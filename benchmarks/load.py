"""Load benchmark: heaptui against heap-snapshot (`hs`) and memlab on the same files, in turns, in one run.

    python benchmarks/load.py [--data-dir DIR] [--only 146mb 1gb ...] [--runs N] [--memlab] [--no-phases]

For each benchmark snapshot (generated on first use by peers.py), each figure from a fresh process so that
peak RSS is that process's own:
  1. heaptui's full index in-process (load_snapshot): per-phase times, load time, peak RSS (--no-phases: skip);
  2. in turns, --runs rounds: cold `heaptui --no-cache summary FILE`, `hs summary FILE`, and memlab's
     getFullHeapFromFile when it is installed (or --memlab installs it: ~2 minutes and ~6 GB on the 1 GB file).
     Taking them in turns (each round starting with the next tool) makes a busy moment of the machine fall on
     all alike; each round's ratio heaptui / peer is taken within the round, and the medians are reported with
     the load average.
heaptui's bytecode is written first, as installing it does (see compile_bytecode).
Then checks issue 24's targets on medians (PASS/FAIL), prints a table and, last, one JSON line with every figure.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (a sibling script, not a package)

REPO = os.path.dirname(peers.HERE)
TINY = os.path.join(REPO, "tests", "fixtures", "tiny.heapsnapshot.gz")
FILES = {
    "100mb": "bench-100mb.heapsnapshot",
    "146mb": "bench-146mb.heapsnapshot",
    "446mb": "bench-446mb.heapsnapshot",
    "1gb": "bench-1gb.heapsnapshot",
}
DEFAULT_FILES = ("146mb", "1gb")
MB = 1e6

# Runs in the child: imports are outside the timed span, like a TUI that is already up when it opens a file.
INDEX_CHILD = """
import json, sys, time
from heaptui.process_tuning import tune_process
tune_process()  # as the heaptui command does
from heaptui.engine import load_snapshot
t0 = time.perf_counter()
s = load_snapshot(sys.argv[1])
print(json.dumps({"load": time.perf_counter() - t0, "phases": s.timings}))
"""


def measure(cmd, env=None, report=False):
    """Run cmd once via peers.time_cmd; returns {"wall", "rss", "loadavg"}, plus the JSON of its last stdout line
    if `report` (the child reports its own in-process figures); otherwise stdout goes to /dev/null.
    Raises CalledProcessError when it fails."""
    loadavg = os.getloadavg()[0]
    if not report:
        return {**peers.measure_cmd(cmd, env=env), "loadavg": loadavg}
    with tempfile.TemporaryFile("w+") as out:
        fig = peers.measure_cmd(cmd, env=env, stdout=out)
        out.seek(0)
        last = out.read().strip().splitlines()[-1]
    fig = {**fig, "loadavg": loadavg, **json.loads(last)}
    fig.update({f"phase:{k}": v for k, v in fig.pop("phases", {}).items()})
    return fig


def summarize(samples):
    """[{figure: value}] -> {figure: {"best", "median"}} over the figures every sample has."""
    keys = [k for k in samples[0] if isinstance(samples[0][k], int | float) and all(k in s for s in samples)]
    return {
        k: {"best": round(min(s[k] for s in samples), 3), "median": round(statistics.median(s[k] for s in samples), 3)}
        for k in keys
    }


def attempt(cmd, env=None, report=False):
    try:
        return measure(cmd, env, report)
    except subprocess.CalledProcessError as e:
        return {"error": f"{' '.join(map(str, e.cmd))}: exit {e.returncode}: {(e.stderr or '').strip()[-1500:]}"}


def bench_file(path, tools, runs, phases, memlab_env):
    nodes, edges = peers.snapshot_counts(path)
    size = os.path.getsize(path)
    # Read the file once so that whichever tool runs first does not pay for the disk alone.
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    res = {"bytes": size, "nodes": nodes, "edges": edges}
    if phases:
        samples = [attempt([sys.executable, "-c", INDEX_CHILD, path], report=True) for _ in range(runs)]
        errors = [s for s in samples if "error" in s]
        res["heaptui index"] = errors[0] if errors else summarize(samples)
    tools_cmds = {
        # --no-cache: a cold start reads the file, as hs does (a reopen maps the index cache instead).
        "heaptui summary": ([sys.executable, "-m", "heaptui", "--no-cache", "summary", path], None),
        "hs summary": ([tools["hs"], "summary", path], None),
    }
    if memlab_env is not None:
        tools_cmds["memlab"] = (
            ["node", peers.NODE_HEAP, os.path.join(peers.HERE, "peers", "memlab_load.js"), path],
            memlab_env,
        )
    rounds = []
    order = list(tools_cmds)
    for i in range(runs):
        # Each round starts with the next tool, so that none always runs right after another (the one after
        # memlab meets a machine still giving back its gigabytes) or always first.
        turn = order[i % len(order) :] + order[: i % len(order)]
        fig = {tool: attempt(*tools_cmds[tool], report=tool == "memlab") for tool in turn}
        rounds.append({tool: fig[tool] for tool in order})
    for tool in tools_cmds:
        samples = [r[tool] for r in rounds]
        errors = [s for s in samples if "error" in s]
        res[tool] = errors[0] if errors else summarize(samples)
    # Ratios within each round (the same moment of the machine), then their median.
    res["ratios"] = {}
    for peer in [t for t in tools_cmds if t != "heaptui summary"]:
        pairs = [
            (r["heaptui summary"], r[peer])
            for r in rounds
            if "error" not in r["heaptui summary"] and "error" not in r[peer]
        ]
        if pairs:
            res["ratios"][peer] = {
                "time": round(statistics.median(h["wall"] / p["wall"] for h, p in pairs), 3),
                "rss": round(statistics.median(h["rss"] / p["rss"] for h, p in pairs), 3),
                "time_rounds": [round(h["wall"] / p["wall"], 3) for h, p in pairs],
            }
            if all("cpu" in h and "cpu" in p for h, p in pairs):
                res["ratios"][peer]["cpu"] = round(statistics.median(h["cpu"] / p["cpu"] for h, p in pairs), 3)
    return res


def fmt(key, v, size):
    if key == "rss":
        return f"{v / MB:9.1f} MB {v / size:5.2f}x"
    if key == "loadavg":
        return f"{v:9.2f}  "
    return f"{v:9.2f} s"


def print_table(name, res, runs):
    size = res["bytes"]
    print(
        f"\n{name}: {size / MB:.1f} MB, {res['nodes']:,} nodes, {res['edges']:,} edges  "
        f"(best / median of {runs} run{'s' * (runs > 1)})"
    )
    labels = {
        "load": "load_snapshot (in-process)",
        "seconds": "getFullHeapFromFile (in-process)",
        "wall": "process wall",
        "cpu": "process CPU (user + system)",
        "rss": "peak RSS (x file size)",
        "loadavg": "load average at start",
    }
    for tool in ("heaptui index", "heaptui summary", "hs summary", "memlab"):
        if tool not in res:
            continue
        figs = res[tool]
        print(f"  {tool}{' (cold, --no-cache)' if tool == 'heaptui summary' else ''}")
        if "error" in figs:
            print(f"    FAILED: {figs['error']}")
            continue
        order = [k for k in figs if k.startswith("phase:")] + [k for k in labels if k in figs]
        for k in order:
            label = k.replace("phase:", "phase ") if k.startswith("phase:") else labels.get(k, k)
            print(f"    {label:<34}{fmt(k, figs[k]['best'], size)}  /{fmt(k, figs[k]['median'], size)}")
    for peer, ratio in res.get("ratios", {}).items():
        cpu = f", CPU {ratio['cpu']:.2f}" if "cpu" in ratio else ""
        rounds = ", ".join(f"{q:.2f}" for q in ratio.get("time_rounds", []))
        print(
            f"  heaptui summary / {peer}: time {ratio['time']:.2f}, peak RSS {ratio['rss']:.2f}{cpu} "
            f"(median of the rounds' ratios; time per round: {rounds})"
        )


def r(x, scale=1):
    return "n/a" if x is None else round(x / scale, 2)


def targets(results):
    """Issue 24's targets as (ok, or None when not measured, description), judged on medians."""

    def med(name, tool, key):
        figs = results.get(name, {}).get(tool, {})
        return figs[key]["median"] if key in figs else None

    def ratio(name, peer):
        return results.get(name, {}).get("ratios", {}).get(peer, {}).get("time")

    out = []
    big, small = FILES["1gb"], FILES["146mb"]
    if big in results:
        h = med(big, "heaptui summary", "wall")
        out.append((None if h is None else h <= 8, f"1 GB cold (heaptui --no-cache summary) in <= 8 s: {r(h)} s"))
        q = ratio(big, "hs summary")
        out.append((None if q is None else q <= 0.25, f"1 GB in <= 1/4 of hs summary's time: ratio {r(q)}"))
        q = ratio(big, "memlab")
        out.append((None if q is None else q <= 0.25, f"1 GB in <= 1/4 of memlab's time: ratio {r(q)}"))
        rss = med(big, "heaptui summary", "rss")
        out.append(
            (
                None if rss is None else rss <= 1.25 * results[big]["bytes"],
                f"1 GB peak RSS <= 1.25x the file: {r(rss, MB)} MB = {r(rss, results[big]['bytes'])}x",
            )
        )
    if small in results:
        q = ratio(small, "hs summary")
        out.append((None if q is None else q <= 0.5, f"146 MB in <= 1/2 of hs summary's time: ratio {r(q)}"))
    return out


def compile_kernels(limit=900):
    """Compile every kernel first (the compile worker, run to its end, or waited for when another process runs
    it), so that no figure includes compiling."""
    check = "from heaptui.engine.kernel_cache import kernels_compiled; print(kernels_compiled())"
    started = time.monotonic()
    while subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout.strip() != "True":
        if time.monotonic() - started > limit:
            raise SystemExit(f"the kernels were not compiled within {limit} s")
        subprocess.run([sys.executable, "-m", "heaptui.engine.compile_worker"], check=True)
        time.sleep(5)


def compile_bytecode():
    """Write heaptui's bytecode (``__pycache__``, ignored by git) as installing it does (pip compiles every module).

    A checkout run with PYTHONDONTWRITEBYTECODE=1 (as the helpers' shells here are) would otherwise compile
    heaptui's modules from source in every process: about 0.1 s of each cold figure that no installed heaptui
    pays. numpy's, numba's and click's are already compiled in the environment."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO, "heaptui")], check=True)


def warm_up():
    """Fill numba's compile cache and compile every kernel before any figure; returns the first run's seconds.

    "Cold" means no index cache (--no-cache); numba's on-disk compile cache is a one-time
    cost per install, so one run on a tiny file fills it and the figures leave it out."""
    compile_bytecode()
    warm, _ = peers.time_cmd([sys.executable, "-m", "heaptui", "summary", TINY])
    print(f"numba compile cache warmed first: `heaptui summary {os.path.basename(TINY)}` took {warm:.2f} s")
    compile_kernels()
    return warm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=peers.DATA_DIR)
    ap.add_argument("--only", nargs="+", choices=sorted(FILES), default=list(DEFAULT_FILES))
    ap.add_argument("--memlab", action="store_true", help="install memlab if needed and measure it")
    ap.add_argument("--no-phases", action="store_true", help="skip the in-process index runs")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    tools = peers.install_peers(os.path.join(args.data_dir, "peers"), memlab=args.memlab)
    names = [FILES[k] for k in args.only]
    paths = peers.ensure_snapshots(args.data_dir, names)
    warm = warm_up()
    print(f"machine: {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    print("each file is read once into the OS page cache before timing; every figure is a fresh process")
    memlab_env = dict(os.environ, MEMLAB_DIR=tools["memlab_dir"]) if tools["memlab_dir"] else None
    results = {}
    for name in names:
        results[name] = bench_file(paths[name], tools, args.runs, not args.no_phases, memlab_env)
        print_table(name, results[name], args.runs)

    checks = targets(results)
    print("\ntargets (medians):")
    for ok, text in checks:
        print(f"  {'SKIP' if ok is None else 'PASS' if ok else 'FAIL'}  {text}")
    print(
        json.dumps(
            {
                "runs": args.runs,
                "numba_warmup_seconds": round(warm, 3),
                "files": results,
                "targets": [{"ok": ok, "target": text} for ok, text in checks],
            }
        )
    )


if __name__ == "__main__":
    main()
