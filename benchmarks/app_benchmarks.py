"""Runs the app's own benchmarks (keys on a large snapshot, the Leaks view) as subprocesses and collects their
PASS/FAIL lines, so that one command (issue24.py) gives the whole picture.

Each script is run as it would be by hand, on its default snapshots in the data dir (HEAPTUI_BENCH_DATA for
tui.py, --data-dir for leaks_view.py), one after the other so that they do not slow each other. A script says
PASS or FAIL at the start of a line (and exits 1 on a FAIL). A script that is missing, fails
or runs too long becomes one clear line instead of stopping the run: the load figures are worth keeping.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# (script, what it measures, its arguments: "{data_dir}" is replaced); a missing one is reported, not an error.
SCRIPTS = (
    ("tui.py", "keys on the 1 GB snapshot", []),
    ("leaks_view.py", "the Leaks view of three ~100 MB snapshots", ["--data-dir", "{data_dir}"]),
)
VERDICT = re.compile(r"^\s*(PASS|FAIL)\b:?\s*(.*)$")


def run_script(script, what, args, data_dir, timeout):
    """Run one benchmark script; returns {"script", "what", "status", "seconds", "checks", "output"}.

    status: "ran" (it answered: exit 0, or 1 with a FAIL line), "failed", "timeout" or "missing"; checks:
    [(ok, text)] from its PASS/FAIL lines, plus a failing one when it exited otherwise, so that a crash is never
    read as a pass."""
    path = os.path.join(HERE, script)
    res = {"script": script, "what": what, "checks": [], "output": ""}
    if not os.path.exists(path):
        res.update(status="missing", seconds=0.0)
        res["checks"].append((None, f"{script} ({what}): not in this checkout, not measured"))
        return res
    env = dict(os.environ, HEAPTUI_BENCH_DATA=data_dir)
    started = time.perf_counter()
    try:
        cmd = [sys.executable, path, *(a.replace("{data_dir}", data_dir) for a in args)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        res.update(status="timeout", seconds=round(time.perf_counter() - started, 1))
        res["output"] = _text(e.stdout) + _text(e.stderr)
        res["checks"].append((False, f"{script} ({what}): no answer within {timeout} s"))
        return res
    res["seconds"] = round(time.perf_counter() - started, 1)
    res["output"] = p.stdout + (f"\n[stderr]\n{p.stderr}" if p.returncode and p.stderr.strip() else "")
    for line in p.stdout.splitlines():
        m = VERDICT.match(line)
        if m:
            res["checks"].append((m.group(1) == "PASS", f"{script}: {m.group(2).strip()}"))
    failed_target = p.returncode == 1 and any(ok is False for ok, _ in res["checks"])
    if p.returncode != 0 and not failed_target:
        last = (p.stderr.strip().splitlines() or p.stdout.strip().splitlines() or ["no output"])[-1]
        res["status"] = "failed"
        res["checks"].append((False, f"{script} ({what}): exit {p.returncode}: {last[:300]}"))
    else:
        res["status"] = "ran"
        if not res["checks"]:
            res["checks"].append((None, f"{script} ({what}): ran, printed no PASS/FAIL line"))
    return res


def _text(data):
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def run_all(data_dir, timeout, out=sys.stdout):
    """Run every script in SCRIPTS, printing each one's output indented as it ends; returns their results."""
    results = []
    for script, what, args in SCRIPTS:
        print(f"\n{script}: {what}  (load average at start {os.getloadavg()[0]:.2f})", file=out, flush=True)
        res = run_script(script, what, args, data_dir, timeout)
        for line in res["output"].rstrip().splitlines()[-40:]:
            print(f"  | {line}", file=out)
        print(f"  {script}: {res['status']} after {res['seconds']} s", file=out, flush=True)
        results.append(res)
    return results
