"""The kernels of :mod:`heaptui.engine.kernels` as plain Python functions: the same files, no numba.

This package's modules are loaded from the kernels' own directory, with an
:func:`njit` that leaves each function as it is, so a kernel calling another
calls its Python version too. Slow on real snapshots; on the few nodes of the
warm-up's built-in snapshot it runs the early phases in no time while a worker
process compiles the later phases' kernels first (see :mod:`heaptui.engine.warmup`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__path__ = [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kernels")]


def njit(**_options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Leave the function as it is (``numba.njit``'s signature, without numba)."""
    return lambda function: function
