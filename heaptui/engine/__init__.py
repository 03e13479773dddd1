"""The engine: snapshot file -> index -> DevTools' numbers. Knows nothing of Textual or click."""

from .errors import Cancelled, SnapshotError
from .load import load_snapshot, load_snapshots
from .parse import read_header
from .snapshot import ClassRow, Retainer, Snapshot

__all__ = ["Cancelled", "ClassRow", "Retainer", "Snapshot", "SnapshotError", "load_snapshot", "load_snapshots",
           "read_header"]
