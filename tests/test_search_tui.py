"""The Summary's search box and the search index: built in the background when the box opens, before any query."""

from __future__ import annotations

from conftest import fixture_path
from heaptui.engine import load_snapshot
from heaptui.engine.search import search
from heaptui.tui.app import HeapTUI


async def test_opening_the_search_box_builds_the_index_before_the_first_query():
    from test_tui import settle, type_text, wait_for

    path = fixture_path("closure-2")
    snapshot = load_snapshot(path)  # a fresh one: no other test has searched it
    app = HeapTUI([str(path)], [snapshot])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not snapshot.search_index_ready
        await pilot.press("slash")
        await wait_for(pilot, lambda: snapshot.search_index_ready, "the search index")
        view = app.screen.query_one("#summary")
        assert view.found is None  # built for the query to come, not by one
        await type_text(pilot, "leak")
        await wait_for(pilot, lambda: view.found is not None and view.found.query == "leak", "the search")
        assert view.found == search(snapshot, "leak") and view.found.total > 0
