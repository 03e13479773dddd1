"""DevTools' named Summary filters and `heaptui strings`, on Node snapshots (Chromium ones: test_chromium.py)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import numpy as np
from click.testing import CliRunner

from conftest import fixture_path, loaded
from heaptui.cli import main
from heaptui.engine.filters import (
    FILTERS,
    duplicated_string_groups,
    filter_mask,
    native_context_filter,
    native_context_owners,
    native_contexts,
)
from heaptui.tui.app import HeapTUI
from heaptui.tui.screens.filter_picker import FilterPicker
from test_tui import settle, table, wait_for


def raw(name: str) -> dict:
    with gzip.open(fixture_path(name), "rt", encoding="utf-8") as f:
        return json.load(f)


def test_the_script_context_retains_the_request_logs():
    """requestLogs is a module-level const: its array and every entry hang off the script's Context only."""
    s = loaded("leaky-3")
    kept = filter_mask(s, "objectsRetainedByContexts")
    classes = {row.name: row.count for row in s.summary(kept)}
    everything = {row.name: row.count for row in s.summary()}
    # leaky_server.js: 2 rounds of 100 requests before leaky-3; the 201st {url, date} is the object
    # literal's boilerplate, held by its AllocationSite, not by a context
    assert classes["{url, date}"] == 200 and everything["{url, date}"] == 201
    assert classes["Date"] == 200
    assert "(GC roots)" not in classes and kept.sum() < s.node_count / 2
    # the filter never keeps unreachable objects, and keeps no context it did not have to
    assert not (kept & (s.distances == -5)).any()


def test_plain_duplicated_strings_match_a_count_over_the_raw_json():
    """Independent check: string nodes (type string, non-zero size) whose text occurs twice or more."""
    data = raw("leaky-3")
    meta = data["snapshot"]["meta"]
    fields, strings = meta["node_fields"], data["strings"]
    width, nodes = len(fields), data["nodes"]
    t, n, size = fields.index("type"), fields.index("name"), fields.index("self_size")
    string_type = meta["node_types"][0].index("string")
    texts = [
        strings[nodes[i + n]]
        for i in range(0, len(nodes), width)
        if nodes[i + t] == string_type and nodes[i + size] > 0
    ]
    repeated = {text: count for text, count in Counter(texts).items() if count > 1}
    s = loaded("leaky-3")
    mask = filter_mask(s, "duplicatedStrings")
    plain = mask & (s.node_type == s.types.string)
    groups = {g.value: g for g in duplicated_string_groups(s)}
    # A text held once as a string and again as a concatenated string is duplicated too (DevTools groups
    # both types by text); the raw count above sees only the plain copy.
    alone = sum(1 for g in groups.values() if int((s.node_type[list(g.nodes)] == s.types.string).sum()) == 1)
    assert int(plain.sum()) == sum(repeated.values()) + alone
    for text, count in repeated.items():
        assert groups[text].count >= count  # concatenated strings with the same text join the group
    assert all(g.wasted == g.size - int(s.shallow[list(g.nodes)].min()) for g in groups.values())


def test_node_has_no_console_and_no_event_listeners_and_one_native_context():
    s = loaded("leaky-3")
    assert not filter_mask(s, "objectsRetainedByConsole").any()
    assert not filter_mask(s, "objectsRetainedByEventHandlers").any()
    contexts = native_contexts(s)
    assert len(contexts) == 1 and s.raw_name(contexts[0]).startswith("system / NativeContext")
    owners = native_context_owners(s)
    assert set(np.unique(owners).tolist()) <= {-1, contexts[0]}
    assert not filter_mask(s, "sharedNativeContext").any()
    mine = filter_mask(s, native_context_filter(s, contexts[0]))
    none = filter_mask(s, "noNativeContext")
    assert not (mine & none).any() and (mine | none).all()
    # the request logs belong to the one realm
    date = next(row for row in s.summary(mine) if row.name == "Date")
    assert date.count >= 200


def test_summary_filter_option_and_strings_command():
    path = str(fixture_path("leaky-3"))
    runner = CliRunner()
    result = runner.invoke(main, ["summary", path, "--filter", "contexts", "--json", "--no-progress"])
    data = json.loads(result.output)
    s = loaded("leaky-3")
    expected = [row.to_json() for row in s.summary(filter_mask(s, "objectsRetainedByContexts"))]
    assert result.exit_code == 0 and data["filter"] == "objectsRetainedByContexts" and data["classes"] == expected
    context = int(s.node_id[native_contexts(s)[0]])
    result = runner.invoke(main, ["summary", path, "--filter", f"native-context=@{context}", "--no-progress"])
    assert result.exit_code == 0 and result.output.splitlines()[0].endswith(f"native context (@{context})")
    assert runner.invoke(main, ["summary", path, "--filter", "native-context=@4", "--no-progress"]).exit_code == 1
    assert runner.invoke(main, ["summary", path, "--filter", "bogus"]).exit_code == 2
    result = runner.invoke(main, ["strings", path, "--json", "--top", "3", "--no-progress"])
    data = json.loads(result.output)
    groups = duplicated_string_groups(s)
    assert [g["value"] for g in data["strings"]] == [g.value for g in groups[:3]]
    assert data["wasted"] == sum(g.wasted for g in groups)
    assert set(data["strings"][0]) == {"value", "count", "size", "wasted"}
    assert [g["wasted"] for g in data["strings"]] == sorted((g["wasted"] for g in data["strings"]), reverse=True)


async def test_the_filter_menu_applies_a_named_filter():
    s = loaded("leaky-3")
    app = HeapTUI([s.path], [s])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterPicker), "the filter menu")
        picker = app.screen
        labels = picker.labels
        assert labels[0] == "All objects" and [f.label for f in FILTERS] == labels[1 : 1 + len(FILTERS)]
        assert labels[-1].startswith("Native context @")
        for _ in range(labels.index("Objects retained by contexts")):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)  # the filter
        screen = app.screen
        assert screen.summary.filter.label == "Objects retained by contexts"
        shown = {row.name: row.count for row in screen.summary.model.all_classes}
        assert shown == {row.name: row.count for row in s.summary(filter_mask(s, "objectsRetainedByContexts"))}
        assert "Objects retained by contexts" in str(screen.query_one("#summary-filter").render())
        assert table(app, "summary").model is screen.summary.model
        await pilot.press("a")  # back to all objects
        await settle(pilot)
        assert screen.summary.filter.label is None
