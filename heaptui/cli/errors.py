"""The command line's exit statuses and its one way to fail: one line on stderr, then the status."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from ..visible import visible

EXIT_BAD_INPUT = 1
EXIT_INTERNAL = 2
EXIT_GROWTH = 3  # --fail-on-growth: the heap grew more than allowed
EXIT_CANCELLED = 130


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, file text in it escaped (a path, a name quoted by the engine), and an exit."""
    click.echo(f"heaptui: {visible(message)}", err=True)
    sys.exit(code)
