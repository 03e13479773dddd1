"""heaptui mcp: the CLI's answers as MCP tools, driven by the SDK's own client over stdio, and the tools alone.

The numbers are the ones the CLI's tests assert for the same files (leaky-1/2/3: 100 requests between
snapshots, each a Date in a {url, date} pushed to requestLogs; counts cross-checked there by reading the
raw JSON, sizes by DevTools' worker), and every answer is compared with the CLI's ``--json`` for the same
question, so the tools reuse the CLI's shapes rather than copy them. The retainer path is compared with
the app's own Retainers model (its first chain, as DevTools opens it).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, fixture_path, loaded
from heaptui.cli import main
from heaptui.mcp import tools
from heaptui.mcp.arguments import DEFAULT_LIMIT
from heaptui.mcp.sessions import SnapshotStore, ToolProblem
from test_compare import raw_classes

N = 100
LEAKY = [str(fixture_path(f"leaky-{i}")) for i in (1, 2, 3)]
TIMELINE = str(FIXTURES / "timeline-leaky.heaptimeline.gz")
PROFILE = str(FIXTURES / "alloc-leaky.heapprofile.gz")
NOT_A_SNAPSHOT = str(FIXTURES / "leaky_server.js")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def store() -> SnapshotStore:
    return SnapshotStore([str(FIXTURES)])


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def cli_line(*args: str) -> str:
    """The one line the CLI prints for a question it cannot answer, without its ``heaptui: `` prefix."""
    result = CliRunner().invoke(main, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    return line.removeprefix("heaptui: ")


# ---------------------------------------------------------------- the tools, without MCP


def test_summary_is_the_cli_summary_a_page_at_a_time(store):
    whole = cli_json("summary", LEAKY[2])
    first = tools.summary(store, LEAKY[2], limit=7)
    assert first["snapshot"] == whole["snapshot"] and first["classes"] == whole["classes"][:7]
    assert (first["total"], first["offset"], first["limit"], first["next_offset"]) == (len(whole["classes"]), 0, 7, 7)
    rows = []
    offset = 0
    while offset is not None:
        answer = tools.summary(store, LEAKY[2], limit=1000, offset=offset)
        rows += answer["classes"]
        offset = answer["next_offset"]
    assert rows == whole["classes"]
    dates = {r["name"]: r for r in tools.summary(store, LEAKY[2], name="Date")["classes"]}
    assert dates["Date"]["count"] == 2 * N
    assert {r["name"]: r["count"] for r in tools.summary(store, LEAKY[2], name="url")["classes"]} == {
        "{url, date}": 2 * N + 1
    }


def test_summary_options_are_the_cli_options(store):
    since = tools.summary(store, LEAKY[2], since=LEAKY[1], limit=1000)
    assert since["classes"] == cli_json("summary", LEAKY[2], "--since", LEAKY[1])["classes"]
    assert {r["name"]: r["count"] for r in since["classes"]}["Date"] == N
    contexts = tools.summary(store, LEAKY[2], filter="contexts", limit=1000)
    assert contexts["filter"] == "objectsRetainedByContexts"
    assert contexts["classes"] == cli_json("summary", LEAKY[2], "--filter", "contexts")["classes"]
    assert tools.summary(store, LEAKY[2], top=3, limit=2)["total"] == 3
    with pytest.raises(ToolProblem, match="since and before cannot be used together"):
        tools.summary(store, LEAKY[2], since=LEAKY[0], before=LEAKY[1])
    with pytest.raises(ToolProblem, match="one of duplicated-strings"):
        tools.summary(store, LEAKY[2], filter="nonsense")
    with pytest.raises(ToolProblem) as problem:
        tools.summary(store, LEAKY[2], filter="native-context=@1")
    assert problem.value.line == cli_line("summary", LEAKY[2], "--filter", "native-context=@1")


def test_diff_counts_the_new_dates(store):
    answer = tools.diff(store, LEAKY[1], LEAKY[2], limit=1000)
    whole = cli_json("diff", LEAKY[1], LEAKY[2])
    assert answer["classes"] == whole["classes"] and answer["total"] == len(whole["classes"])
    rows = {r["name"]: r for r in answer["classes"]}
    assert rows["Date"] == {
        "name": "Date",
        "new": N,
        "deleted": 0,
        "delta": N,
        "alloc_size": 9600,
        "freed_size": 0,
        "size_delta": 9600,
    }
    assert rows["{url, date}"]["new"] == N
    growth = whole["total"]["size_delta"]
    assert tools.diff(store, LEAKY[1], LEAKY[2], fail_on_growth=growth)["growth"]["exceeded"] is False
    assert tools.diff(store, LEAKY[1], LEAKY[2], fail_on_growth=growth - 1)["growth"]["exceeded"] is True
    assert tools.diff(store, LEAKY[1], LEAKY[2], fail_on_growth="1kB")["growth"]["limit"] == 1000
    with pytest.raises(ToolProblem, match="is not a size"):
        tools.diff(store, LEAKY[1], LEAKY[2], fail_on_growth="lots")


def test_leaks_first_cluster_runs_through_request_logs(store):
    answer = tools.leaks(store, *LEAKY, limit=1)
    whole = cli_json("leaks", *LEAKY)
    assert answer["clusters"] == whole["clusters"][:1] and answer["total"] == len(whole["clusters"])
    assert answer["next_offset"] == (1 if len(whole["clusters"]) > 1 else None)
    first = answer["clusters"][0]
    assert "requestLogs → Array → [i] → {url, date}" in first["path"]
    assert {c["name"]: c["count"] for c in first["classes"]} == {"Date": N, "{url, date}": N}
    assert first["retained_size"] == N * 176  # DevTools' retained sizes of the leaked {url, date} (test_leaks)
    assert answer["retained_size"] == whole["retained_size"]
    assert [g["path"].endswith("requestLogs → Array") for g in answer["growing_collections"]] == [True]


def test_object_pages_the_retainers_of_the_cli_object(store):
    s = loaded("leaky-3")
    array = s.node_for_id(tools.retainers(store, LEAKY[2], _a_date(store))["path"][1]["id"])
    node_id = f"@{s.node_id[array]}"
    whole = cli_json("object", LEAKY[2], node_id)
    answer = tools.object_(store, LEAKY[2], node_id, limit=1000)
    assert {k: v for k, v in answer.items() if k not in ("total", "offset", "limit", "next_offset")} == whole
    assert tools.object_json(s, array) == s.object_json(array)
    one = tools.object_(store, LEAKY[2], node_id, limit=1)
    assert one["retainers"] == whole["retainers"][:1] and one["total"] == len(whole["retainers"])
    assert tools.object_(store, LEAKY[2], node_id, offset=10**6)["retainers"] == []
    with pytest.raises(ToolProblem) as problem:
        tools.object_(store, LEAKY[2], "@1234567")
    assert problem.value.line == cli_line("object", LEAKY[2], "@1234567")


def _a_date(store) -> int:
    return tools.instances(store, LEAKY[2], "Date", limit=1)["objects"][0]["id"]


def test_retainers_open_the_first_chain_as_the_retainers_pane(store):
    from heaptui.tui.models.tree import RETAINER, RetainersModel

    s = loaded("leaky-3")
    listed = tools.instances(store, LEAKY[2], "Date", limit=1000)
    assert listed["total"] == 2 * N and listed["classes"][0]["count"] == 2 * N
    assert [o["id"] for o in listed["objects"]] == [
        int(s.node_id[v]) for v in s.instances(next(r.class_index for r in s.summary() if r.name == "Date"))
    ]
    new = tools.instances(store, LEAKY[2], "Date", since=LEAKY[1], limit=1000)
    assert new["total"] == N and new["classes"][0]["count"] == N  # the diff's 100 new Dates
    assert {o["id"] for o in new["objects"]} < {o["id"] for o in listed["objects"]}
    # Independently, by id over the raw JSON: the Dates leaky-3 has and leaky-2 had not.
    assert {o["id"] for o in new["objects"]} == raw_classes("leaky-3")["Date"] - raw_classes("leaky-2")["Date"]
    date = new["objects"][0]["id"]
    answer = tools.retainers(store, LEAKY[2], f"@{date}")
    path = answer["path"]
    assert answer["object"]["id"] == date and answer["object"]["class"] == "Date"
    assert [(p["edge_type"], p["edge_name"], p["class"]) for p in path[:3]] == [
        ("property", "date", "{url, date}"),
        ("element", path[1]["edge_name"], "Array"),
        ("context", "requestLogs", "system / Context"),
    ]
    assert "date in {url, date} @" in answer["text"] and "requestLogs in system / Context @" in answer["text"]
    # The app's Retainers model opens the same chain: each level's first row, expanded.
    model = RetainersModel(s, s.node_for_id(date))
    chain, depth = [], 0
    for row in model.rows:
        if row.kind == RETAINER and row.depth == depth:
            chain.append(int(s.node_id[row.node]))
            depth += 1
    assert [p["id"] for p in path] == chain
    assert answer["stopped"] == "gc root" and path[-1]["distance"] <= 1
    assert path[0]["of"] == 1  # a Date is held by its {url, date} alone
    short = tools.retainers(store, LEAKY[2], date, depth=2)
    assert short["path"] == path[:2] and short["stopped"] == "depth"
    # DevTools' "Ignore this retainer": without the {url, date}, nothing else holds the Date.
    ignored = tools.retainers(store, LEAKY[2], date, ignore=[f"@{path[0]['id']}"])
    assert ignored["ignored"] == [path[0]["id"]] and ignored["path"][0]["id"] == path[0]["id"]
    assert ignored["stopped"] == "unreachable"


def test_top_strings_allocations_stats_are_the_cli_answers(store):
    answer = tools.top(store, LEAKY[2], top=5, limit=3)
    whole = cli_json("top", LEAKY[2], "--top", "5")
    assert answer["objects"] == whole["objects"][:3] and answer["total"] == 5 and answer["next_offset"] == 3
    assert tools.top(store, LEAKY[2], top=5, limit=3, offset=3)["objects"] == whole["objects"][3:]
    answer = tools.strings(store, LEAKY[2], limit=1000)
    whole = cli_json("strings", LEAKY[2])
    assert answer["wasted"] == whole["wasted"] and answer["total"] == len(whole["strings"])
    assert [tools._clipped(dict(row)) for row in whole["strings"]][:1000] == answer["strings"]
    for file in (TIMELINE, PROFILE):
        whole = cli_json("allocations", file)
        answer = tools.allocations(store, file, limit=1000)
        assert answer["functions"] == whole["functions"] and answer["reason"] == whole["reason"]
    assert tools.stats(store, LEAKY[2]) == cli_json("stats", LEAKY[2])


def test_a_long_duplicated_string_is_cut():
    row = tools._clipped({"value": "x" * 1000, "count": 2, "size": 2064, "wasted": 1032})
    assert row["value"] == "x" * tools.MAX_STRING + "…" and row["length"] == 1000


def test_files_outside_the_roots_are_refused(store, tmp_path):
    outside = tmp_path / "leaky-3.heapsnapshot.gz"
    shutil.copy(fixture_path("leaky-3"), outside)
    with pytest.raises(ToolProblem, match="outside the directories this server may read"):
        tools.summary(store, str(outside))
    with pytest.raises(ToolProblem, match="outside the directories this server may read"):
        tools.summary(store, "../conftest.py")
    # A link inside a root to a file outside it is followed before the check.
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.heapsnapshot.gz").symlink_to(outside)
    linked = SnapshotStore([str(root)])
    with pytest.raises(ToolProblem, match="outside"):
        tools.stats(linked, "link.heapsnapshot.gz")
    (root / "copy.heapsnapshot.gz").write_bytes(outside.read_bytes())
    assert tools.stats(linked, "copy.heapsnapshot.gz") == tools.stats(store, LEAKY[2])  # relative to the root


def test_a_file_that_is_not_a_snapshot_is_the_cli_line(store):
    with pytest.raises(ToolProblem) as problem:
        tools.summary(store, NOT_A_SNAPSHOT)
    assert problem.value.line == cli_line("summary", NOT_A_SNAPSHOT)
    with pytest.raises(ToolProblem) as problem:
        tools.stats(store, "no-such.heapsnapshot")
    assert problem.value.line == "no-such.heapsnapshot: no such file"
    with pytest.raises(ToolProblem, match="no such file"):  # a second question fails the same way
        tools.stats(store, "no-such.heapsnapshot")


def test_hostile_names_and_files_are_one_visible_line(tmp_path):
    store = SnapshotStore([str(tmp_path)])
    evil = tmp_path / "evil\x1b]0;owned\x07\n.heapsnapshot"
    evil.write_text("{}")
    with pytest.raises(ToolProblem) as problem:
        tools.summary(store, str(evil))
    assert "\x1b" not in problem.value.line and "\\x1b]0;owned\\x07\\n" in problem.value.line
    assert problem.value.line == cli_line("summary", str(evil))
    fifo = tmp_path / "fifo.heapprofile"
    os.mkfifo(fifo)
    for tool in (tools.summary, tools.allocations):
        with pytest.raises(ToolProblem) as problem:
            tool(store, str(fifo))
        assert problem.value.line == cli_line(tool.__name__, str(fifo))


def test_a_bug_is_one_line_and_the_traceback_stays_in_the_log(store, caplog):
    from heaptui.mcp.server import answer

    def broken(store, file):
        raise RuntimeError("boom\nsecond line")

    result = answer(store, broken, "leaky-3.heapsnapshot.gz", file="leaky-3.heapsnapshot.gz")
    (content,) = result.content
    assert result.is_error and content.text == (
        "leaky-3.heapsnapshot.gz: internal error (RuntimeError: boom second line) (the server's log has the details)"
    )
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)
    ok = answer(store, tools.stats, LEAKY[2], file=LEAKY[2])
    assert not ok.is_error and json.loads(ok.content[0].text) == cli_json("stats", LEAKY[2])


def test_a_cancelled_question_stops_the_engine_and_the_next_one_answers():
    from heaptui.engine.errors import Cancelled
    from heaptui.mcp.server import answer

    store = SnapshotStore([str(FIXTURES)])
    cancel = threading.Event()
    cancel.set()  # the client cancelled before the engine's first step
    with pytest.raises(Cancelled):
        tools.leaks(store, *LEAKY, cancel=cancel)
    result = answer(store, tools.diff, f"{LEAKY[1]}, {LEAKY[2]}", base=LEAKY[1], file=LEAKY[2], cancel=cancel)
    assert result.is_error and result.content[0].text == f"{LEAKY[1]}, {LEAKY[2]}: cancelled"
    assert store.loads == 3  # the snapshots stay open: only the question's own work stopped
    again = tools.leaks(store, *LEAKY, cancel=threading.Event())
    assert again["clusters"][0] == tools.leaks(SnapshotStore([str(FIXTURES)]), *LEAKY)["clusters"][0]


def test_a_snapshot_is_loaded_once_however_many_ask_at_once():
    store = SnapshotStore([str(FIXTURES)])
    barrier = threading.Barrier(4)
    answers = []

    def ask() -> None:
        barrier.wait()
        answers.append(tools.stats(store, LEAKY[0]))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == 4 and all(a == answers[0] for a in answers)
    assert store.loads == 1 and store.open_count() == 1
    tools.summary(store, LEAKY[1], limit=1)
    assert store.loads == 2 and store.open_count() == 2  # several files open at once
    assert store.snapshot(LEAKY[0]) is store.snapshot(LEAKY[0]) and store.loads == 2


def test_the_least_recently_asked_file_is_closed_beyond_max_open():
    store = SnapshotStore([str(FIXTURES)], max_open=2)
    first = store.snapshot(LEAKY[0])
    store.snapshot(LEAKY[1])
    store.snapshot(LEAKY[2])
    assert store.open_count() == 2 and store.loads == 3
    assert store.snapshot(LEAKY[0]) is not first and store.loads == 4


def test_pydantic_argument_errors_become_one_line():
    from heaptui.mcp.server import one_line

    text = (
        "Error executing tool summary: 1 validation error for summaryArguments\nlimit\n"
        "  Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]\n"
        "    For further information visit https://errors.pydantic.dev/2/v/greater_than_equal"
    )
    assert one_line(text) == "summary: limit: Input should be greater than or equal to 1"
    assert one_line("a\nb") == "a b"


def test_without_the_sdk_heaptui_mcp_says_how_to_install_it():
    import subprocess

    script = "import sys; sys.modules['mcp'] = None; sys.argv = ['heaptui', 'mcp']; from heaptui.cli import run; run()"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "heaptui: the MCP server needs the MCP Python SDK, version 2: pip install 'heaptui[mcp]'\n"


# ---------------------------------------------------------------- the server, through the SDK's client


def _server(*options: str):
    from mcp import StdioServerParameters

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "heaptui", "mcp", "--root", str(FIXTURES), *options],
        env=env,
        cwd=str(FIXTURES),
    )


async def _call(session, name: str, arguments: dict) -> tuple[bool, str]:
    result = await session.call_tool(name, arguments)
    (content,) = result.content
    return bool(result.is_error), content.text


async def test_an_mcp_client_over_stdio_asks_the_leak_hunt_questions():
    import anyio
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    with anyio.fail_after(300):  # a loaded machine: the server's first load pays for numba's start
        async with stdio_client(_server()) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(listed) == {
                "summary",
                "diff",
                "leaks",
                "object",
                "retainers",
                "top",
                "strings",
                "allocations",
                "stats",
                "instances",
            }  # no capture without --allow-capture
            assert listed["retainers"].input_schema["properties"]["depth"]["default"] == 20

            error, text = await _call(session, "summary", {"file": "leaky-3.heapsnapshot.gz", "name": "Date"})
            assert not error
            rows = {r["name"]: r for r in json.loads(text)["classes"]}
            assert rows["Date"]["count"] == 2 * N

            error, text = await _call(session, "diff", {"base": LEAKY[1], "file": LEAKY[2]})
            assert not error
            diff = json.loads(text)
            assert {r["name"]: r["new"] for r in diff["classes"]}["Date"] == N
            assert diff["classes"] == cli_json("diff", LEAKY[1], LEAKY[2])["classes"][:DEFAULT_LIMIT]

            error, text = await _call(session, "instances", {"file": LEAKY[2], "class_name": "Date", "limit": 1})
            date = json.loads(text)["objects"][0]["id"]
            error, text = await _call(session, "retainers", {"file": LEAKY[2], "id": f"@{date}"})
            assert not error
            path = json.loads(text)["path"]
            assert [p["edge_name"] for p in path][:1] == ["date"]
            assert ("context", "requestLogs") in [(p["edge_type"], p["edge_name"]) for p in path]

            error, text = await _call(session, "leaks", {"baseline": LEAKY[0], "target": LEAKY[1], "final": LEAKY[2]})
            assert not error
            first = json.loads(text)["clusters"][0]
            assert "requestLogs → Array → [i] → {url, date}" in first["path"]
            assert {c["name"]: c["count"] for c in first["classes"]} == {"Date": N, "{url, date}": N}

            error, text = await _call(session, "stats", {"file": __file__})
            assert (
                error
                and text
                == f"{__file__}: outside the directories this server may read "
                f"({os.path.realpath(FIXTURES)}; heaptui mcp --root DIR allows more)"
            )
            error, text = await _call(session, "summary", {"file": NOT_A_SNAPSHOT})
            assert error and text == cli_line("summary", NOT_A_SNAPSHOT)
            error, text = await _call(session, "summary", {"file": LEAKY[2], "limit": 0})
            assert error and text == "summary: limit: Input should be greater than or equal to 1"


async def test_capture_is_offered_only_with_allow_capture():
    import anyio
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    with anyio.fail_after(120):
        async with stdio_client(_server("--allow-capture")) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert "capture" in names
            # This test's own process is no Node process: refused before any signal, in the CLI's one line.
            error, text = await _call(session, "capture", {"pid": os.getpid()})
            assert error and "\n" not in text and str(os.getpid()) in text
