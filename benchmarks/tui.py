"""Responsiveness of the app on a large snapshot: key press to the end of the refresh it causes.

    python benchmarks/tui.py [FILE]        (default: the 1 GB benchmark snapshot)

Measured inside the app, not around the Pilot (whose own ``press`` costs
about 60 ms even in an empty app): the clock starts when the key event reaches
the app and stops when the next screen update has been rendered to terminal
output (headless runs skip writing it, so the benchmark renders it itself).
Target: each action under 50 ms once loaded.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual import events
from textual._compositor import CompositorUpdate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

from heaptui.engine import load_snapshot  # noqa: E402
from heaptui.tui.app import HeapTUI  # noqa: E402
from heaptui.tui.models.tree import CLASS  # noqa: E402
from heaptui.tui.widgets.tree_table import TreeTable  # noqa: E402

TARGET_MS = 50.0


class TimedApp(HeapTUI):
    """The app, with a clock from each key's arrival to the screen update that follows it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.key_at: float | None = None
        self.samples: list[float] = []

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.key_at = time.perf_counter()
        await super().on_event(event)

    def _display(self, screen, renderable) -> None:
        if self.key_at is not None and renderable is not None:
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)  # what a terminal would be sent
            self.samples.append((time.perf_counter() - self.key_at) * 1000)
            self.key_at = None
        super()._display(screen, renderable)


async def measure(app: TimedApp, pilot, keys: list[str]) -> list[float]:
    found = []
    for key in keys:
        app.samples.clear()
        await pilot.press(key)
        await pilot.pause(0.05)
        if app.samples:
            found.append(app.samples[0])
    return found


async def run(path: str) -> dict[str, list[float]]:
    started = time.perf_counter()
    snapshot = load_snapshot(path)
    snapshot.instances_index()
    print(
        f"loaded {path} in {time.perf_counter() - started:.1f} s ({snapshot.node_count:,} nodes); instance index built"
    )
    app = TimedApp([path], [snapshot])
    results: dict[str, list[float]] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        summary = app.screen.query_one("#summary-table", TreeTable)
        results["move down"] = await measure(app, pilot, ["down"] * 20)
        biggest = max(range(len(summary.model.rows)), key=lambda i: summary.model.rows[i].count)
        summary.cursor = biggest
        await pilot.pause(0.3)
        row = summary.model.rows[biggest]
        print(f"largest class: {row.label}")
        results["expand the largest class"] = await measure(app, pilot, ["right"])
        results["move down in its instances"] = await measure(app, pilot, ["down"] * 10)
        await pilot.pause(0.5)  # the Retainers pane follows the selection
        retainers = app.screen.query_one("#retainers-table", TreeTable)
        await pilot.press("tab")
        samples = []
        for _ in range(5):
            rows = retainers.model.rows
            target = next((i for i, r in enumerate(rows) if r.expandable and not r.expanded), None)
            if target is None:
                break
            retainers.cursor = target
            await pilot.pause(0.1)
            samples += await measure(app, pilot, ["right"])
        results["expand a retainer level"] = samples
        # The worst case: a retainer that is itself held by millions (a string's map).
        retainer_counts = snapshot.first_retainer[1:] - snapshot.first_retainer[:-1]
        rows = retainers.model.rows
        heavy = max(
            (i for i, r in enumerate(rows) if r.expandable and not r.expanded),
            key=lambda i: retainer_counts[rows[i].node],
            default=None,
        )
        if heavy is not None:
            retainers.cursor = heavy
            await pilot.pause(0.1)
            print(
                f"most retained-by retainer: {rows[heavy].label} ({int(retainer_counts[rows[heavy].node]):,} retainers)"
            )
            row = rows[heavy]
            started = time.perf_counter()
            results["expand it (worst case)"] = await measure(app, pilot, ["right"])
            while not row.expanded:  # its rows are computed on a thread; the screen stays live
                await pilot.pause(0.01)
            print(f"  its first page of retainers shown after {(time.perf_counter() - started) * 1000:.0f} ms")
        await pilot.press("tab")
        summary.cursor = 0
        await pilot.press("slash")
        results["type a search filter"] = await measure(app, pilot, list("Sess"))
        results["clear the filter"] = await measure(app, pilot, ["backspace"] * 4)
        assert summary.model.rows[0].kind == CLASS
    return results


def main() -> None:
    path = (
        sys.argv[1]
        if len(sys.argv) > 1
        else peers.ensure_snapshots(names=["bench-1gb.heapsnapshot"])["bench-1gb.heapsnapshot"]
    )
    results = asyncio.run(run(path))
    print(f"\n{'action':32} {'n':>3} {'median ms':>10} {'max ms':>8}")
    worst = 0.0
    for action, samples in results.items():
        if not samples:
            print(f"{action:32}   0 (no refresh measured)")
            continue
        worst = max(worst, max(samples))
        print(f"{action:32} {len(samples):3} {statistics.median(samples):10.1f} {max(samples):8.1f}")
    print(f"\n{'PASS' if worst < TARGET_MS else 'FAIL'}  every action under {TARGET_MS:.0f} ms (worst {worst:.1f} ms)")


if __name__ == "__main__":
    main()
