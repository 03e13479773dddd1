"""What the commands write: answers on stdout (text or JSON), warnings on stderr, file text escaped."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ..visible import visible


def warn(message: str) -> None:
    """One warning line on stderr, file text in it escaped."""
    click.echo(f"heaptui: warning: {visible(message)}", err=True)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def answer(
    warnings: list[str],
    as_json: bool,
    to_json: Callable[[], dict[str, Any]],
    rows_key: str,
    top: int | None,
    text: Callable[[], str],
) -> None:
    """Warnings on stderr, then the answer as JSON (its list ``rows_key`` cut to ``top``) or as text."""
    for warning in warnings:
        warn(warning)
    if as_json:
        data = to_json()
        if top is not None:
            data[rows_key] = data[rows_key][:top]
        emit_json(data)
    else:
        click.echo(text())


def interactive() -> bool:
    """Whether a person is at a terminal: stdin and stdout both are one (the app needs both)."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


MIN_WIDTH = 40


def text_width(wide: bool) -> int | None:
    """How wide text answers may be: None (no limit) with ``--wide``; else the terminal's width when stdout is
    one, else ``$COLUMNS`` (piped), else 80 (what an SSH terminal or a CI log shows without wrapping)."""
    if wide:
        return None
    try:
        if sys.stdout.isatty():
            columns = os.get_terminal_size(sys.stdout.fileno()).columns
            if columns > 0:
                return max(MIN_WIDTH, columns)
    except (AttributeError, ValueError, OSError):
        pass
    columns_text = os.environ.get("COLUMNS", "").strip()
    if columns_text.isdigit() and int(columns_text) > 0:
        return max(MIN_WIDTH, int(columns_text))
    return 80


wide_option = click.option(
    "--wide", is_flag=True, help="Print whole lines, however long (default: fit the terminal, or $COLUMNS, or 80)."
)
