"""``heaptui attach PID``: the Memory tab of a running Node process, as DevTools shows it for a page.

The app holds one :class:`~heaptui.capture.session.LiveSession` (one inspector
session, so every snapshot taken here carries the same object ids and the
Comparison and Leaks across them are exact). ``t`` takes a heap snapshot
(``T`` collects garbage first), which joins the list of snapshots; ``r``
starts and stops an allocation timeline, which joins it too and opens in the
Timeline view; ``R`` starts and stops a sampling profile, which opens on its
own screen (escape goes back). Every exchange with the process is a job of
the app's :mod:`~heaptui.tui.work`; the header (:class:`ProcessBar`) shows the
process and its heap use, read every second, with a chart of the heap used
over the last minute, and what is being taken or recorded.

The app never closes the session itself: whoever made it does (``heaptui
attach`` closes it when the app ends, however it ends).
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Mount
from textual.screen import Screen
from textual.widgets import Static

from ..capture.errors import CaptureError
from ..engine.sizes import format_size
from ..engine.snapshot import Snapshot
from .app import HeapTUI
from .markup import with_texts
from .screens.main import MainScreen
from .screens.profile import ProfileScreen
from .widgets.footer import KeysFooter
from .work import Job

if TYPE_CHECKING:
    from ..capture.session import LiveSession
    from ..engine.heapprofile import SamplingProfile

SPARKS = "▁▂▃▄▅▆▇█"
HISTORY = 60  # heap readings kept for the chart: a minute
POLL_EVERY = 1.0  # seconds between two heap readings


def sparkline(values: list[int] | deque[int], width: int = 24) -> str:
    """The last ``width`` values as bars from ▁ (the smallest shown) to █ (the largest)."""
    shown = list(values)[-width:]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = high - low
    return "".join(SPARKS[(len(SPARKS) - 1) * (v - low) // span] if span else SPARKS[0] for v in shown)


def _activity(job: Job | None, what: str) -> str:
    """What a running job is doing, from its last progress report."""
    if job is None:
        return ""
    phase, done, total = job.last_progress or ("", 0, 0)
    if phase == "snapshot" and total:
        return f"{what}: {100 * done // total}%"
    if phase == "writing":
        return f"{what}: writing {format_size(done)}"
    if phase:
        return f"{what}: loading"
    return f"{what}…"


class ProcessBar(Static):
    """The attached process, its heap use and what is being taken: one line, redrawn twice a second."""

    DEFAULT_CSS = """
    ProcessBar {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def on_mount(self) -> None:
        self.set_interval(0.5, self.show)
        self.show()

    def show(self) -> None:
        app = self.app
        if isinstance(app, AttachApp):
            self.update(app.process_line())


class WaitingScreen(Screen):
    """Before the first snapshot: the process, and the keys that take one."""

    def compose(self) -> ComposeResult:
        yield ProcessBar(id="process-bar")
        yield Static(
            "[b]No snapshot yet.[/b]\n\n"
            "  t  take a heap snapshot\n"
            "  T  collect garbage, then take a heap snapshot\n"
            "  r  start / stop recording an allocation timeline (with allocation stacks)\n"
            "  R  start / stop a sampling heap profile\n"
            "  q  quit (the inspector heaptui opened is closed)\n\n"
            "[dim]All snapshots come from one inspector session: the Comparison (4) and Leaks (5) "
            "between them are exact.[/dim]",
            id="attach-help",
        )
        yield KeysFooter()


class AttachedScreen(MainScreen):
    """A snapshot's Memory tab, under the process's line."""

    def compose(self) -> ComposeResult:
        yield ProcessBar(id="process-bar")
        yield from super().compose()


class LiveProfileScreen(ProfileScreen):
    """A sampling profile recorded here, over the snapshots: escape goes back to them."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield ProcessBar(id="process-bar")
        yield from super().compose()


class AttachApp(HeapTUI):
    """The app attached to a running process through ``session``."""

    BINDINGS = [
        *HeapTUI.BINDINGS,
        Binding("t", "snapshot(False)", "Snapshot"),
        Binding("T", "snapshot(True)", "GC+snapshot", show=False),
        Binding("r", "record('timeline')", "Timeline"),
        Binding("R", "record('sampling')", "Sampling"),
    ]

    def __init__(self, session: LiveSession) -> None:
        super().__init__([], snapshots=[])
        self.session = session
        self.heap_used: deque[int] = deque(maxlen=HISTORY)
        self.heap_now: tuple[int, int] | None = None
        self.gone: str | None = None  # why the process can no longer be asked (it exited)
        self.recording_since: float | None = None
        self._generation = 0  # screens are rebuilt when a snapshot joins (their views depend on the count)

    # ---------------------------------------------------------------- life

    @on(Mount)
    def _start(self, event: Mount) -> None:
        event.prevent_default()  # HeapTUI's on_mount would load files: there are none yet
        self.push_screen(WaitingScreen())
        self.set_interval(POLL_EVERY, self._poll_heap)
        self._poll_heap()

    def _poll_heap(self) -> None:
        if self.gone is None:
            self.work.run(self, "heap", lambda job: self._heap_usage(), self._heap_read, what="Reading the heap use")

    def _heap_usage(self) -> tuple[int, int] | str | None:
        """The heap use, None when the process is busy (a snapshot, a long computation), or why it is gone."""
        try:
            return self.session.heap_usage()
        except CaptureError as error:
            return None if self.session.alive else error.message

    def _heap_read(self, usage: tuple[int, int] | str | None) -> None:
        if isinstance(usage, str):
            self.gone = usage
            self.notify(usage, severity="error", timeout=10, markup=False)
        elif usage is not None:
            self.heap_now = usage
            self.heap_used.append(usage[0])

    def process_line(self):  # noqa: ANN201 - a Content
        """The header: pid, command, heap used of total with its chart, and what is being taken."""
        s = self.session
        heap = "heap …"
        if self.heap_now is not None:
            used, total = self.heap_now
            heap = f"heap {format_size(used)} of {format_size(total)}"
        busy = [
            _activity(self.work.current(self, "snapshot"), "snapshot"),
            _activity(self.work.current(self, "stop"), "saving the recording"),
        ]
        if s.recording is not None and self.recording_since is not None:
            busy.append(
                f"recording {'a timeline' if s.recording == 'timeline' else 'a sampling profile'} "
                f"{time.monotonic() - self.recording_since:.0f} s"
            )
        state = " · ".join(b for b in busy if b)
        if self.gone is not None:
            state = self.gone
        command = _clip(_short_command(s.process.argv) or s.command, 50)
        template = f"[b]pid {s.pid}[/b] $command · {heap} [b]$chart[/b]" + ("  [b]$state[/b]" if state else "")
        return with_texts(template, command=command, chart=sparkline(self.heap_used), state=state)

    # ---------------------------------------------------------------- snapshots

    def _screen_for(self, index: int) -> str:
        name = f"snapshot-{self._generation}-{index}"
        if not self.is_screen_installed(name):
            self.install_screen(AttachedScreen(self.snapshots, index), name)
        return name

    def action_snapshot(self, collect_garbage: bool) -> None:
        if self.work.current(self, "snapshot") is not None:
            self.notify("A snapshot is being taken already.", timeout=3)
            return

        def take(job: Job[Snapshot]) -> Snapshot:
            path = self.session.take_snapshot(progress=job.progress, collect_garbage=collect_garbage)
            return _load(path, job)

        self.work.run(self, "snapshot", take, self.add_snapshot, what="The heap snapshot")

    def add_snapshot(self, snapshot: Snapshot) -> None:
        """A snapshot (or timeline) taken here joins the list; its Memory tab opens (a timeline's in Timeline)."""
        while isinstance(self.screen, LiveProfileScreen):
            self.pop_screen()
        view = "timeline" if snapshot.has_timeline else "summary"
        if isinstance(self.screen, MainScreen) and view == "summary":
            view = self.screen.current_view if self.screen.current_view not in ("timeline", "allocation") else view
        old = [f"snapshot-{self._generation}-{i}" for i in range(len(self.snapshots))]
        self.snapshots.append(snapshot)
        self._generation += 1
        self.show_snapshot(len(self.snapshots) - 1, view)

        def forget() -> None:
            for name in old:
                if self.is_screen_installed(name) and self.get_screen(name) not in self.screen_stack:
                    self.uninstall_screen(name)

        self.call_after_refresh(forget)

    # ---------------------------------------------------------------- recordings

    def action_record(self, kind: str) -> None:
        recording = self.session.recording
        if recording is not None and recording != kind:
            key = "r" if recording == "timeline" else "R"
            self.notify(
                f"A {'timeline' if recording == 'timeline' else 'sampling profile'} is being recorded: {key} stops it.",
                timeout=3,
            )
            return
        if self.work.current(self, "stop") is not None or self.work.current(self, "start") is not None:
            return
        if recording is None:
            start = self.session.start_timeline if kind == "timeline" else self.session.start_sampling
            self.work.run(self, "start", lambda job: start(), self._started, what="Starting the recording")
        elif kind == "timeline":
            self.work.run(
                self,
                "stop",
                lambda job: _load(self.session.stop_timeline(progress=job.progress), job),
                self._timeline_done,
                what="The allocation timeline",
            )
        else:
            self.work.run(
                self,
                "stop",
                lambda job: _profile(self.session.stop_sampling()),
                self._profile_done,
                what="The sampling profile",
            )

    def _started(self, _: None) -> None:
        self.recording_since = time.monotonic()
        key = "r" if self.session.recording == "timeline" else "R"
        self.notify(f"Recording: {key} stops it and opens the recording.", timeout=4)

    def _timeline_done(self, snapshot: Snapshot) -> None:
        self.recording_since = None
        self.add_snapshot(snapshot)

    def _profile_done(self, profile: SamplingProfile) -> None:
        self.recording_since = None
        while isinstance(self.screen, LiveProfileScreen):
            self.pop_screen()
        self.push_screen(LiveProfileScreen(profile))


def _load(path: object, job: Job) -> Snapshot:
    from ..engine.load import load_snapshot

    return load_snapshot(str(path), job.progress)


def _profile(path: object) -> SamplingProfile:
    from ..engine.heapprofile import read_heapprofile

    return read_heapprofile(str(path))


def _short_command(argv: tuple[str, ...]) -> str:
    """``node --inspect-port=0 server.js``: the command line with its paths cut to their last part."""
    return " ".join(os.path.basename(arg) if "/" in arg and not arg.startswith("-") else arg for arg in argv)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = ["AttachApp", "ProcessBar", "sparkline"]
