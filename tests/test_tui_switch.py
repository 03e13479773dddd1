"""A view switch and a ``tab`` do only the work the screen needs (issue 24: every key within 50 ms).

Textual restyles a widget and all its descendants whenever its classes or
pseudo-classes change: a grid with its scroll bars and component classes takes
3-4 ms. These tests record what the stylesheet restyles while keys move the
focus between grids and switch views, and check that what the app draws
instead (the focused header, the pane's rule, the view bar) still shows.
"""

from __future__ import annotations

from contextlib import contextmanager

from textual.widget import Widget

from heaptui.tui.app import HeapTUI
from heaptui.tui.views.statistics import StatisticsView
from heaptui.tui.widgets.footer import KeysFooter
from heaptui.tui.widgets.tree_table import TreeTable
from heaptui.tui.widgets.view_bar import ViewBar
from test_tui import app_with, settle, table


@contextmanager
def restyled(app: HeapTUI):
    """The nodes the stylesheet restyles meanwhile (Textual's own calls, and the app's)."""
    nodes: list[object] = []
    stylesheet = app.stylesheet
    original = stylesheet.update_nodes

    def update_nodes(given, animate: bool = False) -> None:
        given = list(given)
        nodes.extend(given)
        original(given, animate=animate)

    stylesheet.update_nodes = update_nodes  # type: ignore[method-assign]
    try:
        yield nodes
    finally:
        del stylesheet.update_nodes


def styles_of(app: HeapTUI, grid: TreeTable) -> tuple[object, ...]:
    """The grid's styles and its component classes' as a restyle now works them out."""
    app.stylesheet.update_nodes([grid])
    components = tuple(grid.get_component_styles(name).base.css_lines for name in sorted(TreeTable.COMPONENT_CLASSES))
    return tuple(grid.styles.base.css_lines), components


async def test_no_style_of_a_grid_depends_on_its_focus():
    # What lets TreeTable skip Textual's restyle on a focus change: a rule like TreeTable:focus fails this.
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        summary = table(app, "summary")
        assert summary.has_focus
        focused = styles_of(app, summary)
        await pilot.press("tab")
        assert table(app, "retainers").has_focus
        assert styles_of(app, summary) == focused


async def test_tab_and_view_switches_restyle_no_grid_and_the_focus_still_shows():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        summary, retainers = table(app, "summary"), table(app, "retainers")
        title = app.screen.query_one("#retainers-title", Widget)

        def header(grid: TreeTable):
            return next(iter(grid.render_line(0))).style

        assert not title.has_class("-focused") and title.styles.border_top[0] == "solid"
        with restyled(app) as nodes:
            await pilot.press("tab")
            await pilot.pause()
        assert retainers.has_focus
        assert nodes == [title]  # the pane's rule is its title's: nothing else is restyled
        assert title.has_class("-focused") and title.styles.border_top[0] == "heavy"
        assert header(retainers) != header(summary)  # the focused grid's header is marked
        focused_header = header(retainers)
        with restyled(app) as nodes:
            await pilot.press("tab")
            await pilot.pause()
        assert summary.has_focus and header(summary) == focused_header
        assert not title.has_class("-focused") and title.styles.border_top[0] == "solid"
        assert nodes == [title]
        with restyled(app) as nodes:
            for key in ("2", "3", "1"):
                await pilot.press(key)
                await pilot.pause()
        assert not nodes, nodes  # the view bar marks the view it shows without a restyle
        assert summary.has_focus and header(summary) == focused_header


async def test_the_view_bar_marks_the_view_shown_and_a_click_shows_a_view():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#view-tabs", ViewBar)

        def styles() -> dict[str, object]:
            strip = app.screen._compositor.render_strips()[bar.region.y]
            line = "".join(segment.text for segment in strip)
            marked = {}
            for key, start, _ in bar.spans():
                x = 0
                for segment in strip:
                    if x <= start + 1 < x + len(segment.text):
                        marked[key] = segment.style.color
                        break
                    x += len(segment.text)
            assert "1 Summary" in line and "2 Containment" in line and "3 Statistics" in line, line
            return marked

        shown = styles()
        assert shown["summary"] != shown["containment"] == shown["statistics"]
        key, start, end = bar.spans()[2]
        await pilot.click("#view-tabs", offset=(start + 2, 0))
        await pilot.pause()
        assert app.screen.current_view == "statistics" and bar.active == "statistics"
        shown = styles()
        assert shown["statistics"] != shown["summary"] == shown["containment"]
        await pilot.press("2")
        await pilot.pause()
        assert bar.active == "containment" and table(app, "containment").has_focus


async def test_the_statistics_are_laid_out_once_per_width():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        view = app.screen.query_one(StatisticsView)
        first = view.render()
        assert "Other JS objects" in "".join(s.text for line in first.lines for s in line)
        await pilot.press("1", "3")
        await pilot.pause()
        assert view.render() is first
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        assert view.render() is not first


async def test_a_click_on_a_footer_key_presses_it():
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        parts, palette_at = footer._parts()
        sort = next((start, end) for key, start, end in parts if key.key == "s")
        drawn = "".join(segment.text for segment in footer.render_line(0))
        assert drawn[sort[0] : sort[1]] == " s Sort ", drawn
        assert drawn[palette_at:].startswith("▏^p palette"), drawn
        summary = table(app, "summary")
        assert summary.model.sort_column == "retained"
        await pilot.click(KeysFooter, offset=(sort[0] + 1, 0))
        await pilot.pause()
        assert summary.model.sort_column == "shallow"
