"""SVG snapshots of the main screens at 80x24 and 160x50 (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import asyncio

import pytest

from conftest import FIXTURES, fixture_path, loaded
from heaptui.tui.app import HeapTUI

SIZES = [(80, 24), (160, 50)]


def app() -> HeapTUI:
    return HeapTUI([str(fixture_path("leaky-3"))], [loaded("leaky-3")])


BOUND = 180.0  # seconds: compiling kernels on a busy 2-core machine takes long; a hang fails with a message


async def wait_for(pilot, ready, what: str) -> None:
    """Wait until ``ready()`` (the work itself is done), or fail saying what never finished."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BOUND
    while not ready():
        assert loop.time() < deadline, f"{what} did not finish within {BOUND:.0f} s"
        await pilot.pause(0.05)


async def settle(pilot) -> None:
    """Wait for the app's background work (the Retainers pane, a Comparison, a filter) to be shown."""
    await pilot.pause(0.1)
    await wait_for(pilot, lambda: not pilot.app.work.busy, "the background work (Retainers, Comparison, ...)")
    await pilot.pause(0.1)
    await wait_for(pilot, lambda: not pilot.app.work.busy, "the background work started by showing a result")
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
def test_summary_with_retainers(snap_compare, size):
    # The {url, date} class expanded, its first object selected, its retainers opened up the chain.
    async def run_before(pilot):
        await pilot.press("slash", *"url", "enter")
        await pilot.press("right", "down")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_summary_top(snap_compare, size):
    assert snap_compare(app(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_containment(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("2", "down", "down", "right")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_statistics(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=size, run_before=run_before)


def three() -> HeapTUI:
    names = ["leaky-1", "leaky-2", "leaky-3"]
    return HeapTUI([str(fixture_path(n)) for n in names], [loaded(n) for n in names])


series_settle = settle  # the Comparison and the leak report are background work like the rest


@pytest.mark.parametrize("size", SIZES)
def test_comparison_with_new_dates(snap_compare, size):
    # leaky-3 against leaky-2: the Date class expanded, a new Date selected, its retainers from leaky-3.
    async def run_before(pilot):
        await pilot.press("4")
        await series_settle(pilot)
        await pilot.press("down", "down", "right", "down")
        await series_settle(pilot)

    assert snap_compare(three(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_leaks_report(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("5")
        await series_settle(pilot)
        await pilot.press("right", "down")
        await series_settle(pilot)

    assert snap_compare(three(), terminal_size=size, run_before=run_before)


def timeline_app() -> HeapTUI:
    from heaptui.engine.load import load_snapshot

    path = FIXTURES / "timeline-leaky.heaptimeline.gz"
    return HeapTUI([str(path)], [load_snapshot(path)])


@pytest.mark.parametrize("size", SIZES)
def test_timeline_with_a_selection(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("4")
        await series_settle(pilot)
        await pilot.press("home", "right", "shift+right", "shift+right")
        await settle(pilot)

    assert snap_compare(timeline_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_allocation_with_callers(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("5")
        await series_settle(pilot)
        await pilot.press("s", "enter")  # by live size: the request handler first, and its callers
        await series_settle(pilot)
        pilot.app.clear_notifications()  # "Sorted by live size" would stay or not depending on the timing
        await pilot.pause(0.1)

    assert snap_compare(timeline_app(), terminal_size=size, run_before=run_before)
