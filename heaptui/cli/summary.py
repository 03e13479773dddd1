"""``heaptui summary FILE``: classes by retained size, as DevTools' Summary view groups them."""

from __future__ import annotations

from typing import Any

import click

from ..visible import visible
from .errors import EXIT_BAD_INPUT, fail
from .loading import load_or_exit, max_id_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, parse_node_id, progress_option


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
    devtools_filter = None if filter_name is None else _devtools_filter_name(filter_name)
    bound = max_id_or_exit(since or before, options) if since or before else None  # type: ignore[arg-type]
    snapshot = load_or_exit(file, options)
    allocated = None
    if bound is not None:
        low, high = (bound, snapshot.max_js_node_id) if since else (0, bound)
        allocated = {"after" if since else "before": since or before, "min_id": low, "max_id": high}
        rows = snapshot.summary(snapshot.allocated_between(low, high))
    elif devtools_filter is not None:
        from ..engine.filters import filter_mask, native_context_filter, native_contexts

        if devtools_filter.startswith("nativeContext_"):  # given as @id, named by node index
            node_id = int(devtools_filter.removeprefix("nativeContext_"))
            v = snapshot.node_for_id(node_id)
            if v is None:
                fail(f"{file}: no object @{node_id} in this snapshot", EXIT_BAD_INPUT)
            if v not in native_contexts(snapshot):  # said with the id the user gave, not DevTools' node index
                fail(
                    f"{file}: @{node_id} is not a native context (it is a {snapshot.class_name(v)}); "
                    "the app's Filters list the native contexts",
                    EXIT_BAD_INPUT,
                )
            devtools_filter = native_context_filter(snapshot, v)
        try:
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
        from ..textreport import summary_table

        if allocated is not None:
            click.echo(
                f"objects with ids in ({allocated['min_id']}, {allocated['max_id']}]: allocated "
                f"{'after' if since else 'before'} {visible(since or before or '')} was taken"
            )
        if devtools_filter is not None:
            click.echo(
                f"filter: {visible(_filter_label(devtools_filter))}"
                + (f" (@{filter_name.split('=', 1)[1].lstrip('@')})" if "=" in filter_name else "")
            )
        click.echo(summary_table(snapshot, rows, text_width(wide)))


FILTER_ALIASES = {
    "duplicated-strings": "duplicatedStrings",
    "detached-dom": "objectsRetainedByDetachedDomNodes",
    "contexts": "objectsRetainedByContexts",
    "console": "objectsRetainedByConsole",
    "event-handlers": "objectsRetainedByEventHandlers",
    "shared-native-context": "sharedNativeContext",
    "no-native-context": "noNativeContext",
}


def _devtools_filter_name(text: str) -> str:
    """A --filter value as DevTools' code names the filter (its own names are accepted too)."""
    if text in FILTER_ALIASES.values():
        return text
    if text in FILTER_ALIASES:
        return FILTER_ALIASES[text]
    if text.startswith("native-context="):  # an id here; summary() turns it into DevTools' node index
        return f"nativeContext_{parse_node_id(text.split('=', 1)[1])}"
    raise click.BadParameter(f"{text!r}: one of {', '.join(FILTER_ALIASES)}, native-context=@ID", param_hint="--filter")


def _filter_label(name: str) -> str:
    from ..engine.filters import FILTERS

    labels = {f.name: f.label for f in FILTERS}
    if name.startswith("nativeContext_"):
        return "Objects attributed to one native context"
    return labels[name]
