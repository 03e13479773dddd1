"""The load options a command line chose, in one frozen object: built once, passed to what loads.

The root group's flags (``--force``, ``--cache-dir``, ``--no-cache``,
``--salvage``) and a command's ``--progress`` decide how every file of a
command is loaded. They are read from click once, into :class:`LoadOptions`,
and handed to the helpers that load, so that no helper reaches into click's
root context (and a test or another program can build one by hand).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..engine.cache import CacheOptions


@dataclass(frozen=True)
class LoadOptions:
    """How a command loads its files."""

    force: bool = False  # load even when the files look too big for the memory left
    cache_dir: str | None = None  # where index caches live (None: $XDG_CACHE_HOME/heaptui)
    no_cache: bool = False  # neither read nor write an index cache
    salvage: bool = False  # load what is complete of a truncated snapshot
    progress: bool | None = None  # a progress line on stderr (None: when stderr is a terminal)

    def with_progress(self, progress: bool | None) -> LoadOptions:
        """These options with a command's own ``--progress/--no-progress``."""
        return dataclasses.replace(self, progress=progress)

    def cache(self, app: bool = False, warn: Any = None) -> CacheOptions:
        """The index cache as these options chose it.

        Commands answer while the cache is written (and wait for it before exiting); the app writes it on
        a thread a quit does not wait for. An untrusted directory is said now, once, before the app owns
        the screen.
        """
        from ..engine.cache import CacheOptions

        if warn is None:
            from .output import warn
        options = CacheOptions(
            directory=self.cache_dir, enabled=not self.no_cache, background=True, finish_at_exit=not app, warn=warn
        )
        if options.enabled:
            options.usable_directory(create=False)
        return options


#: Commands declare a parameter ``options: LoadOptions`` with this decorator; the root group made it.
pass_load_options = click.make_pass_decorator(LoadOptions, ensure=True)
