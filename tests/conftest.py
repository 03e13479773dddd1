"""Shared fixtures: the real snapshots made by tests/fixtures/*.js, loaded once per session."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Index caches written by the commands under test go to a temporary directory, not ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    # Compiled kernels outlive the session (keyed by the sources, so never stale): compiling them is slow.
    mp.setenv("HEAPTUI_KERNELS_DIR", os.path.join(tempfile.gettempdir(), f"heaptui-test-kernels-{os.geteuid()}"))
    yield
    mp.undo()
EXPECTED = FIXTURES / "expected"


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
