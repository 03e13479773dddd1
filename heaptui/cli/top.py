"""``heaptui top FILE``: the objects with the largest retained sizes and their shortest retainer paths."""

from __future__ import annotations

import click

from .loading import load_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, progress_option


@click.command()
@click.argument("file", type=click.Path())
@click.option("--top", "count", type=click.IntRange(min=1), default=20, show_default=True, help="How many objects.")
@json_option
@wide_option
@progress_option
@pass_load_options
def top(options: LoadOptions, file: str, count: int, as_json: bool, wide: bool, progress: bool | None) -> None:
    """The objects with the largest retained sizes, each with its shortest retainer path."""
    from ..engine.leaks import largest_objects

    snapshot = load_or_exit(file, options.with_progress(progress))
    found = largest_objects(snapshot, count)
    if as_json:
        emit_json({"snapshot": snapshot.describe(), "objects": [o.to_json(snapshot) for o in found]})
    else:
        from ..textreport import largest_text

        click.echo(largest_text(snapshot, found, text_width(wide)))
