"""The compiled kernels of :mod:`heaptui.engine.compare` (moved here unchanged)."""

from __future__ import annotations

from . import njit


@njit(cache=True, nogil=True)
def _match_sorted(a, b, matched_a, matched_b):
    """Mark the values two sorted arrays share, pairing equal values one to one (DevTools' merge)."""
    i = 0
    j = 0
    while i < a.shape[0] and j < b.shape[0]:
        if a[i] < b[j]:
            i += 1
        elif a[i] > b[j]:
            j += 1
        else:
            matched_a[i] = True
            matched_b[j] = True
            i += 1
            j += 1
