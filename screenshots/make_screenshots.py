"""Save SVG screenshots of the app's views on the bundled example (re-run after UI changes).

    python screenshots/make_screenshots.py

Uses Textual's own screenshot function through the Pilot, at 120x36.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from heaptui.engine import load_snapshot, load_snapshots
from heaptui.tui.app import HeapTUI

HERE = Path(__file__).resolve().parent
EXAMPLES = [HERE.parent / "examples" / f"leaky-server-{i}.heapsnapshot.gz" for i in (1, 2, 3)]
SIZE = (120, 36)

# (file name, how many of the three examples to open or "timeline", keys to press), each from a freshly
# opened app.
SHOTS = [
    ("summary.svg", 1, []),
    ("summary-date-retainers.svg", 1, ["slash", *"Date", "enter", "down", "right", "down"]),
    ("containment.svg", 1, ["2", "down", "down", "right"]),
    ("statistics.svg", 1, ["3"]),
    ("comparison.svg", 3, ["4", "down", "down", "right", "down"]),
    ("leaks.svg", 3, ["5", "right", "down"]),
    ("allocated-between.svg", 3, ["a", "a", "a"]),
    ("timeline.svg", "timeline", ["4", "home", "right", "shift+right", "shift+right"]),
    ("allocation.svg", "timeline", ["5", "s", "enter"]),
]
TIMELINE = HERE.parent / "examples" / "leaky-server.heaptimeline.gz"


async def shoot(snapshots, name: str, count: int | str, keys: list[str]) -> None:
    if count == "timeline":
        opened = [load_snapshot(str(TIMELINE))]
    else:
        opened = snapshots[-count:] if count == 1 else snapshots[:count]
    app = HeapTUI([s.path for s in opened], opened)
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
            while not (getattr(app.screen, "series_ready", True) and getattr(app.screen, "filter_settled", True)):
                await pilot.pause(0.05)
        await pilot.pause(0.4)
        while hasattr(app.screen, "retainers_settled") and not app.screen.retainers_settled:
            await pilot.pause(0.05)
        app.clear_notifications()
        await pilot.pause(0.1)
        app.save_screenshot(str(HERE / name))


def main() -> None:
    snapshots = load_snapshots([str(p) for p in EXAMPLES])
    for name, count, keys in SHOTS:
        asyncio.run(shoot(snapshots, name, count, keys))
        print(HERE / name)


if __name__ == "__main__":
    main()
