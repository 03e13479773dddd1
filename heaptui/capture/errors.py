"""The one error capture raises: a one-line reason the CLI prints as is.

Every way a capture can fail that a user can cause or meet (a wrong PID, a
process that is not Node, another user's process, a busy inspector port, a
process that exits mid-capture, a timeout) becomes a :class:`CaptureError`
whose text is one line, so ``heaptui capture`` can print it without a
traceback and exit non-zero.
"""

from __future__ import annotations


class CaptureError(Exception):
    """A capture that could not be made, with a one-line reason."""

    def __init__(self, message: str) -> None:
        self.message = " ".join(message.split())
        super().__init__(self.message)
