"""Issue 23: one long-lived inspector session with a running Node process (heaptui.capture.session.LiveSession),
and what the Comparison says of snapshots from separate sessions.

Each test starts its own ``tests/fixtures/live_server.js`` (one leaked ``{url, date}`` and ``Date`` per request)
and checks, on real snapshots: two snapshots of one session compare exactly (1,500 requests between them: 1,500
new ``Date``, no warning); two ``capture`` runs (two sessions) are said to be separate sessions, with # Delta and
Size Delta right and # New / # Deleted unknown (JSON null); a snapshot of another program is said to be of a
different process; the inspector is closed by ``close()``, by a signal to the process holding the session, and
while a snapshot streams, and the server lives on. Waits are on the thing itself, bounded and explained.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from heaptui.capture import CaptureError, take_snapshot  # noqa: E402
from heaptui.capture.session import LiveSession, SessionClosed  # noqa: E402
from heaptui.engine.allocation import allocation_tree  # noqa: E402
from heaptui.engine.compare import compare  # noqa: E402
from heaptui.engine.heapprofile import read_heapprofile  # noqa: E402
from heaptui.engine.load import load_snapshot  # noqa: E402
from heaptui.engine.provenance import Origin  # noqa: E402
from test_capture import SERVER, free_port, listening, needs_node, no_partial_files, start  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 1500
BOUND = 120.0  # seconds: the longest a wait below may take on a very busy machine before the test fails
BALLAST = 300_000  # objects: a snapshot of some 50 MB, seconds to take, so a close lands in the middle of it


@pytest.fixture
def servers():
    started: list = []
    yield started
    for server in started:
        server.stop()


def wait_for(condition, what: str, bound: float = BOUND) -> float:
    """Wait until ``condition()`` holds; returns how long it took. Fails naming ``what`` after ``bound`` s."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > bound:
            pytest.fail(f"waited {bound:g} s for {what}")
        time.sleep(0.01)
    return time.monotonic() - started


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def classes(comparison, field: str) -> dict[str, object]:
    return {row.name: getattr(row, field) for row in comparison.rows}


# -- one session ------------------------------------------------------------------------------------------------


@needs_node
def test_snapshots_of_one_session_compare_exactly_and_close_closes_the_inspector(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    server.load(5)  # the handler's first call makes the literal's boilerplate
    out = tmp_path / "out"
    with LiveSession(server.pid, out) as session:
        assert listening(port) and session.directory == out and mode(out) == 0o700
        used, total = session.heap_usage()
        assert 0 < used <= total
        phases: list[str] = []
        first = session.take_snapshot(progress=lambda phase, done, total: phases.append(phase))
        server.load(REQUESTS)
        second = session.take_snapshot()
        assert {"snapshot", "writing"} <= set(phases)
        assert listening(port)  # one session, open all along
    assert not listening(port), "the inspector is still open after close()"
    assert [p.name.split("-")[0] for p in (first, second)] == ["1", "2"]
    assert all(p.parent == out and p.suffix == ".heapsnapshot" and mode(p) == 0o600 for p in (first, second))
    assert no_partial_files(out)
    comparison = compare(load_snapshot(first), load_snapshot(second))
    assert comparison.warnings == [] and comparison.ids_carry
    new = classes(comparison, "new_count")
    assert new["Date"] == REQUESTS
    # plus, once, V8's boilerplate of the {url, date} literal when it makes one (after the handler warmed up)
    assert new["{url, date}"] in (REQUESTS, REQUESTS + 1)
    assert server.alive() and server.load(1) == 5 + REQUESTS + 1  # still serving, its leak intact
    session.close()  # idempotent
    with pytest.raises(SessionClosed):
        session.take_snapshot()
    assert session.heap_usage() is None


@needs_node
def test_the_default_directory_is_new_and_private_and_made_only_for_a_file(servers, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = start(servers, "--inspect-port=0")
    with LiveSession(server.pid) as session:
        assert session.directory is None and list(tmp_path.iterdir()) == []
        path = session.take_snapshot()
    assert path.parent.parent == tmp_path and path.parent.name.startswith(f"heaptui-{server.pid}-")
    assert mode(path.parent) == 0o700 and mode(path) == 0o600


@needs_node
def test_recordings_through_the_session(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    server.load(5)
    with LiveSession(server.pid, tmp_path) as session:
        session.start_timeline()
        with pytest.raises(CaptureError, match="being recorded already"):
            session.start_sampling()
        server.load(50)
        time.sleep(0.3)  # let V8 take a few samples (its own 50 ms timer) while the pump reads them
        timeline = session.stop_timeline()
        session.start_sampling(interval=512)
        server.load(50)
        profile = session.stop_sampling()
        with pytest.raises(CaptureError, match="no sampling is being recorded"):
            session.stop_sampling()
        assert session.heap_usage() is not None  # the session is usable after its recordings
    assert not listening(port) and server.alive()
    assert timeline.name.startswith("1-") and timeline.suffix == ".heaptimeline"
    assert profile.name.startswith("2-") and profile.suffix == ".heapprofile"
    s = load_snapshot(timeline)
    assert s.samples is not None and allocation_tree(s)  # a timeline with allocation stacks
    assert {row.name: row.count for row in s.summary()}["Date"] == 55
    assert read_heapprofile(profile).total > 0


@needs_node
def test_closing_while_a_snapshot_streams_cancels_it_and_closes_the_inspector(servers, tmp_path):
    port = free_port()
    code = (
        f"globalThis.ballast = Array.from({{length: {BALLAST}}}, (_, i) => ({{i, s: 'x' + i}}));"
        f"require({str(SERVER)!r});"
    )
    server = start(servers, f"--inspect-port={port}", script=["-e", code])
    session = LiveSession(server.pid, tmp_path)
    failure: list[BaseException] = []

    def snapshot() -> None:
        try:
            session.take_snapshot()
        except BaseException as error:  # noqa: BLE001 - what the worker ended with is the test's subject
            failure.append(error)

    worker = threading.Thread(target=snapshot)
    worker.start()
    wait_for(
        lambda: any(p.name.endswith(".partial") and p.stat().st_size > 0 for p in tmp_path.iterdir()),
        "the snapshot to start writing its partial file",
    )
    session.close()
    worker.join(BOUND)
    assert not worker.is_alive() and len(failure) == 1 and isinstance(failure[0], SessionClosed), failure
    assert not listening(port) and list(tmp_path.iterdir()) == []
    assert server.alive() and server.load(1) == 1


@needs_node
def test_an_unusable_output_directory_is_refused_before_the_process_is_touched(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    (tmp_path / "file").write_text("x")
    os.symlink(tmp_path, tmp_path / "link")
    for target in (tmp_path / "file", tmp_path / "link"):
        with pytest.raises(CaptureError, match=r"not a directory"):
            LiveSession(server.pid, target)
    assert not listening(port) and server.alive()


# -- every way out closes the inspector ---------------------------------------------------------------------------

HOLDER = """
import sys, time
from heaptui.capture.session import LiveSession
with LiveSession(int(sys.argv[1]), sys.argv[2]) as session:
    print("attached", flush=True)
    while True:
        time.sleep(1)
"""


@needs_node
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT], ids=["SIGHUP", "SIGTERM", "SIGINT"])
def test_a_signal_to_the_process_holding_the_session_closes_the_inspector(servers, tmp_path, signum):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(server.pid), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signum,)],
    )
    try:
        line = holder.stdout.readline()  # type: ignore[union-attr]
        assert line == "attached\n", holder.communicate()
        assert listening(port)
        holder.send_signal(signum)
        closing = wait_for(lambda: not listening(port), f"port {port} to close after {signum.name}")
        holder.wait(BOUND)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    print(f"{signum.name}: inspector closed {closing:.2f} s after the signal")
    assert holder.returncode != 0
    assert server.alive() and server.load(1) == 1


# -- snapshots of separate sessions (issue 23, item 4) -----------------------------------------------------------


@needs_node
def test_two_capture_runs_are_said_to_be_separate_sessions_and_counted_not_matched(servers, tmp_path):
    from click.testing import CliRunner

    from heaptui.cli import main

    server = start(servers, "--inspect-port=0")
    server.load(5)
    first = take_snapshot(server.pid, tmp_path / "a.heapsnapshot")
    server.load(REQUESTS)
    second = take_snapshot(server.pid, tmp_path / "b.heapsnapshot")
    base, newer = load_snapshot(first), load_snapshot(second)
    comparison = compare(base, newer)
    assert comparison.provenance is not None and comparison.provenance.origin is Origin.SEPARATE_SESSIONS
    assert not comparison.ids_carry
    assert len(comparison.warnings) == 1 and "separate inspector sessions" in comparison.warnings[0]
    assert "different processes" not in comparison.warnings[0]
    # the ids are renumbered: about half of the objects with the same id have another class
    assert comparison.provenance.id_agreement < 0.8
    delta, size_delta = classes(comparison, "delta"), classes(comparison, "size_delta")
    assert delta["Date"] == REQUESTS and delta["{url, date}"] in (REQUESTS, REQUESTS + 1)  # + the boilerplate
    # # Delta and Size Delta: the classes counted in each snapshot's Summary, independently of the Comparison
    for name in ("Date", "{url, date}", "(string)", "Array"):
        counts = [sum(row.count for row in s.summary() if row.name == name) for s in (base, newer)]
        sizes = [sum(row.shallow_size for row in s.summary() if row.name == name) for s in (base, newer)]
        assert (delta[name], size_delta[name]) == (counts[1] - counts[0], sizes[1] - sizes[0])
    assert all(
        row.new_count is None and row.deleted_count is None and row.alloc_size is None and row.freed_size is None
        for row in comparison.rows
    )
    assert list(comparison.new_objects(0)) == [] and list(comparison.deleted_objects(0)) == []
    result = CliRunner().invoke(main, ["diff", str(first), str(second), "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {row["name"]: row for row in data["classes"]}
    assert rows["Date"] == {
        "name": "Date",
        "new": None,
        "deleted": None,
        "delta": REQUESTS,
        "alloc_size": None,
        "freed_size": None,
        "size_delta": size_delta["Date"],
    }
    assert data["ids_carry"] is False and data["total"]["new"] is None
    text = CliRunner().invoke(main, ["diff", str(first), str(second), "--top", "40", "--no-progress"]).output
    date_line = next(line for line in text.splitlines() if line.startswith("Date "))
    assert date_line.split() == ["Date", f"+{REQUESTS:,}", f"+{size_delta['Date']:,}"]


@needs_node
def test_another_program_is_still_a_different_process(servers, tmp_path):
    code = (
        "const http = require('http'); const keep = []; const s = http.createServer((q, r) => "
        "{ keep.push(new Date()); r.end('1'); }).listen(0, '127.0.0.1', () => "
        "process.stdout.write(`PORT ${s.address().port}\\n`)); process.stdin.resume();"
        "process.stdin.on('end', () => process.exit(0));"
    )
    ours = start(servers, "--inspect-port=0")
    other = start(servers, "--inspect-port=0", script=["-e", code])
    first = take_snapshot(ours.pid, tmp_path / "ours.heapsnapshot")
    second = take_snapshot(other.pid, tmp_path / "other.heapsnapshot")
    comparison = compare(load_snapshot(first), load_snapshot(second))
    assert comparison.provenance is not None and comparison.provenance.origin is Origin.DIFFERENT_PROCESSES
    assert comparison.ids_carry  # DevTools' numbers, with the warning
    assert len(comparison.warnings) == 1 and "different processes" in comparison.warnings[0]
    # Node's own scripts are the same in both; the program's own is not
    assert comparison.provenance.same_own_scripts == 0 < comparison.provenance.own_scripts


@needs_node
def test_a_process_that_exits_while_attached_is_said_and_the_session_still_closes(servers, tmp_path):
    server = start(servers, "--inspect-port=0")
    session = LiveSession(server.pid, tmp_path)
    assert session.alive and session.heap_usage() is not None
    server.process.kill()
    server.process.wait()
    assert not session.alive
    with pytest.raises(CaptureError, match=rf"^process {server.pid} exited"):
        session.heap_usage()
    with pytest.raises(CaptureError, match=rf"^process {server.pid} exited"):
        session.take_snapshot()
    session.close()
    assert session.closed and no_partial_files(tmp_path)
