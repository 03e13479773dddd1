"""The Timeline view of a ``.heaptimeline``: the chart, and what its selection holds written under it.

The timeline is background work started when the view is first shown; enter
on a selection asks the main screen to filter the Summary to the objects
allocated in the selected intervals.
"""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.widgets import Static

from ...engine.sizes import format_size
from ...engine.snapshot import Snapshot
from ...engine.timeline import Timeline, interval_id_range, timeline_intervals
from ..format import plural
from ..markup import with_texts
from ..messages import FilterApplied, WorkFailed
from ..widgets.timeline_chart import TimelineChart, interval_text
from ..work import Job, work_of
from .base import View


class TimelineView(View):
    """The chart over the recording's intervals; no Retainers pane (nothing is selected that has retainers)."""

    key, title = "timeline", "Timeline"
    shows_retainers = False

    DEFAULT_CSS = """
    TimelineView { height: 1fr; }
    TimelineView > .timeline-title { height: auto; padding: 0 1; }
    TimelineView > .timeline-info { height: auto; padding: 0 1; }
    """

    def __init__(self, snapshot: Snapshot, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot
        self.timeline: Timeline | None = None

    def compose(self) -> ComposeResult:
        yield Static("Allocation timeline: computing…", classes="timeline-title")
        yield Static("", classes="timeline-info")

    @property
    def chart(self) -> TimelineChart | None:
        return next(iter(self.query(TimelineChart).results(TimelineChart)), None)

    def shown(self) -> None:
        """Compute the timeline the first time the view is shown (or after a failure)."""
        chart = self.chart
        if chart is not None:
            self.take_focus(chart)
            return
        self.screen.set_focus(None)  # nothing to focus until the chart is there: keys must not reach a hidden view
        work = work_of(self.app)
        if work.current(self, "timeline") is None:
            self.query_one(".timeline-title", Static).update("Allocation timeline: computing…")
            snapshot = self.snapshot

            def intervals(job: Job[Timeline]) -> Timeline:
                return job.call(timeline_intervals, snapshot)

            work.run(self, "timeline", intervals, self._computed, what="Timeline")

    def _computed(self, timeline: Timeline) -> None:
        self.timeline = timeline
        seconds = timeline.duration_us / 1e6
        live = int(timeline.live_size[1:].sum()) if len(timeline) > 1 else 0
        self.query_one(".timeline-title", Static).update(
            f"[b]Allocation timeline[/b] · {seconds:.2f} s in {max(0, len(timeline) - 1):,} intervals · "
            f"{format_size(live)} allocated while recording and still alive  "
            "[dim](←/→ move, shift+←/→ select, enter: the Summary of the selection)[/dim]"
        )
        chart = TimelineChart(timeline, id="timeline-chart")
        self.mount(chart, before=self.query_one(".timeline-info"))
        chart.focus()  # once mounted

    def on_work_failed(self, event: WorkFailed) -> None:
        if event.kind == "timeline":
            self.query_one(".timeline-title", Static).update(
                with_texts("[red]$text[/red]  [dim](show the view again to retry)[/dim]", text=event.text)
            )

    def on_timeline_chart_changed(self, event: TimelineChart.Changed) -> None:
        info = self.query_one(".timeline-info", Static)
        timeline = self.timeline
        if timeline is None or event.first is None or event.last is None:
            info.update("[dim]nothing was allocated while recording that is still alive[/dim]")
            return
        size = int(timeline.live_size[event.first : event.last + 1].sum())
        count = int(timeline.live_count[event.first : event.last + 1].sum())
        span = f"interval {event.first}" if event.first == event.last else f"intervals {event.first}–{event.last}"
        info.update(
            f"{span} · {interval_text(timeline, event.first, event.last)} · "
            f"[b]{format_size(size)}[/b] still alive in {count:,} {plural(count, 'object')}"
        )

    def on_timeline_chart_chosen(self, event: TimelineChart.Chosen) -> None:
        """Enter: the Summary of the objects allocated in the selected intervals."""
        event.stop()
        timeline = self.timeline
        if timeline is None or event.first is None or event.last is None:
            return
        window = interval_id_range(timeline, event.first, event.last)
        self.post_message(
            FilterApplied(
                f"Objects allocated in {interval_text(timeline, event.first, event.last)} of the recording",
                partial(self.snapshot.allocated_between, *window),
            )
        )
