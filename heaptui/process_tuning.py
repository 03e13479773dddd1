"""How the ``heaptui`` process sets up numpy and numba before importing them.

Each setting is one a library must not impose on the program that imports it,
so only heaptui's own process applies them (the command, hence the app and the
MCP server, and the benchmarks that stand for it), and only before numpy or
numba was imported; a value the user set in the environment is kept.
"""

from __future__ import annotations

import os
import sys


def tune_process() -> None:
    """All of the settings below; call it before anything imports numpy or numba."""
    skip_numba_blas_probe()
    one_blas_thread()
    no_transparent_huge_pages()


def skip_numba_blas_probe() -> None:
    """Spare numba's probe for scipy's BLAS.

    numba imports scipy (when installed) to check its version, and
    ``scipy.linalg`` the first time it loads compiled code, to see whether BLAS
    is there: a third of a second of start-up for nothing, since heaptui's
    kernels use no linear algebra.
    """
    if "scipy" not in sys.modules and "numba" not in sys.modules:
        sys.modules["scipy"] = None  # type: ignore[assignment]


def one_blas_thread() -> None:
    """Spare OpenBLAS's thread pool, before numpy starts it.

    numpy's OpenBLAS starts a thread per core at import, and they spin a while
    waiting for work: about 45 ms of CPU on a two-core machine, for a library
    heaptui never calls (no kernel or pass does linear algebra).
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def no_transparent_huge_pages() -> None:
    """Ask numpy not to madvise transparent huge pages for its large arrays.

    numpy asks for them on every array of 4 MB or more, and where the kernel
    grants them only on request (``/sys/kernel/mm/transparent_hugepage/enabled``
    set to ``madvise``, the usual default) each first touch of 2 MB is a huge
    page to clear. On the project's 2-core VM that made the load of the 1 GB
    snapshot spend 4-6.5 s of system time instead of 1.6-1.9 s, and take
    7.6-9.5 s instead of 4.7-6.2 s (six alternating runs each); the 446 MB
    one 2.7-3.9 s instead of 2.3-2.8 s. The passes' random reads gain nothing
    measurable from the larger pages that would pay for it.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
