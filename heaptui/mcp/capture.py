"""The ``capture`` tool: heap snapshots of a running Node process, only when the user allowed it.

The server lists it only when started with ``heaptui mcp --allow-capture``: an agent must not open a
production process's inspector on its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from .sessions import SnapshotStore, ToolProblem


def capture(
    store: SnapshotStore,
    pid: int,
    count: int = 1,
    every: str | None = None,
    signal: str | None = None,
    gc: bool = False,
    output: str | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Take heap snapshots of the running Node process ``pid``, as ``heaptui capture --no-open`` does (the server
    lists this tool only when started with ``--allow-capture``): the files are written in the first root.

    It runs the CLI itself in a child process, so a capture cut short (the server stopped, a timeout) still
    closes the inspector it opened and leaves no partial file, exactly as the command does.
    """
    from ..capture.series import default_output

    if count < 1:
        raise ToolProblem(f"count: {count} is not at least 1")
    if count > 1 and every is None:
        raise ToolProblem("count needs every (the time between snapshots, like 30s)")
    target = output if output is not None else str(default_output(int(pid)))
    where = os.path.join(store.roots[0], target)
    directory = os.path.realpath(os.path.dirname(where))
    if not any(directory == root or directory.startswith(root.rstrip(os.sep) + os.sep) for root in store.roots):
        raise ToolProblem(f"{target}: outside the directories this server may write (--root)")
    command = [
        sys.executable,
        "-m",
        "heaptui",
        "capture",
        str(int(pid)),
        "--no-open",
        "-o",
        os.path.join(directory, os.path.basename(where)),
        "--count",
        str(count),
    ]
    if every is not None:
        command += ["--every", every]
    if signal is not None:
        command += ["--signal", signal]
    if gc:
        command.append("--gc")
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, errors="replace"
        )
    except subprocess.TimeoutExpired:
        raise ToolProblem(f"capture of {pid}: no answer within {timeout:g} s") from None
    lines = [line for line in done.stderr.splitlines() if line.startswith("heaptui: ")]
    if done.returncode != 0:
        raise ToolProblem(
            lines[-1].removeprefix("heaptui: ") if lines else f"capture of {pid} failed (exit status {done.returncode})"
        )
    return {
        "pid": int(pid),
        "files": done.stdout.splitlines(),
        "warnings": [line.removeprefix("heaptui: warning: ") for line in lines if "warning: " in line],
    }
