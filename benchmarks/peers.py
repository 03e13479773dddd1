"""Peer tools to benchmark heaptui against, plus the snapshots to run them on (stdlib only).

    python3 benchmarks/peers.py [DATA_DIR]   # install/generate if missing, time peers, print JSON

Everything large lives in DATA_DIR (default /work/bench-data), never in the repo.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.environ.get("HEAPTUI_BENCH_DATA", "/work/bench-data")
# The shared folder sits beside the checkout (<repo>/../shared); HEAPTUI_SHARED names it otherwise.
_SHARED_BESIDE = os.path.join(os.path.dirname(HERE), os.pardir, "shared")
SHARED_DIR = os.path.normpath(
    _SHARED_BESIDE if os.path.isdir(_SHARED_BESIDE) else os.environ.get("HEAPTUI_SHARED", _SHARED_BESIDE)
)
HS_INSTALLER = os.path.join(SHARED_DIR, "peers", "install-heap-snapshot")
# make_snapshot.js SCALE per file; calibrated to ~100 MB, 146 MB, 446 MB and ~1 GB (14M nodes, 40M edges) on Node 20.
SNAPSHOTS = {
    "bench-100mb.heapsnapshot": 62000,
    "bench-146mb.heapsnapshot": 91000,
    "bench-446mb.heapsnapshot": 278000,
    "bench-1gb.heapsnapshot": 640000,
}
# A 1 GB snapshot needs several GB of JS heap (making it and loading it in memlab); Node's default
# old-space limit (~4 GB) is too small.
NODE_HEAP = "--max-old-space-size=16000"


def install_memlab(peers_dir):
    """npm-install @memlab/heap-analysis into peers_dir/memlab; returns that dir (MEMLAB_DIR)."""
    d = os.path.join(peers_dir, "memlab")
    if not os.path.isdir(os.path.join(d, "node_modules", "@memlab", "heap-analysis")):
        os.makedirs(d, exist_ok=True)
        # memlab depends on puppeteer; we only parse files, so skip its Chromium download.
        env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "@memlab/heap-analysis"],
            cwd=d,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return d


def install_hs(peers_dir):
    """Install the heap-snapshot Rust CLI via the shared installer; returns the path of `hs`."""
    if not os.access(HS_INSTALLER, os.X_OK):
        raise FileNotFoundError(f"{HS_INSTALLER} not found: put shared/ beside the checkout or set HEAPTUI_SHARED")
    out = subprocess.run(
        [HS_INSTALLER, os.path.join(peers_dir, "heap-snapshot")], check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1]


def memlab_installed(peers_dir):
    """MEMLAB_DIR when @memlab/heap-analysis is already installed under peers_dir, else None."""
    d = os.path.join(peers_dir, "memlab")
    return d if os.path.isdir(os.path.join(d, "node_modules", "@memlab", "heap-analysis")) else None


def install_peers(peers_dir=None, memlab=True):
    """The peers' locations ({"memlab_dir", "hs"}); memlab=False leaves memlab out unless it is already there."""
    peers_dir = peers_dir or os.path.join(DATA_DIR, "peers")
    return {
        "memlab_dir": install_memlab(peers_dir) if memlab else memlab_installed(peers_dir),
        "hs": install_hs(peers_dir),
    }


def ensure_snapshots(data_dir=None, names=None):
    """Generate the benchmark snapshots (all, or just `names`) if missing; returns {name: path}."""
    data_dir = data_dir or DATA_DIR
    os.makedirs(data_dir, exist_ok=True)
    paths = {}
    for name, scale in SNAPSHOTS.items():
        if names is not None and name not in names:
            continue
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            tmp = path + ".partial"  # rename at the end so an interrupted run is not mistaken for done
            subprocess.run(["node", NODE_HEAP, os.path.join(HERE, "make_snapshot.js"), tmp, str(scale)], check=True)
            os.replace(tmp, path)
        paths[name] = path
    return paths


def snapshot_counts(path):
    """(node_count, edge_count) from the meta header at the top of the file."""
    with open(path, "rb") as f:
        head = f.read(4096).decode("utf-8", "replace")

    def num(key):
        i = head.index(f'"{key}":') + len(key) + 3
        return int(head[i : head.index(",", i)])

    return num("node_count"), num("edge_count")


def time_cmd(cmd, env=None, stdout=subprocess.DEVNULL):
    """Run cmd; return (wall_seconds, peak_rss_bytes). See :func:`measure_cmd`."""
    fig = measure_cmd(cmd, env, stdout)
    return fig["wall"], fig["rss"]


def measure_cmd(cmd, env=None, stdout=subprocess.DEVNULL):
    """Run cmd; return {"wall": seconds, "rss": peak bytes, "cpu": user + system seconds (when known)}.

    Peak RSS is the kernel's ru_maxrss for the child and its waited-for descendants, i.e. the
    largest single process in the tree (not a sum); the peers here are one process each.
    CPU time is the process tree's: on a busy machine it varies less than the wall time.
    GNU /usr/bin/time -v is used when present; otherwise a fresh Python wrapper process reads
    RUSAGE_CHILDREN, so this process's own earlier children don't pollute the figure.
    Raises CalledProcessError if cmd fails.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as rep:
        if os.access("/usr/bin/time", os.X_OK):
            wrapped = ["/usr/bin/time", "-v", "-o", rep.name] + list(cmd)
        else:
            wrapped = [
                sys.executable,
                "-c",
                "import resource,subprocess,sys\n"
                "rc=subprocess.call(sys.argv[2:])\n"
                "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                "open(sys.argv[1],'w').write('Maximum resident set size (kbytes): %d\\n"
                "User time (seconds): %f\\nSystem time (seconds): %f\\n'"
                " % (u.ru_maxrss, u.ru_utime, u.ru_stime))\n"
                "sys.exit(rc)",
                rep.name,
            ] + list(cmd)
        t0 = time.perf_counter()
        p = subprocess.run(wrapped, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            raise subprocess.CalledProcessError(p.returncode, cmd, p.stdout, p.stderr[-2000:])
        fig = {"wall": secs}
        for line in rep.read().splitlines():
            key, _, value = line.strip().rpartition(":")
            if "Maximum resident set size" in key:
                fig["rss"] = int(value) * 1024  # Linux reports KiB
            elif key in ("User time (seconds)", "System time (seconds)"):
                fig["cpu"] = fig.get("cpu", 0.0) + float(value)
    if "rss" not in fig:
        raise RuntimeError(f"no peak RSS reported for {cmd!r}")
    return fig


def run_peers(data_dir=None):
    """Time memlab getFullHeapFromFile and `hs summary` on each benchmark snapshot."""
    data_dir = data_dir or DATA_DIR
    peers = install_peers(os.path.join(data_dir, "peers"))
    env = dict(os.environ, MEMLAB_DIR=peers["memlab_dir"])
    results = []
    for name, path in ensure_snapshots(data_dir).items():
        nodes, edges = snapshot_counts(path)
        base = {"file": name, "bytes": os.path.getsize(path), "nodes": nodes, "edges": edges}
        for tool, cmd in [
            ("memlab getFullHeapFromFile", ["node", NODE_HEAP, os.path.join(HERE, "peers", "memlab_load.js"), path]),
            ("hs summary", [peers["hs"], "summary", path]),
        ]:
            try:
                secs, rss = time_cmd(cmd, env=env)
                r = dict(base, tool=tool, seconds=round(secs, 2), peak_rss_bytes=rss)
            except subprocess.CalledProcessError as e:
                r = dict(base, tool=tool, error=f"exit {e.returncode}: {e.stderr[-500:]}")
            print(json.dumps(r), flush=True)
            results.append(r)
    return results


if __name__ == "__main__":
    run_peers(sys.argv[1] if len(sys.argv) > 1 else None)
