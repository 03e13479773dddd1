"""``heaptui summary FILE``: classes by retained size, as DevTools' Summary view groups them."""

from __future__ import annotations

from typing import Any

import click

from ..visible import visible
from .errors import EXIT_BAD_INPUT, fail
from .loading import load_or_exit, max_id_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, progress_option


@click.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N classes with most retained size.")
@click.option(
    "--since",
    "since",
    type=click.Path(),
    default=None,
    metavar="OLDER",
    help="Only objects allocated after the snapshot OLDER was taken (DevTools' "
    '"Objects allocated between OLDER and FILE").',
)
@click.option(
    "--before",
    "before",
    type=click.Path(),
    default=None,
    metavar="OLDER",
    help="Only objects allocated before the snapshot OLDER was taken.",
)
@click.option(
    "--filter",
    "filter_name",
    default=None,
    metavar="NAME",
    help="One of DevTools' Summary filters: duplicated-strings, detached-dom, contexts, console, "
    "event-handlers, shared-native-context, no-native-context, native-context=@ID.",
)
@json_option
@wide_option
@progress_option
@pass_load_options
def summary(
    options: LoadOptions,
    file: str,
    top: int | None,
    since: str | None,
    before: str | None,
    filter_name: str | None,
    as_json: bool,
    wide: bool,
    progress: bool | None,
) -> None:
    """Classes by retained size, as DevTools' Summary view groups them.

    --filter applies one of DevTools' Summary filters: duplicated-strings,
    detached-dom (objects retained by detached DOM nodes), contexts, console,
    event-handlers, shared-native-context, no-native-context, or
    native-context=@ID (objects attributed to that native context).
    """
    options = options.with_progress(progress)
    if since and before:
        raise click.UsageError("--since and --before cannot be used together")
    if filter_name is not None and (since or before):
        raise click.UsageError("--filter cannot be used with --since or --before")
    from ..engine.filters import FilterSpec, devtools_filter_name, filter_mask, parse_filter
    from ..engine.windows import AllocationWindow, window_before, window_since

    spec: FilterSpec | None = None
    if filter_name is not None:
        try:
            spec = parse_filter(filter_name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--filter") from None
    bound = max_id_or_exit(since or before, options) if since or before else None  # type: ignore[arg-type]
    snapshot = load_or_exit(file, options)
    allocated = None
    devtools_filter = None
    window: AllocationWindow | None = None
    if bound is not None:
        window = window_since(bound, snapshot) if since else window_before(bound)
        allocated = {"after" if since else "before": since or before, "min_id": window.min_id, "max_id": window.max_id}
        rows = snapshot.summary(window.mask(snapshot))
    elif spec is not None:
        try:  # a native context is said with the id the user gave ("no native context @1"), not a node index
            devtools_filter = devtools_filter_name(snapshot, spec)
            rows = snapshot.summary(filter_mask(snapshot, devtools_filter))
        except ValueError as error:
            fail(f"{file}: {error}", EXIT_BAD_INPUT)
    else:
        rows = snapshot.summary()
    if top is not None:
        rows = rows[:top]
    if as_json:
        data: dict[str, Any] = {"snapshot": snapshot.describe()}
        if allocated is not None:
            data["allocated"] = allocated
        if devtools_filter is not None:
            data["filter"] = devtools_filter
        data["classes"] = [r.to_json() for r in rows]
        emit_json(data)
    else:
        from ..textreport import summary_table, wrap

        if window is not None:
            for line in wrap(
                f"objects with ids in ({window.min_id}, {window.max_id}]: allocated "
                f"{'after' if since else 'before'} {visible(since or before or '')} was taken",
                text_width(wide),
            ):
                click.echo(line)
        if spec is not None:
            click.echo(f"filter: {visible(spec.label)}" + (f" (@{spec.node_id})" if spec.node_id is not None else ""))
        click.echo(summary_table(snapshot, rows, text_width(wide)))
