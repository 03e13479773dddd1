"""heaptui.capture.record against a real Node process: an allocation timeline and a sampling profile."""

from __future__ import annotations

import threading

import pytest

from heaptui.capture.record import record_sampling, record_timeline  # noqa: E402
from heaptui.engine.allocation import allocation_tree  # noqa: E402
from heaptui.engine.heapprofile import read_heapprofile  # noqa: E402
from heaptui.engine.load import load_snapshot  # noqa: E402
from heaptui.engine.timeline import interval_id_range, timeline_intervals  # noqa: E402
from test_capture import free_port, listening, needs_node, no_partial_files, start  # noqa: E402


@pytest.fixture
def running():
    """The live servers a test starts, stopped at its end."""
    started: list = []
    yield started
    for server in started:
        server.stop()


def recording_under_load(server, record) -> int:
    """Run ``record()`` while requests keep coming; returns how many were made during it."""
    done = threading.Event()
    made = 0

    def load() -> None:
        nonlocal made
        while not done.wait(0.005):  # a bounded load: about 200 requests a second at most
            server.load(1)
            made += 1

    worker = threading.Thread(target=load)
    worker.start()
    try:
        record()
    finally:
        done.set()
        worker.join()
    return made


@needs_node
def test_a_timeline_recorded_under_load_holds_its_requests(running, tmp_path):
    port = free_port()
    server = start(running, f"--inspect-port={port}")
    server.load(5)  # warm: the handler's first call makes the literal's boilerplate
    output = tmp_path / "live.heaptimeline"
    before = server.requests
    made = recording_under_load(server, lambda: record_timeline(server.pid, output, 1.0))
    assert server.alive(), server.stop()
    assert made > 10 and no_partial_files(tmp_path) and not listening(port)
    s = load_snapshot(output)
    timeline = timeline_intervals(s)
    assert len(timeline) >= 10  # a sample every 50 ms
    everything = {row.name: row.count for row in s.summary()}
    low, high = interval_id_range(timeline, 1, len(timeline) - 1)
    during = {row.name: row.count for row in s.summary(s.allocated_between(low, high))}
    # Dates made while V8 sampled; those of requests answered while attaching or while the snapshot was
    # written fall before the first sample or after the last one
    assert 0 < during["Date"] <= made
    # each request makes its Date, then its {url, date}: one request (they come one at a time) may straddle
    # each end of the range, its Date on one side and its {url, date} on the other
    assert abs(during["Date"] - during["{url, date}"]) <= 2
    # every request's Date stays alive (the leak); the last ones may come after the snapshot was taken
    assert before + during["Date"] <= everything["Date"] <= server.requests
    assert allocation_tree(s)  # recorded with stacks


@needs_node
def test_a_sampling_profile_recorded_under_load(running, tmp_path):
    port = free_port()
    server = start(running, f"--inspect-port={port}")
    output = tmp_path / "live.heapprofile"
    made = recording_under_load(server, lambda: record_sampling(server.pid, output, 1.0, interval=512))
    assert made > 10 and no_partial_files(tmp_path) and not listening(port)
    profile = read_heapprofile(output)
    assert profile.total > 0 and profile.by_function()


@needs_node
def test_capture_and_record_from_the_command_line(running, tmp_path):
    from click.testing import CliRunner

    from heaptui.cli import main

    port = free_port()
    server = start(running, f"--inspect-port={port}")
    runner = CliRunner()
    pattern = str(tmp_path / "leak-{n}.heapsnapshot")
    result = runner.invoke(main, ["capture", str(server.pid), "--count", "2", "--every", "0", "-o", pattern,
                                  "--no-open"])
    paths = [tmp_path / "leak-1.heapsnapshot", tmp_path / "leak-2.heapsnapshot"]
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if not line.startswith("heaptui:")] == \
        [str(p) for p in paths]
    assert all(p.exists() for p in paths) and not listening(port)
    result = runner.invoke(main, ["record", str(server.pid), "--duration", "300ms", "--sampling",
                                  "-o", str(tmp_path / "s.heapprofile"), "--no-open"])
    assert result.exit_code == 0 and (tmp_path / "s.heapprofile").exists(), result.output
    for args, code in ((["capture", "999999999"], 1), (["record", str(server.pid), "--duration", "soon"], 2),
                       (["capture", str(server.pid), "--count", "3"], 2)):
        result = runner.invoke(main, [*args, "--no-open"])
        assert result.exit_code == code and result.output.count("\n") <= 4 and "Traceback" not in result.output
    assert server.alive()
