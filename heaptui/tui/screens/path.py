"""The whole retainer path of a leak, one step a line, in a window that scrolls (``p`` in the Leaks view)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...visible import visible
from ..models.paths import ARROW


class PathScreen(ModalScreen[None]):
    """Every step of a path, from the GC root to the leaked object; escape, ``p`` or ``q`` closes it."""

    BINDINGS = [
        Binding("escape,p,q", "dismiss(None)", "Close"),
    ]

    DEFAULT_CSS = """
    PathScreen { align: center middle; }
    PathScreen > Vertical { width: auto; min-width: 40; max-width: 90%; height: auto; max-height: 90%;
                            border: round $accent; background: $surface; padding: 0 1; }
    PathScreen VerticalScroll { height: auto; max-height: 40; }
    """

    def __init__(self, title: str, path: str) -> None:
        super().__init__()
        self.title_text = title
        self.path = path

    def compose(self) -> ComposeResult:
        steps = self.path.split(ARROW)
        with Vertical():
            yield Static(
                Content.from_markup(
                    "[b]$title[/b]  [dim]($n steps · escape closes)[/dim]", title=self.title_text, n=str(len(steps))
                )
            )
            with VerticalScroll(id="path-steps"):
                yield Static(
                    Content(
                        "\n".join(("   " if i else "") + ("→ " if i else "") + visible(s) for i, s in enumerate(steps))
                    )
                )

    def on_mount(self) -> None:
        self.query_one("#path-steps").focus()
