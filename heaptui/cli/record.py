"""``heaptui record PID``: what a running Node process allocates, over a time, then the app on it."""

from __future__ import annotations

import click

from .capturing import capture_or_exit, open_after
from .options import LoadOptions, pass_load_options
from .output import warn
from .params import ByteCount


@click.command()
@click.argument("pid", type=int)
@click.option("--duration", default="20s", show_default=True, metavar="DURATION", help="How long to record (20s, 2m).")
@click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    help="Where to write (default: heap-PID-DATE-TIME.heaptimeline, or .heapprofile).",
)
@click.option(
    "--sampling",
    is_flag=True,
    help="Sample allocations (HeapProfiler.startSampling: low overhead, for production) and write "
    "a .heapprofile, instead of tracking every allocation with its stack.",
)
@click.option(
    "--interval",
    type=ByteCount(minimum=1),
    default="32kB",
    show_default=True,
    help="With --sampling: bytes allocated between two samples.",
)
@click.option("--no-open", is_flag=True, help="Only write the file; do not open it.")
@pass_load_options
def record(
    options: LoadOptions, pid: int, duration: str, output: str | None, sampling: bool, interval: int, no_open: bool
) -> None:
    """Record what the running Node process PID allocates, then open it.

    By default, DevTools' "Allocations on timeline" with allocation stacks
    (a .heaptimeline: the Timeline and Allocation views); with --sampling,
    its "Allocation sampling" (a .heapprofile).
    """
    from ..capture import CaptureError, default_output, parse_duration
    from ..capture.record import record_sampling, record_timeline

    try:
        seconds = parse_duration(duration)
    except CaptureError as error:
        raise click.BadParameter(str(error), param_hint="--duration") from None
    suffix = ".heapprofile" if sampling else ".heaptimeline"
    target = output or str(default_output(pid).with_suffix(suffix))
    if sampling:
        path = capture_or_exit(
            lambda progress: record_sampling(pid, target, seconds, interval=interval, progress=progress, warn=warn)
        )
    else:
        path = capture_or_exit(lambda progress: record_timeline(pid, target, seconds, progress=progress, warn=warn))
    open_after([str(path)], no_open, None if sampling else "timeline", options)
