"""The ``heaptui`` process's own numpy settings (heaptui.process_tuning), as a user's command gets them.

A child runs the command's group in-process on a real snapshot, then reports what numpy ended up with: no
transparent huge pages and one OpenBLAS thread by default, the user's own values when they set them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from cli_support import heaptui_env

from conftest import FIXTURES

CHILD = """
import json, os, sys
from heaptui.cli import main
try:
    main(["--no-cache", "summary", sys.argv[1]], standalone_mode=False)
except SystemExit:
    pass
import numpy
from numpy._core import multiarray
print(json.dumps({"huge_pages": multiarray._get_madvise_hugepage(), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
                  "scipy": "scipy" in sys.modules and sys.modules["scipy"] is None}))
"""


def _child(**env: str) -> dict[str, object]:
    fixture = str(FIXTURES / "tiny.heapsnapshot.gz")
    base = heaptui_env(**env)
    for name in ("NUMPY_MADVISE_HUGEPAGE", "OPENBLAS_NUM_THREADS"):
        if name not in env:
            base.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, fixture], env=base, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_asks_for_no_huge_pages_and_one_blas_thread() -> None:
    got = _child()
    assert got == {"huge_pages": False, "blas": "1", "scipy": True}


def test_a_users_own_settings_are_kept() -> None:
    got = _child(NUMPY_MADVISE_HUGEPAGE="1", OPENBLAS_NUM_THREADS="2")
    assert got["huge_pages"] is True
    assert got["blas"] == "2"
