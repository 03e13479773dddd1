"""The index cache's directory: whether to trust it, the files in it, and how much of the disk they take.

A cache holds everything the snapshot held (tokens, passwords), and a cache
that is believed decides what heaptui shows and which indices its compiled
loops follow. So the directory is used only when it is the user's own and
writable by nobody else (else one warning, and heaptui works without a
cache); the directories heaptui makes are 0700 and its files 0600; and every
cache file starts with a header sealed with a key only the user can read
(HMAC-SHA256 with ``index.key``, 32 random bytes made on first use), which
names the source (real path, size, modification time, inode, device) and
the engine that wrote it (heaptui's version and a hash of the engine's
code). A header that is not sealed with the key, names another file or
another engine, is not believed.

Only heaptui's index files (``<24 hex>.index``), their temporary files and
the key are managed here: other things in the directory (numba's compiled
kernels under ``kernels/``) are never touched. :func:`tidy` removes the
caches that can never be used again (their source deleted or changed, an
older format or engine) and the least recently used ones beyond the size
cap (``HEAPTUI_CACHE_MAX``, default the smaller of 10 GB and half of the
disk space the cache could take). Reading a cache marks it used (its
modification time).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import stat
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..private_files import UnsafePath, open_own_file, private_directory, private_temp, publish, unsafe_directory_reason

MAGIC = b"HEAPTUI-INDEX\n"
# 3: retained sizes are uint32 when the shallow sizes add up to less than 4 GiB (dominators.retained_dtype),
# class ids in the narrowest type for the class count, 32-bit string hashes, WeakMap pair names as marks.
VERSION = 3
KEY_NAME = "index.key"
KEY_BYTES = 32
INDEX_NAME = re.compile(r"^[0-9a-f]{24}\.index$")
TEMP_MARK = ".index.tmp-"  # <name>.index.tmp-<random>: a write in progress, or one that was killed
# Temporary files older than this belong to a write that was killed.
STALE_TEMP_SECONDS = 3600
MAX_HEADER = 1 << 20  # headers are a few kB: a larger length is not a header of ours
DEFAULT_MAX_BYTES = 10 * 1000**3
ENV_MAX = "HEAPTUI_CACHE_MAX"
_PREFIX = len(MAGIC) + 8 + 32  # magic, header length, HMAC-SHA256 of the header


class CacheWarning(UserWarning):
    """The cache directory cannot be trusted; heaptui goes on without it."""


_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(message: str, warn: Callable[[str], None] | None) -> None:
    """Say ``message`` once per process (through ``warn``, else as a Python warning)."""
    with _warned_lock:  # several snapshots load side by side
        if message in _warned:
            return
        _warned.add(message)
    if warn is not None:
        warn(message)
    else:
        warnings.warn(message, CacheWarning, stacklevel=3)


def usable_directory(
    location: Path, chosen: bool, create: bool, warn: Callable[[str], None] | None = None
) -> Path | None:
    """The cache directory if it may hold caches (made 0700 when ``create`` and missing), else None.

    A directory of another user's, a link, or one that others may write to
    is refused with one warning: someone else could read, plant or replace
    caches there. heaptui's own default directory, when it is the user's and
    only readable by others (made by an older heaptui, 0755), is narrowed to
    0700; a directory the user chose (``--cache-dir``) keeps its mode.
    """
    try:
        if os.path.lexists(location):
            reason = unsafe_directory_reason(location)
            if reason is not None:
                raise UnsafePath(location, reason)
        elif not create:
            return None
        return private_directory(location, tighten=not chosen)
    except UnsafePath as error:
        hint = " (chmod 700 it to use it)" if error.problem.startswith("is writable by others") else ""
        warn_once(f"{error}; the index cache is not used{hint}", warn)
    except OSError:
        pass  # not writable (a read-only home): quietly without a cache
    return None


# ---------------------------------------------------------------- the key and the seal


def index_key(directory: Path, create: bool) -> bytes | None:
    """The user's key for sealing headers in ``directory`` (made on first use when ``create``)."""
    path = directory / KEY_NAME
    key = _read_key(path)
    if key is not None or not create:
        return key
    fd, temp = private_temp(directory, prefix=f".{KEY_NAME}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
        try:
            publish(temp, path, replace=False)  # exclusive: two first loads agree on one key
        except FileExistsError:
            if _read_key(path) is None:  # not a key of ours (a link, a FIFO): replace it, unopened
                publish(temp, path, own_directory=True)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return _read_key(path)


def _read_key(path: Path) -> bytes | None:
    fd = open_own_file(path)
    if fd is None:
        return None
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            return None
        key = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key if len(key) == KEY_BYTES else None


def seal(header: dict, key: bytes) -> bytes:
    """The bytes that start a cache file: magic, header length, the header's HMAC, the header."""
    text = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + len(text).to_bytes(8, "little") + hmac.digest(key, text, "sha256") + text


def sealed_length(header: dict) -> int:
    return _PREFIX + len(json.dumps(header, separators=(",", ":")).encode())


def unseal(data: bytes | memoryview, key: bytes) -> dict | None:
    """The header at the start of ``data`` if it is sealed with ``key`` and of this format, else None."""
    if bytes(data[: len(MAGIC)]) != MAGIC:
        return None
    length = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    if length > MAX_HEADER:
        return None
    text = bytes(data[_PREFIX : _PREFIX + length])
    if len(text) != length or not hmac.compare_digest(
        hmac.digest(key, text, "sha256"), bytes(data[len(MAGIC) + 8 : _PREFIX])
    ):
        return None
    try:
        header = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return header if isinstance(header, dict) and header.get("version") == VERSION else None


def read_header(fd: int, key: bytes) -> dict | None:
    """The sealed header of an open cache file (a few kB read), or None."""
    try:
        start = os.pread(fd, _PREFIX, 0)
        if len(start) != _PREFIX:
            return None
        length = int.from_bytes(start[len(MAGIC) : len(MAGIC) + 8], "little")
        if length > MAX_HEADER:
            return None
        return unseal(start + os.pread(fd, length, _PREFIX), key)
    except OSError:
        return None


# ---------------------------------------------------------------- what a cache is bound to


def source_identity(source: str | os.PathLike[str]) -> dict[str, object]:
    """The snapshot file a cache was made from: a new file at the path, or the file changed, is another."""
    st = os.stat(source)
    return {
        "path": os.path.realpath(source),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "device": st.st_dev,
    }


@functools.cache
def engine_identity() -> dict[str, str]:
    """heaptui's version and a hash of every engine source file: a fix to any pass makes old caches unused.

    Computed once per process (a few milliseconds: the engine is some hundreds
    of kB of Python).
    """
    from .. import __version__

    return {"heaptui": __version__, "code": code_hash(Path(__file__).resolve().parent)}


def code_hash(root: Path) -> str:
    """A hash of the names and contents of the ``.py`` files under ``root``, subdirectories included."""
    digest = hashlib.sha256()
    files = sorted(root.rglob("*.py")) or sorted(root.rglob("*.pyc"))  # an install without sources
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def cache_name(source: str | os.PathLike[str]) -> str:
    """One cache file per real path of a snapshot (a new version of the file replaces it)."""
    real = os.path.realpath(source)
    return hashlib.sha256(real.encode("utf-8", "surrogatepass")).hexdigest()[:24] + ".index"


# ---------------------------------------------------------------- the files in the directory


@dataclass(frozen=True)
class CacheEntry:
    """One index file: what it was made from, and whether it can still be used."""

    path: Path
    size: int
    last_used: float  # seconds since the epoch
    source: str | None  # None when the header is not ours
    status: str  # "ok", "source gone", "source changed", "older engine", "not ours"

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "size": self.size,
            "last_used": round(self.last_used, 3),
            "status": self.status,
            "file": str(self.path),
        }


def entries(directory: Path, key: bytes | None) -> list[CacheEntry]:
    """heaptui's index files in ``directory``, most recently used first (nothing else is looked at)."""
    found = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in names:
        if not INDEX_NAME.match(name):
            continue
        path = directory / name
        fd = open_own_file(path)
        if fd is None:
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if not stat.S_ISDIR(st.st_mode):
                    found.append(CacheEntry(path, st.st_size, st.st_mtime, None, "not ours"))
            continue
        try:
            st = os.fstat(fd)
            header = read_header(fd, key) if key is not None else None
        finally:
            os.close(fd)
        found.append(CacheEntry(path, st.st_size, st.st_mtime, *_status(header)))
    return sorted(found, key=lambda e: -e.last_used)


def _status(header: dict | None) -> tuple[str | None, str]:
    if header is None or not isinstance(header.get("source"), dict):
        return None, "not ours"
    source = header["source"]
    path = source.get("path")
    if header.get("engine") != engine_identity():
        return path, "older engine"
    try:
        if source_identity(path) != source:
            return path, "source changed"
    except (OSError, TypeError, ValueError):
        return path, "source gone"
    return path, "ok"


def remove(entry_path: Path) -> bool:
    """Remove one of heaptui's index files (never anything else)."""
    if not INDEX_NAME.match(entry_path.name):
        return False
    try:
        if stat.S_ISDIR(os.lstat(entry_path).st_mode):
            return False
        os.unlink(entry_path)  # a link is removed, never followed
        return True
    except OSError:
        return False


def max_bytes(directory: Path, configured: int | None = None) -> int:
    """The size cap: ``configured``, else ``HEAPTUI_CACHE_MAX``, else min(10 GB, half the space it could use)."""
    if configured is not None:
        return configured
    text = os.environ.get(ENV_MAX, "").strip()
    if text:
        parsed = parse_size(text)
        if parsed is not None:
            return parsed
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return DEFAULT_MAX_BYTES
    used = sum(e.size for e in entries(directory, None))
    return min(DEFAULT_MAX_BYTES, (free + used) // 2)


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_size(text: str) -> int | None:
    """``500000``, ``500MB``, ``2GB``, ``1.5GiB`` as bytes (units of 1000, or 1024 with ``i``); None if not a size."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def tidy(
    directory: Path, key: bytes | None, cap: int | None = None, incoming: int = 0, keep: str | None = None
) -> list[Path]:
    """Remove the caches nobody can use again, then the least recently used beyond ``cap``; the removed files.

    ``incoming`` is the size of a cache about to be written (room is made
    for it); ``keep`` a name never evicted for the cap (the cache being read
    or replaced). Killed writes' temporary files go too. Files that are not
    heaptui's index files are never touched.
    """
    removed: list[Path] = []
    now = time.time()
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if TEMP_MARK in name and INDEX_NAME.match(name.split(".tmp-", 1)[0]):
                path = directory / name
                with contextlib.suppress(OSError):
                    st = os.lstat(path)
                    if not stat.S_ISDIR(st.st_mode) and now - st.st_mtime > STALE_TEMP_SECONDS:
                        os.unlink(path)
    live = []
    for entry in entries(directory, key):
        if entry.status != "ok" and key is not None:
            if remove(entry.path):
                removed.append(entry.path)
        else:
            live.append(entry)
    if cap is not None:
        total = incoming + sum(e.size for e in live if e.path.name != keep)
        for entry in reversed(live):  # least recently used first
            if total <= cap:
                break
            if entry.path.name != keep and remove(entry.path):
                removed.append(entry.path)
                total -= entry.size
    return removed


def touch(fd: int) -> None:
    """Mark an open cache file as used now (its modification time orders the LRU)."""
    with contextlib.suppress(OSError):
        os.utime(fd)
