"""The app, driven as a person would with the keyboard (Textual's Pilot)."""

from __future__ import annotations

import asyncio
import time

from textual.keys import _character_to_key

from conftest import fixture_path, loaded
from heaptui.tui.app import HeapTUI
from heaptui.tui.models.tree import CLASS, OBJECT, RETAINER
from heaptui.tui.screens.main import MainScreen
from heaptui.tui.widgets.tree_table import TreeTable

BOUND = 120.0  # seconds: kernels compile on a busy 2-core machine; a hang fails with a message instead


def app_with(name: str = "leaky-3") -> HeapTUI:
    return HeapTUI([str(fixture_path(name))], [loaded(name)])


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(_character_to_key(ch))


async def wait_for(pilot, ready, what: str, bound: float = BOUND) -> None:
    """Wait until ``ready()``, or fail saying what did not happen within ``bound`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not ready():
        assert loop.time() < deadline, f"{what} did not happen within {bound:.0f} s"
        await pilot.pause(0.02)


async def settle(pilot, bound: float = BOUND) -> None:
    """Wait for the app's background work (the Retainers pane following the cursor, a Comparison, a
    filter, ...) to be done and shown, including work that showing a result started."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while True:
        await pilot.pause()
        try:
            await pilot.app.work.idle(max(0.0, deadline - loop.time()))
        except TimeoutError as error:
            raise AssertionError(str(error)) from None
        await pilot.pause()
        if not pilot.app.work.busy:
            return


def table(app: HeapTUI, name: str) -> TreeTable:
    return app.screen.query_one(f"#{name}-table", TreeTable)


def labels(t: TreeTable) -> list[str]:
    return [row.label for row in t.model.rows]


async def test_filter_expand_and_follow_retainers_to_request_logs():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "Date")
        await pilot.press("enter")
        summary = table(app, "summary")
        names = [row.label.split(" ×")[0] for row in summary.model.rows]
        assert {"Date", "{url, date}"} <= set(names)
        assert "Function" not in names
        summary.cursor = names.index("Date")
        await pilot.press("right", "down")
        await settle(pilot)
        assert summary.current.kind == OBJECT and summary.current.label.startswith("Date @")
        retainers = table(app, "retainers")
        rows = retainers.model.rows
        assert rows[0].kind == RETAINER and rows[0].label.startswith("date in {url, date} @")
        # The first chain opened by itself: the array, then requestLogs in the script's context.
        assert rows[1].depth == 1 and rows[1].label.startswith("[") and " in Array @" in rows[1].label
        assert rows[2].depth == 2 and rows[2].label.startswith("requestLogs in system / Context @")
        # Expanding further by hand works too.
        await pilot.press("tab")
        assert retainers.has_focus
        retainers.cursor = 2
        await pilot.press("left", "right")
        assert retainers.model.rows[2].expanded


async def test_filter_to_url_date_class():
    app = app_with()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "url, date")
        summary = table(app, "summary")
        assert summary.model.rows[0].label == "{url, date} ×201"
        await pilot.press("escape")
        assert len(summary.model.rows) == len(loaded("leaky-3").summary())


async def test_sort_cycles_and_header_click():
    app = app_with()
    async with app.run_test(size=(100, 30)) as pilot:
        summary = table(app, "summary")
        retained = [row.retained for row in summary.model.rows]
        assert retained == sorted(retained, reverse=True)
        await pilot.press("s")
        shallow = [row.shallow for row in summary.model.rows]
        assert shallow == sorted(shallow, reverse=True) and summary.model.sort_column == "shallow"
        await pilot.press("s")
        counts = [row.count for row in summary.model.rows]
        assert counts == sorted(counts, reverse=True)
        await pilot.click("#summary-table", offset=(2, 0))  # the header's name column
        await pilot.pause()
        assert app.screen.summary.model.sort_column == "name" and not app.screen.summary.model.descending


async def test_view_keys_and_tabs():
    app = app_with()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.current_view == "summary"
        await pilot.press("2")
        assert screen.current_view == "containment"
        containment = table(app, "containment")
        assert containment.has_focus and any("global @" in label for label in labels(containment))
        await pilot.press("3")
        assert screen.current_view == "statistics"
        assert not screen.query_one("#retainers").display
        await pilot.press("1")
        assert screen.current_view == "summary" and screen.query_one("#retainers").display


async def test_jump_to_object_by_id_and_go_to_from_a_retainer():
    s = loaded("leaky-3")
    date = int(s.instances(next(r for r in s.summary() if r.name == "Date").class_index)[7])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, f"@{s.node_id[date]}")
        await pilot.press("enter")
        await settle(pilot)
        summary = table(app, "summary")
        assert summary.current.node == date and summary.has_focus
        assert summary.model.rows[summary.model.parent_index(summary.cursor)].kind == CLASS
        retainers = table(app, "retainers")
        await pilot.press("tab")
        retainers.cursor = 2  # requestLogs in system / Context
        holder = retainers.current.node
        await pilot.press("g")
        await settle(pilot)
        assert summary.current.node == holder and summary.has_focus


async def test_ignore_and_reset_a_retainer():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "url, date")
        await pilot.press("enter", "right", "down")
        await settle(pilot)
        retainers = table(app, "retainers")
        array = retainers.model.rows[0].node
        await pilot.press("tab", "i")
        await settle(pilot)
        title = str(app.screen.query_one("#retainers-title").render())
        assert "1 ignored" in title
        row = retainers.model.rows[0]
        assert row.node == array and row.ignored and row.distance >= 100_000_000
        await pilot.press("r")
        await settle(pilot)
        assert "ignored" not in str(app.screen.query_one("#retainers-title").render())


async def test_help_and_command_palette_open():
    app = app_with()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.press("ctrl+p")
        await type_text(pilot, "Date")
        await pilot.pause(0.5)
        await pilot.press("escape")


async def test_quit_with_q_and_ctrl_c():
    for key in ("q", "ctrl+c", "ctrl+q"):
        app = app_with()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(key)
            await pilot.pause()
        assert app.return_code == 0


async def test_loading_shows_progress_then_the_summary_and_quits_while_loading():
    app = HeapTUI([str(fixture_path("leaky-2"))])
    async with app.run_test(size=(80, 24)) as pilot:
        # a cold numba cache compiles the kernels first
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), "the Summary after loading")
    quick = HeapTUI([str(fixture_path("mixed"))])
    started = time.monotonic()
    async with quick.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
    assert time.monotonic() - started < 30


async def test_bad_file_ends_the_app_with_one_line(tmp_path):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text("[]")
    app = HeapTUI([str(bad)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.load_error, "the load error")
    assert app.load_error and app.load_error.startswith(str(bad)) and "\n" not in app.load_error
    assert app.return_code == 1


async def test_heavy_expansion_runs_off_the_ui_thread(monkeypatch):
    import heaptui.tui.models.tree as tree_model

    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right", "down")
        await settle(pilot)
        retainers = table(app, "retainers")
        await pilot.press("tab")
        index = next(i for i, r in enumerate(retainers.model.rows) if r.expandable and not r.expanded)
        retainers.cursor = index
        row = retainers.model.rows[index]
        monkeypatch.setattr(tree_model, "HEAVY", 0)  # now every expansion counts as heavy
        await pilot.press("right")
        assert row.loading or row.expanded
        await settle(pilot)  # the expansion is background work
        assert row.expanded and not row.loading
        assert retainers.model.rows[index + 1].depth == row.depth + 1


async def test_escape_cancels_a_load(monkeypatch):
    """A long load (simulated: it reports progress until told to stop) ends cleanly on escape."""
    import heaptui.engine.load as load_module

    def endless(path, report, salvage=False):
        while True:
            report("parse", 1, 100)
            time.sleep(0.01)

    monkeypatch.setattr(load_module, "_load_file", endless)
    app = HeapTUI([str(fixture_path("leaky-2"))])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.load_error, "the cancelled load's error")
    assert app.load_error and "cancelled" in app.load_error and app.return_code == 1


async def test_quitting_just_as_the_load_ends_is_clean():
    """The Memory tab may still be mounting when the app closes (q pressed as loading ends)."""
    for _ in range(5):
        app = HeapTUI([str(fixture_path("leaky-2"))])
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the Summary after loading")
        assert app.return_code in (0, None) and app._exception is None


OPEN_FROM_CACHE = """
import asyncio, sys, threading, time
from heaptui.engine.cache import CacheOptions
from heaptui.tui.app import HeapTUI
from heaptui.tui.loader import Loader

first_start = []
class RecordKernelsImport:  # the kernels package imports numba: note the thread that first imports it
    def find_spec(self, name, path=None, target=None):
        if name == "heaptui.engine.kernels" and not first_start:
            first_start.append(threading.current_thread().name)
        return None
sys.meta_path.insert(0, RecordKernelsImport())

async def main():
    loader = Loader([sys.argv[1]], cache=CacheOptions(directory=sys.argv[2], background=True)).start()
    app = HeapTUI([sys.argv[1]], loader=loader)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 120
        while not (app.screen.query("#summary-table") and first_start):
            assert time.monotonic() < deadline, "no Summary, or no kernel import, within 120 s"
            await pilot.pause(0.05)
        print(loader.snapshots[0].timings, first_start, type(app.screen).__name__)

asyncio.run(main())
"""


def test_a_cached_snapshot_is_on_screen_before_the_compiler_starts(tmp_path):
    """From the index cache, nothing compiled runs before the Summary is drawn: numba starts after it.

    numba's start (import, registries, kernels from disk) takes about a second of a fresh
    process; the first screen must not wait for it. A fresh interpreter: this one started numba.
    """
    import subprocess
    import sys

    from heaptui.engine.cache import CacheOptions
    from heaptui.engine.load import load_snapshot

    path, cache = str(fixture_path("leaky-3")), str(tmp_path / "cache")
    load_snapshot(path, cache=CacheOptions(directory=cache))  # writes the cache
    run = subprocess.run(
        [sys.executable, "-c", OPEN_FROM_CACHE, path, cache], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "'cache'" in run.stdout  # opened from the cache
    assert "['heaptui-instances'] MainScreen" in run.stdout, run.stdout  # the first kernel call: after the paint


async def test_a_failed_summary_filter_keeps_the_classes_and_says_why(monkeypatch):
    """The filter's computation raises: the banner says so, the classes shown stay, the next filter works."""
    from heaptui.engine.snapshot import Snapshot

    real = Snapshot.summary

    def broken(self, mask=None):
        if mask is not None:
            raise MemoryError()
        return real(self, mask)

    s = loaded("leaky-3")
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        summary = app.screen.summary
        before = summary.model
        monkeypatch.setattr(Snapshot, "summary", broken)
        summary.apply("Objects of a test", lambda: s.shallow > 0)
        await settle(pilot)
        banner = str(app.screen.query_one("#summary-filter").render())
        assert "The Summary filter failed: not enough memory" in banner
        assert summary.model is before and summary.filter.label is None
        assert any("The Summary filter failed" in n.message for n in app._notifications)
        monkeypatch.setattr(Snapshot, "summary", real)
        summary.apply("Objects of a test", lambda: s.shallow > 0)
        await settle(pilot)
        assert summary.model is not before and summary.filter.label == "Objects of a test"
        assert "failed" not in str(app.screen.query_one("#summary-filter").render())


async def test_objects_alive_once_the_screen_has_settled_are_left_out_of_later_garbage_collections(monkeypatch):
    import gc

    from heaptui.tui.models import tree

    frozen = []
    warmed = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    real_warm_up = tree.warm_up
    monkeypatch.setattr("heaptui.tui.screens.main.warm_up", lambda s: warmed.append(s) or real_warm_up(s))
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # after the instance index and the grids' kernels were loaded, off the app thread
        assert warmed == [app.screen.snapshot] and frozen == [True]
        assert app.screen.snapshot.instances_ready
