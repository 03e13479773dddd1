"""What the command-line tests share: running the installed ``heaptui`` as a user does, and big inputs.

The commands run as subprocesses of ``python -m heaptui`` with the heaptui this test session imported (the
installed package, or the tree PYTHONPATH names): the suite tests what it imported, never a second copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import HEAPTUI_HOME


def heaptui_env(**extra: str) -> dict[str, str]:
    """The environment for a child ``python -m heaptui``: this session's heaptui, 80 columns unless told."""
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("HEAPTUI_DEBUG", None)
    paths = [HEAPTUI_HOME, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.update(extra)
    return env


def heaptui_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "heaptui", *args]


def run_heaptui(*args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess[str]:
    """``heaptui ARGS`` with stdout and stderr captured (text), stdin empty unless given."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("env", heaptui_env())
    return subprocess.run(heaptui_command(*args), capture_output=True, text=True, timeout=timeout, **kw)


def write_wide_snapshot(path: Path, nodes: int, classes: int) -> Path:
    """A valid snapshot of ``nodes`` objects held by the root, of ``classes`` classes (``Class0``...).

    Big ones load for seconds (the signal tests), many classes make long answers (the closed-pipe test).
    """
    fields = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
    header = (
        '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id",'
        '"detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number",'
        '"native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],'
        '"number","number","number","number","number","number"],"edge_fields":["type","name_or_index",'
        '"to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],'
        f'"number","number"],"location_fields":["object_index","script_id","line","column"]}},'
        f'"node_count":{nodes},"edge_count":{nodes - 1},"trace_function_count":0}},'
    )
    with open(path, "w", encoding="ascii") as f:
        f.write(header)
        f.write(f'"nodes":[9,0,1,0,{nodes - 1},0,0')
        for start in range(1, nodes, 50_000):
            f.write(
                "".join(f",3,{1 + i % classes},{2 * i + 1},32,0,0,0" for i in range(start, min(start + 50_000, nodes)))
            )
        f.write('],"edges":[')
        f.write(",".join(f"1,{i},{i * len(fields)}" for i in range(1, nodes)))
        f.write('],"locations":[],"strings":[""')
        f.write("".join(f',"Class{c}"' for c in range(classes)))
        f.write("]}")
    return path


def wait_for(condition, what: str, limit: float = 120.0, every: float = 0.05):
    """``condition()``'s first true value, polled for at most ``limit`` seconds; else a failure naming ``what``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up after {limit:.0f} s waiting for {what}")
