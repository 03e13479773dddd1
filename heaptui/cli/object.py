"""``heaptui object FILE ID``: one object's sizes, distance and retainers."""

from __future__ import annotations

import click

from .errors import EXIT_BAD_INPUT, fail
from .loading import load_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import parse_node_id, progress_option


@click.command("object")
@click.argument("file", type=click.Path())
@click.argument("node_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@wide_option
@progress_option
@pass_load_options
def object_command(
    options: LoadOptions, file: str, node_id: str, as_json: bool, wide: bool, progress: bool | None
) -> None:
    """One object (ID as @123 or 123): sizes, distance and retainers in DevTools' order."""
    wanted = parse_node_id(node_id)
    snapshot = load_or_exit(file, options.with_progress(progress))
    v = snapshot.node_for_id(wanted)
    if v is None:
        fail(f"{file}: no object @{wanted} in this snapshot", EXIT_BAD_INPUT)
    if as_json:
        emit_json(snapshot.object_json(v))
    else:
        from ..textreport import object_report

        click.echo(object_report(snapshot, v, text_width(wide)))
