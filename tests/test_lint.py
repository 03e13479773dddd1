"""The code stays ruff-clean (the README's one test command checks it too)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.prefix, "bin", "ruff"))
    if not Path(ruff).exists():  # it is in the [test] extra: a missing ruff fails, never skips
        pytest.fail("ruff is not installed: pip install '.[test]' installs it")
    proc = subprocess.run([ruff, "check", "heaptui", "tests", "benchmarks"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
