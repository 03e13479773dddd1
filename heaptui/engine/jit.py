"""Compiled kernels that import numba on first use, not when the engine is imported.

Importing numba and starting its compiler costs about a second of a fresh
process. A snapshot opened from heaptui's index cache needs no kernel before
its first screen, so the kernels live apart, in :mod:`heaptui.engine.kernels`
(plain ``numba.njit`` functions that call each other directly), and the engine
modules hold a :func:`kernel` reference in their place: a small callable that
imports the kernel's module the first time it is called, and from then on
calls the numba dispatcher.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()


class KernelReference:
    """A compiled kernel, named by module and function, imported on its first call."""

    __slots__ = ("module", "name", "_function")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._function: Callable[..., Any] | None = None

    @property
    def function(self) -> Callable[..., Any]:
        """The numba dispatcher (importing numba and the kernel's module the first time)."""
        function = self._function
        if function is None:
            with _lock:  # one thread imports numba; the others wait for it rather than see it half made
                function = getattr(importlib.import_module(f"heaptui.engine.kernels.{self.module}"), self.name)
            self._function = function
        return function

    @property
    def py_func(self) -> Callable[..., Any]:
        """The kernel's Python function (numba's ``py_func``)."""
        return self.function.py_func  # type: ignore[attr-defined]

    def use(self, function: Callable[..., Any] | None) -> None:
        """Call ``function`` in the kernel's place (None: the compiled kernel again); for the compile worker."""
        self._function = function

    def __call__(self, *args: Any) -> Any:
        function = self._function
        if function is None:
            function = self.function
        return function(*args)

    def __repr__(self) -> str:
        return f"<kernel heaptui.engine.kernels.{self.module}.{self.name}>"


def kernel(module: str, name: str) -> KernelReference:
    """The kernel ``name`` of ``heaptui/engine/kernels/<module>.py``, compiled (or loaded) on first call."""
    return KernelReference(module, name)
