"""The heaptui app: load the snapshots (with progress), then the Memory tab of the newest.

Each snapshot has its own Memory tab screen, installed when first shown and
kept, so switching between snapshots keeps what was expanded in each.

``ctrl+c`` and ``ctrl+q`` quit from anywhere, even during a load (priority
bindings, since Textual binds ``ctrl+c`` to copy); ``q`` quits outside text
input; ``?`` shows the keys of the focused pane.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from ..engine.heapprofile import SamplingProfile
from ..engine.snapshot import Snapshot
from .collector import Collector
from .commands import HeapCommands
from .loader import Loader
from .messages import SnapshotSwitched, WorkFailed
from .screens.loading import LoadingScreen
from .screens.main import MainScreen
from .screens.profile import ProfileScreen
from .work import Work


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

    def __init__(
        self,
        paths: list[str],
        snapshots: list[Snapshot] | None = None,
        loader: Loader | None = None,
        profile: SamplingProfile | None = None,
        view: str = "summary",
    ) -> None:
        super().__init__()
        self.paths = paths
        self.snapshots: list[Snapshot] = list(snapshots or [])
        self.loader = loader
        self.profile = profile  # a .heapprofile opens on its own screen
        self.initial_view = view  # the view the newest snapshot opens in (a captured series: comparison)
        self.load_error: str | None = None
        self.work = Work(self)  # every job the app runs off its thread
        # full garbage collections while the user is idle
        self.collector = Collector(lambda: self.work.busy, shown_at=lambda: self.work.delivered_at)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collector.touched()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.collector.stop()

    def on_mount(self) -> None:
        if self.profile is not None:
            self.push_screen(ProfileScreen(self.profile))
        elif self.snapshots:
            self.push_screen(self._screen_for(len(self.snapshots) - 1))
        else:
            loader = (self.loader or Loader(self.paths)).start()
            self.push_screen(LoadingScreen(loader, self._loaded, self._failed))

    def _loaded(self, snapshots: list[Snapshot]) -> None:
        self.snapshots = snapshots
        self.show_snapshot(len(snapshots) - 1, self.initial_view)

    def _screen_for(self, index: int) -> str:
        """The installed Memory tab of snapshot ``index`` (kept while the app runs, with its state)."""
        name = f"snapshot-{index}"
        if not self.is_screen_installed(name):
            self.install_screen(MainScreen(self.snapshots, index), name)
        return name

    def show_snapshot(self, index: int, view: str = "summary", node: int | None = None) -> None:
        """Switch to another snapshot's Memory tab, in ``view``, or revealing ``node`` in its Summary."""
        name = self._screen_for(index)
        self.switch_screen(name)
        screen = self.get_screen(name)
        assert isinstance(screen, MainScreen)

        def arrive() -> None:
            if node is not None:
                screen.reveal(node)
            else:
                screen.action_view(view)

        self.call_after_refresh(arrive)

    def on_snapshot_switched(self, event: SnapshotSwitched) -> None:
        self.show_snapshot(event.index, event.view, event.node)

    def on_work_failed(self, event: WorkFailed) -> None:
        """A job failed: its view shows the line already; the notification says it wherever one looks."""
        self.notify(event.text, severity="error", timeout=8, markup=False)

    def _failed(self, error: str) -> None:
        self.load_error = error
        self.exit(return_code=1)

    def action_toggle_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
