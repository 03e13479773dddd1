"""The heaptui app: load the snapshots (with progress), then the Memory tab.

``ctrl+c`` and ``ctrl+q`` quit from anywhere, even during a load (priority
bindings, since Textual binds ``ctrl+c`` to copy); ``q`` quits outside text
input; ``?`` shows the keys of the focused pane.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from ..engine.snapshot import Snapshot
from .commands import HeapCommands
from .loader import Loader
from .screens.loading import LoadingScreen
from .screens.main import MainScreen


class HeapTUI(App):
    """Chrome DevTools' Memory tab, in the terminal."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "heaptui"
    COMMANDS = App.COMMANDS | {HeapCommands}
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "toggle_keys", "Keys"),
    ]

    def __init__(self, paths: list[str], snapshots: list[Snapshot] | None = None,
                 loader: Loader | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.snapshots: list[Snapshot] = list(snapshots or [])
        self.loader = loader
        self.load_error: str | None = None

    def on_mount(self) -> None:
        if self.snapshots:
            self.push_screen(MainScreen(self.snapshots[0]))
        else:
            loader = (self.loader or Loader(self.paths)).start()
            self.push_screen(LoadingScreen(loader, self._loaded, self._failed))

    def _loaded(self, snapshots: list[Snapshot]) -> None:
        self.snapshots = snapshots
        self.switch_screen(MainScreen(snapshots[0]))

    def _failed(self, error: str) -> None:
        self.load_error = error
        self.exit(return_code=1)

    def action_toggle_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
