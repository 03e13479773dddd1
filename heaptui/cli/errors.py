"""The command line's one error policy: how any failure of a command ends, and with which exit status.

However a command fails, loading or analysing, it ends with one line on
stderr and a status a script can act on:

- bad input (a file that is not what it should be, truncated, too big for the
  memory left): the engine's one line naming the file, status 1;
- heaptui's own fault (a bug): one line saying so and how to report it,
  status 2; ``HEAPTUI_DEBUG=1`` shows the traceback instead;
- a signal: SIGINT 130, SIGHUP 129, SIGTERM 143 (128 + its number, as a shell
  reports a process the signal ended), after the cleanup ran (``finally``
  blocks: a cache file being written, an inspector heaptui opened);
- a closed pipe (``heaptui summary F | head -1``): nothing more, status 141,
  as a process SIGPIPE ended;
- a usage error: click's message and status 2.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import NoReturn

import click

from ..engine.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_INTERNAL  # light: the engine package is lazy
from ..visible import visible

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_CANCELLED",
    "EXIT_GROWTH",
    "EXIT_INTERNAL",
    "fail",
    "fail_for",
    "policy",
]

EXIT_GROWTH = 3  # --fail-on-growth: the heap grew more than allowed
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, file text in it escaped (a path, a name quoted by the engine), and an exit."""
    click.echo(f"heaptui: {visible(message)}", err=True)
    sys.exit(code)


def internal_error_line(error: BaseException, doing: str) -> str:
    """The one line for a bug in heaptui: what failed, that it is heaptui's fault, how to report it."""
    what = " ".join(str(error).split())
    return (
        f"{doing}: internal error in heaptui ({type(error).__name__}: {what}), not a problem with your input; "
        "please report it with the traceback HEAPTUI_DEBUG=1 shows"
    )


def quiet_broken_pipe() -> NoReturn:
    """The reader went away: say nothing more (stdout now goes nowhere, so the final flush cannot fail)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def fail_for(error: BaseException, where: str, salvage: bool = False) -> NoReturn:
    """One line and the status for ``error`` (called in its ``except`` block), as the engine classifies it.

    heaptui's own fault says so and how to report it; with ``HEAPTUI_DEBUG=1`` it is raised instead, for its
    traceback.
    """
    from ..engine.errors import classify_error

    failure = classify_error(error, where, salvaging=salvage)
    if failure.kind == "internal":
        if os.environ.get("HEAPTUI_DEBUG"):
            raise error
        fail(internal_error_line(error, where), EXIT_INTERNAL)
    fail(failure.message, failure.exit_code)


def ended_by_signal(error: BaseException) -> bool:
    """Whether ``error`` is a SIGTERM, SIGHUP or SIGQUIT turned into an exception (not ctrl+c): not a cancel."""
    interrupt = sys.modules.get("heaptui.capture.interrupt")
    return interrupt is not None and isinstance(error, interrupt.Interrupted) and error.signum != signal.SIGINT


@contextmanager
def policy(doing: str, salvage: bool = False, signals: bool = True) -> Iterator[None]:
    """Run a command under the one error policy (see the module's docstring); ``doing`` names it.

    With ``signals``, SIGINT, SIGTERM, SIGHUP and SIGQUIT raise
    :class:`~heaptui.capture.interrupt.Interrupted` in the main thread while the command runs, wherever it
    is, so its ``finally`` blocks run before the exit (the app handles its own: it owns the terminal).
    """
    from ..capture.interrupt import Interrupted, handling_signals

    with handling_signals() if signals else nullcontext():
        try:
            yield
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            quiet_broken_pipe()
        except Interrupted as interrupted:
            if interrupted.signum == signal.SIGINT:
                fail(f"{doing}: cancelled", EXIT_CANCELLED)
            fail(f"{doing}: ended by {interrupted.name}", interrupted.exit_status)
        except (Exception, KeyboardInterrupt) as error:
            fail_for(error, doing, salvage)
