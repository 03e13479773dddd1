"""Attach to a running Node process over the V8 inspector protocol, and leave it as it was.

``SIGUSR1`` makes Node open its inspector (on 127.0.0.1:9229, or its own
``--inspect-port``; port 0 picks a free one). heaptui waits for the listening
socket *that process* owns (so a port held by another process is a clear
error, not a connection to the wrong program), asks the inspector's HTTP
endpoint for the target, connects to its websocket and checks ``process.pid``
over that connection. When the inspector was closed before, it is closed again
afterwards: an open inspector lets any local user run code in the process.
``inspector.close()`` waits until no session is left, so its reply never comes
while heaptui's own session is open; it is sent without waiting, then the
connection is closed, then heaptui watches the port go away.

Every way an attachment ends closes what it opened (:class:`Opening` records
each step, from the moment SIGUSR1 is sent): the block's end, an error, a bug,
a signal (:mod:`.interrupt` turns SIGTERM, SIGHUP, SIGQUIT into an exception);
the close itself is never cut short by a signal. An inspector found open
although the process was not started with ``--inspect`` and nobody is connected
(what a heaptui killed with SIGKILL leaves) is said, and closed after use; one
left so in another process, on the port the target needs, is closed first.

Only the standard library and ``websockets`` (its synchronous client).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from . import proc as procfs
from .connection import (
    DEFAULT_TIMEOUT,
    POLL,
    Session,
    Target,
    check_alive,
    exited,
    open_connection,
)
from .errors import CaptureError
from .interrupt import run_whole
from .proc import Listener, NodeProcess

CLOSE_TIMEOUT = 5.0  # seconds to wait for the inspector's port to go away after closing it

# Loads Node's `inspector` module whatever the program is (CommonJS, ES modules, a REPL): the builtin loader
# of Node >= 20.16, else the `require` Node adds to the inspector's command-line API, else the main module's.
#
# `close()` runs on a timer, once heaptui's session has ended. Closed while a session is still connected, the
# inspector sends that session a close frame while the client's own close frame may be on its way, and Node
# (20.x, seen in WsHandler::OnCloseFrameWritten on its I/O thread) then crashes with SIGSEGV: in 1 to 4
# captures of 20 when `close()` ran inside the evaluation or from setImmediate. With nobody connected there is
# no frame to cross. The delay only has to outlast heaptui's closing handshake, a millisecond on loopback.
CLOSE_DELAY_MS = 200
CLOSE_EXPRESSION = (
    "(() => {"
    " const load = (name) =>"
    " (typeof process.getBuiltinModule === 'function' && process.getBuiltinModule(name))"
    " || (typeof require === 'function' && require(name))"
    " || (process.mainModule && process.mainModule.require(name));"
    " const inspector = load('inspector');"
    f" setTimeout(() => inspector.close(), {CLOSE_DELAY_MS}).unref();"
    " return true;"
    " })()"
)

Warn = Callable[[str], None]


def no_warning(message: str) -> None:
    """The default ``warn``: say nothing."""


def connect_host(listener: Listener) -> str:
    """The address to reach a listening socket at: a wildcard bind is reached over loopback."""
    if listener.host == "0.0.0.0":
        return "127.0.0.1"
    if listener.host == "::":
        return "::1"
    return listener.host


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _busy(proc: NodeProcess, port: int, inode: int) -> CaptureError:
    owner = procfs.socket_owner(inode)
    held = f"process {owner} ({procfs.comm(owner)})" if owner is not None else "another process"
    return CaptureError(f"inspector port busy: port {port}, where process {proc.pid} would open its inspector, "
                        f"is held by {held}")


def _wait_for_handler(proc: NodeProcess, timeout: float) -> None:
    """Wait (briefly) until Node has installed its SIGUSR1 handler: before that, the signal kills it."""
    deadline = time.monotonic() + min(timeout, 2.0)
    while not procfs.catches_signal(proc.pid, signal.SIGUSR1):
        check_alive(proc)
        if time.monotonic() > deadline:
            raise CaptureError(f"process {proc.pid} does not handle SIGUSR1, which would kill it: "
                               "its inspector cannot be opened (a Node built without it, or not started yet)")
        time.sleep(POLL)


def _answers_as_inspector(listener: Listener, timeout: float) -> bool:
    try:
        version = _get_json(listener, "/json/version", timeout)
    except CaptureError:
        return False
    return isinstance(version, dict) and "Protocol-Version" in version


@dataclass
class Opening:
    """What an attachment did to the process so far, so that every exit path can undo it.

    ``signalled``: SIGUSR1 was sent (the inspector opens even if heaptui never sees its socket);
    ``listener``: the inspector's socket once seen; ``was_open``: it listened before heaptui came;
    ``leftover``: it was open although the process was not started with ``--inspect`` and nobody was
    connected to it (left open by a capture that was killed): heaptui closes it after use.
    """

    proc: NodeProcess
    listener: Listener | None = None
    signalled: bool = False
    was_open: bool = False
    leftover: bool = False
    known_sockets: frozenset[int] = frozenset()  # the process's listening sockets before the signal

    @property
    def must_close(self) -> bool:
        return (self.signalled and not self.was_open) or self.leftover


def connected_clients(port: int, pid: int) -> int:
    """How many TCP connections to ``port`` are established now (a debugger, another heaptui)."""
    return procfs.established_to(pid, port)


def is_leftover(proc: NodeProcess, listener: Listener) -> bool:
    """An inspector that is open although the process's command line and NODE_OPTIONS did not ask for one,
    with nobody connected to it: what a capture that was killed before it could close it leaves behind."""
    return not proc.options.inspector_at_start and connected_clients(listener.port, proc.pid) == 0


def _leftover_note(proc: NodeProcess, listener: Listener) -> str:
    return (f"the inspector of process {proc.pid} was open on port {listener.port} although neither its command "
            "line nor NODE_OPTIONS asked for one (left open by an earlier capture?): heaptui closes it after use")


def _in_use_note(proc: NodeProcess, listener: Listener) -> str:
    return (f"the inspector of process {proc.pid} is open on port {listener.port} although neither its command "
            "line nor NODE_OPTIONS asked for one, and a client is connected to it (a debugger?): heaptui leaves "
            "it open, since closing it would stop the process until that client goes; anyone who can reach the "
            "port can run code in the process")


def _free_busy_port(proc: NodeProcess, port: int, inode: int, timeout: float, warn: Warn) -> bool:
    """Close the inspector another Node process left open on ``port``, so ``proc`` can open its own there.

    Only an inspector heaptui may close: that of a Node process of the user's (or any, as root), which was
    not started with ``--inspect`` and has nobody connected. Returns whether the port is free now.
    """
    owner = procfs.socket_owner(inode)
    if owner is None or owner == proc.pid:
        return False
    try:
        other = procfs.read_process(owner)
        procfs.check_may_signal(other)
    except CaptureError:
        return False
    listener = next((entry for entry in procfs.own_listeners(owner) if entry.inode == inode), None)
    if listener is None or not is_leftover(other, listener):
        return False
    closed = close_inspector(None, Opening(other, listener, was_open=True, leftover=True), timeout, no_warning)
    if closed:
        warn(f"port {port}, where process {proc.pid} opens its inspector, was held by the inspector of process "
             f"{owner}, open although it was not started with --inspect (left open by an earlier capture?): "
             "heaptui closed it")
    return closed


def open_inspector(proc: NodeProcess, timeout: float = DEFAULT_TIMEOUT, opening: Opening | None = None,
                   warn: Warn = no_warning) -> tuple[Listener, bool]:
    """The inspector's listening socket, opened with SIGUSR1 unless it was open: (socket, was it open before).

    ``opening`` records each step as it happens (the signal sent, the socket seen), for the cleanup.
    """
    opening = opening if opening is not None else Opening(proc)
    port = proc.options.inspect.port
    entries = procfs.listeners(proc.pid)  # before the fds: a socket listens only after its fd exists
    mine = procfs.socket_inodes(proc.pid)
    before = [entry for entry in entries if entry.inode in mine]
    if port != 0:
        for listener in entries:
            if listener.port == port:
                if listener.inode in mine:
                    opening.listener, opening.was_open = listener, True
                    return listener, True
                if not _free_busy_port(proc, port, listener.inode, timeout, warn):
                    raise _busy(proc, port, listener.inode)
    known = frozenset(listener.inode for listener in before)
    opening.known_sockets = known
    _wait_for_handler(proc, timeout)
    procfs.check_may_signal(proc)
    opening.signalled = True  # before the signal: an interruption right after it must still close
    try:
        os.kill(proc.pid, signal.SIGUSR1)
    except ProcessLookupError:
        raise exited(proc) from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive(proc)
        found = _new_listener(proc, known)
        if found is not None:
            opening.listener = found
            return found, False
        if port != 0:
            for entry in procfs.listeners(proc.pid):
                if entry.port == port and entry.inode not in procfs.socket_inodes(proc.pid):
                    opening.signalled = False  # Node could not bind it: its inspector did not open
                    raise _busy(proc, port, entry.inode)  # taken by someone else while Node started its inspector
        time.sleep(POLL)
    if port == 0:
        # --inspect-port=0 and no new socket: the inspector may have been open already, on a port only it knows.
        for listener in before:
            if _answers_as_inspector(listener, timeout):
                opening.listener, opening.was_open = listener, True
                return listener, True
    where = f"port {port}" if port else "a free port (--inspect-port=0)"
    raise CaptureError(f"timeout: process {proc.pid} did not open its inspector on {where} within {timeout:g} s "
                       "of SIGUSR1 (does it handle SIGUSR1 itself?)")


def _new_listener(proc: NodeProcess, known: frozenset[int]) -> Listener | None:
    """A socket the process listens on that it did not before the signal, on its inspector's port."""
    port = proc.options.inspect.port
    entries = procfs.listeners(proc.pid)
    mine = procfs.socket_inodes(proc.pid)
    for listener in entries:
        if listener.inode in mine and listener.inode not in known and port in (0, listener.port):
            return listener
    return None


def _get_json(listener: Listener, path: str, timeout: float) -> Any:
    """GET a JSON document from the inspector's HTTP endpoint (never through a proxy)."""
    conn = http.client.HTTPConnection(connect_host(listener), listener.port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise CaptureError(f"the inspector on port {listener.port} answered {path} with HTTP {response.status}")
        return json.loads(body)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise CaptureError(f"the inspector on port {listener.port} did not answer {path} ({error})") from None
    finally:
        conn.close()


def find_target(listener: Listener, timeout: float = DEFAULT_TIMEOUT) -> Target:
    """The Node target behind the inspector (``/json/list``); its websocket is reached at the socket's address."""
    targets = _get_json(listener, "/json/list", timeout)
    for entry in targets if isinstance(targets, list) else []:
        if isinstance(entry, dict) and entry.get("webSocketDebuggerUrl") and entry.get("id"):
            url = f"ws://{_netloc(connect_host(listener), listener.port)}/{entry['id']}"
            return Target(str(entry["id"]), str(entry.get("title", "")), url)
    raise CaptureError(f"the inspector on port {listener.port} lists no target to attach to "
                       "(started with --inspect-publish-uid without http?)")


def verify_pid(session: Session, proc: NodeProcess) -> None:
    """Check over the connection that the inspector belongs to the process asked for."""
    pid = session.evaluate("process.pid")
    if pid not in proc.ns_pids:
        raise CaptureError(f"inspector port busy: the inspector reached for process {proc.pid} belongs to "
                           f"process {pid}")


def _schedule_close(session: Session) -> bool:
    """Ask the process to close its inspector once heaptui's session has ended; whether it said yes."""
    try:
        return session.evaluate(CLOSE_EXPRESSION) is True
    except Exception:  # noqa: BLE001 - an error reply, no reply in time, a connection left unusable by a signal
        return False


def _close_over_new_session(opening: Opening, listener: Listener, timeout: float) -> None:
    """Connect afresh (the attachment's own session is gone or unusable) and schedule the close."""
    with ExitStack() as stack:
        try:
            target = find_target(listener, timeout)
            session = Session(open_connection(target, opening.proc, timeout, stack), opening.proc)
        except CaptureError:
            return
        try:
            verify_pid(session, opening.proc)
            _schedule_close(session)
        except CaptureError:
            pass
        finally:
            session.close()


def close_inspector(session: Session | None, opening: Opening, timeout: float = DEFAULT_TIMEOUT,
                    warn: Warn = no_warning) -> bool:
    """Close the inspector an attachment opened (or found left open), and wait until its port is gone.

    Never raises; returns whether it is closed, and warns when it is not. The close is scheduled in the
    process (see ``CLOSE_EXPRESSION``), then heaptui's session ends, which lets ``inspector.close()`` (it
    waits for every session to end) finish. When the attachment's session is missing or unusable (the
    signal came while connecting, or in the middle of a message), a new one is opened for the purpose; when
    the socket was not seen yet (the signal came right after SIGUSR1), heaptui waits for it first.
    """
    proc = opening.proc
    listener = opening.listener
    deadline = time.monotonic() + timeout
    while listener is None and time.monotonic() < deadline:
        if not procfs.is_alive(proc.pid, proc.start_time):
            return True
        listener = _new_listener(proc, opening.known_sockets)
        if listener is None:
            time.sleep(POLL)
    if listener is None:
        warn(f"process {proc.pid} was sent SIGUSR1 but its inspector was not seen opening: if it opens, any "
             "local user can run code in that process until it closes")
        return False
    scheduled = session is not None and _schedule_close(session)
    if session is not None:
        session.close()
    if not scheduled and procfs.is_alive(proc.pid, proc.start_time):
        _close_over_new_session(opening, listener, timeout)
    deadline = time.monotonic() + CLOSE_TIMEOUT
    while time.monotonic() < deadline:
        if not procfs.is_alive(proc.pid, proc.start_time):
            return True
        if listener.inode not in procfs.socket_inodes(proc.pid):
            return True
        time.sleep(POLL)
    warn(f"the inspector of process {proc.pid} is still open on port {listener.port}: any local user can run "
         "code in that process until it closes")
    return False


@contextmanager
def attach(pid: int, *, timeout: float = DEFAULT_TIMEOUT, warn: Warn = no_warning) -> Iterator[Session]:
    """A verified inspector session with the Node process ``pid``; the inspector is closed again afterwards
    when it was closed before (or found left open). Raises :class:`CaptureError` with a one-line reason.

    Whatever ends the attachment (the block's end, an exception, a signal turned into
    :class:`~.interrupt.Interrupted`, even one arriving between SIGUSR1 and the connection), the inspector
    heaptui opened is closed before this returns; signals arriving meanwhile wait (:func:`.interrupt.deferred`).
    """
    proc = procfs.read_process(pid)
    procfs.check_may_signal(proc)
    if not procfs.same_network_namespace(pid):
        raise CaptureError(f"process {pid} is in another network namespace (a container?): "
                           "run heaptui inside it")
    opening = Opening(proc)
    session: Session | None = None
    verified = False

    def cleanup() -> None:
        if opening.must_close:
            close_inspector(session if verified else None, opening, timeout, warn)
        elif session is not None:
            session.close()

    with ExitStack() as stack:  # closes the websocket last, after the cleanup used it
        try:
            listener, was_open = open_inspector(proc, timeout, opening, warn)
            if was_open and is_leftover(proc, listener):
                opening.leftover = True
                warn(_leftover_note(proc, listener))
            elif was_open and not proc.options.inspector_at_start:
                warn(_in_use_note(proc, listener))
            target = find_target(listener, timeout)
            session = Session(open_connection(target, proc, timeout, stack), proc)
            verify_pid(session, proc)
            verified = True
            yield session
        finally:
            run_whole(cleanup)
