"""The three-snapshot leak report and `top`, on the leaky-server snapshots.

Cross-checks: which objects leaked comes from Python sets over the raw JSON
(test_compare.raw_classes); their retained sizes from DevTools' own numbers
for leaky-3 (tests/fixtures/expected/leaky-3.devtools.json.gz).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import devtools, fixture_path, loaded
from heaptui.cli import EXIT_GROWTH, main
from heaptui.engine.leaks import largest_objects, leak_report
from test_compare import raw_classes

N = 100


def report():
    return leak_report(loaded("leaky-1"), loaded("leaky-2"), loaded("leaky-3"))


def test_the_request_logs_cluster_comes_first_with_each_leaked_object_once():
    r = report()
    first = r.clusters[0]
    assert first.path_text.endswith("system / Context → requestLogs → Array → [i] → {url, date} → date → Date")
    assert first.classes == {"Date": N, "{url, date}": N} or first.classes == {"{url, date}": N, "Date": N}
    assert first.count == 2 * N
    # Independently: the {url, date} objects new in leaky-2 and still in leaky-3, by id over the raw JSON.
    leaked = (raw_classes("leaky-2")["{url, date}"] - raw_classes("leaky-1")["{url, date}"]) \
        & raw_classes("leaky-3")["{url, date}"]
    s = loaded("leaky-3")
    assert {int(s.node_id[v]) for v in first.nodes} <= leaked and len(first.nodes) == N
    # Each Date is dominated by its {url, date}: the cluster's size is DevTools' retained sizes of those, once.
    expected = devtools("leaky-3")["nodes"]
    retained_by_id = dict(zip(expected["id"], expected["retained_size"]))
    assert first.retained_size == sum(retained_by_id[int(s.node_id[v])] for v in first.nodes) == N * 176
    assert r.retained_size == sum(c.retained_size for c in r.clusters)
    # No object is in two clusters, and the clusters add up to the leaked objects (or V8's own).
    tops = [int(v) for c in r.clusters for v in c.nodes]
    assert len(tops) == len(set(tops))
    assert sum(c.count for c in r.clusters) <= r.leaked_count


def test_nothing_leaks_between_a_snapshot_and_itself():
    s = loaded("leaky-2")
    empty = leak_report(s, s, loaded("leaky-3"))
    assert empty.clusters == [] and empty.leaked_count == 0 and empty.retained_size == 0


def test_leaks_cli_json_text_and_fail_on_growth():
    files = [str(fixture_path(f"leaky-{i}")) for i in (1, 2, 3)]
    result = CliRunner().invoke(main, ["leaks", *files, "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first = data["clusters"][0]
    assert set(first) >= {"path", "count", "retained_size", "classes"}
    assert "requestLogs → Array → [i] → {url, date}" in first["path"]
    assert {c["name"]: c["count"] for c in first["classes"]} == {"Date": N, "{url, date}": N}
    total = data["retained_size"]
    ok = CliRunner().invoke(main, ["leaks", *files, "--fail-on-growth", str(total), "--no-progress"])
    assert ok.exit_code == 0 and "requestLogs" in ok.output
    over = CliRunner().invoke(main, ["leaks", *files, "--fail-on-growth", str(total - 1), "--no-progress"])
    assert over.exit_code == EXIT_GROWTH


def test_top_lists_the_largest_retained_sizes_with_paths():
    s = loaded("leaky-3")
    found = largest_objects(s, 5)
    sizes = [int(s.retained[o.node]) for o in found]
    assert sizes == sorted(sizes, reverse=True)
    others = [int(s.retained[v]) for v in range(s.node_count)
              if v != s.root and s.type_name(v) != "synthetic" and v not in {o.node for o in found}]
    assert min(sizes) >= max(others)
    result = CliRunner().invoke(main, ["top", str(fixture_path("leaky-3")), "--top", "3", "--json", "--no-progress"])
    assert result.exit_code == 0
    objects = json.loads(result.output)["objects"]
    assert [o["retained_size"] for o in objects] == sizes[:3]
    assert all(" → " in o["path"] for o in objects)
