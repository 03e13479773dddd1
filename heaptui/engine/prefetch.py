"""Read (and gunzip) the next chunks of a file on a second thread while this one parses.

File reads and zlib release the GIL, and so do the compiled scanners, so on a
two-core machine the reading, decompressing and parsing of a snapshot overlap.
"""

from __future__ import annotations

import queue
import threading
from typing import BinaryIO


class Prefetcher:
    """A ``readinto`` source fed by a background reader, at most ``depth`` chunks ahead."""

    def __init__(self, stream: BinaryIO, chunk_size: int, depth: int = 2) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._current = b""
        self._offset = 0
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="heaptui-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._stream.read(self._chunk_size)
                self._put(data)
                if not data:
                    return
        except BaseException as error:  # handed to the reading thread, which raises it
            self._put(error)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readinto(self, target: memoryview) -> int:
        """Fill ``target`` from the prefetched chunks; 0 at end of file."""
        filled = 0
        size = len(target)
        while filled < size and not self._eof:
            if self._offset >= len(self._current):
                item = self._queue.get()
                if isinstance(item, BaseException):
                    raise item
                if not item:
                    self._eof = True
                    break
                self._current, self._offset = item, 0
            take = min(size - filled, len(self._current) - self._offset)
            target[filled:filled + take] = self._current[self._offset:self._offset + take]
            filled += take
            self._offset += take
        return filled

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._stream.close()

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
