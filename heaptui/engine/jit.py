"""Compiled kernels whose compiler starts on first use, not on import.

Importing numba and starting its compiler costs about a second of a fresh
process (its import, then its registries on the first call, then each kernel's
machine code read from numba's cache). A snapshot opened from heaptui's index
cache needs no kernel before its first screen, so the engine declares its
kernels with :func:`njit` here: importing a module records them, and numba is
imported only when some kernel is first called.

At that moment every kernel declared so far becomes a numba dispatcher, and the
dispatchers replace the placeholders in every heaptui module's namespace: a
kernel that calls another looks it up in its module's globals when numba
compiles it, and must find a dispatcher there. A placeholder that escaped the
swap (a module importing it in another thread at that very moment) still
works: numba types it as its dispatcher (``_numba_type_``), and calling it from
Python calls the dispatcher.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.RLock()
_declared: list[Kernel] = []
_compiler: Callable[..., Any] | None = None  # numba.njit, once started


class Kernel:
    """A kernel declared before numba started: calls, and numba, see its dispatcher."""

    def __init__(self, py_func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.options = options
        self.dispatcher: Any = None
        self.__name__ = py_func.__name__
        self.__qualname__ = py_func.__qualname__
        self.__module__ = py_func.__module__
        self.__doc__ = py_func.__doc__
        self.__wrapped__ = py_func

    def __call__(self, *args: Any) -> Any:
        if self.dispatcher is None:
            start()
        return self.dispatcher(*args)

    @property
    def _numba_type_(self) -> Any:
        if self.dispatcher is None:
            start()
        from numba import types

        return types.Dispatcher(self.dispatcher)

    def __getattr__(self, name: str) -> Any:  # the dispatcher's own attributes (signatures, stats, ...)
        if name.startswith("__") or name == "dispatcher":
            raise AttributeError(name)
        if self.dispatcher is None:
            start()
        return getattr(self.dispatcher, name)

    def __repr__(self) -> str:
        return f"<kernel {self.__module__}.{self.__qualname__}{'' if self.dispatcher else ' (not started)'}>"


def njit(py_func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``numba.njit`` with the same options, started on first use (see the module's docstring)."""

    def declare(function: Callable[..., Any]) -> Any:
        with _lock:
            if _compiler is not None:
                return _compiler(**options)(function)
            kernel = Kernel(function, options)
            _declared.append(kernel)
            return kernel

    return declare(py_func) if py_func is not None else declare


def started() -> bool:
    """Whether numba has been started (some kernel was called)."""
    return _compiler is not None


def start() -> None:
    """Import numba, make every declared kernel a dispatcher, and put the dispatchers in place."""
    global _compiler
    with _lock:
        if _compiler is not None:
            return
        import numba

        for kernel in _declared:
            kernel.dispatcher = numba.njit(**kernel.options)(kernel.py_func)
        for name, module in list(sys.modules.items()):
            if module is None or not (name == "heaptui" or name.startswith("heaptui.")):
                continue
            namespace = vars(module)
            for attribute, value in list(namespace.items()):
                if isinstance(value, Kernel):
                    namespace[attribute] = value.dispatcher
        _compiler = numba.njit
