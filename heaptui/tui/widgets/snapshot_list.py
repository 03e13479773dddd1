"""DevTools' sidebar of snapshots: name, heap size, file size; the current one marked."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ...engine.sizes import format_size
from ...engine.snapshot import Snapshot
from ...visible import clip
from ..markup import with_texts


class SnapshotList(Static):
    """The open snapshots, ``[`` and ``]`` to switch."""

    NAME_WIDTH = 22

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots = snapshots
        self.index = index

    def on_mount(self) -> None:
        lines: list[str | Content] = ["[b]Snapshots[/b]  [dim]\\[ and ] switch[/dim]"]
        for i, s in enumerate(self.snapshots):
            mark = "▶" if i == self.index else " "
            style = "b" if i == self.index else "dim"
            lines.append(with_texts(f"[{style}]{mark} {i + 1} $name[/{style}]", name=clip(s.stem, self.NAME_WIDTH)))
            lines.append(f"[dim]    {format_size(s.total_size)} heap[/dim]")
            lines.append(f"[dim]    {format_size(s.file_size)} file[/dim]")
        self.update(Content("\n").join(with_texts(line) if isinstance(line, str) else line for line in lines))
