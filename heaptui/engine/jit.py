"""Compiled kernels that import numba on first use, not when the engine is imported.

Importing numba and starting its compiler costs about a second of a fresh
process. A snapshot opened from heaptui's index cache needs no kernel before
its first screen, so the kernels live apart, in :mod:`heaptui.engine.kernels`
(plain ``numba.njit`` functions that call each other directly), and the engine
modules hold a :func:`kernel` reference in their place: a small callable that
imports the kernel's module the first time it is called, and from then on
calls the numba dispatcher.

:func:`as_python` runs kernels as their plain Python functions instead (the
same files, loaded without numba by :mod:`heaptui.engine.python_kernels`) for
a block, in the calling thread only: a small first-run load answered in
Python never slows down a large load on another thread to Python speed.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Collection, Iterator
from typing import Any

from .numba_start import load_kernels_lean

_lock = threading.Lock()
_thread = threading.local()  # .python: the kernel modules this thread runs as Python (True: all), if any


class KernelReference:
    """A compiled kernel, named by module and function, imported on its first call."""

    __slots__ = ("module", "name", "_function", "_python")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._function: Callable[..., Any] | None = None
        self._python: Callable[..., Any] | None = None

    @property
    def function(self) -> Callable[..., Any]:
        """The numba dispatcher (importing numba and the kernel's module the first time)."""
        function = self._function
        if function is None:
            with _lock:  # one thread imports numba; the others wait for it rather than see it half made
                load_kernels_lean()  # cached kernels load without numba's compiler registries
                function = getattr(importlib.import_module(f"heaptui.engine.kernels.{self.module}"), self.name)
            self._function = function
        return function

    @property
    def py_func(self) -> Callable[..., Any]:
        """The kernel's Python function (numba's ``py_func``)."""
        return self.function.py_func  # type: ignore[attr-defined]

    @property
    def python(self) -> Callable[..., Any]:
        """The kernel as plain Python, from its own file loaded without numba (numba is not imported)."""
        function = self._python
        if function is None:
            module = importlib.import_module(f"heaptui.engine.python_kernels.{self.module}")
            function = self._python = getattr(module, self.name)
        return function

    def __call__(self, *args: Any) -> Any:
        python = getattr(_thread, "python", None)
        if python is not None and (python is True or self.module in python):
            return self.python(*args)
        function = self._function
        if function is None:
            function = self.function
        return function(*args)

    def __repr__(self) -> str:
        return f"<kernel heaptui.engine.kernels.{self.module}.{self.name}>"


@contextlib.contextmanager
def as_python(modules: Collection[str] | None = None) -> Iterator[None]:
    """Run the kernels of ``modules`` (None: every kernel) as plain Python in this thread, for the block."""
    previous = getattr(_thread, "python", None)
    _thread.python = True if modules is None else frozenset(modules)
    try:
        yield
    finally:
        _thread.python = previous


def as_python_like_this_thread() -> contextlib.AbstractContextManager[None]:
    """For a thread started on this one's behalf: run as Python the kernels this thread runs as Python."""
    python = getattr(_thread, "python", None)
    if python is None:
        return contextlib.nullcontext()
    return as_python(None if python is True else python)


def kernel(module: str, name: str) -> KernelReference:
    """The kernel ``name`` of ``heaptui/engine/kernels/<module>.py``, compiled (or loaded) on first call."""
    return KernelReference(module, name)
