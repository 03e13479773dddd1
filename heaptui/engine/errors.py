"""The errors the engine raises: one type for bad input, one for cancellation.

Every failure a user can cause with a file (missing, not JSON, truncated, meta
that disagrees with the data) becomes a :class:`SnapshotError` whose text is one
line naming the file and the problem, so the CLI and the TUI can print it as is
instead of a traceback.
"""

from __future__ import annotations


class SnapshotError(Exception):
    """A snapshot file that cannot be loaded, with a one-line reason."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = " ".join(problem.split())
        super().__init__(f"{self.path}: {self.problem}")


class Cancelled(Exception):
    """Raised from a progress callback to stop a load between two chunks of work."""


class Truncated(SnapshotError):
    """The file ends before the snapshot does (what ``--salvage`` can recover from)."""


SALVAGE_HINT = " (--salvage loads what is complete)"


def describe(error: SnapshotError, salvaging: bool = False) -> str:
    """The error's one line, with the ``--salvage`` hint when the file is truncated and salvage was not asked."""
    return str(error) + (SALVAGE_HINT if isinstance(error, Truncated) and not salvaging else "")
