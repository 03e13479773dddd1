"""Signals that end a capture turn into one exception, raised once, so every exit path runs the same cleanup.

An open inspector lets any local user who can reach its port run code in the
process, so a capture that ends must close what it opened, however it ends:
ctrl+c (SIGINT), ``timeout`` or ``kill`` (SIGTERM), an SSH connection or a
terminal that goes away (SIGHUP), ctrl+\\ (SIGQUIT). Left to their defaults
the last three end heaptui on the spot, its ``finally`` blocks unrun.

:func:`handling_signals` makes each of them raise :class:`Interrupted` in the
main thread, wherever it is blocked (a websocket ``recv`` waits on a lock, a
file write on the kernel: Python runs the handler and raises from there). The
first one is raised; any signal after it is only remembered, never raised, so
that a second ctrl+c cannot cut the cleanup short (it is bounded: at most a
few seconds to close the inspector). A signal the caller ignores (``nohup``
sets SIGHUP to SIG_IGN) stays ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

# The signals that end a capture in an orderly way; each exits with 128 + its number, as the shell reports it.
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Interrupted(KeyboardInterrupt):
    """The capture was ended by a signal; ``exit_status`` is what a shell expects (130 for SIGINT, 143 SIGTERM).

    A ``KeyboardInterrupt`` (and so no ``Exception``): code that cleans up on ctrl+c cleans up on it too, and
    ``except Exception`` does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class _State:
    def __init__(self) -> None:
        self.first: Interrupted | None = None  # the signal that ends the capture
        self.raised = False
        self.deferring = 0


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.first is not None:  # cleaning up after the first one: remember nothing more, raise nothing
        return
    _state.first = Interrupted(signum)
    if _state.deferring:  # in a cleanup: raised when it is done
        return
    _state.raised = True
    raise _state.first


@contextmanager
def deferred() -> Iterator[None]:
    """Run a cleanup whole: a first signal arriving in it is raised only when the block ends.

    Closing the inspector is itself a few protocol messages; a SIGTERM in the middle of them would leave it
    open, which is what this module exists to prevent.
    """
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
        if not _state.deferring and _state.first is not None and not _state.raised:
            _state.raised = True
            raise _state.first


def run_whole(cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` to its end whatever signals arrive; the first one is raised after it.

    A signal can land in the instant before :func:`deferred` takes effect, raising before ``cleanup`` ran:
    then ``cleanup`` runs anyway (later signals are ignored by then) and the signal is raised after it.
    """
    done = False

    def body() -> None:
        nonlocal done
        cleanup()
        done = True

    try:
        with deferred():
            body()
    except Interrupted:
        if not done:
            with deferred():
                body()
        raise


@contextmanager
def handling_signals() -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM, SIGHUP and SIGQUIT raise :class:`Interrupted` (the first only).

    Only in the main thread (elsewhere Python cannot install handlers, and the block runs unchanged); the
    previous handlers come back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    _state.first, _state.raised = None, False
    try:
        for signum in ENDING_SIGNALS:
            old = signal.getsignal(signum)
            if old == signal.SIG_IGN:
                continue
            previous[signum] = old
            signal.signal(signum, _handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        _state.first, _state.raised = None, False
