"""Work on a thread of its own while the calling thread goes on: how a load keeps both cores busy.

The compiled passes release the GIL, so a pass started on a :class:`Beside`
runs next to whatever the calling thread does meanwhile (another pass, the
strings of the file). The calling thread takes the result with
:meth:`Beside.result`, which keeps calling the load's progress check while it
waits, so a cancel is seen at once: the caller then stops waiting and raises,
and the thread's work, which cannot be interrupted inside a compiled loop,
ends on its own and is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .jit import as_python_like_this_thread

T = TypeVar("T")
POLL_SECONDS = 0.05


class Beside(Generic[T]):
    """``function(*args)`` started on a daemon thread; :meth:`result` returns its value or raises its error."""

    def __init__(self, name: str, function: Callable[..., T], *args: Any) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        # A first run's small load runs its kernels as Python: so does the work it starts beside it.
        self._python = as_python_like_this_thread()
        self._thread = threading.Thread(target=self._run, args=(function, args), name=f"heaptui-{name}", daemon=True)
        self._thread.start()

    def _run(self, function: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            with self._python:
                self._value = function(*args)
        except BaseException as error:  # handed to the thread that takes the result
            self._error = error

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, check: Callable[[], None] | None = None) -> T:
        """Wait for the value, calling ``check`` (which may raise, e.g. Cancelled) every 50 ms meanwhile."""
        while self._thread.is_alive():
            if check is not None:
                check()
            self._thread.join(POLL_SECONDS)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
