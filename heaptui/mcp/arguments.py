"""A tool's arguments as the CLI reads them (ids, sizes), and the pages of a long answer.

A long list comes ``limit`` rows from ``offset``, with ``total`` (rows in the whole list), ``offset``,
``limit`` and ``next_offset`` (None on the last page) beside it, so an agent reads on only when it wants.
"""

from __future__ import annotations

from typing import Any

from .sessions import ToolProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def page(data: dict[str, Any], key: str, limit: int, offset: int) -> dict[str, Any]:
    """Cut ``data[key]`` to ``limit`` rows from ``offset`` and say where the list goes on."""
    rows = data[key]
    total = len(rows)
    data[key] = rows[offset : offset + limit]
    data["total"] = total
    data["offset"] = offset
    data["limit"] = limit
    data["next_offset"] = offset + limit if offset + limit < total else None
    return data


def paging(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = DEFAULT_LIMIT if limit is None else int(limit)
    offset = 0 if offset is None else int(offset)
    if not 1 <= limit <= MAX_LIMIT:
        raise ToolProblem(f"limit: {limit} is not between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise ToolProblem(f"offset: {offset} is negative")
    return limit, offset


def positive(name: str, value: int | None) -> int | None:
    if value is not None and int(value) < 1:
        raise ToolProblem(f"{name}: {value} is not at least 1")
    return None if value is None else int(value)


def parse_node_id(text: str | int) -> int:
    """``@123``, ``123`` or 123: a node id."""
    value = str(text).strip()
    value = value[1:] if value.startswith("@") else value
    if not value.isdigit():
        raise ToolProblem(f"{text!r} is not a node id (like @123 or 123)")
    return int(value)


def parse_bytes(text: str | int | None) -> int | None:
    """``500000``, ``500kB``, ``2MB``: bytes in units of 1000, as the CLI's ``--fail-on-growth`` reads them."""
    if text is None or isinstance(text, int):
        return text
    units = {"": 1, "b": 1, "kb": 1000, "k": 1000, "mb": 1000**2, "m": 1000**2, "gb": 1000**3, "g": 1000**3}
    clean = str(text).strip().lower().replace("_", "")
    number = clean.rstrip("kmgb")
    try:
        return int(float(number) * units[clean[len(number) :]])
    except (KeyError, ValueError):
        raise ToolProblem(f"{text!r} is not a size (like 500000, 500kB or 2MB)") from None
