"""The value types and shared options of the commands: sizes in bytes, node ids, ``--progress``, ``--json``."""

from __future__ import annotations

from typing import Any

import click


class ByteCount(click.ParamType):
    """A number of bytes: ``1500``, ``1.5kB``, ``2MB``, ``1GB`` (units of 1000, as DevTools shows sizes)."""

    name = "bytes"
    UNITS = {"": 1, "b": 1, "kb": 1000, "k": 1000, "mb": 1000**2, "m": 1000**2, "gb": 1000**3, "g": 1000**3}

    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = str(value).strip().lower().replace("_", "")
        number = text.rstrip("kmgb")
        unit = text[len(number) :]
        try:
            if unit not in self.UNITS:
                raise ValueError(unit)
            size = int(float(number) * self.UNITS[unit])
        except (ValueError, OverflowError):  # OverflowError: "inf"
            self.fail(f"{value!r} is not a size (like 500000, 500kB or 2MB)", param, ctx)
        if size < self.minimum:
            least = "0 or more" if self.minimum == 0 else f"at least {self.minimum:,}"
            self.fail(f"{value!r} is not a size here: it must be {least} bytes", param, ctx)
        return size


def parse_node_id(text: str) -> int:
    """A node id as the user writes it, ``@123`` or ``123``."""
    value = text[1:] if text.startswith("@") else text
    if not value.isdigit():
        raise click.BadParameter(f"{text!r} is not a node id (like @123 or 123)")
    return int(value)


progress_option = click.option(
    "--progress/--no-progress", default=None, help="Show load progress on stderr (default: when stderr is a terminal)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
