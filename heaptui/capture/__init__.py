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

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# Imported on first use (PEP 562): the CLI's signal handling imports .interrupt, which must not bring the
# inspector's HTTP and WebSocket modules into every command's start-up.
_EXPORTS = {
    "CaptureError": "errors",
    "attach": "inspector",
    "NodeProcess": "proc",
    "read_process": "proc",
    "default_output": "series",
    "parse_duration": "series",
    "series_paths": "series",
    "take_series": "series",
    "signal_snapshot": "signalled",
    "take_snapshot": "snapshot",
}

__all__ = [
    "CaptureError",
    "NodeProcess",
    "attach",
    "default_output",
    "parse_duration",
    "read_process",
    "series_paths",
    "signal_snapshot",
    "take_series",
    "take_snapshot",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from .errors import CaptureError
    from .inspector import attach
    from .proc import NodeProcess, read_process
    from .series import default_output, parse_duration, series_paths, take_series
    from .signalled import signal_snapshot
    from .snapshot import take_snapshot
