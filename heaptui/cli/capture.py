"""``heaptui capture PID``: heap snapshots of a running Node process, then the app on them."""

from __future__ import annotations

from typing import Any

import click

from ..visible import visible
from .capturing import capture_or_exit, open_after
from .options import LoadOptions, pass_load_options
from .output import warn


@click.command()
@click.argument("pid", type=int)
@click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    help="Where to write (default: heap-PID-DATE-TIME.heapsnapshot here); with --count, "
    "{n} in it is the number, else -1, -2, ... go before the suffix.",
)
@click.option(
    "--signal",
    "signal_name",
    default=None,
    metavar="SIGNAL",
    help="Instead of the inspector, send SIGNAL to a process started with "
    "--heapsnapshot-signal=SIGNAL and collect the file it writes.",
)
@click.option("--every", default=None, metavar="DURATION", help="With --count: time between snapshots (30s, 2m).")
@click.option("--count", type=click.IntRange(min=1), default=1, help="How many snapshots (a leak hunt takes 3).")
@click.option("--gc", "collect_garbage", is_flag=True, help="Collect garbage before each snapshot.")
@click.option("--no-open", is_flag=True, help="Only write the files; do not open them.")
@pass_load_options
def capture(
    options: LoadOptions,
    pid: int,
    output: str | None,
    signal_name: str | None,
    every: str | None,
    count: int,
    collect_garbage: bool,
    no_open: bool,
) -> None:
    """Take heap snapshots of the running Node process PID, then open them.

    heaptui opens the process's inspector (SIGUSR1, after checking in /proc
    that PID is a Node process it may signal), checks it reached PID, streams
    the snapshot to disk and closes the inspector again if it was closed. A
    file appears under its final name only when whole.
    """
    from ..capture import (
        CaptureError,
        default_output,
        parse_duration,
        signal_snapshot,
        take_series,
        take_snapshot,
    )

    try:
        interval = parse_duration(every) if every is not None else 0.0
    except CaptureError as error:
        raise click.BadParameter(str(error), param_hint="--every") from None
    if count > 1 and every is None:
        raise click.UsageError("--count needs --every (the time between snapshots)")
    target = output or str(default_output(pid))
    if signal_name is not None and count == 1:
        path = capture_or_exit(lambda progress: signal_snapshot(pid, target, signal=signal_name, progress=progress))
        open_after([str(path)], no_open, options=options)
    elif count == 1:
        path = capture_or_exit(
            lambda progress: take_snapshot(pid, target, progress=progress, collect_garbage=collect_garbage, warn=warn)
        )
        open_after([str(path)], no_open, options=options)
    else:

        def taken(n: int, path: Any) -> None:
            click.echo(f"heaptui: snapshot {n} of {count}: {visible(str(path))}", err=True)

        paths = capture_or_exit(
            lambda progress: take_series(
                pid,
                interval,
                count,
                target,
                on_snapshot=taken,
                progress=progress,
                collect_garbage=collect_garbage,
                warn=warn,
                signal=signal_name,
            )
        )
        open_after([str(p) for p in paths], no_open, options=options)
