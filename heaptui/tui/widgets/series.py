"""The views over several snapshots: Comparison and Leaks, each computed on a thread when first shown."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from ...engine.snapshot import Snapshot
from ...textreport import human_size, wrap_path
from ...visible import clip, visible
from ..markup import with_texts
from ..series_models import ComparisonModel, LeaksModel
from ..tree_model import TreeModel
from .tree_table import TreeTable


def stem(s: Snapshot) -> str:
    """The file name without ``.heapsnapshot[.gz]``, as the snapshot list and the filters name it."""
    return os.path.basename(s.path).removesuffix(".gz").removesuffix(".heapsnapshot")


class _SeriesView(Vertical):
    """A title line and a grid whose model is computed off the UI thread, once per set of inputs."""

    table_id = ""

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots = snapshots
        self.index = index
        self.models: dict[object, TreeModel] = {}
        self.wanted: object = None  # the inputs of the model being shown or computed
        self.computing = False

    def compose(self) -> ComposeResult:
        yield Static("", classes="series-title")
        yield TreeTable(name_title=self.name_title, id=self.table_id)

    name_title = "Constructor"

    @property
    def table(self) -> TreeTable:
        return self.query_one(TreeTable)

    @property
    def title(self) -> Static:
        return self.query_one(".series-title", Static)

    @property
    def ready(self) -> bool:
        """The model for the current inputs is shown (tests and scripts wait for this)."""
        return not self.computing

    def inputs(self) -> object:
        raise NotImplementedError

    def compute(self, inputs: object) -> TreeModel:
        raise NotImplementedError

    def describe(self, model: TreeModel | None) -> Content | str:
        raise NotImplementedError

    def ensure(self) -> None:
        """Show the model for the current inputs, computing it on a thread the first time."""
        key = self.inputs()
        self.wanted = key
        if key is None:
            self.table.set_model(None)
            self.title.update(self.describe(None))
            self.computing = False
            return
        if key in self.models:
            self._show(key)
            self.computing = False
            return
        self.computing = True
        self.title.update(self.describe(None))
        self.table.set_model(None)

        def work(done: Callable[[object, TreeModel], None] = self._computed) -> None:
            model = self.compute(key)
            self.app.call_from_thread(done, key, model)

        threading.Thread(target=work, name=f"heaptui-{self.table_id}", daemon=True).start()

    def _computed(self, key: object, model: TreeModel) -> None:
        self.models[key] = model
        if key == self.wanted:
            self._show(key)
        self.computing = self.wanted not in self.models

    def _show(self, key: object) -> None:
        model = self.models[key]
        self.title.update(self.describe(model))
        self.table.set_model(model)


class ComparisonView(_SeriesView):
    """DevTools' Comparison: this snapshot against a base (the previous one by default; ``b`` changes it)."""

    table_id = "comparison-table"

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(snapshots, index, **kwargs)
        self.base_index = index - 1 if index > 0 else (1 if len(snapshots) > 1 else None)

    def inputs(self) -> object:
        return self.base_index

    def cycle_base(self) -> None:
        others = [i for i in range(len(self.snapshots)) if i != self.index]
        if not others:
            return
        at = others.index(self.base_index) if self.base_index in others else -1
        self.base_index = others[(at + 1) % len(others)]
        self.ensure()

    def compute(self, inputs: object) -> TreeModel:
        from ...engine.compare import compare

        return ComparisonModel(compare(self.snapshots[int(inputs)], self.snapshots[self.index]))  # type: ignore

    def describe(self, model: TreeModel | None) -> Content | str:
        s = self.snapshots[self.index]
        if self.base_index is None:
            return "The Comparison needs a second snapshot: open several files (heaptui s1 s2 …)."
        base = self.snapshots[self.base_index]
        head = with_texts("[b]$name[/b] compared with base [b]$base[/b]  [dim](b: change the base)[/dim]",
                          name=stem(s), base=stem(base))
        if not isinstance(model, ComparisonModel):
            return head + with_texts("  [dim]comparing…[/dim]")
        total = model.comparison.totals
        head += (f"\n{total.new_count:,} new, {total.deleted_count:,} deleted, "
                 f"size delta {total.size_delta:+,} bytes")
        for warning in model.comparison.warnings:
            head += with_texts("\n[yellow]⚠ $warning[/yellow]", warning=warning)
        return head


class LeaksView(_SeriesView):
    """The leak report for this snapshot and the two before it (memlab's baseline, target, final)."""

    table_id = "leaks-table"
    name_title = "Leaked classes (cluster)"

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(snapshots, index, **kwargs)
        self.selected_path = ""

    def inputs(self) -> object:
        return (self.index - 2, self.index - 1, self.index) if self.index >= 2 else None

    def compute(self, inputs: object) -> TreeModel:
        from ...engine.leaks import leak_report

        return LeaksModel(leak_report(*(self.snapshots[i] for i in inputs)))  # type: ignore[union-attr]

    def describe(self, model: TreeModel | None) -> Content | str:
        if self.index < 2:
            return ("The leak report needs two older snapshots: open three (heaptui s1 s2 s3) "
                    "and switch to the last one with ].")
        a, b, c = (stem(self.snapshots[i]) for i in (self.index - 2, self.index - 1, self.index))
        if not isinstance(model, LeaksModel):
            return with_texts("Objects allocated between [b]$a[/b] and [b]$b[/b], still alive in [b]$c[/b]  "
                              "[dim]finding them…[/dim]", a=a, b=b, c=c)
        r = model.report
        text = with_texts(f"{r.leaked_count:,} objects allocated between [b]$a[/b] and [b]$b[/b] are alive in "
                          f"[b]$c[/b]: {human_size(r.retained_size)} in {len(r.clusters):,} clusters", a=a, b=b, c=c)
        for warning in r.warnings:
            text += with_texts("\n[yellow]⚠ $warning[/yellow]", warning=warning)
        if self.selected_path:
            # Escaped before it is wrapped (so the lines fit as shown), and its line breaks are wrap_path's.
            text += Content.from_markup("\n[dim]$path[/dim]", path=self.path_lines(visible(self.selected_path)))
        return text

    def path_lines(self, path: str) -> str:
        """The path (as shown, escaped) wrapped to the view's width; when it needs too many lines, its
        end (where the leak is) with ``…`` for the start."""
        width = max(40, (self.title.content_size.width or self.size.width - 2) - 1)  # the title's own width
        lines = wrap_path(path, width, "").split("\n")
        room = 2 if self.app.size.height < 30 else 4
        if len(lines) <= room:
            return "\n".join(lines)
        tail = path.split(" → ")
        while len(wrap_path("… → " + " → ".join(tail), width, "").split("\n")) > room:
            tail = tail[1:]
        return wrap_path("… → " + " → ".join(tail), width, "")

    def on_resize(self) -> None:
        """Wrap the path again at the new width: the first wrap may come before layout gave the view its size."""
        if self.selected_path:
            self.title.update(self.describe(self.models.get(self.wanted)))

    def select(self, path: str) -> None:
        """Show a cluster's retainer path under the title."""
        if path != self.selected_path:
            self.selected_path = path
            model = self.models.get(self.wanted)
            self.title.update(self.describe(model))


class SnapshotList(Static):
    """DevTools' sidebar of snapshots: name, file size, heap size; the current one marked."""

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots = snapshots
        self.index = index

    NAME_WIDTH = 22

    def on_mount(self) -> None:
        lines: list[str | Content] = ["[b]Snapshots[/b]  [dim]\\[ and ] switch[/dim]"]
        for i, s in enumerate(self.snapshots):
            mark = "▶" if i == self.index else " "
            style = "b" if i == self.index else "dim"
            lines.append(with_texts(f"[{style}]{mark} {i + 1} $name[/{style}]", name=clip(stem(s), self.NAME_WIDTH)))
            lines.append(f"[dim]    {human_size(s.total_size)} heap[/dim]")
            lines.append(f"[dim]    {human_size(s.file_size)} file[/dim]")
        self.update(Content("\n").join(with_texts(line) if isinstance(line, str) else line for line in lines))
