"""Allocation windows: DevTools' Summary options "Objects allocated before S1" and "between S1 and S2".

V8 gives objects increasing ids, so what was allocated between two snapshots
of one process is a range of ids: (the newest JavaScript id of the earlier
snapshot, the newest of the later one]. "Before S1" starts at 0. The app's
allocation filter and the CLI's ``summary --since/--before`` both come from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .progress import ProgressCallback
from .snapshot import Snapshot, snapshot_stem

ALL_OBJECTS = "All objects"  # the option before the windows: no window at all


@dataclass(frozen=True)
class AllocationWindow:
    """The objects with ids in (``min_id``, ``max_id``], and DevTools' label for them."""

    label: str
    min_id: int
    max_id: int

    def mask(self, snapshot: Snapshot, progress: ProgressCallback | None = None) -> np.ndarray:
        """The window's objects in ``snapshot``, a boolean per node (for ``Snapshot.summary(mask)``)."""
        return snapshot.allocated_between(self.min_id, self.max_id, progress)


def _max_id(older: Snapshot | int) -> int:
    return older if isinstance(older, int) else older.max_js_node_id


def _name(older: Snapshot | int, name: str | None) -> str:
    if name is not None:
        return name
    return f"@{older}" if isinstance(older, int) else older.stem


def window_before(older: Snapshot | int, older_name: str | None = None) -> AllocationWindow:
    """Objects allocated before ``older`` was taken (``older`` a snapshot, or its newest JavaScript id).

    ``older_name`` names it in the label (default: its file stem, or ``@id`` for a bare id).
    """
    return AllocationWindow(f"Objects allocated before {_name(older, older_name)}", 0, _max_id(older))


def window_since(older: Snapshot | int, snapshot: Snapshot, older_name: str | None = None) -> AllocationWindow:
    """Objects of ``snapshot`` allocated after ``older`` was taken: "between ``older`` and ``snapshot``"."""
    return AllocationWindow(
        f"Objects allocated between {_name(older, older_name)} and {snapshot.stem}",
        _max_id(older),
        snapshot.max_js_node_id,
    )


def allocation_windows(snapshots: Sequence[Snapshot], index: int) -> list[AllocationWindow]:
    """The windows DevTools' Summary offers for ``snapshots[index]`` (after "All objects"), oldest first.

    Before the first snapshot, then between each pair up to ``index``; none for the first snapshot.
    """
    if index < 1:
        return []
    windows = [window_before(snapshots[0])]
    windows += [window_since(snapshots[j - 1], snapshots[j]) for j in range(1, index + 1)]
    return windows


__all__ = ["ALL_OBJECTS", "AllocationWindow", "allocation_windows", "snapshot_stem", "window_before", "window_since"]
