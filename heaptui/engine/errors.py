"""The errors the engine raises (one type for bad input, one for cancellation), and how a front end words them.

Every failure a user can cause with a file (missing, not JSON, truncated, meta
that disagrees with the data) becomes a :class:`SnapshotError` whose text is one
line naming the file and the problem, so the CLI and the TUI can print it as is
instead of a traceback. :func:`classify_error` turns any exception from engine work into the
:class:`Failure` the CLI, the app and the MCP server report: the one place that rule lives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal


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


EXIT_BAD_INPUT = 1
EXIT_INTERNAL = 2
EXIT_CANCELLED = 130


@dataclass(frozen=True)
class Failure:
    """What a front end tells the user when engine work fails: one line, its kind and the CLI's exit status.

    ``kind`` is ``bad-input`` (the file or the machine: exit 1), ``cancelled`` (exit 130, as after ctrl+c)
    or ``internal`` (a bug in heaptui: exit 2).
    """

    kind: Literal["bad-input", "cancelled", "internal"]
    message: str
    exit_code: int


def classify_error(error: BaseException, path: str | None = None, salvaging: bool = False) -> Failure:
    """The one-line failure for ``error`` raised while working on ``path`` (a file, or several joined by ", ").

    A :class:`SnapshotError` names its own file (with the ``--salvage`` hint when the file is truncated and
    ``salvaging`` is False); other errors are prefixed by ``path`` when given. The message is file text:
    print it through ``visible``.
    """
    where = f"{path}: " if path else ""
    if isinstance(error, SnapshotError):
        return Failure("bad-input", describe(error, salvaging), EXIT_BAD_INPUT)
    if isinstance(error, (Cancelled, KeyboardInterrupt)):
        return Failure("cancelled", f"{where}cancelled", EXIT_CANCELLED)
    if isinstance(error, MemoryError):
        return Failure("bad-input", f"{where}not enough memory to load", EXIT_BAD_INPUT)
    if isinstance(error, OSError):  # the file or the machine, not heaptui: as the parser words them
        return Failure("bad-input", where + " ".join(_os_problem(error).split()), EXIT_BAD_INPUT)
    if isinstance(error, json.JSONDecodeError):
        return Failure("bad-input", f"{where}not valid JSON ({error.msg} at line {error.lineno})", EXIT_BAD_INPUT)
    text = " ".join(str(error).split())
    return Failure("internal", f"{where}internal error ({type(error).__name__}: {text})", EXIT_INTERNAL)


def _os_problem(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"
