"""What ``capture`` and ``record`` share: a progress line, signals turned into cleanup, opening the result."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

import click

from ..visible import visible
from .errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_INTERNAL, fail
from .open import open_files
from .options import LoadOptions
from .output import interactive

T = TypeVar("T")


class CaptureProgress:
    """One stderr line, redrawn in place on a terminal: what the capture is doing.

    A terminal that went away (SIGHUP, then EIO on every write) silences it rather than ending the capture
    with an error before the inspector is closed.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        if phase == "writing":
            text = f"writing {done / 1e6:,.1f} MB"
        elif phase == "recording":
            text = f"recording {done / 1000:.1f} of {total / 1000:.1f} s"
        else:
            text = f"{phase} {100 * done // total if total else 0}%"
        self._write(f"\r\033[K{text}")

    def done(self) -> None:
        if self.enabled:
            self._write("\r\033[K")

    def _write(self, text: str) -> None:
        try:
            click.echo(text, err=True, nl=False)
        except (OSError, ValueError):
            self.enabled = False


def _capture_fail(message: str, code: int) -> None:
    """The capture's last line and exit status (:func:`fail`'s); a closed or vanished stderr does not change
    the status."""
    try:
        fail(message, code)
    except (OSError, ValueError):
        sys.exit(code)


def capture_or_exit(work: Callable[[CaptureProgress], T]) -> T:
    """Run a capture; however it ends, one line on stderr and a status, after the inspector is closed.

    SIGINT, SIGTERM, SIGHUP and SIGQUIT are turned into :class:`~heaptui.capture.interrupt.Interrupted` while
    it runs, so that the capture's cleanup (close the inspector heaptui opened, remove the partial file) runs
    before heaptui exits with 128 + the signal's number; a bug in heaptui's own code is cleaned up after too.
    """
    from ..capture import CaptureError
    from ..capture.interrupt import Interrupted, handling_signals

    progress = CaptureProgress(sys.stderr.isatty())
    with handling_signals():
        try:
            return work(progress)
        except CaptureError as error:
            progress.done()
            _capture_fail(str(error), EXIT_BAD_INPUT)
        except Interrupted as interrupted:
            progress.done()
            _capture_fail(
                f"capture ended by {interrupted.name}: the inspector heaptui opened is closed and no "
                "partial file is left",
                interrupted.exit_status,
            )
        except KeyboardInterrupt:
            progress.done()
            _capture_fail("capture cancelled (no partial file is left)", EXIT_CANCELLED)
        except Exception as error:  # a bug: the inspector was closed on the way out; say it in one line
            progress.done()
            what = " ".join(str(error).split())
            _capture_fail(
                f"internal error during the capture ({type(error).__name__}: {what}); the inspector "
                "heaptui opened is closed and no partial file is left",
                EXIT_INTERNAL,
            )
        finally:
            progress.done()
    raise AssertionError("unreachable")


def open_after(paths: list[str], no_open: bool, view: str | None = None, options: LoadOptions | None = None) -> None:
    """Say where the files are, then open them in the app (unless --no-open, or no terminal to draw it on):
    a series in the Comparison view."""
    for path in paths:
        click.echo(visible(path))
    if no_open or not interactive():
        return
    open_files(tuple(paths), options or LoadOptions(), view or ("comparison" if len(paths) > 1 else "summary"))
