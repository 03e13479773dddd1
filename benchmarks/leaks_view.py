"""The Leaks view of three ~100 MB snapshots: from pressing its key to the leak report on screen.

    python benchmarks/leaks_view.py [S1 S2 S3] [--cache-dir DIR] [--runs N] [--data-dir DIR]

Without files, the three snapshots of one leaking process that ``benchmarks/series.py`` makes
(``make_series.js``, 57,000 objects and 20,000 leaked ``{url, date}`` per step, ~92/100/107 MB) are made in
the data dir (default /work/bench) if missing. The app is opened on the three loaded snapshots, as
``heaptui S1 S2 S3`` opens them, and the Leaks view's key (``5``) is pressed, in turn, as soon as the screen is
up (everything after the key) and once the app has settled (the app starts the leak report by itself a second
after its screen is up; measured from the key all the same). Measured inside the
app: from the key's arrival to the first screen update (the key's own answer, target 50 ms), and to the screen
update that shows the leak report (target 3 s). Each run is a fresh app on freshly loaded snapshots (no engine cache
of a run before; the compiled kernels stay loaded after the first run, as within one app session).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual._compositor import CompositorUpdate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import series  # noqa: E402

from heaptui.engine import load_snapshot  # noqa: E402
from heaptui.engine.cache import CacheOptions  # noqa: E402
from heaptui.tui.app import HeapTUI  # noqa: E402
from heaptui.tui.models.series import LeaksModel  # noqa: E402
from heaptui.tui.views.leaks import LeaksView  # noqa: E402
from heaptui.tui.widgets.tree_table import TreeTable  # noqa: E402

KEY_MS = 50.0
REPORT_S = 3.0


class TimedApp(HeapTUI):
    """The app, noting when each key arrives and when each screen update is rendered."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.key_at: float | None = None
        self.displays: list[float] = []
        self.shown: Callable[[], bool] | None = None  # the condition whose first rendered update is noted
        self.shown_at: float | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.key_at = time.perf_counter()
        await super().on_event(event)

    def _display(self, screen, renderable) -> None:
        if renderable is not None:
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)  # what a terminal would be sent
            self.displays.append(time.perf_counter())
            if self.shown is not None and self.shown_at is None and self.shown():
                self.shown_at = self.displays[-1]
        super()._display(screen, renderable)


def load(paths: list[str], cache_dir: str | None) -> list:
    cache = CacheOptions(directory=cache_dir) if cache_dir else None
    started = time.perf_counter()
    snapshots = [load_snapshot(p, cache=cache) for p in paths]
    print(
        f"loaded {len(paths)} snapshots in {time.perf_counter() - started:.1f} s "
        f"({', '.join(f'{s.node_count:,}' for s in snapshots)} nodes)"
    )
    return snapshots


async def one_run(paths: list[str], snapshots: list, settled: bool, profile: bool = False) -> tuple[float, float, str]:
    """(key answered ms, report shown s, its title line) for one fresh app: the key pressed as soon as the screen
    is up (``settled`` False: the whole leak report is computed after the key), or once the app has done what it
    starts by itself (the instance index, and the leak report it starts unasked a second after)."""
    app = TimedApp(paths, snapshots)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.1)
        if settled:
            await app.work.idle()
            await pilot.pause((getattr(LeaksView, "prefetch_after", None) or 1.0) + 0.5)  # (None before it existed)
            await app.work.idle()
        table = app.screen.query_one("#leaks-table", TreeTable)
        app.displays.clear()
        app.shown = lambda: isinstance(table.model, LeaksModel)
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()  # the app thread only: what it does between the key and the report shown
        await pilot.press("5")
        key_at = app.key_at
        assert key_at is not None
        bound = time.perf_counter() + 120
        while app.shown_at is None:  # the first screen update drawn with the report
            if time.perf_counter() > bound:
                raise TimeoutError("the leak report was not shown within 120 s")
            await pilot.pause(0.005)
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        first = (min(d for d in app.displays if d >= key_at) - key_at) * 1000  # (not a refresh begun before)
        shown = app.shown_at - key_at
        title = str(app.screen.query_one("#leaks .series-title").render())
    return first, shown, title.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--cache-dir", help="load through an index cache in this directory")
    parser.add_argument("--data-dir", default="/work/bench")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (key at once, key once settled)")
    parser.add_argument("--profile", action="store_true", help="cProfile the app thread in the first settled run")
    args = parser.parse_args()
    paths = args.files or series.ensure_series(args.data_dir, *series.SERIES["100mb"])
    if len(paths) != 3:
        parser.error("give three snapshots (baseline, target, final)")
    keys: list[float] = []
    reports: dict[bool, list[float]] = {False: [], True: []}
    for run in range(args.runs):
        for settled in (False, True):
            snapshots = load(paths, args.cache_dir)  # fresh: no engine cache (sorted ids, ...) from a run before
            profile = args.profile and not run and settled
            key_ms, shown_s, title = asyncio.run(one_run(paths, snapshots, settled, profile))
            keys.append(key_ms)
            reports[settled].append(shown_s)
            when = "once settled" if settled else "at once     "
            print(f"run {run + 1}, key {when}: answered in {key_ms:.1f} ms, report shown after {shown_s:.2f} s")
    print(f"({title})")
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"key answered: median {statistics.median(keys):.1f} ms, max {max(keys):.1f} ms")
    for settled, what in ((False, "key pressed at once"), (True, "key pressed once settled")):
        found = reports[settled]
        print(f"leak report shown, {what}: median {statistics.median(found):.2f} s, max {max(found):.2f} s")
    ok = max(keys) < KEY_MS and max(reports[False] + reports[True]) < REPORT_S
    print(f"{'PASS' if ok else 'FAIL'}  key within {KEY_MS:.0f} ms, report within {REPORT_S:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
