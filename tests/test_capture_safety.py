"""Issue 18 for capture and record: safe on a shared production server.

What another local account must not get: a snapshot it can read (every file capture and record write is
0600 under a lax umask, through the --signal copy too), a file of the user's overwritten through a link
planted at a name it can predict, heaptui hung on a FIFO, or an inspector left open (any local user who can
reach its port runs code in the process). So: planted links and FIFOs at the old partial names stay untouched,
``-o`` naming a link, FIFO or device is refused before the process is touched, and SIGTERM, SIGHUP and SIGINT
in the middle of the capture of a big heap close the inspector, remove the partial file, print one line and
exit 128 + the signal. Each wait is on the thing itself (a port, a file, the process), bounded and explained.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_support import HEAPTUI_HOME

from heaptui.capture import CaptureError, interrupt, signal_snapshot, take_snapshot  # noqa: E402
from heaptui.capture import inspector as inspector_module  # noqa: E402
from heaptui.capture import proc as procfs  # noqa: E402
from heaptui.capture.record import record_sampling, record_timeline  # noqa: E402
from heaptui.capture.series import default_output  # noqa: E402
from test_capture import SERVER, free_port, listening, needs_node, no_partial_files, start  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BOUND = 120.0  # seconds: the longest any wait below may take on a very busy machine before the test fails
BALLAST = 300_000  # objects: a snapshot of some 50 MB, several seconds to take, so a signal lands mid-capture


def wait_for(condition: Callable[[], bool], what: str, bound: float = BOUND) -> float:
    """Wait until ``condition()`` holds; returns how long it took. Fails naming ``what`` after ``bound`` s."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > bound:
            pytest.fail(f"waited {bound:g} s for {what}")
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def servers() -> Iterator[list]:
    started: list = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """umask 022, the usual one: what a careless create would give others to read (inherited by Node too)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def big_server(servers: list, *node_args: str):
    """live_server.js holding BALLAST small objects more: its capture takes seconds."""
    code = (
        f"globalThis.ballast = Array.from({{length: {BALLAST}}}, (_, i) => ({{i, s: 'x' + i}}));"
        f"require({str(SERVER)!r});"
    )
    return start(servers, *node_args, script=["-e", code])


def run_heaptui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "heaptui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": HEAPTUI_HOME},
        timeout=BOUND,
    )


def _default_signals() -> None:
    """In the child: the ending signals at their defaults, whatever the test runner inherited (nohup)."""
    for signum in interrupt.ENDING_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


# -- modes ------------------------------------------------------------------------------------------------------


@needs_node
def test_everything_written_is_owner_only_under_umask_022(servers, tmp_path, lax_umask):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    outputs = [
        take_snapshot(server.pid, tmp_path / "one.heapsnapshot"),
        record_timeline(server.pid, tmp_path / "t.heaptimeline", 0.3),
        record_sampling(server.pid, tmp_path / "s.heapprofile", 0.3),
    ]
    result = run_heaptui("capture", str(server.pid), "--no-open", cwd=tmp_path)  # the default name
    assert result.returncode == 0, result.stderr
    outputs.append(tmp_path / result.stdout.strip())
    assert {path.name: mode(path) for path in outputs} == {path.name: 0o600 for path in outputs}
    assert sorted(tmp_path.iterdir()) == sorted(outputs)  # no partial file left either
    # an existing regular file of the user's given with -o is replaced by a new 0600 one
    old = tmp_path / "old.heapsnapshot"
    old.write_text("x")
    os.chmod(old, 0o644)
    take_snapshot(server.pid, old)
    assert mode(old) == 0o600 and old.read_bytes().startswith(b'{"snapshot":')
    assert not listening(port)


@needs_node
@pytest.mark.parametrize("across", [False, True], ids=["same-filesystem", "across-filesystems"])
def test_signal_mode_output_is_owner_only(servers, tmp_path, lax_umask, monkeypatch, across):
    """Node writes its own file 0600; what heaptui leaves is 0600 too, moved by rename or, across file systems
    (EXDEV, made to happen here), copied through a private temporary file (the copy was 0644 before)."""
    server = start(servers, "--heapsnapshot-signal=SIGUSR2", cwd=tmp_path)
    if across:
        import heaptui.private_files as private_files

        real_replace = os.replace

        def no_rename_across(src, dst, *args, **kwargs):
            if "Heap." in os.fspath(src):
                raise OSError(18, "Invalid cross-device link")  # EXDEV, as from /dev/shm to /tmp
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(private_files.os, "replace", no_rename_across)
    out = signal_snapshot(server.pid, tmp_path / "sig.heapsnapshot")
    assert mode(out) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sig.heapsnapshot"]  # Node's file moved or removed
    assert out.read_bytes().rstrip().endswith(b"]}")


# -- planted names ----------------------------------------------------------------------------------------------


@needs_node
def test_links_and_fifos_planted_at_the_old_partial_names_are_never_touched(servers, tmp_path):
    """What an attacker could predict before: OUT.partial, and for the default name one per second ahead."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n")
    os.chmod(victim, 0o600)
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    out = tmp_path / "out.heapsnapshot"
    Path(f"{out}.partial").symlink_to(victim)
    os.mkfifo(tmp_path / "fifo.heapsnapshot.partial")
    now = datetime.now()
    planted = [Path(f"{default_output(server.pid, now + timedelta(seconds=s))}.partial") for s in range(-1, 31)]
    for name in planted:
        (tmp_path / name).symlink_to(victim)
    take_snapshot(server.pid, out)
    take_snapshot(server.pid, tmp_path / "fifo.heapsnapshot")  # no hang on the FIFO
    result = run_heaptui("capture", str(server.pid), "--no-open", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "the user's own file\n"
    assert os.readlink(f"{out}.partial") == str(victim)
    assert all(os.readlink(tmp_path / name) == str(victim) for name in planted)
    assert stat.S_ISFIFO((tmp_path / "fifo.heapsnapshot.partial").lstat().st_mode)
    assert out.read_bytes().startswith(b'{"snapshot":')
    assert not listening(port)


@needs_node
def test_output_naming_a_link_fifo_or_device_is_refused_before_the_process_is_touched(servers, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    link = tmp_path / "link.heapsnapshot"
    link.symlink_to(victim)
    fifo = tmp_path / "fifo.heapsnapshot"
    os.mkfifo(fifo)
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    for target, kind in (
        (link, "a symbolic link"),
        (fifo, "a FIFO"),
        (Path("/dev/null"), "a device"),
        (tmp_path, "a directory"),
    ):
        for command in (["capture"], ["record", "--duration", "0.2s"], ["record", "--sampling"]):
            result = run_heaptui(*command, str(server.pid), "-o", str(target), "--no-open")
            assert result.returncode == 1, result.stderr
            assert result.stderr == f"heaptui: {target}: is {kind}; heaptui writes only new files or regular files\n"
    assert victim.read_text() == "keep\n" and link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not listening(port) and "Debugger listening" not in server.stop()  # its inspector was never opened


# -- every exit path closes the inspector -----------------------------------------------------------------------


@needs_node
@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130), (signal.SIGQUIT, 131)],
    ids=["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT"],
)
def test_a_signal_mid_capture_closes_the_inspector_and_leaves_no_partial_file(servers, tmp_path, signum, status):
    port = free_port()
    server = big_server(servers, f"--inspect-port={port}")
    out = tmp_path / "big.heapsnapshot"
    capture = subprocess.Popen(
        [sys.executable, "-m", "heaptui", "capture", str(server.pid), "-o", str(out), "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": HEAPTUI_HOME},
        preexec_fn=_default_signals,
    )
    try:

        def writing() -> bool:
            assert capture.poll() is None, f"the capture ended before the signal: {capture.communicate()}"
            return any(p.name.endswith(".partial") and p.stat().st_size > 0 for p in tmp_path.iterdir())

        wait_for(writing, "the capture to start writing its partial file")
        assert listening(port)
        capture.send_signal(signum)
        closing = wait_for(lambda: not listening(port), f"port {port} to close after {signum.name}")
        stdout, stderr = capture.communicate(timeout=BOUND)
    finally:
        if capture.poll() is None:
            capture.kill()
            capture.wait()
    print(f"{signum.name}: inspector closed {closing:.2f} s after the signal")
    assert capture.returncode == status, stderr
    assert stderr == (
        f"heaptui: capture ended by {signum.name}: the inspector heaptui opened is closed and no partial file is left\n"
    )
    assert stdout == ""
    assert list(tmp_path.iterdir()) == []
    assert server.alive() and server.load(1) == 1  # still serving, untouched
    take_snapshot(server.pid, tmp_path / "after.heapsnapshot")  # and capturable again, its port free
    assert not listening(port)


@needs_node
@pytest.mark.parametrize("sampling", [False, True], ids=["timeline", "sampling"])
def test_a_signal_while_recording_closes_the_inspector(servers, tmp_path, sampling):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    out = tmp_path / ("r.heapprofile" if sampling else "r.heaptimeline")
    args = ["record", str(server.pid), "--duration", "10m", "-o", str(out), "--no-open"]
    recording = subprocess.Popen(
        [sys.executable, "-m", "heaptui", *args, *(["--sampling"] if sampling else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": HEAPTUI_HOME},
        preexec_fn=_default_signals,
    )
    try:
        wait_for(lambda: listening(port), "the recording to open the inspector")
        server.load(5)
        recording.send_signal(signal.SIGTERM)
        wait_for(lambda: not listening(port), f"port {port} to close after SIGTERM")
        _, stderr = recording.communicate(timeout=BOUND)
    finally:
        if recording.poll() is None:
            recording.kill()
            recording.wait()
    assert recording.returncode == 143 and stderr.count("\n") == 1, stderr
    assert list(tmp_path.iterdir()) == []
    assert server.alive() and server.load(1) == 6


@needs_node
def test_the_terminal_going_away_closes_the_inspector(servers, tmp_path):
    """heaptui in a terminal of its own (a pty it controls) that is hung up mid-capture, as an SSH connection
    that drops: SIGHUP, then every write to the terminal fails; the inspector is closed all the same."""
    import pty

    port = free_port()
    server = big_server(servers, f"--inspect-port={port}")
    out = tmp_path / "big.heapsnapshot"
    child, terminal = pty.fork()
    if child == 0:  # pragma: no cover - the child becomes heaptui
        os.environ["PYTHONPATH"] = HEAPTUI_HOME
        _default_signals()
        os.execv(sys.executable, [sys.executable, "-m", "heaptui", "capture", str(server.pid), "-o", str(out)])
    os.set_blocking(terminal, False)
    status = None

    def writing() -> bool:
        try:
            os.read(terminal, 65536)  # the progress line: read so that the terminal never fills up
        except (BlockingIOError, OSError):
            pass
        return any(p.name.endswith(".partial") and p.stat().st_size > 0 for p in tmp_path.iterdir())

    try:
        wait_for(writing, "the capture to start writing its partial file")
        os.close(terminal)  # the terminal goes away
        wait_for(lambda: not listening(port), f"port {port} to close after the hang-up")

        def ended() -> bool:
            nonlocal status
            pid, status = os.waitpid(child, os.WNOHANG)
            return pid == child

        wait_for(ended, "heaptui to exit after the hang-up")
    finally:
        if status is None:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 129
    assert list(tmp_path.iterdir()) == []
    assert server.alive()


@needs_node
def test_an_error_in_heaptuis_own_code_closes_the_inspector(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")

    def broken(phase: str, done: int, total: int) -> None:
        if phase == "writing":
            raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        take_snapshot(server.pid, tmp_path / "x.heapsnapshot", progress=broken)
    assert not listening(port) and list(tmp_path.iterdir()) == []
    assert server.alive()


@needs_node
def test_a_signal_right_after_sigusr1_still_closes_the_inspector(servers, tmp_path, monkeypatch):
    """The signal lands between SIGUSR1 and the first sight of the socket: the cleanup waits for the socket."""
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    real = inspector_module._new_listener
    calls = []

    def interrupted_once(*args):
        calls.append(1)
        if len(calls) == 1:
            raise interrupt.Interrupted(signal.SIGTERM)
        return real(*args)

    monkeypatch.setattr(inspector_module, "_new_listener", interrupted_once)
    with pytest.raises(interrupt.Interrupted):
        take_snapshot(server.pid, tmp_path / "x.heapsnapshot")
    assert len(calls) > 1  # the cleanup looked for the socket
    assert not listening(port) and list(tmp_path.iterdir()) == []
    assert server.alive()


def test_signals_become_one_interruption_and_wait_for_the_cleanup():
    """The first signal raises; a second one during the cleanup is ignored; one arriving inside a cleanup is
    raised after it."""
    cleaned = []
    with pytest.raises(interrupt.Interrupted) as first:
        with interrupt.handling_signals():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(BOUND)  # interrupted at once
            finally:
                os.kill(os.getpid(), signal.SIGINT)  # a second signal: ignored
                cleaned.append("done")
    assert first.value.exit_status == 143 and cleaned == ["done"]
    with pytest.raises(interrupt.Interrupted) as during:
        with interrupt.handling_signals():
            interrupt.run_whole(lambda: (os.kill(os.getpid(), signal.SIGHUP), cleaned.append("whole")))
    assert during.value.exit_status == 129 and cleaned == ["done", "whole"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# -- an inspector left open -------------------------------------------------------------------------------------


@needs_node
def test_an_inspector_left_open_is_said_and_closed_after_use(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    os.kill(server.pid, signal.SIGUSR1)  # what a capture killed with SIGKILL leaves behind
    wait_for(lambda: listening(port), f"process {server.pid} to open its inspector on port {port}")
    warnings: list[str] = []
    take_snapshot(server.pid, tmp_path / "x.heapsnapshot", warn=warnings.append)
    assert warnings == [
        f"the inspector of process {server.pid} was open on port {port} although neither its "
        "command line nor NODE_OPTIONS asked for one (left open by an earlier capture?): heaptui "
        "closes it after use"
    ]
    assert not listening(port)
    assert server.alive()


@needs_node
def test_an_inspector_left_open_elsewhere_does_not_block_another_capture(servers, tmp_path):
    """Two processes whose inspectors open on the same port: the one left open in the first is closed, with
    one line, so that the second can be captured (a busy port was refused before)."""
    port = free_port()
    first = start(servers, f"--inspect-port={port}")
    second = start(servers, f"--inspect-port={port}")
    os.kill(first.pid, signal.SIGUSR1)
    wait_for(lambda: listening(port), f"process {first.pid} to open its inspector on port {port}")
    result = run_heaptui("capture", str(second.pid), "-o", str(tmp_path / "second.heapsnapshot"), "--no-open")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"heaptui: warning: port {port}, where process {second.pid} opens its inspector, was "
        f"held by the inspector of process {first.pid}, open although it was not started with "
        "--inspect (left open by an earlier capture?): heaptui closed it\n"
    )
    assert (tmp_path / "second.heapsnapshot").exists() and not listening(port)
    assert first.alive() and second.alive()


@needs_node
def test_an_inspector_started_with_inspect_is_left_open_and_in_use_one_is_not_closed(servers, tmp_path):
    port = free_port()
    meant = start(servers, f"--inspect=127.0.0.1:{port}")
    wait_for(lambda: listening(port), f"the inspector of process {meant.pid} on port {port}")
    warnings: list[str] = []
    take_snapshot(meant.pid, tmp_path / "meant.heapsnapshot", warn=warnings.append)
    assert warnings == [] and listening(port)
    other = start(servers, f"--inspect-port={port}")  # would open on the same port, held by a wanted inspector
    with pytest.raises(CaptureError, match=rf"^inspector port busy: port {port}, .* held by process {meant.pid}"):
        take_snapshot(other.pid, tmp_path / "other.heapsnapshot")
    assert listening(port) and meant.alive() and other.alive()
    assert no_partial_files(tmp_path)


@needs_node
def test_a_signal_during_a_signal_mode_capture_leaves_no_snapshot_behind(servers, tmp_path):
    """--signal: the file the process writes at heaptui's request goes with the capture it was for."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    server = start(servers, "--heapsnapshot-signal=SIGUSR2", cwd=workdir)

    def interrupted(phase: str, done: int, total: int) -> None:
        raise interrupt.Interrupted(signal.SIGTERM)

    with pytest.raises(interrupt.Interrupted):
        signal_snapshot(server.pid, tmp_path / "x.heapsnapshot", progress=interrupted)
    assert list(workdir.iterdir()) == [] and not (tmp_path / "x.heapsnapshot").exists()
    assert server.alive()


@needs_node
def test_a_bug_during_a_command_line_capture_is_one_line_and_the_inspector_closed(servers, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from heaptui.capture import snapshot
    from heaptui.cli import main

    def broken(path: Path) -> bool:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(snapshot, "ends_complete", broken)
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    result = CliRunner().invoke(main, ["capture", str(server.pid), "-o", str(tmp_path / "x.heapsnapshot")])
    assert result.exit_code == 2
    assert result.output == (
        "heaptui: internal error during the capture (RuntimeError: a bug over two lines); the inspector heaptui "
        "opened is closed and no partial file is left\n"
    )
    assert not listening(port) and list(tmp_path.iterdir()) == []
    assert server.alive()


@needs_node
def test_an_inspector_opened_by_hand_with_a_client_connected_is_said_and_left_open(servers, tmp_path):
    """Closing it would block the process until that client goes (inspector.close() waits for every session)."""
    import socket

    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    os.kill(server.pid, signal.SIGUSR1)
    wait_for(lambda: listening(port), f"process {server.pid} to open its inspector on port {port}")
    with socket.create_connection(("127.0.0.1", port)) as client:  # a debugger, connected
        wait_for(lambda: procfs.established_to(os.getpid(), port) == 1, "the connection to be established")
        warnings: list[str] = []
        take_snapshot(server.pid, tmp_path / "x.heapsnapshot", warn=warnings.append)
        assert len(warnings) == 1 and "a client is connected to it (a debugger?): heaptui leaves it open" in warnings[0]
        assert listening(port)
        client.close()
    assert server.alive()
