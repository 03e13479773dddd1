"""heaptui's compiled kernels: plain ``numba.njit`` functions, cached in a directory heaptui owns.

Importing this package imports numba; the engine modules reach the kernels
through :func:`heaptui.engine.jit.kernel` references, so that happens on the
first call of a kernel, not when the engine is imported. Before any kernel is
decorated, numba's cache is pointed at :func:`~heaptui.engine.kernel_cache.cache_directory`
(``$XDG_CACHE_HOME/heaptui/kernels/<version and hash of the engine's sources>``,
else a private temporary directory); when there is no directory at all,
:func:`njit` drops ``cache=True`` and numba compiles in memory only.
"""

from __future__ import annotations

from typing import Any

import numba

from ..kernel_cache import cache_directory

_directory = cache_directory()
if _directory is not None:
    # numba reads it when each kernel below is decorated (numba has no type hints for its config module)
    numba.config.CACHE_DIR = str(_directory)  # type: ignore[attr-defined]


def njit(**options: Any) -> Any:
    """``numba.njit``, without ``cache`` when there is no directory to cache in."""
    if _directory is None:
        options.pop("cache", None)
    return numba.njit(**options)
