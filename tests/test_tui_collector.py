"""Garbage collections the app runs while nobody waits (tui/collector.py), and the footer that builds no widgets."""

from __future__ import annotations

import gc
import weakref

import pytest
from textual.widgets._footer import FooterKey

from heaptui.tui import collector as collecting
from heaptui.tui.collector import FORCED_AFTER, FULL_AFTER, IDLE, NEVER, YOUNG_THRESHOLD, Collector
from heaptui.tui.widgets.footer import KeysFooter
from test_tui import app_with, settle, wait_for

needs_generations = pytest.mark.skipif(collecting.INCREMENTAL, reason="Python 3.14's collector has no generation 2")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def no_freeze(monkeypatch):
    """gc.freeze in a test would keep every object of the test process alive to its end."""
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    return frozen


@needs_generations
def test_start_freezes_and_takes_full_collections_over_and_stop_gives_them_back(no_freeze):
    before = gc.get_threshold()
    collector = Collector()
    try:
        assert collector.start() and no_freeze == [True]
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], NEVER)
        assert not collector.start() and no_freeze == [True]  # once
    finally:
        collector.stop()
    assert gc.get_threshold() == before


@needs_generations
def test_a_full_collection_is_due_when_cpython_would_run_one_and_the_user_is_idle(monkeypatch, no_freeze):
    pending = [0]
    monkeypatch.setattr(collecting.Collector, "pending", lambda self: pending[0])
    busy = [False]
    clock = Clock()
    collector = Collector(lambda: busy[0], clock)
    assert not collector.due()  # not started: CPython's own schedule
    try:
        collector.start()
        clock.now += IDLE
        pending[0] = FULL_AFTER - 1
        assert not collector.due()
        pending[0] = FULL_AFTER
        assert collector.due()
        collector.touched()  # a key
        assert not collector.due()
        clock.now += IDLE / 2
        assert not collector.due()
        clock.now += IDLE / 2
        assert collector.due()
        busy[0] = True  # a job runs: its result may come any moment, and the user with a key
        assert not collector.due()
        pending[0] = FORCED_AFTER  # never idle: the garbage waits no longer
        collector.touched()
        assert collector.due()
    finally:
        collector.stop()


@needs_generations
def test_a_result_just_shown_is_not_idleness(monkeypatch, no_freeze):
    # A user who waited seconds for a search presses the next key as soon as its hits show.
    monkeypatch.setattr(collecting.Collector, "pending", lambda self: FULL_AFTER)
    clock = Clock()
    shown = [clock.now]
    collector = Collector(clock=clock, shown_at=lambda: shown[0])
    try:
        collector.start()
        clock.now += 6 * IDLE  # no key while the search ran
        shown[0] = clock.now  # its hits on screen
        assert not collector.due()
        clock.now += IDLE
        assert collector.due()
    finally:
        collector.stop()


@needs_generations
def test_young_collections_before_the_freeze_do_not_count(monkeypatch, no_freeze):
    # What they kept alive is frozen: counting them made a full collection due minutes early, among keys.
    count = [0, 0, FULL_AFTER - 1]
    monkeypatch.setattr(gc, "get_count", lambda: tuple(count))
    collector = Collector()
    try:
        collector.start()
        assert collector.pending() == 0
        count[2] += 3
        assert collector.pending() == 3
        count[2] = 1  # someone ran a full collection
        assert collector.pending() == 1
    finally:
        collector.stop()


@needs_generations
def test_tick_collects_everything_once_due(monkeypatch, no_freeze):
    collected = []
    pending = [FULL_AFTER]
    monkeypatch.setattr(collecting.Collector, "pending", lambda self: pending[0])
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    clock = Clock()
    collector = Collector(clock=clock)
    try:
        collector.start()
        assert not collector.tick() and collected == []  # a key was just pressed (the clock starts then)
        clock.now += IDLE
        assert collector.tick() and collected == [2] and collector.full_collections == 1
    finally:
        collector.stop()


@needs_generations
def test_once_started_allocations_no_longer_start_full_collections(no_freeze):
    seen = []

    def note(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    collector = Collector()
    gc.callbacks.append(note)
    try:
        collector.start()
        for _ in range(600_000):  # garbage cycles: about 27 collections of generation 1 at the app's thresholds
            a: list = []
            a.append(a)
        assert seen.count(1) >= FULL_AFTER + 1, seen.count(1)  # CPython would have collected everything by now
        assert 2 not in seen
        assert gc.get_count()[2] >= FULL_AFTER
    finally:
        collector.stop()
        gc.callbacks.remove(note)


async def test_the_app_starts_collecting_once_settled_notes_keys_and_gives_the_thresholds_back(no_freeze):
    before = gc.get_threshold()
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.collector.started, "the collector starting once the screen settled")
        assert no_freeze == [True]
        if not collecting.INCREMENTAL:
            assert gc.get_threshold()[2] == NEVER
        pressed = app.collector.last_input
        await pilot.press("down")
        assert app.collector.last_input > pressed
    assert gc.get_threshold() == before


async def test_view_switches_and_tab_mount_no_widget():
    # Textual's Footer built a widget per key again on each view switch (60 ms of the app thread), and kept every
    # key it ever showed (each watched the footer's ``compact``): about 1,700 objects per view switch, alive for
    # the whole session and walked by every full collection. The keys are one widget's list now.
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = {id(widget): weakref.ref(widget) for widget in app.screen.walk_children()}
        for key in ["2", "3", "1", "tab", "tab", "2", "1"]:
            await pilot.press(key)
            await settle(pilot)
        after = list(app.screen.walk_children())
        assert [widget for widget in after if id(widget) not in before] == []
        assert len(after) == len(before)
        assert app.screen.query_one(KeysFooter).keys  # the footer shows keys still


async def test_the_footer_redraws_only_when_its_keys_change():
    # Textual's Footer built its keys again on every bindings update (4-6 per view switch), mostly the very
    # keys it showed.
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        shown = footer.keys
        assert [key.key for key in shown if key.key in ("slash", "tab")] == ["slash", "tab"]
        rebuilds = footer.rebuilds
        for _ in range(3):  # the keys shown are the same ones: nothing to redraw
            app.screen.refresh_bindings()
            await settle(pilot)
        assert footer.keys == shown and footer.rebuilds == rebuilds
        await pilot.press("3")  # the Statistics: no grid, other keys
        await settle(pilot)
        await wait_for(pilot, lambda: footer.rebuilds > rebuilds, "the footer's keys of the Statistics view")
        assert [key.key for key in footer.keys] != [key.key for key in shown], footer.keys
        drawn = "".join(segment.text for segment in footer.render_line(0))
        assert all(f" {key.display} {key.description} " in drawn for key in footer.keys), drawn


def _keys(widgets) -> list[tuple[str, str, bool]]:
    """(key, description, disabled) of the FooterKeys among ``widgets`` and their pending children, in order."""
    out: list[tuple[str, str, bool]] = []
    for widget in widgets:
        if isinstance(widget, FooterKey):
            out.append((widget.key, widget.description, widget.has_class("-disabled")))
        out.extend(_keys(list(widget._pending_children) + list(widget.children)))
    return out


def _shown(footer: KeysFooter) -> list[tuple[str, str, bool]]:
    """The same of the keys the app's footer draws (the command palette's last, as Footer mounts it)."""
    keys = [*footer.keys, *([footer.palette] if footer.palette else [])]
    return [(key.key, key.description, not key.enabled) for key in keys]


async def test_the_footer_never_shows_keys_textual_would_not():
    # KeysFooter picks the keys to show itself, as Footer.compose does; should a Textual release pick them
    # otherwise, the bar would show other keys than Textual's would. A plain Footer, hidden on the same screen,
    # rebuilds on every bindings update: after each step both must show the same keys.
    from textual.widgets import Footer

    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reference = Footer()
        reference.display = False
        await app.screen.mount(reference)
        footer = app.screen.query_one(KeysFooter)
        for key in ["2", "3", "4", "1", "tab", "slash", "escape", "tab", "5", "1"]:
            await pilot.press(key)
            await settle(pilot)

            def same() -> bool:
                shown = _shown(footer)
                return bool(shown) and shown == _keys(reference.query(FooterKey))

            await wait_for(pilot, same, f"the same keys in both footers after {key!r}")
