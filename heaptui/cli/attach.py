"""``heaptui attach PID``: the app attached to a running Node process, taking snapshots and recordings on keys.

One inspector session for the whole run (:class:`~heaptui.capture.session.LiveSession`), closed however the
app ends: ``q``, ctrl+c, an exception, or SIGTERM, SIGHUP (the terminal or SSH connection going away), SIGINT
or SIGQUIT, whose handler closes the inspector first and then ends the app (exit status 128 + the signal).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

import click

from ..visible import visible

if TYPE_CHECKING:
    from ..capture.session import LiveSession
    from ..tui.attach import AttachApp

EXIT_BAD_INPUT = 1
EXIT_GRACE = 3.0  # seconds the app has to end after an ending signal, the inspector already closed


@click.command()
@click.argument("pid", type=int)
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=str,
    default=None,
    help="The directory for the snapshots and recordings (default: a new heaptui-PID-DATE-TIME).",
)
def attach(pid: int, output_dir: str | None) -> None:
    """Attach the app to the running Node process PID: t takes a heap snapshot (T after a GC), r records an
    allocation timeline, R a sampling profile; all from one inspector session, so they compare exactly."""
    from ..capture import CaptureError
    from ..capture.interrupt import ENDING_SIGNALS, Interrupted
    from ..capture.session import LiveSession

    ended: list[int] = []
    app: AttachApp | None = None
    session: LiveSession | None = None

    def ending(signum: int, frame: FrameType | None) -> None:
        if ended:
            return
        ended.append(signum)
        if app is None or session is None:
            raise Interrupted(signum)  # still attaching: attach() closes what it opened
        session.close()  # the inspector first, whatever becomes of the terminal
        # Textual restores the terminal on its way out; with the terminal hung up its writer thread can wait
        # forever (seen in about one run of three under SIGHUP). Nothing is left open by then: end regardless.
        watchdog = threading.Timer(EXIT_GRACE, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        app.exit(return_code=128 + signum)

    previous = {
        signum: signal.signal(signum, ending) for signum in ENDING_SIGNALS if signal.getsignal(signum) != signal.SIG_IGN
    }
    try:
        try:
            session = LiveSession(pid, output_dir, handle_signals=False, warn=_warn)
        except CaptureError as error:
            _last_line(str(error), EXIT_BAD_INPUT)
        except Interrupted as interrupted:
            _last_line(
                f"attach ended by {interrupted.name}: the inspector heaptui opened is closed", interrupted.exit_status
            )
        from ..tui.attach import AttachApp

        try:
            app = AttachApp(session)
            app.run()
        except Exception:
            if not ended:
                raise
            # the terminal went away with the signal (SIGHUP): Textual's last writes fail; the exit says why
        finally:
            session.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    where = f"; files in {session.directory}" if session.directory is not None else ""
    if ended:
        _last_line(
            f"attach ended by {signal.Signals(ended[0]).name}: detached from process {pid}{where}", 128 + ended[0]
        )
    _last_line(f"detached from process {pid}{where}", 0)


def _warn(message: str) -> None:
    """A warning line on stderr (before the app starts or after it ended), file text escaped."""
    try:
        click.echo(f"heaptui: warning: {visible(message)}", err=True)
    except (OSError, ValueError):  # the terminal is gone
        pass


def _last_line(message: str, code: int) -> NoReturn:
    """The last line and the exit status; a terminal that went away (SIGHUP) does not change the status."""
    try:
        click.echo(f"heaptui: {visible(message)}", err=True)
    except (OSError, ValueError):
        pass
    sys.exit(code)
