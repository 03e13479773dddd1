"""Several snapshots in the app, driven with the Pilot: switching, Comparison, base, Leaks, allocation filter."""

from __future__ import annotations

from conftest import fixture_path, loaded
from heaptui.tui.app import HeapTUI
from heaptui.tui.models.series import ComparisonModel, LeaksModel
from heaptui.tui.models.tree import CLASS, OBJECT
from heaptui.tui.screens.main import MainScreen
from heaptui.tui.views.retainers import RetainersPane
from heaptui.tui.widgets.tree_table import TreeTable
from test_tui import settle

NAMES = ["leaky-1", "leaky-2", "leaky-3"]
N = 100


def three() -> HeapTUI:
    return HeapTUI([str(fixture_path(n)) for n in NAMES], [loaded(n) for n in NAMES])


async def ready(pilot) -> MainScreen:
    """Wait until the screen's background work (Comparison, Leaks, a filter, the Retainers pane) is shown."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


def grid(app: HeapTUI, name: str) -> TreeTable:
    return app.screen.query_one(f"#{name}-table", TreeTable)


async def test_opens_the_newest_and_switches_between_snapshots_keeping_the_view():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.snapshot is loaded("leaky-3") and screen.index == 2
        assert "snapshot 3 of 3" in str(screen.query_one("#topbar").render())
        assert screen.query_one("#snapshots").display  # the sidebar on a wide terminal
        await pilot.press("2", "left_square_bracket")
        screen = await ready(pilot)
        assert screen.snapshot is loaded("leaky-2") and screen.current_view == "containment"
        await pilot.press("left_square_bracket", "left_square_bracket")  # stops at the first
        screen = await ready(pilot)
        assert screen.snapshot is loaded("leaky-1")
        await pilot.press("right_square_bracket", "right_square_bracket")
        screen = await ready(pilot)
        assert screen.snapshot is loaded("leaky-3")
    narrow = three()
    async with narrow.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert not screen.query_one("#snapshots").display


async def test_comparison_against_the_previous_snapshot_and_another_base():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("4")
        screen = await ready(pilot)
        table = grid(app, "comparison")
        model = table.model
        assert isinstance(model, ComparisonModel) and model.comparison.base is loaded("leaky-2")
        diffs = {row.values[0].name: row.values[0] for row in model.rows}
        assert diffs["Date"].new_count == N and diffs["{url, date}"].new_count == N
        allocs = [row.values[0].alloc_size for row in model.rows]
        assert allocs == sorted(allocs, reverse=True)  # DevTools' default: Alloc. Size
        assert "compared with base" in str(screen.query_one(".series-title").render())
        await pilot.press("b")  # the only other base: leaky-1
        screen = await ready(pilot)
        model = grid(app, "comparison").model
        assert model.comparison.base is loaded("leaky-1")
        diffs = {row.values[0].name: row.values[0] for row in model.rows}
        assert diffs["Date"].new_count == 2 * N
        await pilot.press("s")
        assert model.sort_column == "freed"


async def test_expanding_a_class_shows_new_then_deleted_objects_with_their_own_retainers():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("4")
        await ready(pilot)
        table = grid(app, "comparison")
        names = [row.values[0].name for row in table.model.rows]
        # A class with both new and deleted objects (one page of them): new first, then the base's deleted ones.
        index = next(
            i
            for i, row in enumerate(table.model.rows)
            if 0 < row.values[0].new_count
            and 0 < row.values[0].deleted_count
            and row.values[0].new_count + row.values[0].deleted_count <= 100
        )
        diff = table.model.rows[index].values[0]
        table.cursor = index
        await pilot.press("right")
        kids = table.model.rows[index + 1 : index + 1 + diff.new_count + diff.deleted_count]
        assert all(r.kind == OBJECT and r.depth == 1 for r in kids)
        assert [r.snapshot is None for r in kids] == [i < diff.new_count for i in range(len(kids))]
        assert all(r.label.endswith("(deleted)") for r in kids[diff.new_count :])
        # A deleted object: its retainers are read from the base snapshot.
        table.cursor = index + 1 + diff.new_count
        await settle(pilot)
        pane = app.screen.query_one(RetainersPane)
        assert table.current.snapshot is loaded("leaky-2")
        assert pane.snapshot is loaded("leaky-2") and pane.target == table.current.node
        # A new Date: its retainers come from leaky-3 and lead to requestLogs.
        table.cursor = index
        await pilot.press("left")
        table.cursor = names.index("Date")
        await pilot.press("right", "down")
        await settle(pilot)
        assert table.current.label.startswith("Date @")
        assert pane.snapshot is loaded("leaky-3") and pane.target == table.current.node
        labels = [r.label for r in pane.table.model.rows]
        assert labels[0].startswith("date in {url, date}") and any("requestLogs in" in x for x in labels)


async def test_leaks_view_puts_request_logs_first_and_expands_into_objects():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("5")
        screen = await ready(pilot)
        table = grid(app, "leaks")
        assert isinstance(table.model, LeaksModel)
        first = table.model.rows[0]
        assert first.kind == CLASS and first.count == 2 * N
        await pilot.pause(0.1)
        title = str(screen.query_one("#leak-path").render())
        assert "requestLogs → Array → [i] → {url, date}" in title.replace("\n", " ")
        # After the clusters: the collections that grew in every snapshot (requestLogs).
        growing = [i for i, r in enumerate(table.model.rows) if "array of 0 → 100 → 200" in r.label]
        assert len(growing) == 1 and table.model.rows[growing[0] - 1].kind == "note"
        table.cursor = growing[0]
        await pilot.pause(0.1)
        assert str(screen.query_one("#leak-path").render()).replace("\n", " ").rstrip().endswith("requestLogs → Array")
        table.cursor = 0
        await pilot.press("right", "down")
        await settle(pilot)
        assert table.current.kind == OBJECT and table.current.label.startswith("{url, date} @")
        assert app.screen.query_one(RetainersPane).target == table.current.node
        await pilot.press("left_square_bracket")  # leaky-2 has only one snapshot before it
        await pilot.pause(0.2)
        screen = await ready(pilot)
        assert "needs two older snapshots" in str(screen.query_one("#leaks .series-title").render())


async def test_allocation_filter_cycles_through_devtools_windows():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await ready(pilot)
        seen = []
        summary = screen.summary
        for _ in range(len(summary.windows)):
            await pilot.press("a")
            screen = await ready(pilot)
            counts = {r.name: r.count for r in summary.model.all_classes}
            seen.append((summary.windows[summary.filter.window][0], counts.get("Date", 0)))
        assert seen == [
            ("Objects allocated before leaky-1", 0),
            ("Objects allocated between leaky-1 and leaky-2", N),
            ("Objects allocated between leaky-2 and leaky-3", N),
            ("All objects", 2 * N),
        ]
        # Expanding a class under a filter lists only the filtered objects.
        await pilot.press("a")  # before leaky-1
        await pilot.press("a")  # between leaky-1 and leaky-2
        screen = await ready(pilot)
        table = grid(app, "summary")
        index = next(i for i, r in enumerate(table.model.rows) if r.label.startswith("Date ×"))
        table.cursor = index
        await pilot.press("right")
        kids = [r for r in table.model.rows[index + 1 :] if r.depth == 1]
        s = loaded("leaky-3")
        assert len(kids) == N and all(
            loaded("leaky-1").max_js_node_id < s.node_id[r.node] <= loaded("leaky-2").max_js_node_id for r in kids
        )


async def test_single_snapshot_has_no_series_views_or_keys():
    app = HeapTUI([str(fixture_path("leaky-3"))], [loaded("leaky-3")])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert [k for k, _ in screen.views] == ["summary", "containment", "statistics"]
        await pilot.press("4", "b", "a", "right_square_bracket")
        await pilot.pause(0.1)
        assert app.screen is screen and screen.current_view == "summary"


async def test_command_palette_switches_snapshots():
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        for ch in "Snapshot 1":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause(0.5)
        await pilot.press("enter")
        screen = await ready(pilot)
        assert screen.snapshot is loaded("leaky-1")


async def test_a_failed_comparison_is_shown_and_leaves_the_app_usable(monkeypatch):
    """The Comparison's computation raises: a notification and a line in the view, the view usable again."""
    import heaptui.engine.compare as compare_module

    real = compare_module.compare

    def broken(base, snapshot, **kwargs):
        raise RuntimeError("boom in the comparison\nsecond line")

    monkeypatch.setattr(compare_module, "compare", broken)
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("4")
        screen = await ready(pilot)
        title = str(screen.query_one("#comparison .series-title").render())
        assert "Comparison failed: boom in the comparison" in title and "comparing…" not in title
        assert "second line" not in title
        notes = [n.message for n in app._notifications]
        assert any(n == "Comparison failed: boom in the comparison" for n in notes), notes
        assert grid(app, "comparison").model is None
        # The other views still work: the leak report is computed, the Summary answers keys.
        await pilot.press("5")
        screen = await ready(pilot)
        assert isinstance(grid(app, "leaks").model, LeaksModel)
        await pilot.press("1", "s")
        assert grid(app, "summary").model.sort_column == "shallow"
        # The Comparison is usable again: with the computation fixed, b computes (another base) at once.
        monkeypatch.setattr(compare_module, "compare", real)
        await pilot.press("4", "b")
        screen = await ready(pilot)
        model = grid(app, "comparison").model
        assert isinstance(model, ComparisonModel) and model.comparison.base is loaded("leaky-1")
        assert "failed" not in str(screen.query_one("#comparison .series-title").render())


async def test_a_superseded_job_is_cancelled_and_its_result_dropped():
    """Starting a job of the same kind cancels the old one (its progress callback raises Cancelled)."""
    import threading

    from heaptui.engine.errors import Cancelled

    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await ready(pilot)
        release, stopped, shown = threading.Event(), [], []

        def slow(job):
            release.wait(60)
            try:
                job.progress("slow", 1, 2)
            except Cancelled:
                stopped.append(job.generation)
                raise
            return "old"

        first = app.work.run(screen, "test", slow, shown.append, what="Test")
        second = app.work.run(screen, "test", lambda job: "new", shown.append, what="Test")
        assert first.cancelled and not second.cancelled and second.generation > first.generation
        release.set()
        await settle(pilot)
        assert shown == ["new"] and stopped == [first.generation]
        assert not [n for n in app._notifications if "failed" in n.message]  # a cancelled job is no failure


async def test_keys_typed_ahead_after_a_view_key_go_to_the_view_it_shows():
    """'1' then down, down, right in one burst (a terminal delivers typed-ahead keys so): the Summary gets them."""
    from textual import events

    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("4")
        await ready(pilot)
        for key in ("1", "down", "down", "right"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        screen = await ready(pilot)
        summary = grid(app, "summary")
        assert screen.current_view == "summary" and summary.has_focus
        assert summary.cursor == 2 and summary.model.rows[2].expanded
        assert not grid(app, "comparison").model.rows[2].expanded


async def test_the_leak_report_is_computed_once_the_app_settles_and_its_key_shows_it_at_once(monkeypatch):
    from heaptui.tui.views.leaks import LeaksView
    from test_tui import wait_for

    calls = []
    original = LeaksView.compute

    def counted(self, job, inputs):
        calls.append(inputs)
        return original(self, job, inputs)

    monkeypatch.setattr(LeaksView, "compute", counted)
    monkeypatch.setattr(LeaksView, "prefetch_after", 0.05)
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        view = app.screen.query_one("#leaks", LeaksView)
        await wait_for(pilot, lambda: (0, 1, 2) in view.models, "the leak report computed unasked")
        assert app.screen.current_view == "summary"  # nothing shown meanwhile
        await pilot.press("5")
        model = grid(app, "leaks").model
        assert isinstance(model, LeaksModel) and model.rows[0].count == 2 * N  # at once: no second computation
        assert "clusters" in str(app.screen.query_one("#leaks .series-title").render())
        await settle(pilot)
        assert calls == [(0, 1, 2)]


async def test_the_leaks_key_during_the_computation_started_unasked_waits_for_it(monkeypatch):
    import threading

    from heaptui.tui.views.leaks import LeaksView
    from test_tui import wait_for

    release = threading.Event()
    calls = []
    original = LeaksView.compute

    def held(self, job, inputs):
        calls.append(inputs)
        release.wait(60)
        return original(self, job, inputs)

    monkeypatch.setattr(LeaksView, "compute", held)
    monkeypatch.setattr(LeaksView, "prefetch_after", 0.05)
    app = three()
    async with app.run_test(size=(130, 40)) as pilot:
        await wait_for(pilot, lambda: len(calls) == 1, "the leak report started unasked")
        await pilot.press("5")
        title = app.screen.query_one("#leaks .series-title")
        assert "computing the leak report…" in str(title.render())
        release.set()
        await settle(pilot)
        assert isinstance(grid(app, "leaks").model, LeaksModel) and "clusters" in str(title.render())
        assert calls == [(0, 1, 2)]  # the key waited for the computation under way instead of starting another


async def test_a_leak_report_over_the_unasked_bound_waits_for_its_key(monkeypatch):
    from heaptui.tui.views import leaks
    from test_tui import wait_for

    calls = []
    original = leaks.LeaksView.compute

    def counted(self, job, inputs):
        calls.append(inputs)
        return original(self, job, inputs)

    monkeypatch.setattr(leaks.LeaksView, "compute", counted)
    monkeypatch.setattr(leaks.LeaksView, "prefetch_after", 0.05)
    app = three()
    nodes = sum(s.node_count for s in app.snapshots)
    monkeypatch.setattr(leaks, "PREFETCH_NODES", nodes - 1)  # these three are one node too many
    async with app.run_test(size=(130, 40)) as pilot:
        view = app.screen.query_one("#leaks", leaks.LeaksView)
        fired = []
        view.set_timer(0.3, lambda: fired.append(True))  # after the prefetch's own timer (0.05 s)
        await wait_for(pilot, lambda: bool(fired), "a timer set after the prefetch's fired")
        await settle(pilot)
        assert calls == [] and not view.models  # nothing computed unasked
        await pilot.press("5")
        await wait_for(pilot, lambda: (0, 1, 2) in view.models, "the leak report computed once asked")
        assert calls == [(0, 1, 2)]
