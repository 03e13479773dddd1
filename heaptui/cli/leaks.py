"""``heaptui leaks BASELINE TARGET FINAL``: the three-snapshot technique, clustered by retainer path."""

from __future__ import annotations

import click

from .errors import EXIT_GROWTH, fail
from .loading import load_all_or_exit, warn_same_files
from .options import LoadOptions, pass_load_options
from .output import answer, text_width, wide_option
from .params import ByteCount, progress_option


@click.command()
@click.argument("baseline", type=click.Path())
@click.argument("target", type=click.Path())
@click.argument("final", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the first N clusters.")
@click.option(
    "--fail-on-growth",
    "limit",
    type=ByteCount(),
    default=None,
    metavar="BYTES",
    help=f"Exit with status {EXIT_GROWTH} when the leaked objects retain more than BYTES.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@wide_option
@progress_option
@pass_load_options
def leaks(
    options: LoadOptions,
    baseline: str,
    target: str,
    final: str,
    top: int | None,
    limit: int | None,
    as_json: bool,
    wide: bool,
    progress: bool | None,
) -> None:
    """Objects allocated between BASELINE and TARGET that FINAL still holds, clustered by retainer path."""
    from ..engine.leaks import leak_report

    warn_same_files([baseline, target, final])
    snapshots = load_all_or_exit([baseline, target, final], options.with_progress(progress))
    report = leak_report(*snapshots)
    from ..textreport import leak_text

    answer(
        report.warnings,
        as_json,
        report.to_json,
        "clusters",
        top,
        lambda: leak_text(report, report.clusters[:top] if top else report.clusters, text_width(wide)),
    )
    if limit is not None and report.retained_size > limit:
        fail(
            f"{final}: objects allocated between {baseline} and {target} still retain "
            f"{report.retained_size:,} bytes, more than {limit:,}",
            EXIT_GROWTH,
        )
