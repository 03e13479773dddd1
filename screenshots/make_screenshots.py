"""Save SVG screenshots of the app's views on the bundled example (re-run after UI changes).

    python screenshots/make_screenshots.py

Uses Textual's own screenshot function through the Pilot, at 120x36.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from heaptui.engine import load_snapshot
from heaptui.tui.app import HeapTUI

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "leaky-server-3.heapsnapshot.gz"
SIZE = (120, 36)

# (file name, keys to press) — each starts from a freshly opened app.
SHOTS = [
    ("summary.svg", []),
    ("summary-date-retainers.svg", ["slash", *"Date", "enter", "down", "right", "down"]),
    ("containment.svg", ["2", "down", "down", "right"]),
    ("statistics.svg", ["3"]),
]


async def shoot(snapshot, name: str, keys: list[str]) -> None:
    app = HeapTUI([str(EXAMPLE)], [snapshot])
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.4)
        while hasattr(app.screen, "retainers_settled") and not app.screen.retainers_settled:
            await pilot.pause(0.05)
        app.save_screenshot(str(HERE / name))


def main() -> None:
    snapshot = load_snapshot(EXAMPLE)
    for name, keys in SHOTS:
        asyncio.run(shoot(snapshot, name, keys))
        print(HERE / name)


if __name__ == "__main__":
    main()
