"""The type hints hold: mypy finds no error in heaptui (the README's one test command runs this too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import heaptui

PACKAGE = Path(heaptui.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error():
    # The checkout's sources when the tests run from one (the installed copy is the same code, and mypy will not
    # check a package inside site-packages as sources), else the installed package.
    target = ROOT / "heaptui" if (ROOT / "heaptui" / "__init__.py").is_file() else PACKAGE
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(target)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
