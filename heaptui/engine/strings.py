"""The snapshot's string table, kept as the raw bytes of the file's ``strings`` array.

A large snapshot has millions of strings; a Python ``str`` per string would cost
more than the text itself. The table keeps the JSON bytes in one buffer with the
start and end of each string, and decodes a string only when someone asks for it
(a class name, an edge name on screen). Strings the engine adds (DevTools' class
names such as ``(system)`` or ``{url, date}``) are appended after the file's own.
"""

from __future__ import annotations

import json

import numpy as np

from .scan import hash_bytes


class StringTable:
    """Indexable strings: the file's (decoded lazily) followed by added ones."""

    def __init__(
        self, blob: np.ndarray, starts: np.ndarray, ends: np.ndarray, escaped: np.ndarray, hashes: np.ndarray
    ) -> None:
        self.blob = blob
        self.starts = starts
        self.ends = ends
        self.escaped = escaped
        # A 32-bit hash of each string's stored bytes (FNV-1a, folded: ``scan.hash_bytes``), to find strings without
        # reading their text. Only ever a filter: two texts can share it, so candidates' bytes are always compared.
        self.hashes = hashes
        self.file_count = int(starts.shape[0])
        self._added: list[str] = []
        self._added_index: dict[str, int] = {}
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return self.file_count + len(self._added)

    def __getitem__(self, index: int) -> str:
        index = int(index)
        if index >= self.file_count:
            return self._added[index - self.file_count]
        if index < 0:
            raise IndexError(index)
        text = self._cache.get(index)
        if text is None:
            text = self._decode(index)
            if len(self._cache) < 1_000_000:
                self._cache[index] = text
        return text

    def _decode(self, index: int) -> str:
        raw = self.blob[self.starts[index] : self.ends[index]].tobytes()
        if not self.escaped[index]:
            return raw.decode("utf-8", "replace")
        # json keeps escaped lone surrogates (V8 writes them) as they are.
        return json.loads(b'"' + raw + b'"')

    def raw_bytes(self, index: int) -> bytes:
        """The string's bytes as stored in the file (escapes not decoded)."""
        return self.blob[self.starts[index] : self.ends[index]].tobytes()

    def add(self, text: str) -> int:
        """Index of ``text`` among the added strings, adding it once."""
        index = self._added_index.get(text)
        if index is None:
            index = self.file_count + len(self._added)
            self._added.append(text)
            self._added_index[text] = index
        return index

    def fork(self) -> StringTable:
        """The same strings, in a table whose additions stay its own.

        A loaded snapshot never changes, yet the Comparison names the base
        snapshot's classes under the newer snapshot's interface definitions
        (``{url, date}`` may be a name the base never had), on a worker thread
        while the views read the base. It adds those names to a fork. The
        file's text and offsets are shared (they are never written), and so is
        the cache of decoded file strings (the same text whoever decodes it).
        """
        fork = StringTable(self.blob, self.starts, self.ends, self.escaped, self.hashes)
        fork._added = list(self._added)
        fork._added_index = dict(self._added_index)
        fork._cache = self._cache
        return fork

    def find_all(self, text: str, by_hash: dict[int, list[int]] | None = None) -> np.ndarray:
        """Indices of the strings equal to ``text`` (V8 does not promise uniqueness).

        Compares hashes first, so only the few candidates' bytes are read;
        ``by_hash`` (from :meth:`by_hash`) limits and speeds up the search for
        many texts.
        """
        plain = text.encode("utf-8", "surrogatepass")
        encoded = json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass")
        hits: list[int] = []
        for wanted in {plain, encoded}:
            h = hash_bytes(np.frombuffer(wanted, dtype=np.uint8))
            candidates = np.flatnonzero(self.hashes == h) if by_hash is None else by_hash.get(int(h), ())
            for index in candidates:
                if self.raw_bytes(int(index)) == wanted:
                    hits.append(int(index))
        added = self._added_index.get(text)
        if added is not None:
            hits.append(added)
        return np.array(sorted(set(hits)), dtype=np.int64)

    def added_strings(self) -> list[tuple[int, str]]:
        """The strings the engine added (class names, ``Detached <name>``), with their indices."""
        return [(self.file_count + i, text) for i, text in enumerate(self._added)]

    def by_hash(self, indices: np.ndarray) -> dict[int, list[int]]:
        """The given file strings' indices by the hash of their stored bytes (for :meth:`find_all`)."""
        found: dict[int, list[int]] = {}
        for index, h in zip(indices.tolist(), self.hashes[indices].tolist()):
            found.setdefault(h, []).append(index)
        return found

    def mask_of(self, texts: set[str] | list[str] | tuple[str, ...]) -> np.ndarray:
        """A boolean per string index (file and added): is the string one of ``texts``?"""
        mask = np.zeros(len(self), dtype=np.bool_)
        for text in texts:
            mask[self.find_all(text)] = True
        return mask

    @property
    def nbytes(self) -> int:
        """Memory the table holds (a memory-mapped text counts only where read, so it is left out)."""
        text = 0 if isinstance(self.blob, np.memmap) else self.blob.nbytes
        return int(text + self.starts.nbytes + self.ends.nbytes + self.escaped.nbytes + self.hashes.nbytes)
