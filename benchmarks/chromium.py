"""Browser benchmark: heaptui against heap-snapshot (`hs`) and memlab on a ~150 MB heap snapshot of a Chromium page.

    python benchmarks/chromium.py [--data-dir DIR] [--runs N] [--skip-memlab] [--scale N] [--chromium PATH]

1. Makes, if missing, DATA_DIR/chromium-page-SCALE.heapsnapshot (never in the repo): headless Chromium
   (Debian's `chromium`) opens benchmarks/chromium_page.html, driven over the DevTools protocol with
   Runtime.evaluate only (tests/fixtures/make_chromium.py's client, flags and snapshot parameters):
   `bench.build(SCALE, DETACH_EVERY)` renders SCALE cards (13 elements with attributes and 8 Text nodes each,
   a model, a view, a click listener closing over it), removes every DETACH_EVERY-th card and keeps it from
   JS (detached DOM trees), plus strings, arrays, Maps, closures and a few shared objects; then
   HeapProfiler.collectGarbage and HeapProfiler.takeHeapSnapshot, its chunks streamed to the file. Like real
   browser snapshots it is mostly Blink's native nodes. What the page built (its own counts) goes to
   FILE.json beside it. SCALE is calibrated so that the file is ~150 MB (Chromium 156). Making it needs the
   `websockets` package (make_chromium.py's); timing it needs only the standard library and heaptui.
2. Times, each in a fresh process, the tools taking turns (one run of each per round, --runs rounds, so that
   a busy moment of the shared machine falls on all alike): cold `heaptui --no-cache summary FILE`,
   `hs summary FILE`, heaptui's in-process load_snapshot with its phase timings, memlab's
   getFullHeapFromFile (benchmarks/peers/memlab_load.js), and `heaptui --cache-dir TMP summary FILE` twice
   in a new TMP: the first writes the index cache, the second maps it (the reopen). Wall time and peak RSS.
3. Checks that the answers agree (node and edge counts: the file's header, heaptui, memlab; the objects the
   Summary counts and the total size: heaptui and hs; the page's classes and detached cards: the page, heaptui,
   hs), and prints a table (best / median), the load average, then one JSON line with every figure.
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
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (sibling scripts, not a package)
import peers  # noqa: E402

REPO = os.path.dirname(peers.HERE)
PAGE = os.path.join(peers.HERE, "chromium_page.html")
FIXTURES = os.path.join(REPO, "tests", "fixtures")
# bench.build(SCALE, DETACH_EVERY): SCALE calibrated on Chromium 156 (V8 15.6) to a 149.7-149.9 MB file,
# 2.32M nodes (90% of them native), 7.40M edges.
SCALE = 9500
DETACH_EVERY = 8
MB = 1e6

# Runs in the child: imports are outside the timed span (as in load.py); the counts after it.
INDEX_CHILD = """
import json, sys, time
import numpy as np
from heaptui.engine import load_snapshot
t0 = time.perf_counter()
s = load_snapshot(sys.argv[1])
seconds = time.perf_counter() - t0
print(json.dumps({"load": seconds, "phases": s.timings, "nodes": s.node_count, "edges": s.edge_count,
                  "total_size": s.statistics.total, "native_size": s.statistics.native,
                  "native_nodes": int(np.count_nonzero(s.node_type == s.types.native))}))
"""

# After the build: lay out, read the text back (innerText), let a frame be drawn. innerText makes Blink cache an
# OffsetMapping (and its tables) in every inline formatting context; without it some runs have them and some
# not (timing: 142 or 149 MB for one scale), with it the file's size and counts are the same run to run.
BUILD = """(async () => {
  const counts = bench.build(%d, %d);
  document.body.getBoundingClientRect();
  counts.inner_text_length = document.body.innerText.length;
  await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return counts;
})()"""


def make_snapshot(path, scale, chromium, timeout=120):
    """Take the page's snapshot at `scale` into path (via path.partial); returns what the page built."""
    from pathlib import Path
    sys.path.insert(0, FIXTURES)
    import make_chromium as mc  # needs websockets; only imported to make the file

    mc.PAGE = Path(PAGE)  # serve_page() serves make_chromium.PAGE
    server, url = mc.serve_page()
    profile = Path(tempfile.mkdtemp(prefix="heaptui-chromium-bench-"))
    proc = subprocess.Popen([shutil.which(chromium) or chromium, *mc.CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe from filling up
    tmp = path + ".partial"  # renamed at the end so that an interrupted run is not mistaken for done
    try:
        port = mc.devtools_port(profile, proc, timeout)
        with mc.connect(mc.page_target(port, url, timeout), max_size=None, open_timeout=30,
                        ping_interval=None) as ws:
            cdp = mc.CDP(ws)
            deadline = time.monotonic() + timeout
            while not cdp.evaluate("document.readyState === 'complete' && Boolean(window.bench && bench.ready)"):
                if time.monotonic() > deadline:
                    raise TimeoutError("the page did not get ready")
                time.sleep(0.1)
            user_agent = cdp.evaluate("navigator.userAgent")
            t0 = time.perf_counter()
            built = cdp.evaluate(BUILD % (scale, DETACH_EVERY))
            build_seconds = time.perf_counter() - t0
            cdp.call("HeapProfiler.enable")
            cdp.call("HeapProfiler.collectGarbage")
            t0 = time.perf_counter()
            with open(tmp, "wb") as f:
                def on_event(method, params):
                    if method == "HeapProfiler.addHeapSnapshotChunk":
                        f.write(params["chunk"].encode())
                cdp.call("HeapProfiler.takeHeapSnapshot", mc.SNAPSHOT_PARAMS, on_event=on_event, timeout=1800)
            snapshot_seconds = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    made = {"scale": scale, "detach_every": DETACH_EVERY, "page": os.path.basename(PAGE), "user_agent": user_agent,
            "snapshot_params": mc.SNAPSHOT_PARAMS, "built": built, "build_seconds": round(build_seconds, 2),
            "snapshot_seconds": round(snapshot_seconds, 2), "bytes": os.path.getsize(tmp)}
    with open(path + ".json", "w") as f:
        json.dump(made, f, indent=2)
    os.replace(tmp, path)
    return made


def ensure_snapshot(data_dir, scale, chromium):
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, f"chromium-page-{scale}.heapsnapshot")
    if not os.path.exists(path) or not os.path.exists(path + ".json"):
        made = make_snapshot(path, scale, chromium)
        print(f"made {path}: {made['bytes'] / MB:.1f} MB (build {made['build_seconds']} s, snapshot "
              f"{made['snapshot_seconds']} s); the page built {made['built']}")
    with open(path + ".json") as f:
        return path, json.load(f)


def run_once(cmd, env=None, report=False):
    """One fresh process: {"wall", "rss", "out": its stdout} plus, if `report`, the JSON of its last line."""
    with tempfile.TemporaryFile("w+", errors="replace") as f:
        wall, rss = peers.time_cmd(cmd, env=env, stdout=f)
        f.seek(0)
        out = f.read()
    fig = {"wall": wall, "rss": rss, "out": out}
    if report:
        last = json.loads(out.strip().splitlines()[-1])
        fig.update({k: v for k, v in last.items() if k != "phases"})
        fig.update({f"phase:{k}": v for k, v in last.get("phases", {}).items()})
    return fig


def summarize(samples):
    """[run figures] -> {figure: {"best", "median"}} for the numbers, "out": the last run's stdout."""
    if any("error" in s for s in samples):
        return next(s for s in samples if "error" in s)
    keys = [k for k in samples[0] if isinstance(samples[0][k], int | float)]
    res = {k: {"best": round(min(s[k] for s in samples), 3),
               "median": round(statistics.median(s[k] for s in samples), 3)} for k in keys}
    res["out"] = samples[-1]["out"]
    return res


def bench(path, hs, runs, skip_memlab, memlab_env):
    with open(path, "rb") as f:  # into the page cache, so that whichever tool runs first does not pay for the disk
        while f.read(1 << 24):
            pass
    ht = [sys.executable, "-m", "heaptui"]
    cmds = {
        "heaptui summary": ([*ht, "--no-cache", "summary", path], None, False),
        "hs summary": ([hs, "summary", path], None, False),
        "heaptui index": ([sys.executable, "-c", INDEX_CHILD, path], None, True),
    }
    if not skip_memlab:
        cmds["memlab"] = (["node", peers.NODE_HEAP, os.path.join(peers.HERE, "peers", "memlab_load.js"), path],
                          memlab_env, True)
    samples = {name: [] for name in [*cmds, "heaptui summary, writes cache", "heaptui summary, reopen"]}
    loads = []
    check_json = None
    for n in range(runs):
        loads.append(round(os.getloadavg()[0], 2))
        print(f"round {n + 1}/{runs} (load average {loads[-1]})", flush=True)
        for name, (cmd, env, report) in cmds.items():
            samples[name].append(attempt(cmd, env, report))
        cache = tempfile.mkdtemp(prefix="heaptui-chromium-cache-")
        try:
            cached = [*ht, "--cache-dir", cache, "summary", path]
            samples["heaptui summary, writes cache"].append(attempt(cached))
            samples["heaptui summary, reopen"].append(attempt(cached))
            if n == runs - 1:  # the answer to check, read from the cache (untimed)
                check_json = json.loads(subprocess.run([*cached, "--json"], check=True, capture_output=True,
                                                       text=True).stdout)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    res = {name: summarize(s) for name, s in samples.items()}
    return res, loads, check_json


def attempt(cmd, env=None, report=False):
    try:
        return run_once(cmd, env, report)
    except subprocess.CalledProcessError as e:
        return {"error": f"{' '.join(map(str, e.cmd))}: exit {e.returncode}: {(e.stderr or '').strip()[-1500:]}"}


HS_UNITS = {"B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}  # hs prints sizes in powers of 1024


def hs_summary(text):
    """{class: count} (JS classes named "Item [chromium_page.html:58:14]"), and the total shallow size with
    its rounding."""
    counts = {}
    for name, count in re.findall(r"^[▶▼] (.+?)  ×([\d,]+)\s", text, re.M):
        counts[name] = counts.get(name, 0) + int(count.replace(",", ""))
    total = re.search(r"^Total \(([\d,]+) constructors\)\s+([\d.]+) (B|kB|MB|GB)", text, re.M)
    size = slack = None
    if total:
        digits = len(total.group(2).partition(".")[2])
        size = float(total.group(2)) * HS_UNITS[total.group(3)]
        slack = 0.5 * 10 ** -digits * HS_UNITS[total.group(3)]
    return counts, size, slack


def checks(path, made, res, ours):
    """[(ok, text)] on the last run of each tool; `ours` is `heaptui summary --json` read from the cache."""
    out = []
    nodes, edges = peers.snapshot_counts(path)
    snap = ours["snapshot"]
    index = res.get("heaptui index", {})
    said = {"file header": (nodes, edges), "heaptui summary": (snap["node_count"], snap["edge_count"])}
    if "nodes" in index:
        said["heaptui load_snapshot"] = (index["nodes"]["best"], index["edges"]["best"])
    if "nodes" in res.get("memlab", {}):
        said["memlab"] = (res["memlab"]["nodes"]["best"], res["memlab"]["edges"]["best"])
    out.append((len(set(said.values())) == 1, "nodes, edges: " + "; ".join(
        f"{k} {n:,}, {e:,}" for k, (n, e) in said.items())))
    if "total_size" in index:
        out.append((index["total_size"]["best"] == snap["total_size"],
                    f"total size: heaptui load_snapshot {index['total_size']['best']:,}, "
                    f"heaptui summary (cache) {snap['total_size']:,}"))
    classes, page_classes = {}, {}
    for c in ours["classes"]:
        classes[c["name"]] = classes.get(c["name"], 0) + c["count"]
        if c.get("location"):  # the page's own classes (Chromium has a "Tag" of its own, without location)
            page_classes[c["name"]] = page_classes.get(c["name"], 0) + c["count"]
    built = made["built"]
    if "out" in res.get("hs summary", {}):
        hs, hs_size, slack = hs_summary(res["hs summary"]["out"])
        out.append((sum(hs.values()) == sum(classes.values()),
                    f"objects in the Summary: heaptui {sum(classes.values()):,} in {len(classes):,} classes, "
                    f"hs {sum(hs.values()):,} in {len(hs):,}"))
        out.append((hs_size is not None and abs(hs_size - snap["total_size"]) <= slack,
                    f"total shallow size: heaptui {snap['total_size']:,} B, hs {hs_size and round(hs_size):,} B "
                    f"(+-{slack and round(slack):,}: hs rounds)"))
        # hs does not mark detached elements in its Summary: all cards are "<article>" there.
        out.append((hs.get("<article>") == built["items"],
                    f"cards: page {built['items']:,}, hs <article> {hs.get('<article>')}"))
    else:
        hs = {}
    out.append((classes.get("<article>") == built["attached_cards"]
                and classes.get("Detached <article>") == built["detached_cards"],
                f"cards: page {built['attached_cards']:,} attached + {built['detached_cards']:,} detached, heaptui "
                f"<article> {classes.get('<article>')} + Detached <article> {classes.get('Detached <article>')}"))
    want = {"Item": built["items"], "CardView": built["items"], "Group": 100, "Tag": 40}
    page = os.path.basename(PAGE)
    for name, n in want.items():
        got = [page_classes.get(name)]
        if hs:
            got.append(sum(k for c, k in hs.items() if c.startswith(f"{name} [{page}:")) or None)
        out.append((all(g == n for g in got), f"{name}: page {n:,}, heaptui {got[0]}"
                    + (f", hs {got[1]}" if hs else "")))
    return out


def fmt(key, v, size):
    if key == "rss":
        return f"{v / MB:8.1f} MB {v / size:5.2f}x"
    return f"{v:8.2f} s"


def print_table(path, made, res, runs, loads):
    size = os.path.getsize(path)
    nodes, edges = peers.snapshot_counts(path)
    print(f"\n{os.path.basename(path)}: {size / MB:.1f} MB, {nodes:,} nodes, {edges:,} edges; page scale "
          f"{made['scale']}: {made['built']['elements_in_document']:,} elements in the document, "
          f"{made['built']['detached_cards']:,} detached cards ({made['built']['detached_elements']:,} elements)")
    index = res.get("heaptui index", {})
    if "native_nodes" in index:
        print(f"native (Blink) nodes: {index['native_nodes']['best'] / nodes:.0%} of the nodes, "
              f"{index['native_size']['best'] / index['total_size']['best']:.0%} of the size "
              f"({index['total_size']['best'] / MB:.1f} MB)")
    print(f"load average (1 min) at the start of each round: {loads}; now {os.getloadavg()}")
    print(f"(best / median of {runs} run{'s' * (runs > 1)}, each a fresh process)")
    labels = {"load": "load_snapshot (in-process)", "seconds": "getFullHeapFromFile (in-process)",
              "wall": "process wall", "rss": "peak RSS (x file size)"}
    for tool, figs in res.items():
        print(f"  {tool}{' (cold, --no-cache)' if tool == 'heaptui summary' else ''}")
        if "error" in figs:
            print(f"    FAILED: {figs['error']}")
            continue
        order = [k for k in figs if k.startswith("phase:")] + [k for k in labels if k in figs]
        for k in order:
            label = k.replace("phase:", "phase ") if k.startswith("phase:") else labels[k]
            print(f"    {label:<34}{fmt(k, figs[k]['best'], size)}  /{fmt(k, figs[k]['median'], size)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=peers.DATA_DIR)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--skip-memlab", action="store_true")
    ap.add_argument("--scale", type=int, default=SCALE, help=f"cards on the page (default {SCALE}: ~150 MB)")
    ap.add_argument("--chromium", default="chromium")
    args = ap.parse_args()

    tools = peers.install_peers(os.path.join(args.data_dir, "peers"))
    path, made = ensure_snapshot(args.data_dir, args.scale, args.chromium)
    warm, _ = peers.time_cmd([sys.executable, "-m", "heaptui", "summary", load.TINY])
    print(f"numba compile cache warmed first: `heaptui summary {os.path.basename(load.TINY)}` took {warm:.2f} s")
    memlab_env = dict(os.environ, MEMLAB_DIR=tools["memlab_dir"])
    res, loads, ours = bench(path, tools["hs"], args.runs, args.skip_memlab, memlab_env)
    print_table(path, made, res, args.runs, loads)
    found = checks(path, made, res, ours)
    print("\nanswers (last run of each):")
    for ok, text in found:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    for figs in res.values():
        figs.pop("out", None)
    nodes, edges = peers.snapshot_counts(path)
    print(json.dumps({"file": path, "bytes": os.path.getsize(path), "nodes": nodes, "edges": edges, "made": made,
                      "runs": args.runs, "numba_warmup_seconds": round(warm, 3), "load_average": loads,
                      "tools": res, "checks": [{"ok": ok, "check": text} for ok, text in found]}))


if __name__ == "__main__":
    main()
