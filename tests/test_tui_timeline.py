"""The Timeline view of a recorded allocation timeline, driven with the Pilot."""

from __future__ import annotations

import numpy as np

from conftest import FIXTURES
from heaptui.engine.load import load_snapshot
from heaptui.engine.timeline import interval_id_range, timeline_intervals
from heaptui.tui.app import HeapTUI
from heaptui.tui.screens.main import MainScreen, views_for
from heaptui.tui.views.timeline import TimelineView
from heaptui.tui.widgets.timeline_chart import TimelineChart, columns_for
from test_tui import settle, table, wait_for

TIMELINE = FIXTURES / "timeline-leaky.heaptimeline.gz"
REQUESTS = 200  # tests/fixtures/timeline.js: N requests, each leaving one {url, date} and one Date


def counts(screen: MainScreen) -> dict[str, int]:
    return {row.name: row.count for row in screen.summary.model.all_classes}


def test_columns_keep_every_interval_once():
    timeline = timeline_intervals(load_snapshot(TIMELINE))
    for width in (1, 7, 40, 200, 5000):
        columns = columns_for(timeline, width)
        assert int(columns.size.sum()) == int(timeline.live_size[1:].sum())  # interval 0 is not drawn
        used = np.flatnonzero(columns.first >= 0)
        spans = [range(int(columns.first[c]), int(columns.last[c]) + 1) for c in used]
        assert [i for span in spans for i in span] == list(range(1, len(timeline)))  # in order, no gaps


async def test_selecting_the_recording_filters_the_summary_to_what_it_allocated():
    snapshot = load_snapshot(TIMELINE)
    assert [key for key, _ in views_for(1, snapshot)][3] == "timeline"
    app = HeapTUI([str(TIMELINE)], [snapshot])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        everything = counts(app.screen)
        await pilot.press("4")
        view = app.screen.query_one(TimelineView)
        await wait_for(pilot, lambda: view.timeline is not None and app.screen.query(TimelineChart), "the timeline")
        await pilot.pause(0.1)
        chart = app.screen.query_one(TimelineChart)
        assert chart.has_focus
        await pilot.press("home", "shift+end")
        first, last = chart.selection()
        assert (first, last) == (1, len(view.timeline) - 1)
        info = str(app.screen.query_one(".timeline-info").render())
        assert f"intervals 1–{last}" in info
        await pilot.press("enter")
        await settle(pilot)  # the filtered Summary
        screen = app.screen
        assert screen.current_view == "summary" and "Objects allocated in" in screen.summary.filter.label
        filtered = counts(screen)
        # Every request's objects were allocated while recording, and nothing of before it is listed.
        assert filtered["Date"] >= REQUESTS and filtered["{url, date}"] >= REQUESTS
        low, high = interval_id_range(view.timeline, first, last)
        ids = snapshot.node_id[screen.summary.model.mask & (snapshot.shallow > 0)]
        assert ids.size and ids.min() > low and ids.max() <= high
        assert sum(filtered.values()) < sum(everything.values())
        assert "{url, date}" in [row.label.split(" ×")[0] for row in table(app, "summary").model.rows]
        await pilot.press("a")  # back to all objects
        await settle(pilot)
        assert screen.summary.filter.label is None
        assert counts(screen) == everything


async def test_one_interval_and_the_keys_that_move():
    snapshot = load_snapshot(TIMELINE)
    timeline = timeline_intervals(snapshot)
    app = HeapTUI([str(TIMELINE)], [snapshot])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        view = app.screen.query_one(TimelineView)
        await wait_for(pilot, lambda: view.timeline is not None and app.screen.query(TimelineChart), "the timeline")
        await pilot.pause(0.1)
        chart = app.screen.query_one(TimelineChart)
        tallest = chart.selection()  # the cursor starts on the tallest bar
        assert tallest is not None and chart.columns.size[chart.cursor] == chart.columns.size.max()
        await pilot.press("end")
        assert chart.selection()[1] == len(timeline) - 1
        await pilot.press("left")
        first, last = chart.selection()
        assert last < len(timeline) - 1
        await pilot.press("enter")
        await settle(pilot)  # the filtered Summary
        low, high = interval_id_range(timeline, first, last)
        expected = snapshot.summary(snapshot.allocated_between(low, high))
        assert counts(app.screen) == {row.name: row.count for row in expected}


async def test_keys_while_the_timeline_computes_reach_no_hidden_view(monkeypatch):
    """Until the chart is there nothing has the focus: enter does not expand a class of the hidden Summary."""
    import threading

    from textual import events

    import heaptui.tui.views.timeline as timeline_view

    release = threading.Event()
    real = timeline_view.timeline_intervals

    def slow(snapshot):
        release.wait(120)
        return real(snapshot)

    monkeypatch.setattr(timeline_view, "timeline_intervals", slow)
    app = HeapTUI([str(TIMELINE)], [load_snapshot(TIMELINE)])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in ("4", "down", "right", "enter"):  # one burst, as a terminal delivers typed-ahead keys
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause(0.2)
        summary = table(app, "summary")
        assert app.screen.focused is None and not any(row.expanded for row in summary.model.rows)
        release.set()
        await settle(pilot)
        assert isinstance(app.screen.focused, TimelineChart) and app.screen.current_view == "timeline"
