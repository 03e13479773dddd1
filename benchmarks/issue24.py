"""Every measurement of issue 24 in one run: load against heap-snapshot and memlab, then the app's benchmarks.

    python benchmarks/issue24.py [--runs N] [--only 146mb 446mb 1gb] [--memlab-on 1gb] [--no-app]
                                 [--phases] [--data-dir DIR] [--app-timeout S]

1. The machine (CPU, cores, memory, kernel, load average, Python/numba/numpy/Node, heap-snapshot and memlab).
2. Load, per snapshot (146 MB, 446 MB, 1 GB by default; generated into the data dir on first use): in turns,
   --runs rounds of cold `heaptui --no-cache summary`, `hs summary`, and on the 1 GB one memlab's
   getFullHeapFromFile too (about 90 s and 4-6 GB a round), each a fresh process (wall time, peak RSS);
   per-round ratios heaptui / peer and their median (benchmarks/load.py does the measuring).
3. The app: benchmarks/tui.py (keys on the 1 GB snapshot) and benchmarks/leaks_view.py (the Leaks view), as
   subprocesses; a missing or failing one is one line, the rest of the run is kept.
Then one table, PASS/FAIL per target, the README's markdown and, last, one JSON line with every figure
(`python benchmarks/issue24_report.py LOG` renders a saved run again). Peers and snapshots live in the data
dir (HEAPTUI_BENCH_DATA, default /work/bench-data), never in the repo. The whole run with the defaults took
10 minutes on 2 busy cores, 5 of them memlab's; the figures mean most on an otherwise quiet machine.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app_benchmarks  # noqa: E402  (sibling scripts, not a package)
import issue24_report  # noqa: E402
import load  # noqa: E402
import machine  # noqa: E402
import peers  # noqa: E402

SIZES = ("146mb", "446mb", "1gb")


def run_loads(args, tools, paths):
    """load.bench_file on each snapshot, memlab only where asked (it is by far the longest); prints each."""
    memlab_env = dict(os.environ, MEMLAB_DIR=tools["memlab_dir"]) if tools["memlab_dir"] else None
    results = {}
    for key in args.only:
        name = load.FILES[key]
        env = memlab_env if key in args.memlab_on else None
        print(f"\n{name}: load average at start {os.getloadavg()[0]:.2f}", flush=True)
        results[name] = load.bench_file(paths[name], tools, args.runs, args.phases, env)
        load.print_table(name, results[name], args.runs)
        sys.stdout.flush()
    return results


def install(peers_dir, memlab):
    """The peers (peers.install_peers); memlab failing to install leaves it out with one line, hs is required."""
    try:
        return peers.install_peers(peers_dir, memlab=memlab)
    except (subprocess.CalledProcessError, OSError) as e:
        if not memlab:
            raise SystemExit(f"heap-snapshot could not be installed into {peers_dir}: {e}") from None
        print(f"memlab could not be installed into {peers_dir} ({e}); measuring without it", flush=True)
        return install(peers_dir, False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=peers.DATA_DIR)
    ap.add_argument("--only", nargs="+", choices=SIZES, default=list(SIZES), help="the snapshots to load")
    ap.add_argument("--memlab-on", nargs="*", choices=SIZES, default=["1gb"], help="where memlab runs too")
    ap.add_argument("--runs", type=int, default=3, help="rounds in turns per snapshot (default 3)")
    ap.add_argument("--phases", action="store_true", help="also heaptui's in-process index, phase by phase")
    ap.add_argument("--no-app", action="store_true", help="skip the app's benchmarks (tui.py, leaks_view.py)")
    ap.add_argument("--app-timeout", type=int, default=1800, help="seconds each app benchmark may take")
    args = ap.parse_args()

    started = datetime.datetime.now(datetime.UTC)
    peers_dir = os.path.join(args.data_dir, "peers")
    want_memlab = bool(set(args.memlab_on) & set(args.only))
    tools = install(peers_dir, want_memlab)
    paths = peers.ensure_snapshots(args.data_dir, [load.FILES[k] for k in args.only])
    info = machine.describe(peers_dir)  # after installing: the peers' versions; before warming: the quiet load
    machine.print_machine(info)
    print(f"command: {' '.join(sys.argv)}", flush=True)
    warm = load.warm_up()
    print("each file is read once into the OS page cache before timing; every figure is a fresh process")

    files = run_loads(args, tools, paths)
    targets = [{"ok": ok, "target": text} for ok, text in load.targets(files)]
    app = [] if args.no_app else app_benchmarks.run_all(args.data_dir, args.app_timeout)
    for res in app:
        res["checks"] = [{"ok": ok, "target": text} for ok, text in res["checks"]]
        targets += res["checks"]

    doc = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "minutes": round((datetime.datetime.now(datetime.UTC) - started).total_seconds() / 60, 1),
        "command": " ".join(["python", "benchmarks/issue24.py", *sys.argv[1:]]),
        "runs": args.runs,
        "machine": info,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "numba_warmup_seconds": round(warm, 3),
        "files": files,
        "app": [{k: v for k, v in res.items() if k != "output"} for res in app],
        "targets": targets,
    }
    issue24_report.print_report(doc)
    print(f"\nload average at the end {' / '.join(map(str, doc['loadavg_at_end']))}; {doc['minutes']} minutes")
    print("\nREADME section (markdown):\n")
    print(issue24_report.markdown(doc))
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
