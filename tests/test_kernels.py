"""Compiled kernels: where they are kept, that stale code cannot run, that no directory makes a command fail.

Each check that depends on what a process has already imported or chosen runs
in a fresh interpreter, with its own XDG_CACHE_HOME and kernels directory.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_support import HEAPTUI_HOME

from conftest import fixture_path, loaded

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "leaky-server-3.heapsnapshot.gz"


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = HEAPTUI_HOME  # the heaptui this session imported
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _python(code: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)


def test_the_key_changes_with_any_engine_source(tmp_path, monkeypatch):
    """A kernel calling another file's function (graph.bisect_edge from dominators) is keyed by both files."""
    from heaptui.engine import kernel_cache

    copy = tmp_path / "engine"
    shutil.copytree(kernel_cache.ENGINE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kernel_cache, "ENGINE", copy)
    before = kernel_cache.source_key()
    assert before == kernel_cache.source_key()
    graph = copy / "kernels" / "graph.py"
    graph.write_text(graph.read_text() + "\n# changed\n")
    after = kernel_cache.source_key()
    assert after != before
    from heaptui import __version__

    assert after.startswith(f"{__version__}-")


def test_kernels_live_in_a_private_directory_named_by_the_key(tmp_path):
    """$XDG_CACHE_HOME/heaptui/kernels/<key>, 0700, holding numba's files; nothing beside the sources."""
    env = _env(XDG_CACHE_HOME=str(tmp_path / "xdg"), HEAPTUI_KERNELS_DIR=None)
    run = _python(
        "import numpy as np\n"
        "from heaptui.engine.kernel_cache import cache_directory, home_directory, source_key\n"
        "from heaptui.engine.scan import is_monotonic\n"
        "assert is_monotonic(np.arange(5, dtype=np.int32))\n"
        "print(cache_directory(), home_directory(), source_key())",
        env,
    )
    assert run.returncode == 0, run.stderr
    chosen, home, key = run.stdout.split()
    assert chosen == home == str(tmp_path / "xdg" / "heaptui" / "kernels" / key)
    for directory in (Path(home), Path(home).parent, Path(home).parent.parent):
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700
    assert any(p.name.startswith("scan.is_monotonic") for p in Path(home).rglob("*.nbi"))


def test_engine_import_does_not_start_numba():
    run = _python(
        "import sys\nimport heaptui.engine.load, heaptui.engine.snapshot, heaptui.engine.leaks\n"
        "import heaptui.engine.compare, heaptui.engine.filters\n"
        "print('numba' in sys.modules, 'heaptui.engine.kernels' in sys.modules)",
        _env(),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "False"]


def test_without_any_directory_kernels_compile_in_memory(tmp_path):
    """No home, no temporary directory: numba compiles without its disk cache, and the answer is right."""
    home = tmp_path / "home"  # files where the directories should be: root could create any directory
    home.write_text("not a directory")
    (tmp_path / "missing").write_text("not a directory")
    env = _env(HOME=str(home), XDG_CACHE_HOME=None, HEAPTUI_KERNELS_DIR=None)
    run = _python(
        "import tempfile\n"
        f"tempfile.tempdir = {str(tmp_path / 'missing')!r}\n"
        "import numpy as np\n"
        "from heaptui.engine.kernel_cache import cache_directory\n"
        "from heaptui.engine.graph import edges_of\n"
        "print(cache_directory(), edges_of(np.array([0, 2, 3], dtype=np.int32), "
        "np.array([1, 0], dtype=np.int64)).tolist())",
        env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split(None, 1) == ["None", "[2, 0, 1]\n"]


def test_python_kernels_read_the_tiny_snapshot_as_the_compiled_ones_do():
    """The compile worker runs the parse in Python first: it must give the compiled parse's columns and types."""
    from heaptui.engine.compile_worker import EARLY_MODULES, _tiny
    from heaptui.engine.jit import as_python
    from heaptui.engine.parse import read_snapshot_bytes

    compiled = read_snapshot_bytes(_tiny(0))
    with as_python(EARLY_MODULES), np.errstate(over="ignore"):
        python = read_snapshot_bytes(_tiny(0))
    for name in (
        "node_type",
        "node_name",
        "node_id",
        "node_self_size",
        "first_edge",
        "node_detachedness",
        "edge_type",
        "edge_name",
        "edge_to",
        "locations",
    ):
        a, b = getattr(compiled, name), getattr(python, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("starts", "ends", "escaped", "hashes"):
        a, b = getattr(compiled.strings, name), getattr(python.strings, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    from heaptui.engine.jit import KernelReference
    from heaptui.engine.scan import is_monotonic

    assert isinstance(is_monotonic, KernelReference)
    assert type(is_monotonic.function).__name__ == "CPUDispatcher"  # compiled again after the block


def _cache_files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.suffix in (".nbi", ".nbc")}


def test_the_compile_worker_leaves_nothing_for_the_commands_to_compile(tmp_path):
    """After the worker, summary, diff, leaks and a filter on real snapshots add no compiled code."""
    kernels = tmp_path / "kernels"
    env = _env(HEAPTUI_KERNELS_DIR=str(kernels), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    worker = subprocess.run(
        [sys.executable, "-m", "heaptui.engine.compile_worker"], capture_output=True, text=True, env=env, timeout=1200
    )
    assert worker.returncode == 0, worker.stderr
    (directory,) = kernels.iterdir()
    assert (directory / "complete").is_file()
    compiled = _cache_files(directory)
    one, two, three = (str(fixture_path(f"leaky-{i}")) for i in (1, 2, 3))
    for command in (
        ["summary", three],
        ["diff", one, three],
        ["leaks", one, two, three],
        ["summary", three, "--filter", "duplicatedStrings"],
        ["stats", three],
    ):
        run = subprocess.run(
            [sys.executable, "-m", "heaptui", "--no-cache", *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr
        assert _cache_files(directory) == compiled, command


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


@pytest.mark.skipif(os.geteuid() != 0, reason="running as another user needs root")
@pytest.mark.skipif(shutil.which("setpriv") is None or _nobody() is None, reason="needs setpriv and a nobody user")
def test_a_user_who_can_write_neither_the_installation_nor_a_home_gets_the_answer_twice():
    """HOME=/nonexistent, an installation nobody can write: the right Summary, twice, without a traceback."""
    expected = subprocess.run(
        [sys.executable, "-m", "heaptui", "--no-cache", "summary", "--json", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert expected.returncode == 0, expected.stderr
    user = _nobody()
    assert user is not None
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
    }
    probe = subprocess.run(
        [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
            sys.executable,
            "-c",
            # heaptui and what it needs must be readable by nobody (a venv in a private directory is not)
            f"import os, click, numba, numpy, textual, heaptui.cli; print(os.access({str(ROOT)!r}, os.W_OK))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if probe.returncode != 0 or probe.stdout.strip() != "False":
        pytest.skip(f"nobody cannot run this installation read-only: {probe.stderr.strip() or probe.stdout}")
    for _ in range(2):
        run = subprocess.run(
            [
                "setpriv",
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--clear-groups",
                sys.executable,
                "-m",
                "heaptui",
                "summary",
                "--json",
                str(EXAMPLE),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        answer, reference = json.loads(run.stdout), json.loads(expected.stdout)
        answer["snapshot"].pop("path"), reference["snapshot"].pop("path")
        assert answer == reference


async def test_the_loading_screen_wraps_the_first_run_note_and_moves_while_compiling():
    """At 60 columns the note wraps whole; the phase line names the phase and its time, and keeps changing."""
    from textual.app import App
    from textual.widgets import Label

    from heaptui.tui.loader import Loader
    from heaptui.tui.screens.loading import FIRST_RUN_ESTIMATE, FIRST_RUN_NOTE, LoadingScreen

    path = str(fixture_path("leaky-3"))
    loader = Loader([path])  # never started: the screen shows what the test puts in its progress
    loader.first_run = True
    loader.progress[path] = ("dominators", 0, 1)

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(LoadingScreen(loader, on_done=lambda _: None, on_error=lambda _: None))

    app = Host()
    async with app.run_test(size=(60, 24)) as pilot:
        await pilot.pause(0.2)
        note = app.screen.query_one("#first-run", Label)
        assert note.region.right <= 60 and note.region.height >= 3, note.region
        assert str(note.render()) == FIRST_RUN_NOTE.format(estimate=FIRST_RUN_ESTIMATE)
        phase = app.screen.query_one(".phase", Label)
        first = str(phase.render())
        assert "dominators (first run)" in first and " s" in first
        for _ in range(100):  # the spinner and the seconds move (bounded wait, 5 s)
            await pilot.pause(0.05)
            if str(phase.render()) != first:
                break
        else:
            raise AssertionError(f"the phase line stayed {first!r} for 5 s")


def _same_raw(a, b) -> list[str]:
    """The fields (and string-table arrays) in which two RawSnapshots differ, types included."""
    import dataclasses

    differ = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "strings":
            for k in ("blob", "starts", "ends", "escaped", "hashes"):
                u, v = getattr(x, k), getattr(y, k)
                if type(u) is not type(v) or u.dtype != v.dtype or not np.array_equal(u, v):
                    differ.append(f"strings.{k}")
        elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or x.dtype != y.dtype or not np.array_equal(x, y):
                differ.append(f.name)
        elif x != y:
            differ.append(f.name)
    return differ


def test_the_small_first_run_reader_gives_the_scanners_columns():
    """Every fixture snapshot: the json-module reader's columns, types, string offsets and hashes are the scanners'."""
    from heaptui.engine.parse import read_snapshot
    from heaptui.engine.small_first_run import python_kernels, read_small

    paths = sorted(fixture_path("x").parent.glob("*.heapsnapshot.gz"))
    assert len(paths) >= 10
    for path in paths:
        with python_kernels():
            small = read_small(path)
        assert small is not None, path
        assert _same_raw(read_snapshot(path), small) == [], path


def test_the_small_first_run_reader_gives_up_on_what_it_does_not_expect(tmp_path):
    """Bad input goes to the normal reader (which names the problem): the fast reader returns None."""
    from heaptui.engine.small_first_run import python_kernels, read_small

    good = json.loads(__import__("gzip").decompress(fixture_path("tiny").read_bytes()))
    text = json.dumps(good).encode()
    cases = {
        "not-json": b"{",
        "array": b"[]",
        "bom": b"\xef\xbb\xbf" + text,
        "utf-16": text.decode().encode("utf-16"),
        "repeated": text[:-1] + b', "nodes": []}',
    }
    broken = json.loads(json.dumps(good))
    broken["nodes"][2] = 1.5
    cases["float"] = json.dumps(broken).encode()
    broken = json.loads(json.dumps(good))
    broken["snapshot"]["edge_count"] += 1
    cases["counts"] = json.dumps(broken).encode()
    broken = json.loads(json.dumps(good))
    broken["edges"][2] += 1  # not a multiple of the node field count
    cases["to_node"] = json.dumps(broken).encode()
    broken = json.loads(json.dumps(good))
    broken["trace_tree"] = [1, 2, 3, 0, []]  # allocation traces: the normal reader keeps their bytes
    cases["trace"] = json.dumps(broken).encode()
    for name, data in cases.items():
        path = tmp_path / f"{name}.heapsnapshot"
        path.write_bytes(data)
        with python_kernels():
            assert read_small(path) is None, name


@pytest.mark.parametrize("name", ["leaky-3", "mixed", "chromium-1"])
def test_the_python_kernels_index_a_snapshot_as_the_compiled_ones_do(name):
    """Dominators, retained sizes, distances, classes, the Summary: the same from the kernels run as Python."""
    from heaptui.engine.load import build_index
    from heaptui.engine.parse import read_snapshot
    from heaptui.engine.small_first_run import python_kernels

    path = fixture_path(name)
    compiled = build_index(read_snapshot(path), str(path))
    raw = read_snapshot(path)  # the scanners compiled (as Python they are far too slow): the index as Python
    with python_kernels():
        python = build_index(raw, str(path))
    for field in (
        "shallow",
        "first_retainer",
        "retainer_edge",
        "dominator",
        "retained",
        "distances",
        "class_id",
        "node_name",
    ):
        assert np.array_equal(getattr(compiled, field), getattr(python, field)), field
    assert compiled.classes == python.classes and compiled.interfaces == python.interfaces
    assert compiled.summary_rows == python.summary_rows
    assert compiled.statistics == python.statistics


def test_a_first_run_answers_from_python_kernels_and_leaves_them_compiled(tmp_path):
    """No compiled kernels: the right Summary (read by the json module, indexed in Python); the worker compiles."""
    from heaptui.engine.compile_worker import worker_running

    path = str(fixture_path("leaky-3"))
    expected = subprocess.run(
        [sys.executable, "-m", "heaptui", "--no-cache", "summary", "--json", path],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    kernels = tmp_path / "kernels"
    env = _env(HEAPTUI_KERNELS_DIR=str(kernels), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    first = subprocess.run(
        [sys.executable, "-m", "heaptui", "--no-cache", "summary", "--json", path],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == json.loads(expected.stdout)
    (directory,) = kernels.iterdir()
    for _ in range(2400):  # the worker the first run started (bounded: 20 minutes)
        if (directory / "complete").is_file() or not worker_running(directory):
            break
        __import__("time").sleep(0.5)
    assert (directory / "complete").is_file(), "the compile worker ended without compiling every kernel"


def test_a_kernels_directory_made_for_one_process_is_gone_after_the_command(tmp_path):
    """No home, and the shared temporary name taken by another account's directory: compiled into a directory
    of the process's own, removed when the command ends (the console script ends with os._exit, not atexit)."""
    home = tmp_path / "home"
    home.write_text("not a directory")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    (temporary / f"heaptui-{os.geteuid()}").write_text("in the way")  # not a directory: refused
    env = _env(HOME=str(home), XDG_CACHE_HOME=None, HEAPTUI_KERNELS_DIR=None, TMPDIR=str(temporary))
    code = (
        "import sys; sys.argv = ['heaptui', '--no-cache', 'summary', sys.argv[1]]\nfrom heaptui.cli import run\nrun()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(fixture_path("tiny"))], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stderr
    assert "Constructor" in run.stdout
    assert sorted(p.name for p in temporary.iterdir()) == [f"heaptui-{os.geteuid()}"]


def test_python_kernels_are_the_calling_threads_only():
    """A small first-run load in Python must not turn another thread's (large) load into Python too."""
    import threading

    from heaptui.engine.jit import KernelReference, as_python

    reference = KernelReference("graph", "build_retainers")
    reference._python = lambda: "python"  # stand-ins: which of the two a call reaches
    reference._function = lambda: "compiled"
    seen: dict[str, str] = {}
    inside, done = threading.Event(), threading.Event()

    def python_thread():
        with as_python():
            seen["inside"] = reference()
            inside.set()
            done.wait(60)
        seen["after"] = reference()

    worker = threading.Thread(target=python_thread)
    worker.start()
    assert inside.wait(60), "the thread running kernels as Python never started"
    seen["other thread"] = reference()
    with as_python(["classes"]):
        seen["other module"] = reference()
    with as_python(["graph"]):
        seen["this module"] = reference()
    done.set()
    worker.join(60)
    assert seen == {
        "inside": "python",
        "other thread": "compiled",
        "other module": "compiled",
        "this module": "python",
        "after": "compiled",
    }


_SUMMARY_IN_PROCESS = (
    "import json, sys\n"
    "from heaptui.engine import load_snapshot\n"
    "if sys.argv[2] == 'refreshed':  # numba's own way: every registry installed before the kernels load\n"
    "    from numba.core.registry import cpu_target\n"
    "    cpu_target.target_context.refresh()\n"
    "s = load_snapshot(sys.argv[1])\n"
    "rows = [(r.name, r.count, r.shallow_size, r.retained_size) for r in s.summary()]\n"
    "arrayobj = 'numba.np.arrayobj' in sys.modules\n"
    "import numba, numpy as np\n"
    "@numba.njit  # compiled after the load: numba's np.empty and argsort, whose environments the kernels hold too\n"
    "def after(n):\n"
    "    a = np.empty(n, dtype=np.int64)\n"
    "    for i in range(n):\n"
    "        a[i] = (7 * i) % n\n"
    "    return [int(x) for x in np.argsort(a)[:4]]\n"
    "from numba.core.registry import cpu_target\n"
    "engine = cpu_target.target_context.codegen()._engine\n"
    "from heaptui.engine.kernels.graph import build_retainers\n"
    "cres = next(iter(build_retainers.overloads.values()))  # the load's, from the cache\n"
    "unparsed = sum('_heaptui_bitcode' in d.library.__dict__ for d in build_retainers.overloads.values())\n"
    "@numba.njit  # links a kernel's code library into its own: the library's bitcode is read now\n"
    "def linked(first_edge, edge_to, n):\n"
    "    first, edges = build_retainers(first_edge, edge_to, n)\n"
    "    return first[n], edges[0]\n"
    "fe, to, n = s.first_edge, s.edge_to, s.node_count\n"
    "print(json.dumps({'rows': rows, 'registries': 'numba.np.random.legacy' in sys.modules, 'arrayobj': arrayobj,\n"
    "                  'compiled after': after(10), 'unparsed': unparsed,\n"
    "                  'linked': [int(x) for x in linked(fe, to, n)],\n"
    "                  'called': [int(build_retainers(fe, to, n)[0][n]), int(build_retainers(fe, to, n)[1][0])],\n"
    "                  'defined': [engine.is_symbol_defined(cres.fndesc.llvm_func_name),\n"
    "                              engine.is_symbol_defined('no such symbol')]}))\n"
)


def test_compiled_kernels_load_without_numbas_compiler_registries():
    """A load from compiled kernels skips numba's registries (a fifth of a second) and answers as numba's own way.

    The marker is a module only numba's registries import (its random generators: no kernel uses them); numba's
    array implementations (``numba.np.arrayobj``), which the kernels' environments name, are not imported either.
    A function compiled afterwards in the same process still works.

    The first process may compile (a new kernels directory); the next two load what it left, one the lean way,
    one after installing every registry as numba's own cache load does.
    """
    path = str(fixture_path("leaky-3"))
    runs = {}
    for way in ("first", "lean", "refreshed"):
        run = subprocess.run(
            [sys.executable, "-c", _SUMMARY_IN_PROCESS, path, way],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=600,
        )
        assert run.returncode == 0, run.stderr
        runs[way] = json.loads(run.stdout)
    import numba

    from heaptui.engine.numba_start import _checked

    if _checked(numba.__version__):
        assert runs["lean"]["registries"] is False, "loading compiled kernels installed numba's compiler registries"
        assert runs["lean"]["arrayobj"] is False, "loading compiled kernels imported numba's array implementations"
        assert runs["lean"]["unparsed"] == 1, "a kernel loaded from the cache parsed its bitcode at once"
    else:  # a numba the lean load was not checked against loads numba's own way
        assert runs["lean"]["registries"] is True
    assert runs["refreshed"]["registries"] is True
    assert runs["lean"]["rows"] == runs["refreshed"]["rows"] == runs["first"]["rows"]
    assert all(run["compiled after"] == [0, 3, 6, 9] for run in runs.values())
    # A kernel loaded lean links into a later compile, and numba's symbol guard knows its symbols, as numba's own way.
    assert all(run["linked"] == run["called"] for run in runs.values()), runs
    assert all(run["defined"] == [True, False] for run in runs.values()), runs
    assert len(runs["lean"]["rows"]) > 10


@pytest.mark.parametrize("name", ["leaky-3", "chromium-1"])
def test_retainers_are_every_edge_by_target_latest_first(name):
    """The reverse index against numpy's sort: a node's retainers are the edges into it, the last edge first."""
    from heaptui.engine.jit import kernel

    s = loaded(name)
    first_retainer, retainer_edge = kernel("graph", "build_retainers")(s.first_edge, s.edge_to, s.node_count)
    edges = np.arange(s.edge_count)
    expected = np.lexsort((-edges, s.edge_to))
    assert np.array_equal(retainer_edge, expected)
    assert np.array_equal(first_retainer, np.searchsorted(s.edge_to[expected], np.arange(s.node_count + 1)))
    assert first_retainer.dtype == s.first_edge.dtype and retainer_edge.dtype == np.int32
