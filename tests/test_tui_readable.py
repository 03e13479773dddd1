"""A TUI a person can read (issue 21): where the cursor is, contrast, leak paths, busy and empty states."""

from __future__ import annotations

import pytest
from contrast import describe, offenders, spans
from rich.color import ColorSystem
from rich.style import Style

from conftest import fixture_path, loaded
from heaptui.tui.app import HeapTUI
from heaptui.tui.widgets.view_bar import ViewBar
from test_tui import app_with, settle, table, type_text

DEPTHS = [ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT, ColorSystem.STANDARD]


def three() -> HeapTUI:
    names = ["leaky-1", "leaky-2", "leaky-3"]
    return HeapTUI([str(fixture_path(n)) for n in names], [loaded(n) for n in names])


def shown(style: Style, under: Style, depth: ColorSystem) -> tuple[object, bool]:
    """The background a terminal of ``depth`` colours shows for ``style`` laid over ``under``, and underline."""
    full = under + style
    colour = full.bgcolor.downgrade(depth) if full.bgcolor is not None else None
    return (colour.get_truecolor() if colour is not None else None), bool(full.underline)


def row_background(t, index: int) -> Style:
    """The style of the first cell of screen row ``index`` (header excluded) as the grid draws it."""
    strip = t.render_line(index + 1 - round(t.scroll_y))
    return next(iter(strip)).style


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "ansi-dark", "nord"])
async def test_the_cursor_row_has_its_own_background_in_every_theme_and_depth(theme):
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        await settle(pilot)
        await pilot.press("down", "right", "down")
        await settle(pilot)
        summary = table(app, "summary")
        assert summary.has_focus
        cursor, other = row_background(summary, summary.cursor), row_background(summary, summary.cursor + 1)
        for depth in DEPTHS:
            assert shown(cursor, Style(), depth) != shown(other, Style(), depth), (theme, depth)
        focused = cursor
        await pilot.press("tab")
        await settle(pilot)
        assert table(app, "retainers").has_focus
        blurred = row_background(summary, summary.cursor)
        for depth in DEPTHS:
            a, b = shown(blurred, Style(), depth), shown(other, Style(), depth)
            assert a != b, f"the unfocused selection does not show in {theme} at {depth}"
            assert a != shown(focused, Style(), depth), f"focused and unfocused cursors look alike in {theme}"
        # The focused pane is marked: its grid's header differs from the unfocused one's.
        header_focused = next(iter(table(app, "retainers").render_line(0))).style
        header_blurred = next(iter(summary.render_line(0))).style
        assert header_focused.bgcolor != header_blurred.bgcolor


async def _main_screens(pilot) -> dict[str, str]:
    """Summary (Date expanded, an instance selected), the Retainers pane focused, Comparison, Leaks."""
    app = pilot.app
    await settle(pilot)
    await pilot.press("slash")
    await type_text(pilot, "Date")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("right", "down")
    await settle(pilot)
    screens = {"summary": app.export_screenshot()}
    await pilot.press("tab")
    await settle(pilot)
    screens["retainers"] = app.export_screenshot()
    await pilot.press("tab", "4")
    await settle(pilot)
    await pilot.press("down", "right", "down")
    await settle(pilot)
    screens["comparison"] = app.export_screenshot()
    await pilot.press("5")
    await settle(pilot)
    await pilot.press("right", "down")
    await settle(pilot)
    screens["leaks"] = app.export_screenshot()
    return screens


async def test_every_text_meets_wcag_aa_contrast_in_the_default_theme():
    app = three()
    async with app.run_test(size=(120, 40)) as pilot:
        screens = await _main_screens(pilot)
    for name, svg in screens.items():
        found = spans(svg)
        assert len(found) > 100, f"{name}: only {len(found)} texts read from the SVG"
        # The words a leak hunt is about are among them, edge names included.
        assert any("requestLogs" in s.text or "date" in s.text for s in found), name
        bad = offenders(svg)
        assert not bad, f"{name}: texts under 4.5:1\n{describe(bad)}"


def test_the_contrast_reader_catches_a_low_contrast_text():
    # The reader itself: #004578 on #121212 (the edge names before issue 21) is 1.89:1.
    svg = (
        ".terminal-1-r1 { fill: #004578 }\n"
        '<rect fill="#121212" x="0" y="1.5" width="100" height="24.65" shape-rendering="crispEdges"/>\n'
        '<text class="terminal-1-r1" x="0" y="20" textLength="50" '
        'clip-path="url(#terminal-1-line-0)">requestLogs</text>'
    )
    (span,) = offenders(svg)
    assert span.text == "requestLogs" and round(span.ratio, 2) == 1.89


# ---------------------------------------------------------------- leak paths (item 3)


def test_fold_path_keeps_both_ends_and_folds_the_middle():
    from heaptui.tui.models.paths import fold_path

    steps = [f"step{i} in Object @{i}" for i in range(12)]
    path = " → ".join(["(GC roots)", *steps, "date → Date"])
    whole = fold_path(path, 400, 4)
    assert whole == [path]  # fits: unchanged
    lines = fold_path(path, 60, 3)
    assert len(lines) <= 3 and all(len(line) <= 60 for line in lines)
    text = " ".join(lines)
    assert lines[0].startswith("(GC roots) →") and lines[-1].endswith("date → Date")
    hidden = int(text.split("… ")[1].split(" more")[0])
    shown_steps = [s for s in steps if s in text]
    assert hidden == len(steps) - len(shown_steps) and hidden > 0  # every step is shown or counted
    # A step longer than the line is cut, never split over lines.
    assert all(len(line) <= 30 for line in fold_path("a → " + "x" * 100 + " → b", 30, 4))


def _path_text(app) -> str:
    return str(app.screen.query_one("#leak-path").render())


async def test_the_leak_path_ends_in_the_leaked_object_at_every_size_and_after_a_resize():
    app = three()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("home")
        await settle(pilot)
        leaks = app.screen.query_one("#leaks")
        full = leaks.selected_path
        assert full.startswith("global → setInterval") and full.endswith("→ date → Date"), full
        for size in [(120, 40), (60, 20), (80, 24), (160, 50)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
            lines = _path_text(app).split("\n")
            width = leaks.query_one("#leak-path").content_size.width
            assert lines[0].startswith("global →") and lines[-1].endswith("→ Date"), (size, lines)
            assert all(len(line) <= width for line in lines), (size, width, lines)
            assert len(lines) <= (2 if size[1] < 30 else 4) or "more …" not in " ".join(lines)
        # The whole path is one key away.
        await pilot.press("p")
        await pilot.pause(0.2)
        from heaptui.tui.screens.path import PathScreen

        assert isinstance(app.screen, PathScreen)
        body = str(app.screen.query_one("#path-steps Static").render())
        assert body.split("\n")[0] == "global" and body.split("\n")[-1] == "   → Date"
        assert len(body.split("\n")) == len(full.split(" → "))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, PathScreen)


# ---------------------------------------------------------------- busy and empty states (item 4)


async def test_the_leaks_view_says_at_once_that_it_is_computing_with_the_engines_progress(monkeypatch):
    import threading

    from heaptui.tui.views.leaks import LeaksView

    release = threading.Event()
    original = LeaksView.compute

    def held(self, job, inputs):
        job.progress("dominators", 5, 10)
        release.wait(60)
        return original(self, job, inputs)

    monkeypatch.setattr(LeaksView, "compute", held)
    app = three()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        title = app.screen.query_one("#leaks .series-title")
        assert "computing the leak report…" in str(title.render())
        from test_tui import wait_for

        await wait_for(pilot, lambda: "5/10 (50%)" in str(title.render()), "the progress in the title")
        assert "dominators" in str(title.render())
        release.set()
        await settle(pilot)
        assert "computing" not in str(title.render()) and "clusters" in str(title.render())


async def test_an_empty_class_filter_says_why():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "Qzxw")
        summary = table(app, "summary")
        assert len(summary.model) == 0
        line = "".join(segment.text for segment in summary.render_line(1))
        assert "no class matches 'Qzxw'" in line
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert len(summary.model) > 0 and "no class" not in "".join(s.text for s in summary.render_line(1))


async def test_ignoring_a_retainer_shows_the_old_rows_as_stale_until_the_new_ones_arrive(monkeypatch):
    import threading

    from heaptui.tui.views import retainers as pane

    release = threading.Event()
    original = pane.ignore_retainers

    def held(*args, **kwargs):
        release.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(pane, "ignore_retainers", held)
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "url, date")
        await pilot.press("enter", "right", "down")
        await settle(pilot)
        retainers = table(app, "retainers")
        before = [row.node for row in retainers.model.rows]
        await pilot.press("tab", "i")
        title = app.screen.query_one("#retainers-title")
        assert retainers.stale and "updating…" in str(title.render())
        assert [row.node for row in retainers.model.rows] == before  # the old rows, faded
        release.set()
        await settle(pilot)
        assert not retainers.stale and "updating" not in str(title.render())
        assert "1 ignored" in str(title.render())


# ---------------------------------------------------------------- search (item 5)


async def test_slash_finds_objects_by_property_name_and_n_steps_through_them():
    from test_tui import wait_for

    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "requestLogs")
        summary_view = app.screen.query_one("#summary")
        line = app.screen.query_one("#search-hits")
        await wait_for(pilot, lambda: summary_view.found is not None, "the search")
        assert summary_view.found.query == "requestLogs"
        assert "by name or value" in str(line.render())
        summary = table(app, "summary")
        assert len(summary.model) == 0  # no class is named so
        await pilot.press("enter")
        await settle(pilot)
        hit = summary_view.found.hits[0]
        assert hit.text == "requestLogs" and summary.current.node == hit.node
        assert summary.current.label.startswith("Array @")
        box = app.screen.query_one("#filter")
        assert not box.display and box.value == ""  # the box closed: the classes shown are all of them
        text = str(line.render())
        assert "hit 1/" in text and "requestLogs" in text and text.rstrip().endswith("→ requestLogs → Array"), text
        await pilot.press("n")
        await settle(pilot)
        if len(summary_view.found.hits) > 1:
            assert summary.current.node == summary_view.found.hits[1].node and "hit 2/" in str(line.render())
        await pilot.press("N")
        await settle(pilot)
        assert summary.current.node == hit.node


async def test_a_newer_query_cancels_the_search_before_it():
    from test_tui import wait_for

    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "reqlog")
        view = app.screen.query_one("#summary")
        await wait_for(pilot, lambda: view.found is not None and view.found.query == "reqlog", "the search")
        assert "requestLogs" in {h.text for h in view.found.hits}
        await type_text(pilot, "x")  # "reqlogx": superseded searches never show
        await settle(pilot)
        assert view.found.query == "reqlogx"


# ---------------------------------------------------------------- the smaller items (item 6)


def test_classes_that_share_a_name_show_where_they_are_defined():
    from heaptui.engine.classes import ClassInfo
    from heaptui.engine.snapshot import ClassRow
    from heaptui.tui.models.tree import location_note, shared_names

    a = ClassRow(1, ClassInfo("Server", (12, 1735, 4)), 1, 3, 10, 20)
    b = ClassRow(2, ClassInfo("Server", (40, 9, 0)), 1, 3, 10, 20)
    c = ClassRow(3, ClassInfo("Date"), 5, 3, 10, 20)
    assert shared_names([a, b, c]) == [a, b]
    assert (location_note(a), location_note(b)) == ("script 12:1736:5", "script 40:10:1")


async def test_two_server_classes_differ_on_screen():
    app = app_with()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "Server")
        summary = table(app, "summary")
        servers = [r for r in summary.model.rows if r.label.startswith("Server ×")]
        if len(servers) < 2:
            import pytest

            pytest.skip("this fixture has one Server class")
        assert len({r.note for r in servers}) == len(servers) and all(r.note for r in servers)
        lines = ["".join(seg.text for seg in summary.render_line(i + 1)) for i in range(len(summary.model))]
        assert len({line.split("  ")[0] + line for line in lines if line.strip().startswith("▸ Server")}) >= 2


async def test_sorting_keeps_an_expanded_class_expanded_and_the_cursor_on_its_object():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        summary = table(app, "summary")
        date = next(i for i, r in enumerate(summary.model.rows) if r.label.startswith("Date ×"))
        summary.cursor = date
        await pilot.press("right", "down", "down")
        await settle(pilot)
        node = summary.current.node
        for _ in range(5):  # every sort state, and back
            await pilot.press("s")
            await settle(pilot)
            assert summary.current.node == node, summary.model.sort_column
            parent = summary.model.parent_index(summary.cursor)
            assert summary.model.rows[parent].label.startswith("Date ×") and summary.model.rows[parent].expanded
            header = "".join(seg.text for seg in summary.render_line(0))
            assert "▼" in header or "▲" in header, (summary.model.sort_column, header)
            for title in ("Shallow", "Retained", "Dist"):
                assert title in header, header  # the arrow never cuts a title


async def test_the_arrow_does_not_cut_narrow_titles():
    app = three()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        comparison = table(app, "comparison")
        for _ in range(len(comparison.model.SORTS) + 1):  # every sort state
            header = "".join(seg.text for seg in comparison.render_line(0))
            assert "▼" in header or "▲" in header, header
            for column in comparison.columns:
                assert column.title in header, (column.title, header)
            await pilot.press("s")
            await settle(pilot)


async def test_go_to_and_an_id_jump_close_the_filter_box():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        s = app.snapshots[0]
        summary = table(app, "summary")
        await pilot.press("slash")
        await type_text(pilot, "Date")
        await pilot.press("enter", "right", "down")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("g")  # the retainer ({url, date}) in the Summary: all classes listed again
        await settle(pilot)
        box = app.screen.query_one("#filter")
        assert summary.model.wanted is None and box.value == "" and not box.display
        node = summary.current.node
        await pilot.press("slash")
        await type_text(pilot, f"@{int(s.node_id[node])}")
        await pilot.press("enter")
        await settle(pilot)
        assert summary.current.node == node and not box.display


async def test_the_oldest_snapshots_comparison_says_there_is_no_older_base():
    from heaptui.tui.screens.main import MainScreen

    app = three()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.screen.index == 0
        await pilot.press("4")
        await settle(pilot)
        title = str(app.screen.query_one("#comparison .series-title").render())
        assert "oldest snapshot" in title and "no older base" in title
        assert app.screen.query_one("#comparison-table").model is None
        await pilot.press("b")  # a newer one, asked for
        await settle(pilot)
        assert "compared with base leaky-2" in str(app.screen.query_one("#comparison .series-title").render())


async def test_at_60_columns_every_tab_shows_the_first_whole():
    app = three()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#view-tabs", ViewBar)
        strip = app.screen._compositor.render_strips()[bar.region.y]
        drawn = "".join(segment.text for segment in strip)
        assert drawn.startswith(" 1 Summary ") and " 5 Leaks " in drawn, drawn
        assert all(0 <= start < end <= bar.region.width for _, start, end in bar.spans())


async def test_a_long_string_row_keeps_its_id_and_the_retainers_title_names_it():
    app = app_with()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "(string)")
        await pilot.press("enter", "right", "down")
        await settle(pilot)
        summary = table(app, "summary")
        row = summary.current
        assert row.label.startswith('"') and len(row.label) > summary._name_width()
        line = "".join(seg.text for seg in summary.render_line(summary.cursor + 1 - round(summary.scroll_y)))
        node_id = int(app.snapshots[0].node_id[row.node])
        assert f"… @{node_id}" in line, line
        title = str(app.screen.query_one("#retainers-title").render())
        assert f"@{node_id}" in title, title


async def test_help_lists_the_keys_that_exist_without_squeezing_the_grid():
    app = app_with()  # one snapshot: views 1 to 3 only
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        summary = table(app, "summary")
        before = summary.size.width
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        assert app.screen.query("HelpPanel")
        keys = app.screen.active_bindings
        shown = {binding.key for _, binding, *_ in keys.values()}
        assert {"1", "2", "3"} <= shown and not {"4", "5", "9"} & shown
        assert "super+c" not in shown and "ctrl+pageup" not in shown
        descriptions = {binding.key: binding.description for _, binding, *_ in keys.values()}
        assert descriptions["1"] == "Summary" and descriptions["3"] == "Statistics"
        assert summary.size.width >= before - 40 and summary.size.width >= 70, (before, summary.size.width)


async def test_a_summary_filter_says_it_is_computing_until_its_classes_arrive():
    import threading

    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        s = app.snapshots[0]
        release = threading.Event()

        def held():
            release.wait(60)
            return s.shallow > 0

        summary = app.screen.summary
        summary.apply("Objects of a test", held)
        banner = app.screen.query_one("#summary-filter")
        assert "computing the classes…" in str(banner.render()) and "Objects of a test" in str(banner.render())
        release.set()
        await settle(pilot)
        assert "computing" not in str(banner.render()) and "Objects of a test" in str(banner.render())
        summary.apply(None, None)  # back to all objects: the banner goes once they are listed
        assert "computing" in str(banner.render()) and banner.display
        await settle(pilot)
        assert not banner.display


@pytest.mark.parametrize("size", [(60, 20), (120, 40)])
async def test_the_retainers_pane_says_to_select_an_object_when_a_class_is_selected(size):
    from heaptui.tui.models.tree import CLASS
    from heaptui.tui.views.retainers import NO_OBJECT

    app = three()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        retainers = table(app, "retainers")

        def hinted() -> bool:
            return NO_OBJECT in "".join(segment.text for segment in retainers.render_line(1))

        assert table(app, "summary").current.kind == CLASS and hinted()
        hint = [s for s in spans(app.export_screenshot()) if "retainers." in s.text]
        assert hint and all(s.ratio >= 4.5 for s in hint), describe(hint)
        await pilot.press("right", "down")  # an instance: its retainers, no hint
        await settle(pilot)
        assert retainers.model is not None and len(retainers.model) > 0 and not hinted()
        await pilot.press("up")  # its class again
        await settle(pilot)
        assert retainers.model is None and hinted()
        await pilot.press("4")  # the Comparison opens on a class row too
        await settle(pilot)
        assert table(app, "comparison").current.kind == CLASS and hinted()
