"""The type hints hold: mypy finds no error in heaptui (the README's one test command runs this too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import heaptui

PACKAGE = Path(heaptui.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error():
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(PACKAGE)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
