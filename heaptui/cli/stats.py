"""``heaptui stats FILE``: heap totals by category, as DevTools' Statistics view shows them."""

from __future__ import annotations

import click

from .loading import load_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, progress_option


@click.command()
@click.argument("file", type=click.Path())
@json_option
@wide_option
@progress_option
@pass_load_options
def stats(options: LoadOptions, file: str, as_json: bool, wide: bool, progress: bool | None) -> None:
    """Heap totals by category, as DevTools' Statistics view shows them."""
    snapshot = load_or_exit(file, options.with_progress(progress))
    if as_json:
        emit_json(snapshot.statistics.to_json())
    else:
        from ..textreport import statistics_table

        click.echo(statistics_table(snapshot, text_width(wide)))
