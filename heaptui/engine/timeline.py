"""The allocation timeline of a ``.heaptimeline``: per sample interval, what was allocated in it and still lives.

A snapshot recorded with ``HeapProfiler.startTrackingHeapObjects`` (DevTools'
"Allocations on timeline") carries ``samples``: pairs (``timestamp_us``,
``last_assigned_id``), one each time V8 pushed heap stats (every 50 ms while
recording, and once when it stopped). V8 gives objects increasing ids, so a
sample's ``last_assigned_id`` splits the objects by when they were allocated:
interval ``i`` holds the objects with ids in ``(last_assigned_id[i-1],
last_assigned_id[i]]``; interval 0 holds everything up to the first sample,
i.e. what existed before the recording started.

DevTools' rules (``HeapSnapshot.buildSamples`` in the heap snapshot worker):

- only JavaScript objects count (odd ids; even ids are native objects);
- an object goes to the first sample whose ``last_assigned_id`` is >= its id
  (``lowerBound``); objects newer than the last sample (allocated while the
  snapshot was taken) are left out;
- an interval's size is the sum of its objects' shallow sizes (after the
  shallow-size transfer, as the Summary shows them); the snapshot is taken at
  the end, so these are the objects of the interval that are still alive.

The overview chart (``HeapTimelineOverview``) draws interval ``i >= 1`` as a bar
at ``timestamp[i]``; interval 0 is never drawn. Selecting a time window there
(``HeapTimelineOverview.updateGrid``) filters the Summary to a node id range:
see :func:`devtools_window`. :func:`interval_id_range` gives the exact id range
of a run of intervals instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SnapshotError
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot

_BLOCK = 1 << 20  # nodes per numpy pass, to bound the temporaries on a huge snapshot


@dataclass(frozen=True)
class Timeline:
    """One row per sample interval (index i = the file's i-th sample). Empty when the file has no samples."""

    timestamp_us: np.ndarray  # int64: the sample's time, microseconds since the first sample (V8's clock)
    start_us: np.ndarray  # int64: the previous sample's time (interval 0: its own time)
    end_us: np.ndarray  # int64: the sample's time
    max_id: np.ndarray  # int64: the sample's last_assigned_id; the interval's ids are (max_id[i-1], max_id[i]]
    live_size: np.ndarray  # int64: shallow size of its objects still alive (DevTools' Samples.sizes)
    live_count: np.ndarray  # int64: how many objects that is
    after_size: int  # objects newer than the last sample (not in any interval, as in DevTools)
    after_count: int

    def __len__(self) -> int:
        return int(self.max_id.shape[0])

    @property
    def min_id(self) -> np.ndarray:
        """Per interval, the id its range starts after (0 for interval 0)."""
        out = np.zeros_like(self.max_id)
        out[1:] = self.max_id[:-1]
        return out

    @property
    def duration_us(self) -> int:
        return int(self.timestamp_us[-1] - self.timestamp_us[0]) if len(self) else 0


def _samples(snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    samples = snapshot.samples
    fields = snapshot.meta.sample_fields
    if samples is None or samples.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    width = len(fields)
    if "timestamp_us" not in fields or "last_assigned_id" not in fields or samples.size % width:
        raise SnapshotError(snapshot.path, "meta disagrees with the data: the samples do not fit meta.sample_fields")
    rows = samples.reshape(-1, width)
    return (rows[:, fields.index("timestamp_us")].astype(np.int64),
            rows[:, fields.index("last_assigned_id")].astype(np.int64))


def timeline_intervals(snapshot: Snapshot, progress: ProgressCallback | None = None) -> Timeline:
    """Per sample interval, the live objects allocated in it (DevTools' ``getSamples()``, plus counts)."""
    timestamps, ids = _samples(snapshot)
    n = ids.shape[0]
    size = np.zeros(n + 1, dtype=np.int64)  # the extra slot: newer than the last sample
    count = np.zeros(n + 1, dtype=np.int64)
    if n:
        node_id, shallow = snapshot.node_id, snapshot.shallow
        report = progress or no_progress
        for start in range(0, node_id.shape[0], _BLOCK):
            report("timeline", start, node_id.shape[0])
            block = node_id[start:start + _BLOCK]
            js = np.flatnonzero(block & 1)
            where = np.searchsorted(ids, block[js].astype(np.int64), side="left")  # JS lowerBound
            count += np.bincount(where, minlength=n + 1)
            size += np.bincount(where, weights=shallow[start:start + _BLOCK][js], minlength=n + 1).astype(np.int64)
    start_us = np.empty_like(timestamps)
    if n:
        start_us[0] = timestamps[0]
        start_us[1:] = timestamps[:-1]
    return Timeline(timestamp_us=timestamps, start_us=start_us, end_us=timestamps.copy(), max_id=ids,
                    live_size=size[:n], live_count=count[:n], after_size=int(size[n]), after_count=int(count[n]))


def interval_id_range(timeline: Timeline, first: int, last: int) -> tuple[int, int]:
    """The node id range ``(min_id, max_id]`` of the objects allocated in intervals ``first..last`` (inclusive).

    ``Snapshot.allocated_between(min_id, max_id)`` is then the Summary's filter.
    """
    n = len(timeline)
    if not 0 <= first <= last < n:
        raise IndexError(f"intervals {first}..{last} out of 0..{n - 1}")
    return (int(timeline.max_id[first - 1]) if first else 0), int(timeline.max_id[last])


@dataclass(frozen=True)
class WindowSelection:
    """What DevTools' timeline overview reports for a selected time window."""

    first: int  # the first sample inside the window
    stop: int  # one past the last sample inside the window
    min_id: int
    max_id: int | None  # None: no upper bound (the window reaches past the last sample)
    size: int  # the sizes of samples first..stop-1, the figure DevTools reports with the range

    def mask(self, snapshot: Snapshot) -> np.ndarray:
        """The nodes the Summary keeps: min_id < id <= max_id (every node, native ones too, as DevTools)."""
        if self.max_id is None:
            return snapshot.node_id > self.min_id
        return snapshot.allocated_between(self.min_id, self.max_id)


def devtools_window(timeline: Timeline, left_us: float, right_us: float) -> WindowSelection:
    """DevTools' selection for the time window [left_us, right_us] (``HeapTimelineOverview.updateGrid``).

    The samples inside the window are those with ``left <= timestamp <= right``.
    The id range DevTools then filters the Summary to starts after the last id
    of the sample before the window and ends at the last id of the first sample
    *after* the window (not the last one inside it), so it takes in the objects
    of one interval past the window's right edge; the size it reports does not.
    """
    ts = timeline.timestamp_us
    first = int(np.searchsorted(ts, left_us, side="left"))  # lowerBound
    stop = int(np.searchsorted(ts, right_us, side="right"))  # upperBound
    size = int(timeline.live_size[first:stop].sum()) if stop > first else 0
    min_id = int(timeline.max_id[first - 1]) if first > 0 else 0
    max_id = int(timeline.max_id[stop]) if stop < len(timeline) else None
    return WindowSelection(first=first, stop=stop, min_id=min_id, max_id=max_id, size=size)


def devtools_full_window(timeline: Timeline) -> WindowSelection:
    """The selection DevTools starts with for a loaded file: the whole overview.

    Its time axis runs from the first sample over ``max(last timestamp, 10 s)``
    (``HeapSnapshotView.populate``: ``totalTime``), so the window holds every sample.
    """
    if not len(timeline):
        return WindowSelection(0, 0, 0, None, 0)
    start = int(timeline.timestamp_us[0])
    total_us = max(int(timeline.timestamp_us[-1]), 10_000_000)
    return devtools_window(timeline, start, start + total_us)


__all__ = ["Timeline", "WindowSelection", "devtools_full_window", "devtools_window", "interval_id_range",
           "timeline_intervals"]
