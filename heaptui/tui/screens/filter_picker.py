"""The Summary's filter menu, as DevTools' dropdown: all objects, allocated before/between, the named filters."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...visible import visible


class FilterPicker(ModalScreen[int | None]):
    """A list of filter labels; enter picks one (its index), escape keeps the current filter.

    Labels hold file text (a native context's URL, a snapshot's file name): shown as plain text, escaped.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Keep the filter")]

    DEFAULT_CSS = """
    FilterPicker { align: center middle; }
    FilterPicker > Vertical { width: auto; max-width: 90%; height: auto; max-height: 80%;
                              border: round $accent; background: $surface; padding: 0 1; }
    FilterPicker OptionList { height: auto; max-height: 30; border: none; }
    """

    def __init__(self, labels: list[str], current: int) -> None:
        super().__init__()
        self.labels = labels
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Summary filter[/b]  [dim](enter: apply, escape: keep)[/dim]")
            yield OptionList(
                *(
                    Option(Content(("● " if i == self.current else "  ") + visible(label)), id=str(i))
                    for i, label in enumerate(self.labels)
                ),
                id="filter-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self.current
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))
