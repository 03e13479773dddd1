"""Without a terminal, ``heaptui FILE`` prints the Summary instead of starting the app; a closed pipe is quiet.

The app needs a terminal on stdin (keys) and stdout (drawing): in a pipe, a CI log or ``ssh host heaptui F``
it would draw into the pipe and wait for keys that never come.
"""

from __future__ import annotations

import os
import subprocess

from cli_support import heaptui_command, heaptui_env, run_heaptui, write_wide_snapshot
from test_cli_widths import run_on_terminal

from conftest import FIXTURES, fixture_path

TINY = str(fixture_path("tiny"))
PROFILE = str(FIXTURES / "alloc-leaky.heapprofile.gz")


def test_piped_heaptui_file_prints_what_summary_prints():
    opened = run_heaptui(TINY)
    summary = run_heaptui("summary", TINY)
    assert opened.returncode == 0 and opened.stderr == "", opened.stderr
    assert opened.stdout == summary.stdout
    assert "\x1b" not in opened.stdout  # no screen drawn
    assert opened.stdout.splitlines()[3].split()[:2] == ["global", "2"]


def test_stdin_not_a_terminal_is_enough_to_print():
    """stdout on a terminal, stdin from /dev/null (a script, ``ssh host cmd < /dev/null``): printed, not the app."""
    code, text = run_on_terminal([TINY], 80)
    assert code == 0, text
    assert "Constructor" in text and "global" in text
    assert "\x1b[?1049h" not in text  # the app's alternate screen never started


def test_a_profile_and_a_snapshot_each_printed_as_their_command_would():
    both = run_heaptui(TINY, PROFILE)
    assert both.returncode == 0, both.stderr
    profile = run_heaptui("allocations", PROFILE)
    summary = run_heaptui("summary", TINY)
    assert both.stdout == summary.stdout + "\n" + profile.stdout


def test_head_ends_the_command_quietly(tmp_path):
    """``heaptui F | head -1``: the pipeline returns, nothing on stderr, no heaptui left running."""
    many = write_wide_snapshot(tmp_path / "many.heapsnapshot", 60_000, 30_000)  # 1.6 MB of answer
    for args in (["summary", str(many)], [str(many)]):
        pid_file = tmp_path / "pid"
        script = f"{' '.join(heaptui_command(*args))} 2>{tmp_path}/err & echo $! > {pid_file}; wait $!"
        shell = subprocess.run(
            ["bash", "-c", f"set -o pipefail; ({script}) | head -1"],
            capture_output=True,
            text=True,
            timeout=300,
            env=heaptui_env(),
        )
        assert shell.stdout.count("\n") == 1 and "many.heapsnapshot:" in shell.stdout, shell.stdout
        assert (tmp_path / "err").read_text() == ""  # no traceback, no word
        assert shell.returncode in (0, 141)  # 141: ended as SIGPIPE ends a process
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        assert gone, f"heaptui {pid} still runs after the pipe closed"


def test_a_pipe_closed_before_the_answer_ends_it_with_141_and_no_word():
    for args in (["summary", TINY], [TINY], ["strings", TINY, "--json"]):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            proc = subprocess.run(
                heaptui_command(*args),
                stdout=write_end,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                timeout=300,
                env=heaptui_env(),
            )
        finally:
            os.close(write_end)
        assert proc.returncode == 141, proc.stderr
        assert proc.stderr == b""
