"""What the commands write: answers on stdout (text or JSON), warnings on stderr, file text escaped."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from ..visible import visible


def warn(message: str) -> None:
    """One warning line on stderr, file text in it escaped."""
    click.echo(f"heaptui: warning: {visible(message)}", err=True)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def answer(warnings: list[str], as_json: bool, to_json: Callable[[], dict[str, Any]], rows_key: str,
           top: int | None, text: Callable[[], str]) -> None:
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
