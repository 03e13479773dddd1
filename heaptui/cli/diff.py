"""``heaptui diff BASE FILE``: DevTools' Comparison view, class by class, by node id."""

from __future__ import annotations

import click

from .errors import EXIT_GROWTH, fail
from .loading import load_all_or_exit, warn_same_files
from .options import LoadOptions, pass_load_options
from .output import answer, text_width, wide_option
from .params import ByteCount, json_option, progress_option


@click.command()
@click.argument("base", type=click.Path())
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the first N classes.")
@click.option(
    "--fail-on-growth",
    "limit",
    type=ByteCount(),
    default=None,
    metavar="BYTES",
    help=f"Exit with status {EXIT_GROWTH} when the total Size Delta is more than BYTES (e.g. 500000, 500kB, 2MB).",
)
@json_option
@wide_option
@progress_option
@pass_load_options
def diff(
    options: LoadOptions,
    base: str,
    file: str,
    top: int | None,
    limit: int | None,
    as_json: bool,
    wide: bool,
    progress: bool | None,
) -> None:
    """DevTools' Comparison view: FILE against the older snapshot BASE, class by class, by node id."""
    from ..engine.compare import compare

    warn_same_files([base, file])
    old, new = load_all_or_exit([base, file], options.with_progress(progress))
    comparison = compare(old, new)
    from ..textreport import comparison_table

    answer(
        comparison.warnings,
        as_json,
        comparison.to_json,
        "classes",
        top,
        lambda: comparison_table(comparison, comparison.rows[:top] if top else comparison.rows, text_width(wide)),
    )
    growth = comparison.totals.size_delta
    if limit is not None and growth > limit:
        fail(f"{file}: the heap grew by {growth:,} bytes since {base}, more than {limit:,}", EXIT_GROWTH)
