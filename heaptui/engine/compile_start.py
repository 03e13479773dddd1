"""Start the compile worker (:mod:`.compile_worker`) from a loading process, once, when kernels are missing.

Kept apart from the worker itself, which loads snapshots to exercise the
kernels: the load starts the worker, and the worker runs loads, so one module
holding both would import :mod:`.load` and be imported by it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from . import kernel_cache

_started = False
_lock = threading.Lock()


def start_compiling_in_background() -> bool:
    """Start the worker when the user's kernels directory lacks kernels (once per process); whether it started."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    if kernel_cache.kernels_compiled():
        return False
    if not kernel_cache.shared(kernel_cache.cache_directory()):
        return False  # a directory of this process's own: it compiles for itself
    try:
        subprocess.Popen(
            # -P: not the working directory first on the path, which may hold another heaptui (a checkout)
            [sys.executable, "-P", "-m", "heaptui.engine.compile_worker"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            env=_worker_environment(),
        )
    except OSError:
        return False
    return True


def started_here() -> None:
    """This process is the worker: its own loads must not start another one."""
    global _started
    with _lock:
        _started = True


def _worker_environment() -> dict[str, str]:
    """This process's environment, with this heaptui's package root first on the path (the same code)."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    return env


__all__ = ["start_compiling_in_background", "started_here"]
