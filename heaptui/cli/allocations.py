"""``heaptui allocations FILE``: the functions that allocated the live objects (timeline or sampling profile)."""

from __future__ import annotations

import os

import click

from .errors import EXIT_BAD_INPUT, fail
from .loading import load_or_exit
from .options import LoadOptions, pass_load_options
from .output import emit_json, text_width, wide_option
from .params import json_option, progress_option


@click.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N functions with most live size.")
@json_option
@wide_option
@progress_option
@pass_load_options
def allocations(
    options: LoadOptions, file: str, top: int | None, as_json: bool, wide: bool, progress: bool | None
) -> None:
    """The functions that allocated the live objects, by live size.

    FILE is an allocation timeline recorded with stacks (.heaptimeline, as
    `heaptui record` or DevTools' "Allocations on timeline" with "Allocation
    stack traces" write it; also any snapshot of `node --track-heap-objects`)
    or a sampling profile (.heapprofile).
    """
    from ..engine.errors import SnapshotError
    from ..engine.heapprofile import is_heapprofile, read_heapprofile

    if not os.path.exists(file):
        fail(f"{file}: no such file", EXIT_BAD_INPUT)
    reason = None
    if is_heapprofile(file):
        try:
            profile = read_heapprofile(file)
        except SnapshotError as error:
            fail(str(error), EXIT_BAD_INPUT)
        rows = [f.to_json() for f in profile.by_function()]  # a sampling profile holds only live objects
    else:
        from ..engine.allocation import allocation_tree

        snapshot = load_or_exit(file, options.with_progress(progress))
        tree = allocation_tree(snapshot)
        reason = tree.reason
        if reason is not None and (snapshot.samples is None or not snapshot.samples.size):  # no timeline at all
            fail(
                f"{file}: a heap snapshot, not an allocation timeline (it has no allocation stacks): read it with "
                "`heaptui summary`, `top` or `leaks`, or open it in the app",
                EXIT_BAD_INPUT,
            )
        rows = [r.to_json() for r in tree.sorted_rows(tree.tops(), "live_size")]
    total = len(rows)
    rows = rows[:top] if top is not None else rows
    if as_json:
        emit_json({"file": file, "reason": reason, "functions": rows})
    else:
        from ..textreport import allocations_table

        click.echo(allocations_table(file, rows, reason, total, text_width(wide)))
