"""One websocket connection to a Node process's inspector: commands, their replies, events on the way.

:mod:`.inspector` opens the inspector and checks it is the right process's;
this module is the conversation over the connection it opens: numbered
commands, replies matched to them, events handed on, and a process that
exits or a connection that closes said as such.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from . import proc as procfs
from .errors import CaptureError
from .proc import NodeProcess

DEFAULT_TIMEOUT = 10.0  # seconds for each step of attaching (port, HTTP, websocket, small calls)
MAX_MESSAGE = 64 * 1024 * 1024  # a snapshot arrives in chunks of ~100 kB; nothing else is large
POLL = 0.02

EventHandler = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Target:
    """An inspectable target as the inspector's ``/json/list`` lists it."""

    id: str
    title: str
    websocket_url: str


def exited(proc: NodeProcess) -> CaptureError:
    return CaptureError(f"process {proc.pid} exited during the capture")


def check_alive(proc: NodeProcess) -> None:
    if not procfs.is_alive(proc.pid, proc.start_time):
        raise exited(proc)


class Session:
    """One websocket connection to an inspector: numbered commands, their replies, and events on the way."""

    def __init__(self, websocket: ClientConnection, proc: NodeProcess) -> None:
        self._ws = websocket
        self._proc = proc
        self._next_id = 1

    def send(self, method: str, params: dict[str, Any] | None = None) -> int:
        """Send a command without waiting for its reply; returns its id."""
        message_id = self._next_id
        self._next_id += 1
        try:
            self._ws.send(json.dumps({"id": message_id, "method": method, "params": params or {}}))
        except ConnectionClosed:
            raise self._closed() from None
        return message_id

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = DEFAULT_TIMEOUT,
             on_event: EventHandler | None = None) -> dict[str, Any]:
        """Send a command and return its result; events before the reply go to ``on_event``.

        ``timeout`` bounds the silence between two messages, not the whole call: a snapshot of a big heap
        takes minutes, but its progress events and chunks keep coming.
        """
        message_id = self.send(method, params)
        while True:
            message = self._receive(method, timeout, events=on_event is not None)
            if message.get("id") == message_id:
                if "error" in message:
                    error = message["error"]
                    text = error.get("message", error) if isinstance(error, dict) else error
                    raise CaptureError(f"the inspector of process {self._proc.pid} refused {method}: {text}")
                result = message.get("result", {})
                return result if isinstance(result, dict) else {}
            if "method" in message and on_event is not None:
                on_event(message["method"], message.get("params") or {})

    def evaluate(self, expression: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The value of a JavaScript expression evaluated in the process (``Runtime.evaluate``)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "includeCommandLineAPI": True, "silent": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise CaptureError(f"evaluating {expression!r} in process {self._proc.pid} failed")
        return result.get("result", {}).get("value")

    def _receive(self, method: str, timeout: float, events: bool = True) -> dict[str, Any]:
        """The next message; without ``events``, an event is returned unparsed as ``{}``: a close scheduled
        in the middle of a snapshot reads past its remaining chunks (megabytes each second) to its reply."""
        try:
            raw = self._ws.recv(timeout=timeout)
        except TimeoutError:
            check_alive(self._proc)
            raise CaptureError(f"timeout: process {self._proc.pid} sent nothing for {timeout:g} s "
                               f"during {method}") from None
        except ConnectionClosed:
            raise self._closed() from None
        if not events and raw[:11] in ('{"method":"', b'{"method":"'):
            return {}
        message = json.loads(raw)
        return message if isinstance(message, dict) else {}

    def _closed(self) -> CaptureError:
        for _ in range(50):  # the socket closes a moment before /proc shows the process gone
            if not procfs.is_alive(self._proc.pid, self._proc.start_time):
                return exited(self._proc)
            time.sleep(POLL)
        return CaptureError(f"the inspector of process {self._proc.pid} closed the connection during the capture")

    def close(self) -> None:
        """Close the connection (Node ends the session, and an ``inspector.close()`` waiting for it returns)."""
        try:
            self._ws.close()
        except Exception:  # noqa: BLE001 - gone, or left unusable by a signal: nothing more to close
            pass


# What this version of websockets' `connect` accepts: `ping_interval` came in 14, `proxy` in 15; older
# versions neither ping nor read a proxy from the environment, which is what these options ask for anyway.
_CONNECT_PARAMETERS = frozenset(inspect.signature(connect).parameters)


def open_connection(target: Target, proc: NodeProcess, timeout: float, stack: ExitStack) -> ClientConnection:
    """Open the websocket, to be closed with ``stack`` (websockets wants ``connect`` used as a context manager)."""
    # Node's inspector does not answer pings while the process is busy, and speaks no compression; loopback
    # never goes through a proxy (websockets >= 15 reads one from the environment unless told not to).
    options: dict[str, Any] = {"open_timeout": timeout, "close_timeout": 1.0, "ping_interval": None,
                               "compression": None, "max_size": MAX_MESSAGE, "user_agent_header": None,
                               "proxy": None}
    try:
        return stack.enter_context(connect(target.websocket_url, **{key: value for key, value in options.items()
                                                                      if key in _CONNECT_PARAMETERS}))
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        check_alive(proc)
        raise CaptureError(f"cannot connect to the inspector of process {proc.pid} at {target.websocket_url} "
                           f"({error})") from None


__all__ = ["DEFAULT_TIMEOUT", "POLL", "EventHandler", "Session", "Target", "check_alive", "exited", "open_connection"]
