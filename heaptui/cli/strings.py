"""``heaptui strings FILE``: duplicated strings, grouped by text, by the bytes the copies waste."""

from __future__ import annotations

import click

from .loading import load_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, progress_option


@click.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N texts that waste most.")
@json_option
@wide_option
@progress_option
@pass_load_options
def strings(options: LoadOptions, file: str, top: int | None, as_json: bool, wide: bool, progress: bool | None) -> None:
    """Duplicated strings: texts held by several string objects, by the bytes all but one copy waste.

    DevTools' "Duplicated strings" filter only lists the copies; this groups them.
    """
    from ..engine.filters import duplicated_string_groups

    snapshot = load_or_exit(file, options.with_progress(progress))
    groups = duplicated_string_groups(snapshot)
    total_wasted = sum(g.wasted for g in groups)
    shown = groups[:top] if top is not None else groups
    if as_json:
        emit_json({"snapshot": snapshot.describe(), "wasted": total_wasted, "strings": [g.to_json() for g in shown]})
    else:
        from ..textreport import strings_table

        click.echo(strings_table(snapshot, shown, len(groups), total_wasted, text_width(wide)))
