"""The engine and the headless commands never import Textual."""

from __future__ import annotations

import subprocess
import sys

from conftest import fixture_path


def test_engine_and_cli_work_with_textual_blocked():
    code = (
        "import sys\n"
        "sys.modules['textual'] = None\n"  # any 'import textual' now fails
        "from heaptui.engine import load_snapshot\n"
        "s = load_snapshot(sys.argv[1])\n"
        "assert s.summary()\n"
        "from heaptui.cli import main\n"
        "main(['summary', sys.argv[1], '--top', '1'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(fixture_path("tiny"))], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Constructor" in proc.stdout
