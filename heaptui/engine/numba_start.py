"""numba's start-up in a process that only loads heaptui's compiled kernels: without numba's compiler registries.

Before it loads a kernel from its cache, numba refreshes its typing and target
contexts (``Cache.load_overload`` calls ``refresh``), which imports and installs
every implementation numba has: its Python and NumPy builtins, random, linalg,
the typed containers, the cffi bindings. That is about 0.2 s of a fresh
process, half of numba's start-up, and all of it serves the compiler only:
loading machine code compiled earlier needs numba's runtime (NRT) and nothing
else. So :func:`load_kernels_lean` makes numba's cache load heaptui's kernels
with the runtime initialised and the refresh left to the first compile, which
does it itself (numba's ``CompilerBase`` refreshes both contexts): a first run,
or any kernel whose cached code does not match, compiles exactly as before.

The change is narrow: only kernels of heaptui's own modules, only numba's CPU
target, and only when numba's cache has the methods it relies on; anything
else (a program's own numba functions, another numba) goes through numba's own
load unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_done = False
# The numba releases whose cache load this was read against and tested on (numba.core.caching.Cache.load_overload
# is refresh() then _load_overload()); any other loads kernels numba's own way until checked and added here.
CHECKED_NUMBA = ((0, 68),)


def _checked(version: str) -> bool:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) in CHECKED_NUMBA


def _ours(cache: Any) -> bool:
    """Whether numba's cache object is that of a kernel of heaptui's."""
    py_func = getattr(cache, "_py_func", None)
    return getattr(py_func, "__module__", "").startswith("heaptui.engine.kernels.")


def load_kernels_lean() -> None:
    """Make numba load heaptui's cached kernels without refreshing its compiler's registries (once per process)."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        try:
            import numba
            from numba.core import caching
            from numba.core.cpu import CPUContext
            from numba.core.runtime import rtsys
        except ImportError:  # another numba than the one this was written for: its own load
            return
        if not _checked(numba.__version__):
            return
        cache_class = caching.Cache
        original = cache_class.__dict__.get("load_overload")
        if original is None or not all(
            hasattr(cache_class, name) for name in ("_load_overload", "_guard_against_spurious_io_errors")
        ):
            return

        def load_overload(self: Any, sig: Any, target_context: Any) -> Any:
            if not (isinstance(target_context, CPUContext) and _ours(self)):
                return original(self, sig, target_context)
            rtsys.initialize(target_context)  # what the refresh did that loaded code needs: the runtime
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
            return None  # an I/O error the guard swallowed: numba then compiles (as its own load does)

        setattr(cache_class, "load_overload", load_overload)  # noqa: B010 (mypy: a method is not assigned to)
