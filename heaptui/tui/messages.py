"""The typed messages views post to the main screen, which routes them (no view talks to another directly)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from textual.message import Message

from ..engine.snapshot import Snapshot


class ObjectSelected(Message):
    """A grid's cursor is on an object (``node`` None: on no object): the Retainers pane follows it.

    ``snapshot`` is the snapshot that holds the node (the base's, for a deleted object of the Comparison);
    ``at_once`` skips the pause that keeps holding a cursor key smooth.
    """

    def __init__(self, snapshot: Snapshot | None, node: int | None, at_once: bool = False) -> None:
        self.snapshot = snapshot
        self.node = node
        self.at_once = at_once
        super().__init__()


class RevealRequested(Message):
    """Show an object of ``snapshot`` in its Summary (DevTools' "Reveal in Summary view")."""

    def __init__(self, snapshot: Snapshot, node: int) -> None:
        self.snapshot = snapshot
        self.node = node
        super().__init__()


class FilterApplied(Message):
    """Filter the Summary to the objects ``mask_of()`` keeps, under a banner ``label`` (a view's selection)."""

    def __init__(self, label: str, mask_of: Callable[[], np.ndarray], hint: str = "a: all objects") -> None:
        self.label = label
        self.mask_of = mask_of
        self.hint = hint
        super().__init__()


class SnapshotSwitched(Message):
    """Show another open snapshot (``index``), in ``view`` or revealing ``node`` in its Summary."""

    def __init__(self, index: int, view: str, node: int | None = None) -> None:
        self.index = index
        self.view = view
        self.node = node
        super().__init__()


class WorkFailed(Message):
    """A background job failed: ``text`` is "<what> failed: <one line>", shown in its view and notified."""

    def __init__(self, kind: str, what: str, text: str) -> None:
        self.kind = kind
        self.what = what
        self.text = text
        super().__init__()
