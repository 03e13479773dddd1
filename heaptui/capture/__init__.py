"""Heap snapshots of a running Node process: over the V8 inspector, or by the process's own signal.

Knows nothing of Textual or click: ``heaptui capture`` (the CLI) and tests call
these functions, which raise :class:`CaptureError` with a one-line reason.

- :func:`take_snapshot`: attach over the inspector (opened with SIGUSR1 and
  closed again), stream one snapshot to disk.
- :func:`take_series`: several snapshots over one session, so that their node
  ids match and the Comparison is meaningful.
- :func:`signal_snapshot`: ``kill -USR2`` a process started with
  ``--heapsnapshot-signal=SIGUSR2`` and collect the file it writes.
"""

from .errors import CaptureError
from .inspector import attach
from .proc import NodeProcess, read_process
from .series import default_output, parse_duration, series_paths, take_series
from .signalled import signal_snapshot
from .snapshot import take_snapshot

__all__ = ["CaptureError", "NodeProcess", "attach", "default_output", "parse_duration", "read_process",
           "series_paths", "signal_snapshot", "take_series", "take_snapshot"]
