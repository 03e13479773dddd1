"""One error policy for a whole command: bad input 1, heaptui's fault 2, signals 128 + n, never a hang.

Each case runs ``python -m heaptui`` as a user does and checks the exit status and the one line on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from cli_support import heaptui_command, heaptui_env, run_heaptui, wait_for, write_wide_snapshot

from conftest import FIXTURES, fixture_path

TINY = str(fixture_path("tiny"))
COMMANDS = {  # the commands the issue names, each given FILE where it reads a snapshot
    "top": lambda f: ["top", f],
    "diff": lambda f: ["diff", TINY, f],
    "leaks": lambda f: ["leaks", f, TINY, TINY],
    "allocations": lambda f: ["allocations", f],
}


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    said = [line for line in result.stderr.splitlines() if "warning:" not in line]
    assert len(said) == 1 and "Traceback" not in result.stderr, result.stderr
    return said[0]


BROKEN_TOP = (
    "import sys\n"
    "import heaptui.engine.leaks as leaks\n"
    "def broken(*args, **kw):\n"
    "    raise RuntimeError('a bug in the analysis')\n"
    "leaks.largest_objects = broken\n"
    "from heaptui.cli import run\n"
    "sys.argv = ['heaptui', 'top', sys.argv[1]]\n"
    "run()\n"
)


def test_a_bug_after_loading_is_one_line_saying_it_is_heaptuis_fault():
    result = subprocess.run(
        [sys.executable, "-c", BROKEN_TOP, TINY], capture_output=True, text=True, timeout=300, env=heaptui_env()
    )
    said = one_line(result, 2)
    assert said.startswith(
        "heaptui: top: internal error in heaptui (RuntimeError: a bug in the analysis), "
        "not a problem with your input; please report it with the traceback HEAPTUI_DEBUG=1 shows"
    )
    debug = subprocess.run(
        [sys.executable, "-c", BROKEN_TOP, TINY],
        capture_output=True,
        text=True,
        timeout=300,
        env=heaptui_env(HEAPTUI_DEBUG="1"),
    )
    assert debug.returncode == 2 and "Traceback" in debug.stderr and "a bug in the analysis" in debug.stderr


@pytest.fixture(scope="module")
def deep_files(tmp_path_factory):
    """A header nested 100,000 deep, and a timeline whose trace_tree nests 200,000 deep."""
    import gzip

    folder = tmp_path_factory.mktemp("deep")
    header = folder / "deep-header.heapsnapshot"
    header.write_text('{"snapshot":{"meta":' + "[" * 100_000 + "]" * 100_000 + "}}")
    timeline = json.load(gzip.open(FIXTURES / "timeline-leaky.heaptimeline.gz"))
    del timeline["trace_tree"]
    depth = 200_000
    trace = folder / "deep-trace.heaptimeline"
    trace.write_text(json.dumps(timeline)[:-1] + ',"trace_tree":' + "[1,0,0,0," * depth + "[]" + "]" * depth + "}")
    return {"header": str(header), "trace_tree": str(trace)}


@pytest.mark.parametrize("kind", ["header", "trace_tree"])
@pytest.mark.parametrize("command", COMMANDS)
def test_deeply_nested_input_is_bad_input(deep_files, kind, command):
    path = deep_files[kind]
    said = one_line(run_heaptui("--no-cache", *COMMANDS[command](path)), 1)
    assert said.startswith(f"heaptui: {path}: not a V8 heap snapshot: the ")
    assert "nest" in said


@pytest.mark.parametrize("command", COMMANDS)
def test_files_that_are_not_regular_are_refused_at_once(tmp_path, command):
    fifo = tmp_path / "fifo.heapsnapshot"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait for ever
    said = one_line(run_heaptui(*COMMANDS[command](str(fifo)), timeout=120), 1)
    assert said == f"heaptui: {fifo}: is a pipe (FIFO), not a regular file: save it to a file first"
    said = one_line(run_heaptui(*COMMANDS[command]("/proc/self/mem"), timeout=120), 1)
    assert said == "heaptui: /proc/self/mem: is a /proc file, not a snapshot file"
    # /dev/stdin fed by a pipe (`cat F | heaptui top /dev/stdin`), and a pipe's /dev/fd name (`<(cat F)`).
    with open(TINY, "rb") as snapshot:
        feeder = subprocess.Popen(["cat"], stdin=snapshot, stdout=subprocess.PIPE)
        try:
            piped = run_heaptui(*COMMANDS[command]("/dev/stdin"), stdin=feeder.stdout, timeout=120)
        finally:
            feeder.kill()
            feeder.wait()
    assert one_line(piped, 1) == "heaptui: /dev/stdin: is a pipe (FIFO), not a regular file: save it to a file first"
    read_end, write_end = os.pipe()
    try:
        name = f"/dev/fd/{read_end}"
        result = subprocess.run(
            heaptui_command(*COMMANDS[command](name)),
            capture_output=True,
            text=True,
            timeout=120,
            env=heaptui_env(),
            pass_fds=(read_end,),
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert one_line(result, 1) == f"heaptui: {name}: is a pipe (FIFO), not a regular file: save it to a file first"


@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory):
    """A million objects: long enough to load that a signal lands in the middle (the test also stops it)."""
    return write_wide_snapshot(tmp_path_factory.mktemp("big") / "big.heapsnapshot", 1_000_000, 50)


@pytest.mark.parametrize(
    ("signum", "status", "words"),
    [
        (signal.SIGTERM, 143, "ended by SIGTERM"),
        (signal.SIGHUP, 129, "ended by SIGHUP"),
        (signal.SIGINT, 130, "cancelled"),
    ],
)
@pytest.mark.parametrize("command", ["summary", "diff"])
def test_a_signal_during_a_load_ends_it_with_one_line_and_its_status(
    tmp_path, big_snapshot, signum, status, words, command
):
    cache = tmp_path / "cache"
    args = [str(big_snapshot)] if command == "summary" else [TINY, str(big_snapshot)]
    proc = subprocess.Popen(
        heaptui_command("--cache-dir", str(cache), command, *args, "--progress"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=heaptui_env(),
    )
    try:
        seen = bytearray()

        def loading() -> bool:  # the progress line: the load has started
            seen.extend(os.read(proc.stderr.fileno(), 65536))
            return b"loading " in seen or proc.poll() is not None

        os.set_blocking(proc.stderr.fileno(), True)
        wait_for(loading, "the progress line on stderr", limit=300, every=0)
        assert proc.poll() is None, seen.decode()
        # Held still while the signal is sent, so that the load cannot finish in between on a busy machine.
        proc.send_signal(signal.SIGSTOP)
        proc.send_signal(signum)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [line for line in (seen + err).decode().replace("\r", "\n").splitlines() if line.strip("\x1b[K ")]
    lines = [line.removeprefix("\x1b[K") for line in lines if not line.startswith(("\x1b[Kloading", "loading"))]
    assert proc.returncode == status, (lines, bytes(seen + err))
    assert out == b""
    assert len(lines) == 1 and lines[0].startswith("heaptui: ") and lines[0].endswith(words), (lines, bytes(seen + err))
    assert "Traceback" not in lines[0]
    leftovers = [p.name for p in cache.rglob("*") if ".tmp-" in p.name] if cache.exists() else []
    assert leftovers == []  # no cache file half written
