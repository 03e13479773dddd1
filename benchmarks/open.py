"""Time from typing `heaptui FILE` in a real terminal to the Summary being on screen (needs tmux).

    python benchmarks/open.py [FILE] [--runs N]

A tmux session of 120x40 runs a shell; the command is typed into it, and the
pane is read every 20 ms until the Summary's header ("Retained Size") shows.
The first run fills the caches (numba's kernels, heaptui's index cache) and is
reported apart; the figure is the median of the others, as a user sees every
open after the first. Also prints the same without the index cache (--no-cache).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, os.pardir, "examples", "leaky-server-3.heapsnapshot.gz")
SESSION = "heaptui-open-bench"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def open_once(command: str) -> float:
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "bash --norc")
    try:
        time.sleep(0.5)
        start = time.perf_counter()
        tmux("send-keys", "-t", SESSION, command, "Enter")
        while "Retained Size" not in tmux("capture-pane", "-t", SESSION, "-p"):
            if time.perf_counter() - start > 120:
                raise RuntimeError(f"{command}: nothing on screen after 120 s")
            time.sleep(0.02)
        took = time.perf_counter() - start
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(0.3)
        return took
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("benchmarks/open.py needs tmux")
    heaptui = f"{sys.executable} -m heaptui"
    path = os.path.abspath(args.file)
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.1f} MB; "
          f"load average {os.getloadavg()[0]:.2f}")
    for label, command in (("with the index cache", f"{heaptui} {path}"),
                           ("without (--no-cache)", f"{heaptui} --no-cache {path}")):
        first = open_once(command)
        runs = [open_once(command) for _ in range(args.runs)]
        print(f"  {label:22} first {first:.2f} s, then median {statistics.median(runs):.2f} s "
              f"(best {min(runs):.2f}, worst {max(runs):.2f}, {args.runs} runs)")


if __name__ == "__main__":
    main()
