"""A new user's first minutes: a fresh install, its size, and the first (compiling) and later commands.

    python benchmarks/first_run.py [--python python3] [--keep DIR]

Makes a virtual environment on the given Python, ``pip install``s this checkout
into it (wheels from PyPI or pip's cache), and reports the installed size.
Then, with a new empty HOME (no compiled kernels, no index cache), times
``heaptui summary`` on the bundled example: the first run (which compiles, with
the compile worker on the second core), then, once the worker has marked the
kernels directory complete, the second run and the first ``diff``, ``leaks``
and filtered ``summary`` (which should find everything compiled). As root it
also runs ``summary`` twice as ``nobody`` with ``HOME=/nonexistent`` against
the same installation, which that user cannot write. Prints a table and a JSON
line; the load average is printed too, since a busy machine's figures are not
an idle one's.

What was tried for the first run (issue 19), on this 2-core machine, measured
while up to six other jobs shared it (load average in brackets):

- Before: 370 numba compilations, 14.5 s of compiling for the first
  ``summary`` of leaky-server-3 [0.04]; A/B against the final change, fresh
  caches each: 15.0, 15.2, 15.6 and 16.9 s wall, 14-16 s CPU [1.0-1.6];
  30.4 and 34.5 s [4.3-5.6].
- Fewer specialisations, same code: slice copies in growing buffers compiled
  numba's shape-mismatch error path (string formatting, ~2 s), and literal
  arguments compiled _bfs/_dfs once more per constant: loops and np.int64
  instead. 206 compilations, 10.3 s of compiling [0.4].
- A second process (heaptui.engine.compile_worker) compiling the dominator,
  class and distance kernels first while the loading process compiles the
  parser's and index's, then every command's and view's: 8.1, 8.8, 9.1 and
  10.8 s wall, 7.2-8.7 s CPU in the loading process [1.0-1.6]; 17.9 and
  22.7 s [4.9-5.0]. The worker finished 4-13 s after the answer; then
  ``summary`` took 0.4-0.9 s, and diff, leaks and a filter (1.0, 0.7, 0.6 s
  [1.5]) compiled nothing. As nobody with HOME=/nonexistent: 11.4 s, then
  0.8 s.
- Plain Python for a small snapshot (heaptui.engine.small_first_run, up to
  12 MB of JSON): the json module reads it (0.6 s for the example, with the
  string table's offsets and hashes), the kernels' own functions index it
  (3.3 s instead of 0.45 s compiled: dominators 1.7 s, index 0.9 s), and the
  worker compiles on the other core meanwhile. Same columns and numbers
  (tests compare them on every fixture). First ``summary`` of the example:
  3.6, 3.9, 3.9, 4.0, 4.3 and 4.7 s wall (3.5-4.3 s CPU) [0.7-1.4]; the
  worker done 12.6 s later; then ``summary`` 0.2 s, diff 1.0 s, leaks 0.9 s,
  a filter 0.7 s, nothing compiled. As nobody with HOME=/nonexistent: 3.9 s
  and 3.7 s (the worker had not finished: the second run was small-path too).
- Not tried: compiling at install time (numba's cache is specific to the CPU
  and numba's version; its AOT compiler needs a C compiler and is deprecated).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def timed(command: list[str], env: dict[str, str], cwd: Path, prefix: list[str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run([*(prefix or []), *command], env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    took = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({run.returncode}): {run.stderr.strip()}")
    return took, run.stdout


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="the Python to make the environment with")
    parser.add_argument(
        "--keep",
        default=None,
        help="work in this directory and keep it, its installation reused next time (default: a temporary one)",
    )
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="heaptui-first-run-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # nobody must reach the installation (read-only to it)
    results: dict[str, object] = {"load_average_before": os.getloadavg()}
    try:
        venv = work / "venv"
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        if not (venv / "bin" / "heaptui").exists():
            start = time.perf_counter()
            subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
            subprocess.run([*pip, str(ROOT)], check=True)
            results["install_seconds"] = round(time.perf_counter() - start, 1)
        else:  # the kept installation, with this checkout's heaptui
            subprocess.run([*pip, "--no-deps", "--force-reinstall", str(ROOT)], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        results["installed_mb"] = round(du(site) / 1e6, 1)
        results["heaptui_package_mb"] = round(du(site / "heaptui") / 1e6, 2)
        heaptui = str(venv / "bin" / "heaptui")
        home = work / "home"
        shutil.rmtree(home, ignore_errors=True)  # a new user: no compiled kernels, no index cache
        home.mkdir()
        env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
        example = str(EXAMPLES / "leaky-server-3.heapsnapshot.gz")
        results["first_summary_seconds"], first = timed([heaptui, "summary", example], env, work)
        results["load_average_after_first"] = os.getloadavg()
        kernels = home / ".cache" / "heaptui" / "kernels"
        start = time.perf_counter()
        while not any(kernels.glob("*/complete")):
            if time.perf_counter() - start > 600:
                raise SystemExit("the compile worker did not finish within 600 s")
            time.sleep(0.2)
        results["worker_done_after_first_seconds"] = round(time.perf_counter() - start, 1)
        results["second_summary_seconds"], second = timed([heaptui, "summary", example], env, work)
        if first != second:
            raise SystemExit("the second summary differs from the first")
        one, two, three = (str(EXAMPLES / f"leaky-server-{i}.heapsnapshot.gz") for i in (1, 2, 3))
        for name, command in (
            ("first_diff_seconds", ["diff", one, three]),
            ("first_leaks_seconds", ["leaks", one, two, three]),
            ("first_filter_seconds", ["summary", three, "--filter", "duplicatedStrings"]),
        ):
            results[name], _ = timed([heaptui, *command], env, work)
        if os.geteuid() == 0 and shutil.which("setpriv"):
            nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            locked = {**env, "HOME": "/nonexistent"}
            runs = []
            for _ in range(2):
                took, out = timed([heaptui, "summary", example], locked, Path("/"), nobody)
                if out != first:
                    raise SystemExit("nobody's summary differs")
                runs.append(round(took, 2))
            results["nobody_summary_seconds"] = runs
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for key, value in results.items():
        print(f"{key:32} {value}")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
