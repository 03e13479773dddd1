"""Text from a file never reaches the terminal raw, and is never read as markup.

The fixtures (tests/fixtures/escapes.js) hold class names, property names,
strings, a script name and a function name with ``ESC ] 0 ; … BEL`` (sets the
terminal's title), ``ESC [ 2 J`` (clears the screen), the C1 CSI, DEL, tab,
CR, newline, NUL, a lone surrogate and Rich markup; the tests also give the
files such names. Every text command runs in a real process, piped and under
a pseudo-terminal; the app runs under Textual's Pilot. What is shown must
hold the escaped forms and no control character, and JSON must give back the
exact text.
"""

from __future__ import annotations

import gzip
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import heaptui_env

from conftest import FIXTURES
from heaptui.textreport import clip_middle
from heaptui.visible import clip, visible

TITLE = "\x1b]0;PWNED\x07"
CLEAR = "\x1b[2J"
MARKUP = "[bold red]x[/]"
EVIL_KEY = f"title{TITLE}clear{CLEAR}"
OTHER_KEY = f"c1\x9b2Jdel\x7ftab\tcr\rnl\nnul\x00lone\ud800{MARKUP}"
EVIL_CLASS = "{" + EVIL_KEY + ", " + OTHER_KEY + "}"
DUP = f"dup {TITLE}{CLEAR}\x9b2J\x7f\t\r\n\x00\ud800{MARKUP}[@click=app.quit]q[/] [$accent]a " + "x" * 40
LEAK_KEY = f"leak{TITLE}{CLEAR}{MARKUP}"
FUNCTION = f"allocate{TITLE}{CLEAR}\x00\ud800{MARKUP}"
SCRIPT = f"evil{TITLE}{CLEAR}{MARKUP}.js"
STRADDLING = "a" * 76 + CLEAR + TITLE + "tail"
# A file name as hostile as the contents (and one byte that is not UTF-8, a lone surrogate once decoded).
EVIL_NAME = f"snap{TITLE}{CLEAR}\x9b[bold red]x[@click=app.quit]q\t".encode() + b"\xff"  # no "/" in a name

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What a cut escape would look like: a backslash escape shortened before the ellipsis.
CUT_ESCAPE = re.compile(r"\\(x[0-9a-f]?|u[0-9a-f]{0,3})…")


def raw_strings(name: str) -> list[str]:
    """The fixture's strings table, read with the json module (not heaptui's parser)."""
    with gzip.open(FIXTURES / name, "rb") as f:
        return json.loads(f.read())["strings"]


def test_the_fixtures_hold_what_the_tests_expect():
    strings = set(raw_strings("escapes-3.heapsnapshot.gz"))
    assert {EVIL_KEY, OTHER_KEY, DUP, LEAK_KEY, STRADDLING, SCRIPT} <= strings
    with gzip.open(FIXTURES / "escapes.heapprofile.gz", "rb") as f:
        profile = f.read()
    assert json.dumps(FUNCTION).encode() in profile


def test_visible_escapes_every_control_character():
    assert visible("plain [b] C:\\path ü 😀") == "plain [b] C:\\path ü 😀"
    assert visible(TITLE + CLEAR) == "\\x1b]0;PWNED\\x07\\x1b[2J"
    assert visible("\x00\t\n\r\x7f\x80\x9b\x9f\xa0") == "\\0\\t\\n\\r\\x7f\\x80\\x9b\\x9f\xa0"
    assert visible("a\ud800b\udfff") == "a\\ud800b\\udfff"
    assert all(not UNSAFE.search(visible(chr(c))) for c in range(0x10000))


def test_clip_never_cuts_an_escape():
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcde…"
    assert clip("ab\x1bcd", 7) == "ab\\x1b…"
    assert clip("ab\x1bcd", 8) == "ab\\x1bcd"
    assert clip("ab\x1bcd", 6) == "ab…"
    assert clip("ab\x1bcd", 5) == "ab…"
    for width in range(0, 40):
        shown = clip(STRADDLING + OTHER_KEY, width)
        assert len(shown) <= width and not CUT_ESCAPE.search(shown) and not UNSAFE.search(shown)
        assert visible(STRADDLING + OTHER_KEY).startswith(shown.removesuffix("…"))
    assert clip(STRADDLING, 80) == "a" * 76 + "…"  # the escape of ESC would end past the 79th character


# ---------------------------------------------------------------- the commands, in real processes


@pytest.fixture(scope="module")
def evil_files(tmp_path_factory) -> dict[str, str]:
    """The fixtures under hostile file names (the contents unchanged)."""
    where = tmp_path_factory.mktemp("evil")
    files = {}
    for name in (
        "escapes-1.heapsnapshot.gz",
        "escapes-2.heapsnapshot.gz",
        "escapes-3.heapsnapshot.gz",
        "escapes.heapprofile.gz",
    ):
        target = os.fsdecode(os.path.join(os.fsencode(where), EVIL_NAME + b"-" + name.encode()))
        shutil.copyfile(FIXTURES / name, target)
        files[name.split(".")[0]] = target
    return files


def run_piped(*args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "heaptui", *args],
        capture_output=True,
        timeout=300,
        env=heaptui_env(),
    )
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "surrogateescape")


def run_in_pty(*args: str, limit: float = 300) -> tuple[int, str]:
    """The command with stdout and stderr on a pseudo-terminal, as a person runs it; all it wrote."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "heaptui", *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env=heaptui_env(),
    )
    os.close(child)
    out = bytearray()
    deadline = time.monotonic() + limit
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"heaptui {' '.join(args)!r} wrote nothing for {limit} s")
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(main)
    code = proc.wait(timeout=60)
    # The terminal's own line ends (\r\n) and heaptui's progress line (\r ESC [K, its own) are not the file's.
    text = out.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r\x1b[K", "")
    return code, text


def assert_safe(text: str) -> None:
    """Only newlines: no other C0 control, no DEL, no C1, no lone surrogate (undecodable byte)."""
    found = sorted({f"U+{ord(c):04X}" for c in text if c != "\n" and UNSAFE.match(c)})
    assert not found, f"control characters reached the terminal: {found}\n{text[:3000]!r}"
    assert not CUT_ESCAPE.search(text), f"an escape was cut: {CUT_ESCAPE.search(text)}"


RUNNERS = {"piped": run_piped, "pty": run_in_pty}


def commands(files: dict[str, str]) -> dict[str, tuple[list[str], list[str]]]:
    """Each text command: its arguments and texts its output must hold (escaped)."""
    one, two, three, profile = files["escapes-1"], files["escapes-2"], files["escapes-3"], files["escapes"]
    cls = visible("{" + EVIL_KEY + ", c")
    return {
        "summary": (["summary", three, "--wide"], [visible(three), cls]),
        "stats": (["stats", three, "--wide"], [visible(three)]),
        "object": (  # the start and the end, an escape kept whole
            ["object", three, "@49989"],
            ["@49989  " + "a" * 31 + "…aaaa\\x1b[2J\\x1b]0;PWNED\\x07tail\n", "  type           string"],
        ),
        "top": (["top", three, "--top", "3", "--wide"], [visible(three)]),
        "strings": (
            ["strings", three, "--wide"],
            [r'5  "dup \x1b]0;PWNED\x07\x1b[2J\x9b2J\x7f\t\r\n\0\ud800[bold red]x[/][@click=app.quit]'],
        ),
        "diff": (["diff", one, two, "--wide"], [visible(two), visible(one), cls]),
        "leaks": (["leaks", one, two, three, "--wide"], [visible(f"global → {LEAK_KEY} → Array"), cls]),
        "allocations": (["allocations", profile, "--wide"], [visible(profile), visible(FUNCTION)]),
        "mixed diff": (
            ["diff", str(FIXTURES / "tiny.heapsnapshot.gz"), three, "--wide"],
            ["warning: ", visible(three)],
        ),
        "missing": (["summary", three + "-missing"], [visible(three + "-missing") + ": no such file"]),
    }


@pytest.mark.parametrize("how", RUNNERS)
@pytest.mark.parametrize(
    "command", ["summary", "stats", "object", "top", "strings", "diff", "leaks", "allocations", "mixed diff", "missing"]
)
def test_text_output_shows_file_text_escaped(evil_files, how, command):
    args, wanted = commands(evil_files)[command]
    code, text = RUNNERS[how](*args)
    assert code == (1 if command == "missing" else 0), text
    assert_safe(text)
    for piece in wanted:
        assert piece in text, f"{piece!r} not in {text[:3000]!r}"


def test_object_cut_at_an_escape_and_its_retainers(evil_files):
    code, text = run_piped("object", evil_files["escapes-3"], "@82305")
    assert code == 0, text
    assert_safe(text)
    lines = text.splitlines()
    assert lines[0] == "@82305  " + clip_middle(EVIL_CLASS, 63)  # 80 columns, less "  class          "
    assert lines[0].startswith("@82305  {title\\x1b]0;PWNED\\x07clear\\x1b…") and lines[0].endswith("[/]}")
    assert lines[1] == "  class          " + clip_middle(EVIL_CLASS, 63)


def test_a_usage_error_quotes_the_file_name_escaped(evil_files):
    code, text = run_piped("summary", evil_files["escapes-3"], evil_files["escapes-2"])
    assert code == 2
    assert_safe(text)
    assert visible(evil_files["escapes-2"]) in text


def test_a_bad_file_is_named_escaped(evil_files, tmp_path):
    bad = os.fsdecode(os.path.join(os.fsencode(tmp_path), EVIL_NAME + b".heapsnapshot"))
    Path(bad).write_text('{"snapshot": {"meta": 1}}')
    code, text = run_piped("summary", bad)
    assert code == 1
    assert_safe(text)
    assert text.startswith("heaptui: " + visible(bad) + ": ") and text.count("\n") == 1


def test_capture_and_record_name_their_files_escaped(capsys):
    """What `heaptui capture` and `record` print: the files written (-o chooses the name) and warnings."""
    from heaptui.cli.capturing import open_after
    from heaptui.cli.output import warn

    evil = os.fsdecode(b"/tmp/" + EVIL_NAME + b".heapsnapshot")
    open_after([evil], no_open=True)
    warn(f"{evil}: {TITLE} from the inspector")
    out, err = capsys.readouterr()
    assert out == visible(evil) + "\n"
    assert err == "heaptui: warning: " + visible(evil) + ": \\x1b]0;PWNED\\x07 from the inspector\n"


def test_json_keeps_the_exact_text(evil_files):
    three = evil_files["escapes-3"]
    outputs = {}
    for name, args in {
        "summary": ["summary", three, "--json"],
        "strings": ["strings", three, "--json"],
        "allocations": ["allocations", evil_files["escapes"], "--json"],
        "leaks": ["leaks", evil_files["escapes-1"], evil_files["escapes-2"], three, "--json"],
        "object": ["object", three, "@82305", "--json"],
    }.items():
        proc = subprocess.run([sys.executable, "-m", "heaptui", *args], capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert all(0x20 <= b < 0x7F or b == 0x0A for b in proc.stdout), "JSON output holds a raw control byte"
        outputs[name] = json.loads(proc.stdout)
    assert outputs["summary"]["snapshot"]["path"] == three
    assert EVIL_CLASS in [c["name"] for c in outputs["summary"]["classes"]]
    assert DUP in [s["value"] for s in outputs["strings"]["strings"]]
    assert (FUNCTION, SCRIPT) in [(f["function"], f["script"]) for f in outputs["allocations"]["functions"]]
    assert outputs["leaks"]["clusters"][0]["path"].startswith(f"global → {LEAK_KEY} → Array → [i] → {EVIL_CLASS}")
    assert outputs["object"]["name"] == EVIL_CLASS


# ---------------------------------------------------------------- the app, under Textual's Pilot


def screen_text(app) -> str:
    """Every cell of the screen as drawn (toasts and modal screens included), line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def wait_for(pilot, done, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"the app never {what} ({limit} s)\n{screen_text(pilot.app)}")
        await pilot.pause(0.05)


def shows(app, *pieces: str) -> str:
    text = screen_text(app)
    assert_safe(text)
    for piece in pieces:
        assert piece in text, f"{piece!r} not on the screen:\n{text}"
    return text


async def test_the_app_shows_file_text_escaped_and_never_as_markup(evil_files):
    from textual.keys import _character_to_key

    from heaptui.tui.app import HeapTUI
    from heaptui.tui.loader import Loader
    from heaptui.tui.screens.filter_picker import FilterPicker
    from heaptui.tui.screens.loading import LoadingScreen
    from heaptui.tui.screens.main import MainScreen
    from heaptui.tui.widgets.tree_table import TreeTable

    paths = [evil_files[f"escapes-{n}"] for n in (1, 2, 3)]
    name = visible(os.path.basename(paths[2]))
    stem = name.removesuffix(".heapsnapshot.gz")
    app = HeapTUI(paths, loader=Loader(paths))
    async with app.run_test(size=(160, 50)) as pilot:
        # The loading screen names the files.
        await wait_for(
            pilot,
            lambda: "is indexing" in screen_text(app) or isinstance(app.screen, MainScreen),
            "showed the loading screen",
        )
        if isinstance(app.screen, LoadingScreen):
            shows(app, name[:60])
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, MainScreen) and "heaptui ·" in screen_text(app),
            "showed the snapshots",
        )
        screen = app.screen
        # The top bar, the snapshot list and the Summary's class of evil names.
        shows(app, name, stem[:20] + "…")
        await pilot.press("slash")
        for ch in "title":
            await pilot.press(_character_to_key(ch))
        await pilot.press("enter")
        shows(app, visible(EVIL_CLASS)[:60])
        summary = screen.query_one("#summary-table", TreeTable)
        assert summary.model.rows[0].label.startswith(EVIL_CLASS)  # the model keeps the exact text
        await pilot.press("right", "down", "right")
        await wait_for(pilot, lambda: not app.work.busy, "built the Retainers pane")
        await pilot.pause(0.1)
        # An instance, its edges (evil property names) and the Retainers pane's title (markup in the name).
        shows(
            app,
            visible(EVIL_CLASS)[:60],
            visible(EVIL_KEY) + " :: ",
            visible(OTHER_KEY) + " :: ",
            "Retainers of " + visible(EVIL_CLASS) + " @",
            "[bold red]x[/]",
        )
        # The leak report: evil file names in its title, the evil property in the selected cluster's path.
        await pilot.press("5")
        await wait_for(pilot, lambda: not app.work.busy, "computed the leak report")
        await pilot.pause(0.1)
        shows(app, stem[:40], visible(f"global → {LEAK_KEY} → Array"))
        # The Comparison: its title names the base.
        await pilot.press("4")
        await wait_for(pilot, lambda: not app.work.busy, "computed the Comparison")
        await pilot.pause(0.1)
        shows(app, "compared with base", visible("{" + EVIL_KEY + ", c1"))
        # The filter menu: "Objects allocated between <name> and <name>".
        await pilot.press("1", "f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterPicker), "opened the filter menu")
        await pilot.pause(0.1)
        shows(app, "Objects allocated between " + visible(os.path.basename(paths[0])).removesuffix(".heapsnapshot.gz"))
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: app.screen is screen and not app.work.busy, "applied the filter")
        await pilot.pause(0.1)
        shows(app, "Objects allocated between " + visible(os.path.basename(paths[1]))[:30])
        # The command palette lists classes and snapshots by their (escaped) names.
        await pilot.press("ctrl+p")
        for ch in "title":
            await pilot.press(_character_to_key(ch))
        await wait_for(pilot, lambda: "Class: " in screen_text(app), "listed classes in the palette", 30)
        shows(app, "Class: " + visible("{" + EVIL_KEY))
        await pilot.press("escape")
        await pilot.pause(0.1)


async def test_a_sampling_profile_shows_its_names_escaped(evil_files):
    from heaptui.engine.heapprofile import read_heapprofile
    from heaptui.tui.app import HeapTUI

    path = evil_files["escapes"]
    app = HeapTUI([path], profile=read_heapprofile(path))
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause(0.2)
        # The script is shortened to what follows its last "/" (here, the one in "[/]").
        shows(app, visible(os.path.basename(path)), visible(FUNCTION) + "  ].js:1:23")
