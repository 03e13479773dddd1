"""Text answers fit: the terminal's width on a terminal, else $COLUMNS, else 80; --wide prints whole lines.

Every text command runs as a user runs it (``python -m heaptui``, piped or on a pseudo-terminal) on real
snapshots; each line of its output is measured. Names are cut in the middle: the start and the end stay.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pytest
from cli_support import heaptui_command, heaptui_env, run_heaptui

from conftest import FIXTURES, fixture_path
from heaptui.textreport import clip_middle, fit_path

TINY, L1, L2, L3 = (str(fixture_path(n)) for n in ("tiny", "leaky-1", "leaky-2", "leaky-3"))
TIMELINE = str(FIXTURES / "timeline-leaky.heaptimeline.gz")
PROFILE = str(FIXTURES / "alloc-leaky.heapprofile.gz")

COMMANDS = {
    "summary": ["summary", TINY],
    "diff": ["diff", L1, L2],
    "leaks": ["leaks", L1, L2, L3],
    "top": ["top", TINY],
    "object": ["object", TINY, "@6049"],
    "stats": ["stats", TINY],
    "strings": ["strings", TINY],
    "allocations timeline": ["allocations", TIMELINE],
    "allocations profile": ["allocations", PROFILE],
}


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("name", COMMANDS)
def test_piped_output_fits_80_columns_and_wide_prints_everything(name):
    env = heaptui_env()
    env.pop("COLUMNS")  # neither a terminal nor $COLUMNS: 80
    fitted = run_heaptui(*COMMANDS[name], env=env)
    assert fitted.returncode == 0, fitted.stderr
    assert widest(fitted.stdout) <= 80, fitted.stdout
    assert fitted.stderr == ""
    wide = run_heaptui(*COMMANDS[name], "--wide")
    assert wide.returncode == 0, wide.stderr
    if name not in ("stats", "object"):  # their lines are short anyway
        assert widest(wide.stdout) > 80
    # The same answer: every number of the fitted output is in the whole one.
    assert sorted(n for n in fitted.stdout.split() if n.replace(",", "").isdigit()) == sorted(
        n for n in wide.stdout.split() if n.replace(",", "").isdigit()
    )


@pytest.mark.parametrize("name", ["summary", "diff", "leaks", "top", "allocations timeline"])
def test_columns_sets_the_width_when_piped(name):
    for columns in (72, 120):  # numbers are never cut: the Comparison needs about 70
        result = run_heaptui(*COMMANDS[name], env=heaptui_env(COLUMNS=str(columns)))
        assert result.returncode == 0, result.stderr
        assert widest(result.stdout) <= columns
    # 120 columns hold the whole summary header of the short fixture path; 80 do not.
    if name == "summary":
        assert result.stdout.splitlines()[0].startswith(TINY + ": 39,108 nodes")


def run_on_terminal(args: list[str], columns: int, limit: float = 300) -> tuple[int, str]:
    """``heaptui ARGS`` with stdout on a pseudo-terminal ``columns`` wide; its exit status and output."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        heaptui_command(*args),
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=subprocess.DEVNULL,
        env=heaptui_env(COLUMNS="200"),
    )
    os.close(child)
    chunks = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(main)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.parametrize("name", ["summary", "diff", "top", "strings"])
def test_on_a_terminal_its_width_wins_over_columns(name):
    code, text = run_on_terminal(COMMANDS[name], 72)
    assert code == 0, text
    assert widest(text) <= 72, text
    assert widest(text) > 60  # the room was used


def test_names_are_cut_in_the_middle_keeping_both_ends():
    assert clip_middle("abcdefghij", 10) == "abcdefghij"
    assert clip_middle("abcdefghijk", 10) == "abcde…hijk"
    assert clip_middle("/srv/app/snapshots/leaky-2.heapsnapshot", 24) == "/srv/app/sna…eapsnapshot"
    # An escape is kept whole or not at all.
    assert clip_middle("a\x1bbcdefgh\x07z", 9) == "a…gh\\x07z"
    assert clip_middle("\x1bxyzabcdefghij", 10) == "\\x1bx…ghij"
    assert clip_middle("anything", None) == "anything"
    # A retainer path's step too long for a line is cut in its middle too.
    step = "x" * 50 + "END"
    lines = fit_path(f"global → {step} → Date", 40).splitlines()
    assert all(len(line) <= 40 for line in lines) and "END" in "".join(lines) and lines[-1].endswith("Date")
