"""Shared fixtures: the real snapshots made by tests/fixtures/*.js, loaded once per session."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Where the heaptui under test lives (installed, or the tree PYTHONPATH names): child processes import that one.
HEAPTUI_HOME = str(Path(importlib.util.find_spec("heaptui").origin).resolve().parent.parent)


def pytest_configure(config) -> None:
    """The ending signals as a terminal session has them, whatever the runner inherited.

    A suite started under ``nohup``, or as a background job of a script (whose shell ignores SIGINT and
    SIGQUIT there), inherits those signals ignored, and so would every command the tests start: heaptui rightly
    leaves an ignored signal alone, so the tests of what SIGHUP, SIGINT, SIGTERM and SIGQUIT do would see
    nothing happen. They test what a user at a terminal, or a service manager, gets.
    """
    for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        if signal.getsignal(signum) == signal.SIG_IGN:
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)


def pytest_report_header(config) -> str:
    """Which heaptui the suite tests: the installed package (``pip install '.[test]'``) or a source tree."""
    return f"heaptui under test: {HEAPTUI_HOME}/heaptui"


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Index caches written by the commands under test go to a temporary directory, not ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    # Compiled kernels outlive the session (keyed by the sources, so never stale): compiling them is slow.
    mp.setenv("HEAPTUI_KERNELS_DIR", os.path.join(tempfile.gettempdir(), f"heaptui-test-kernels-{os.geteuid()}"))
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _compiled_kernels(_private_cache_dir):
    """Compile every kernel before the first test, once per version of the engine's sources.

    Any edit of the engine gives the kernels a new directory; compiled on first use instead,
    a view's first kernels could take a minute on a busy machine while a test waits for it.
    """
    from heaptui.engine import kernel_cache
    from heaptui.engine.compile_worker import worker_running

    directory = kernel_cache.cache_directory()
    if directory is not None and not kernel_cache.kernels_compiled():
        subprocess.run([sys.executable, "-m", "heaptui.engine.compile_worker"], timeout=1800, check=False,
                       env={**os.environ, "PYTHONPATH": HEAPTUI_HOME})
        deadline = time.monotonic() + 1800  # a worker a command started held the lock: wait for its end
        while not kernel_cache.kernels_compiled() and worker_running(directory) and time.monotonic() < deadline:
            time.sleep(0.5)
    yield


EXPECTED = FIXTURES / "expected"
#: tests/fixtures/runtime_workload.mjs's snapshot from each runtime (tests/fixtures/make_runtimes.sh).
RUNTIMES = ["runtime-node18", "runtime-node20", "runtime-node22", "runtime-node24", "runtime-deno2", "runtime-bun1"]


def fixture_path(name: str) -> Path:
    return FIXTURES / f"{name}.heapsnapshot.gz"


@cache
def loaded(name: str):
    from heaptui.engine import load_snapshot

    return load_snapshot(fixture_path(name))


@cache
def devtools(name: str) -> dict:
    """DevTools' own numbers for a fixture, recorded by tests/oracle/make_expected.py."""
    with gzip.open(EXPECTED / f"{name}.devtools.json.gz", "rb") as f:
        return json.loads(f.read())


@pytest.fixture
def leaky3():
    return loaded("leaky-3")
