"""``heaptui cache``: what the index cache holds (source, size, last used), and clearing it.

A cache holds everything its snapshot held, so a user must be able to see
what is kept and remove it. Listing first removes what can never be used
again (caches whose snapshot is gone or changed, or that an older heaptui
wrote); only heaptui's index files are ever removed (compiled kernels kept
in the same directory are not).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..visible import visible
from .options import LoadOptions, pass_load_options
from .output import text_width, wide_option

if TYPE_CHECKING:
    from ..engine.cache import CacheOptions


def _directory_or_exit(options: CacheOptions) -> Path | None:
    """The cache directory (None when there is none yet); an untrusted one exits with status 1.

    Its warning, one line naming the directory and the problem, was given on
    the way (:meth:`LoadOptions.cache`).
    """
    from ..private_files import unsafe_directory_reason

    directory = options.usable_directory(create=False)
    if directory is None and os.path.lexists(options.location()) and unsafe_directory_reason(options.location()):
        sys.exit(1)
    return directory


def _size(n: int) -> str:
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


@click.group("cache", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@wide_option
@click.pass_context
@pass_load_options
def cache_command(load_options: LoadOptions, ctx: click.Context, as_json: bool, wide: bool) -> None:
    """List the index caches: source snapshot, size, last used (``heaptui cache clear`` removes them).

    Caches that can never be used again (their snapshot deleted or changed, or
    written by another heaptui) are removed before listing.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..engine import cache_store as store

    options = load_options.cache()
    directory = _directory_or_exit(options)
    listed = []
    cap = None
    if directory is not None:
        key = store.index_key(directory, create=False)
        store.tidy(directory, key)
        listed = [e for e in store.entries(directory, key) if e.status == "ok"]
        cap = store.max_bytes(directory, options.max_bytes)
    location = str(options.location())
    total = sum(e.size for e in listed)
    if as_json:
        rows = [
            {
                "source": e.source,
                "size": e.size,
                "last_used": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e.last_used)),
                "file": str(e.path),
            }
            for e in listed
        ]
        click.echo(
            json.dumps(
                {"directory": location, "max_bytes": cap, "size": total, "caches": rows}, indent=2, ensure_ascii=True
            )
        )
        return
    if not listed:
        click.echo(f"no index caches in {visible(location)}")
        return
    from ..textreport import table, wrap

    cells = [[e.source or "", _size(e.size), _when(e.last_used)] for e in listed]
    for line in table(["SOURCE", "SIZE", "LAST USED"], cells, text_width(wide)):
        click.echo(line)
    limit = f", at most {_size(cap)}" if cap is not None else ""
    summary = f"{len(listed)} cache{'s' if len(listed) != 1 else ''}, {_size(total)} in {visible(location)}{limit}"
    for line in wrap(summary, text_width(wide)):
        click.echo(line)


@cache_command.command("clear")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_load_options
def clear_command(load_options: LoadOptions, files: tuple[str, ...], as_json: bool) -> None:
    """Remove the index caches of FILEs (of every snapshot when none is given)."""
    from ..engine import cache_store as store

    directory = _directory_or_exit(load_options.cache())
    removed: list[tuple[str | None, int]] = []
    if directory is not None:
        key = store.index_key(directory, create=False)
        by_name = {e.path.name: e for e in store.entries(directory, key)}
        names = [store.cache_name(f) for f in files] if files else list(by_name)
        for name in names:
            entry = by_name.get(name)
            if entry is not None and store.remove(entry.path):
                removed.append((entry.source, entry.size))
    freed = sum(size for _, size in removed)
    if as_json:
        click.echo(
            json.dumps(
                {"removed": [{"source": s, "size": n} for s, n in removed], "freed": freed}, indent=2, ensure_ascii=True
            )
        )
        return
    for source, size in removed:
        click.echo(f"removed the cache of {visible(source or '(unknown)')} ({_size(size)})")
    click.echo(f"removed {len(removed)} index cache{'s' if len(removed) != 1 else ''}, {_size(freed)} freed")
