"""heaptui.capture against real Node processes: the leaky server under a bounded load on loopback.

Each test starts its own ``node tests/fixtures/live_server.js`` (it ends by itself when its stdin closes), sends
it N requests from urllib between captures, and checks what the issue asks: the Comparison of the last two
snapshots shows exactly N new ``Date`` and N new ``{url, date}``; the inspector is closed again afterwards
(nothing listens on its port); the error cases give one line and leave the process alive; a process killed
mid-capture leaves no file under the final name.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from heaptui.capture import CaptureError, signal_snapshot, take_series, take_snapshot  # noqa: E402
from heaptui.capture import proc as procfs  # noqa: E402
from heaptui.capture.proc import HostPort, parse_host_port, parse_node_options  # noqa: E402
from heaptui.capture.series import parse_duration, series_paths  # noqa: E402

NODE = shutil.which("node")


def needs_node(test: Callable[..., Any]) -> Callable[..., Any]:
    """A test that runs real Node processes: it fails, not skips, when node is missing (CI installs it, and a
    skipped test proves nothing); it is skipped only off Linux, where there is no /proc to capture with."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        if NODE is None:
            pytest.fail("node is not on PATH: the capture tests run real Node processes (install Node >= 18)")
        return test(*args, **kwargs)

    return pytest.mark.skipif(not sys.platform.startswith("linux"), reason="capture needs Linux's /proc")(run)

SERVER = Path(__file__).resolve().parent / "fixtures" / "live_server.js"
N = 40
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever http_proxy says


class Server:
    """A running live_server.js: its process, its HTTP port, and a bounded load to put on it."""

    def __init__(self, node_args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
                 script: list[str] | None = None) -> None:
        self.process = subprocess.Popen([NODE or "node", *node_args, *(script or [str(SERVER)])],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=cwd, env={**os.environ, **(env or {})})
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the server did not start: {line!r} {self.process.stderr.read()!r}")
        self.port = int(line.split()[1])
        self.pid = self.process.pid
        self.requests = 0

    def load(self, count: int = N) -> int:
        """``count`` sequential requests, each a new leaked {url, date}; returns the server's count."""
        seen = 0
        for _ in range(count):
            with DIRECT.open(f"http://127.0.0.1:{self.port}/r/{self.requests}", timeout=10) as reply:
                seen = int(reply.read())
            self.requests += 1
        return seen

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> str:
        """End the server; returns what it wrote on stderr (the inspector's messages)."""
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read() if self.process.stderr else ""


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[Server], *node_args: str, **kwargs) -> Server:
    server = Server(list(node_args), **kwargs)
    servers.append(server)
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    return any(entry.port == port for entry in procfs.listeners(os.getpid()))


def leaked(base: Path, newer: Path) -> dict[str, int]:
    """The Comparison of ``newer`` against ``base``: new objects per class, and no warning."""
    from heaptui.engine import load_snapshot
    from heaptui.engine.compare import compare

    comparison = compare(load_snapshot(base), load_snapshot(newer))
    assert comparison.warnings == []
    return {row.name: row.new_count for row in comparison.rows}


def no_partial_files(directory: Path) -> bool:
    return not any(p.name.endswith(".partial") for p in directory.iterdir())


# -- the leak hunt over the inspector ---------------------------------------------------------------------------

@needs_node
def test_three_captures_show_exactly_the_leak_and_close_the_inspector(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect-port={port}")
    progress: list[str] = []

    def between(n: int, path: Path) -> None:
        assert path.exists() and listening(port)  # the inspector stays open during the series
        if n < 3:
            server.load()

    paths = take_series(server.pid, 0, 3, tmp_path / "leak-{n}.heapsnapshot", on_snapshot=between,
                        progress=lambda phase, done, total: progress.append(phase))
    assert [p.name for p in paths] == ["leak-1.heapsnapshot", "leak-2.heapsnapshot", "leak-3.heapsnapshot"]
    assert {"snapshot", "writing"} <= set(progress)
    assert no_partial_files(tmp_path)
    new = leaked(paths[1], paths[2])
    assert new["Date"] == N
    assert new["{url, date}"] == N
    assert not listening(port), "the inspector is still open after the capture"
    assert server.alive() and server.load(1) == 2 * N + 1  # the process runs on, its leak intact
    assert "Debugger ending" in server.stop()


@needs_node
def test_default_port_9229_opened_and_closed(servers, tmp_path):
    if listening(9229):
        pytest.skip("port 9229 is in use on this machine")
    server = start(servers)
    out = take_snapshot(server.pid, tmp_path / "one.heapsnapshot")
    assert out == tmp_path / "one.heapsnapshot"
    assert out.read_bytes()[:12] == b'{"snapshot":' and out.read_bytes().rstrip().endswith(b"]}")
    assert not listening(9229)
    assert server.alive()


@needs_node
def test_ephemeral_inspector_port(servers, tmp_path):
    """--inspect-port=0: Node picks a free port on SIGUSR1, found as the new socket the process owns."""
    server = start(servers, "--inspect-port=0")
    before = {entry.port for entry in procfs.own_listeners(server.pid)}
    take_snapshot(server.pid, tmp_path / "eph.heapsnapshot")
    assert (tmp_path / "eph.heapsnapshot").stat().st_size > 0
    assert {entry.port for entry in procfs.own_listeners(server.pid)} == before == {server.port}


@needs_node
def test_an_inspector_open_before_stays_open(servers, tmp_path):
    port = free_port()
    server = start(servers, f"--inspect=127.0.0.1:{port}")
    take_snapshot(server.pid, tmp_path / "open.heapsnapshot")
    assert listening(port), "heaptui closed an inspector it did not open"


@needs_node
def test_es_module_without_getbuiltinmodule_is_closed_too(servers, tmp_path):
    """The close expression's fallback: `require` from the inspector's command-line API, in an ES module."""
    code = ("delete process.getBuiltinModule; const http = await import('node:http');"
            "const s = http.createServer((q, r) => r.end('1')).listen(0, '127.0.0.1', "
            "() => process.stdout.write(`PORT ${s.address().port}\\n`)); process.stdin.resume();"
            "process.stdin.on('end', () => process.exit(0));")
    port = free_port()
    server = start(servers, f"--inspect-port={port}", "--input-type=module", script=["-e", code])
    take_snapshot(server.pid, tmp_path / "esm.heapsnapshot")
    assert not listening(port)


# -- errors -----------------------------------------------------------------------------------------------------

def test_no_such_process(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    for pid in (gone.pid, 0, -5):
        with pytest.raises(CaptureError, match=r"^no such process"):
            take_snapshot(pid, tmp_path / "x.heapsnapshot")
        with pytest.raises(CaptureError, match=r"^no such process"):
            signal_snapshot(pid, tmp_path / "x.heapsnapshot")
    assert list(tmp_path.iterdir()) == []


def test_not_a_node_process_is_never_signalled(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(CaptureError, match=r"is not a Node process$"):
            take_snapshot(sleeper.pid, tmp_path / "x.heapsnapshot")
        with pytest.raises(CaptureError, match=r"is not a Node process$"):
            signal_snapshot(sleeper.pid, tmp_path / "x.heapsnapshot")
        with pytest.raises(CaptureError, match=r"is not a Node process$"):
            take_snapshot(os.getpid(), tmp_path / "x.heapsnapshot")  # Python: SIGUSR1 would kill it too
        time.sleep(0.1)
        assert sleeper.poll() is None, "the sleep process was signalled"
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_node
@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to act as another user")
def test_permission_denied_for_another_users_process(servers, tmp_path):
    """A process of root, captured by `nobody` (a forked child that dropped its privileges)."""
    server = start(servers)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                take_snapshot(server.pid, "/tmp/never.heapsnapshot")
                message = "no error"
            except CaptureError as error:
                message = str(error)
            os.write(write_end, message.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as f:
        message = f.read().decode()
    assert message.startswith("permission denied: process"), message
    assert "\n" not in message
    assert server.alive()


@needs_node
def test_inspector_port_busy(servers, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = start(servers, f"--inspect-port={port}")
        with pytest.raises(CaptureError, match=rf"^inspector port busy: port {port}, .* held by process {os.getpid()}"):
            take_snapshot(server.pid, tmp_path / "busy.heapsnapshot")
    assert server.alive()
    assert list(tmp_path.iterdir()) == []


@needs_node
def test_timeout_when_the_process_keeps_sigusr1_for_itself(servers, tmp_path):
    code = ("process.on('SIGUSR1', () => {}); const s = require('http').createServer((q, r) => r.end('1'))"
            ".listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${s.address().port}\\n`));"
            "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));")
    server = start(servers, "--inspect-port=0", script=["-e", code])
    with pytest.raises(CaptureError, match=r"^timeout: process \d+ did not open its inspector"):
        take_snapshot(server.pid, tmp_path / "t.heapsnapshot", timeout=0.5)
    assert server.alive()


@needs_node
def test_killed_during_the_capture_leaves_no_file(servers, tmp_path):
    server = start(servers, "--inspect-port=0")
    server.load(5)

    def kill_it(phase: str, done: int, total: int) -> None:
        if server.alive():
            os.kill(server.pid, signal.SIGKILL)
            server.process.wait()

    out = tmp_path / "killed.heapsnapshot"
    with pytest.raises(CaptureError, match=rf"^process {server.pid} exited during the capture$"):
        take_snapshot(server.pid, out, progress=kill_it)
    assert list(tmp_path.iterdir()) == []


# -- --signal SIGUSR2 -------------------------------------------------------------------------------------------

@needs_node
def test_signal_mode_three_snapshots_show_the_leak(servers, tmp_path):
    """A series by signal: --heapsnapshot-signal from NODE_OPTIONS, the files in --diagnostic-dir (nothing is
    left there); V8 keeps its ids between the process's own snapshots."""
    diagnostics = tmp_path / "diag"
    diagnostics.mkdir()
    server = start(servers, cwd=tmp_path,
                   env={"NODE_OPTIONS": "--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=diag"})
    outs = take_series(server.pid, 0, 3, tmp_path / "sig-{n}.heapsnapshot", signal="USR2",
                       on_snapshot=lambda n, path: server.load() if n < 3 else None)
    assert list(diagnostics.iterdir()) == []
    new = leaked(outs[1], outs[2])
    assert new["Date"] == N and new["{url, date}"] == N
    assert server.alive()


@needs_node
def test_signal_mode_from_the_command_line_in_the_working_directory(servers, tmp_path):
    server = start(servers, "--heapsnapshot-signal=SIGUSR2", cwd=tmp_path)
    with pytest.raises(CaptureError, match=r"missing does not exist$"):  # refused before the signal: no file written
        signal_snapshot(server.pid, tmp_path / "missing" / "cmd.heapsnapshot")
    assert list(tmp_path.iterdir()) == []
    out = signal_snapshot(server.pid, tmp_path / "cmd.heapsnapshot")
    assert out == tmp_path / "cmd.heapsnapshot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmd.heapsnapshot"]


@needs_node
def test_signal_mode_refused_without_the_option(servers, tmp_path):
    server = start(servers, "--heapsnapshot-signal=SIGUSR1", "--inspect-port=0", cwd=tmp_path)
    with pytest.raises(CaptureError, match=r"not --heapsnapshot-signal=SIGUSR2"):
        signal_snapshot(server.pid, tmp_path / "x.heapsnapshot")
    plain = start(servers, cwd=tmp_path)
    with pytest.raises(CaptureError, match=r"started with no --heapsnapshot-signal"):
        signal_snapshot(plain.pid, tmp_path / "x.heapsnapshot")
    time.sleep(0.1)
    assert server.alive() and plain.alive()
    assert list(tmp_path.iterdir()) == []


@needs_node
def test_signal_mode_killed_while_writing(servers, tmp_path):
    server = start(servers, "--heapsnapshot-signal=SIGUSR2", cwd=tmp_path)

    def kill_it(phase: str, done: int, total: int) -> None:
        if server.alive():
            os.kill(server.pid, signal.SIGKILL)
            server.process.wait()

    out = tmp_path / "out.heapsnapshot"
    with pytest.raises(CaptureError, match=rf"^process {server.pid} exited during the capture"):
        signal_snapshot(server.pid, out, progress=kill_it)
    assert not out.exists() and no_partial_files(tmp_path)


# -- reading options --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "node_options", "inspect", "sig", "diag"), [
    (["node", "app.js"], None, HostPort("127.0.0.1", 9229), None, None),
    (["node", "--inspect-port=9333", "app.js", "--inspect-port=1"], None, HostPort("127.0.0.1", 9333), None, None),
    (["node", "--inspect_port", "9334", "app.js"], None, HostPort("127.0.0.1", 9334), None, None),
    (["node", "--inspect=0.0.0.0:9400", "-r", "x.js", "app.js"], None, HostPort("0.0.0.0", 9400), None, None),
    (["node", "-e", "code", "--inspect-port=0"], None, HostPort("127.0.0.1", 0), None, None),
    (["node", "app.js"], "--inspect-port=[::1]:9500 --heapsnapshot-signal=SIGUSR2 --diagnostic-dir='/tmp/a b'",
     HostPort("::1", 9500), "SIGUSR2", "/tmp/a b"),
    (["node", "--heapsnapshot-signal", "SIGUSR1", "app.js"], "--heapsnapshot-signal=SIGUSR2",
     HostPort("127.0.0.1", 9229), "SIGUSR1", None),
    (["node", "app.js", "--heapsnapshot-signal=SIGUSR2"], None, HostPort("127.0.0.1", 9229), None, None),
])
def test_node_options(argv, node_options, inspect, sig, diag):
    options = parse_node_options(argv, node_options)
    assert (options.inspect, options.heapsnapshot_signal, options.diagnostic_dir) == (inspect, sig, diag)


def test_host_port_forms():
    default = HostPort("127.0.0.1", 9229)
    assert parse_host_port("9230", default) == HostPort("127.0.0.1", 9230)
    assert parse_host_port("localhost", default) == HostPort("localhost", 9229)
    assert parse_host_port("[::]:0", default) == HostPort("::", 0)


def test_series_names_and_durations():
    assert [p.name for p in series_paths("a/leak.heapsnapshot", 2)] == ["leak-1.heapsnapshot", "leak-2.heapsnapshot"]
    assert [str(p) for p in series_paths("s{n}.json", 2)] == ["s1.json", "s2.json"]
    assert [parse_duration(t) for t in ("30s", "2m", "500ms", "1.5", "1h")] == [30, 120, 0.5, 1.5, 3600]
    with pytest.raises(CaptureError, match="not a duration"):
        parse_duration("soon")
