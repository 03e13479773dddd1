"""heaptui capture of a Node process with a heap of several hundred MB: time, file size, heaptui's own memory.

    python benchmarks/capture.py [ITEMS]      (default 3,000,000 items: about 400 MB of live objects)

Starts `node --max-old-space-size=4096` building ITEMS objects `{id, name, tags}` (each with its own string and
array), waits until it reports its heap, then takes one snapshot through heaptui.capture (SIGUSR1, inspector,
streamed to disk) and prints: the target's heap, the snapshot's size, the time, and heaptui's own peak RSS
(ru_maxrss of this process) before and after the capture. The point (issue 11): the snapshot streams to disk,
so heaptui's memory stays far below the heap's size. Only heaptui.capture is imported (no numpy, no numba).
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from heaptui.capture import take_snapshot  # noqa: E402

BUILD = """
const n = Number(process.argv[1]);
const keep = [];
for (let i = 0; i < n; i++) keep.push({ id: i, name: 'item-' + i + '-' + (i * 7919 % 100003), tags: [i & 7, i & 3] });
globalThis.keep = keep;
global.gc && global.gc();
process.stdout.write(JSON.stringify(process.memoryUsage()) + '\\n');
setInterval(() => {}, 1000);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
    node = subprocess.Popen(["node", "--max-old-space-size=4096", "--expose-gc", "-e", BUILD, str(items)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        memory = json.loads(node.stdout.readline())  # type: ignore[union-attr]
        heap_mb = memory["heapUsed"] / 1e6
        print(f"target: {items:,} items, heapUsed {heap_mb:,.0f} MB, rss {memory['rss'] / 1e6:,.0f} MB")
        with tempfile.TemporaryDirectory(prefix="heaptui-capture-bench-") as directory:
            out = os.path.join(directory, "big.heapsnapshot")
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            phases: dict[str, float] = {}
            started = time.perf_counter()

            def progress(phase: str, done: int, total: int) -> None:
                phases.setdefault(phase, time.perf_counter() - started)

            take_snapshot(node.pid, out, progress=progress)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            size_mb = os.path.getsize(out) / 1e6
        node_peak = rss_mb(node.pid)
    finally:
        node.stdin.close()  # type: ignore[union-attr]
        node.wait()
    writing = phases.get("writing", elapsed)
    print(f"snapshot: {size_mb:,.0f} MB in {elapsed:.1f} s (V8 walked the heap for {writing:.1f} s, "
          f"then {elapsed - writing:.1f} s of chunks: {size_mb / max(elapsed - writing, 1e-9):,.0f} MB/s)")
    print(f"heaptui peak RSS: {before:,.0f} MB before the capture, {after:,.0f} MB after "
          f"({after / heap_mb:.1%} of the target's heap; the target itself peaked at {node_peak:,.0f} MB)")
    print(json.dumps({"items": items, "heap_used_mb": round(heap_mb), "snapshot_mb": round(size_mb),
                      "seconds": round(elapsed, 1), "heaptui_peak_rss_mb_before": round(before),
                      "heaptui_peak_rss_mb_after": round(after), "node_peak_rss_mb": round(node_peak)}))


if __name__ == "__main__":
    main()
