"""SVG snapshots of the main screens at 80x24 and 160x50 (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from conftest import fixture_path, loaded
from heaptui.tui.app import HeapTUI

SIZES = [(80, 24), (160, 50)]


def app() -> HeapTUI:
    return HeapTUI([str(fixture_path("leaky-3"))], [loaded("leaky-3")])


async def settle(pilot) -> None:
    await pilot.pause(0.3)
    for _ in range(600):  # the Retainers pane builds on a thread
        screen = pilot.app.screen
        if not hasattr(screen, "retainers_settled") or screen.retainers_settled:
            break
        await pilot.pause(0.05)
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
