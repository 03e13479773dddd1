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


def _masks(buf: Any, i: int, order: slice) -> tuple[Any, Any]:
    import numpy as np

    block = np.asarray(buf[i : i + 64], dtype=np.uint8)[order]
    not_digit = (block < 48) | (block > 57)
    bad = not_digit & (block != 44) & (block != 10)
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    return np.uint64(weights[not_digit].sum()), np.uint64(weights[bad].sum())


def byte_masks(buf: Any, i: int) -> tuple[Any, Any]:
    """:func:`heaptui.engine.kernels.byte_masks` in Python: the non-digits and the bad bytes of ``buf[i:i + 64]``."""
    return _masks(buf, i, slice(None))


def byte_masks_back(buf: Any, i: int) -> tuple[Any, Any]:
    """:func:`heaptui.engine.kernels.byte_masks_back` in Python (the last byte at bit 0)."""
    return _masks(buf, i, slice(None, None, -1))
