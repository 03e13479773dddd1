"""``heaptui open FILE...`` (and plain ``heaptui FILE...``): the terminal app on these files."""

from __future__ import annotations

import os

import click

from .errors import EXIT_BAD_INPUT, fail
from .loading import check_memory, or_exit
from .options import LoadOptions, pass_load_options
from .output import interactive


@click.command("open")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.pass_context
@pass_load_options
def open_command(options: LoadOptions, ctx: click.Context, files: tuple[str, ...]) -> None:
    """Open snapshots in the terminal app (without a terminal: print their Summary, as `heaptui summary` does)."""
    if not interactive():
        print_without_app(ctx, files)
        return
    open_files(files, options)


def print_without_app(ctx: click.Context, files: tuple[str, ...]) -> None:
    """What ``heaptui FILE`` does when stdin or stdout is not a terminal (a pipe, a CI log, ``ssh host cmd``):
    the app would draw into the pipe and wait for keys that never come, so each file's Summary is printed
    instead, as ``heaptui summary FILE`` prints it (a sampling profile's functions, as ``heaptui allocations``).
    """
    from ..engine.heapprofile import is_heapprofile
    from .allocations import allocations
    from .summary import summary

    for i, path in enumerate(files):
        if i:
            click.echo("")
        if os.path.exists(path) and is_heapprofile(path):
            ctx.invoke(allocations, file=path)
        else:
            ctx.invoke(summary, file=path)


def open_files(files: tuple[str, ...], options: LoadOptions, view: str = "summary") -> None:
    """The app on these files, showing the newest snapshot's ``view``."""
    for path in files:
        if not os.path.exists(path):
            fail(f"{path}: no such file", EXIT_BAD_INPUT)
    from ..engine.heapprofile import is_heapprofile

    profiles = [path for path in files if is_heapprofile(path)]
    if profiles:
        open_profile(profiles[0], len(files))
        return
    or_exit(list(files), options.with_progress(False), lambda reporter: check_memory(list(files), options))
    from ..tui.loader import Loader

    # Reading starts while the app is built.
    loader = Loader(list(files), cache=options.cache(app=True), salvage=options.salvage).start()
    from ..tui.app import HeapTUI  # imported here so headless commands never load Textual

    app = HeapTUI(list(files), loader=loader, view=view)
    app.run()
    if app.load_error:
        fail(app.load_error, EXIT_BAD_INPUT)


def open_profile(path: str, files: int) -> None:
    """A sampling heap profile (.heapprofile) opens alone, on its own screen."""
    from ..engine.errors import SnapshotError
    from ..engine.heapprofile import read_heapprofile

    if files > 1:
        fail(f"{path}: a sampling heap profile opens on its own, not with other files", EXIT_BAD_INPUT)
    try:
        profile = read_heapprofile(path)
    except SnapshotError as error:
        fail(str(error), EXIT_BAD_INPUT)
    from ..tui.app import HeapTUI

    HeapTUI([path], profile=profile).run()
