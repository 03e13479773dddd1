"""``heaptui attach``'s app, driven with the Pilot against a live Node server (issue 23).

Attach, ``t``, 1,500 requests, ``t``, ``4``: the Comparison shows exactly 1,500 new ``Date`` (one inspector
session, so ids carry); the header shows the process and its heap use; ``r`` records a timeline that opens in
the Timeline view, ``R`` a sampling profile; ``q`` ends the app and closing the session closes the inspector,
the server living on. Waits are on the work itself (the app's jobs), bounded.
"""

from __future__ import annotations

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest

from heaptui.capture.session import LiveSession  # noqa: E402
from heaptui.tui.attach import (  # noqa: E402
    AttachApp,
    AttachedScreen,
    LiveProfileScreen,
    ProcessBar,
    WaitingScreen,
    sparkline,
)  # noqa: E402
from heaptui.tui.models.series import ComparisonModel  # noqa: E402
from heaptui.tui.widgets.tree_table import TreeTable  # noqa: E402
from test_capture import NODE, free_port, listening, start  # noqa: E402
from test_tui import settle  # noqa: E402

REQUESTS = 1500
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="attach needs Linux's /proc")


def needs_node() -> None:
    """These tests run real Node processes: they fail, not skip, when node is missing (as test_capture's)."""
    if NODE is None:
        pytest.fail("node is not on PATH: the attach tests run real Node processes (install Node >= 18)")


@pytest.fixture
def servers():
    started: list = []
    yield started
    for server in started:
        server.stop()


def header(app: AttachApp) -> str:
    bar = app.screen.query_one(ProcessBar)
    bar.show()
    return str(bar.render())


async def heap_read(pilot) -> None:
    """Wait until the app has read the heap use (its 1 s timer's first job answered)."""
    app = pilot.app
    for _ in range(600):
        await settle(pilot)
        if app.heap_now is not None:
            return
        await pilot.pause(0.05)
    pytest.fail("the app never read the process's heap use")


async def test_attach_take_two_snapshots_compare_exactly_and_quit_closes_the_inspector(servers, tmp_path):
    needs_node()
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    server.load(5)
    with LiveSession(server.pid, tmp_path, handle_signals=False) as session:
        app = AttachApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            assert isinstance(app.screen, WaitingScreen)
            await heap_read(pilot)
            line = header(app)
            assert line.startswith(f"pid {server.pid} node --inspect-port={port} live_server.js · heap "), line
            await pilot.press("t")
            await settle(pilot)
            assert isinstance(app.screen, AttachedScreen) and len(app.snapshots) == 1
            server.load(REQUESTS)
            await pilot.press("T")  # garbage collected first: the leaked Dates stay
            await settle(pilot)
            assert len(app.snapshots) == 2 and app.screen.index == 1
            await pilot.press("4")
            await settle(pilot)
            model = app.screen.query_one("#comparison-table", TreeTable).model
            assert isinstance(model, ComparisonModel) and model.comparison.warnings == []
            diffs = {row.values[0].name: row.values[0] for row in model.rows}
            assert diffs["Date"].new_count == REQUESTS and diffs["Date"].deleted_count == 0
            await pilot.press("q")
        assert listening(port)  # the app does not close the session: its owner does
    assert not listening(port), "the inspector is still open after the session ended"
    assert server.alive() and server.load(1) == 5 + REQUESTS + 1
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["1", "2"]


async def test_recordings_open_in_their_views(servers, tmp_path):
    needs_node()
    server = start(servers, "--inspect-port=0")
    server.load(5)
    with LiveSession(server.pid, tmp_path, handle_signals=False) as session:
        app = AttachApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("r")
            await settle(pilot)
            assert session.recording == "timeline"
            await pilot.press("R")  # another recording while one runs: said, not started
            await settle(pilot)
            assert session.recording == "timeline"
            server.load(50)
            await pilot.pause(0.3)
            await pilot.press("r")
            await settle(pilot)
            assert session.recording is None and len(app.snapshots) == 1
            assert isinstance(app.screen, AttachedScreen) and app.screen.current_view == "timeline"
            await pilot.press("R")
            await settle(pilot)
            assert session.recording == "sampling"
            # a sample every 32 kB allocated (DevTools' default) of what stays alive: ~200 bytes a request,
            # so some 12 samples expected (none at all: e^-12)
            server.load(2000)
            await pilot.press("R")
            await settle(pilot)
            assert isinstance(app.screen, LiveProfileScreen) and app.screen.profile.total > 0
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, AttachedScreen)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".heapprofile", ".heaptimeline"]


def test_sparkline():
    assert sparkline([]) == ""
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([0, 7, 14]) == "▁▄█"
    assert sparkline(list(range(100)), width=3) == "▁▄█"


# -- the command: every way out closes the inspector -------------------------------------------------------------

BOUND = 120.0  # seconds: the longest a wait below may take on a very busy machine before the test fails


def _attach_in_a_terminal(pid: int, out: Path) -> tuple[int, int]:
    """``heaptui attach PID -o OUT`` in a terminal of its own (a pty): (its pid, the terminal's master end)."""
    import pty

    from heaptui.capture import interrupt

    child, terminal = pty.fork()
    if child == 0:  # pragma: no cover - the child becomes heaptui
        os.environ["PYTHONPATH"] = str(ROOT)
        os.environ["TERM"] = "xterm-256color"
        for signum in interrupt.ENDING_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", "heaptui", "attach", str(pid), "-o", str(out)])
    os.set_blocking(terminal, False)
    return child, terminal


def _drain(terminal: int) -> bytes:
    """What the app wrote to its terminal so far (read, so the terminal never fills up)."""
    data = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except (BlockingIOError, OSError):
            return data
        if not chunk:
            return data
        data += chunk


def _wait(condition, what: str, terminal: int | None = None) -> float:
    started = time.monotonic()
    while not condition():
        if terminal is not None:
            _drain(terminal)
        if time.monotonic() - started > BOUND:
            pytest.fail(f"waited {BOUND:g} s for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.parametrize("how", ["hang-up", "SIGTERM"])
def test_the_terminal_going_away_or_sigterm_closes_the_inspector(servers, tmp_path, how):
    """heaptui attach in a pty that is hung up (an SSH connection dropping, a tmux session killed: SIGHUP, then
    every write fails), or sent SIGTERM: the inspector is closed, heaptui exits with 128 + the signal."""
    needs_node()
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    child, terminal = _attach_in_a_terminal(server.pid, tmp_path / "out")
    status = None
    try:
        screen = b""

        def attached() -> bool:
            nonlocal screen
            screen += _drain(terminal)
            return listening(port) and b"No snapshot yet" in screen

        _wait(attached, "heaptui attach to show its first screen")
        if how == "hang-up":
            os.close(terminal)
        else:
            os.kill(child, signal.SIGTERM)
        closing = _wait(
            lambda: not listening(port), f"port {port} to close after the {how}", None if how == "hang-up" else terminal
        )

        def ended() -> bool:
            nonlocal status
            pid, status = os.waitpid(child, os.WNOHANG)
            return pid == child

        _wait(ended, f"heaptui to exit after the {how}", None if how == "hang-up" else terminal)
    finally:
        if status is None:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        if how != "hang-up":
            os.close(terminal)
    print(f"{how}: inspector closed {closing:.2f} s after it")
    expected = signal.SIGHUP if how == "hang-up" else signal.SIGTERM
    assert os.waitstatus_to_exitcode(status) == 128 + expected
    assert server.alive() and server.load(1) == 1


def test_attach_refuses_what_it_cannot_attach_to_in_one_line(tmp_path):
    from click.testing import CliRunner

    from heaptui.cli import main

    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        result = CliRunner().invoke(main, ["attach", str(sleeper.pid)])
        assert result.exit_code == 1 and result.output.count("\n") == 1
        assert (
            result.output.startswith(f"heaptui: process {sleeper.pid} (sleep") and "not a Node process" in result.output
        )
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_comparison_of_separate_sessions_shows_blanks_for_new_and_deleted(servers, tmp_path):
    """Two capture runs (two sessions): the grid shows # Delta and Size Delta, sorted by Size Delta, and leaves
    # New, # Deleted, Alloc. and Freed Size blank; a class has nothing to expand into."""
    needs_node()
    from heaptui.capture import take_snapshot
    from heaptui.engine.compare import compare
    from heaptui.engine.load import load_snapshot
    from heaptui.tui.models.series import COMPARISON_WIDE

    server = start(servers, "--inspect-port=0")
    first = take_snapshot(server.pid, tmp_path / "a.heapsnapshot")
    server.load(REQUESTS)
    second = take_snapshot(server.pid, tmp_path / "b.heapsnapshot")
    model = ComparisonModel(compare(load_snapshot(first), load_snapshot(second)))
    assert model.sort_column == "size_delta"
    deltas = [row.values[0].size_delta for row in model.rows]
    assert deltas == sorted(deltas, reverse=True)
    date = next(row for row in model.rows if row.values[0].name == "Date")
    cells = model.cells(date, COMPARISON_WIDE)
    assert cells == ["", "", f"+{REQUESTS:,}", "", "", f"+{date.values[0].size_delta:,}"]
    assert not date.expandable


async def test_a_process_that_exits_is_said_in_the_header(servers, tmp_path):
    needs_node()
    server = start(servers, "--inspect-port=0")
    with LiveSession(server.pid, tmp_path, handle_signals=False) as session:
        app = AttachApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await heap_read(pilot)
            server.process.kill()
            server.process.wait()
            for _ in range(600):
                await settle(pilot)
                if app.gone is not None:
                    break
                await pilot.pause(0.05)
            assert app.gone == f"process {server.pid} exited during the capture"
            assert header(app).endswith(app.gone)
            await pilot.press("t")  # said, not crashed
            await settle(pilot)
            assert app.snapshots == []
