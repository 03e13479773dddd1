"""The ``heaptui`` command: the app by default, headless answers as subcommands.

``heaptui FILE...`` opens the TUI; ``heaptui summary|diff|leaks|...`` print
what the engine computes, as text or ``--json``. Each command lives in a module
of its own (``summary.py``, ``diff.py``...); what they share is here and in
``options`` (the one :class:`LoadOptions` the root group builds), ``loading``,
``errors`` (the exit statuses and the one way to fail) and ``output``.

The engine (numpy, numba) is imported by the commands that need it, after
:func:`~heaptui.process_tuning.tune_process`, so that ``--help`` is instant and
numba and numpy start lean; Textual only by the app (``open``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import click

from .. import __version__
from ..process_tuning import tune_process
from ..visible import visible
from .allocations import allocations
from .attach import attach
from .cache import cache_command
from .capture import capture
from .diff import diff
from .errors import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_CANCELLED, EXIT_GROWTH, EXIT_INTERNAL, policy
from .leaks import leaks
from .mcp import mcp_command
from .object import object_command
from .open import open_command
from .options import LoadOptions
from .output import interactive
from .record import record
from .stats import stats
from .strings import strings
from .summary import summary
from .top import top

__all__ = ["EXIT_BAD_INPUT", "EXIT_CANCELLED", "EXIT_GROWTH", "EXIT_INTERNAL", "LoadOptions", "main", "run"]


def run() -> None:
    """The console script: :func:`main`, then leave without tearing the interpreter down.

    Python's own exit frees every module numba and llvmlite loaded, one object
    at a time: 0.2 to 0.3 s after the answer is printed, on every command. The
    process has nothing left to clean up that the kernel does not (threads that
    must finish, like the index cache's writer, are waited for), so it flushes
    its output and ends with ``os._exit``. Only the installed command does
    this; ``main`` called in-process (tests, other programs) exits as usual.
    """
    try:
        main()
        code: int = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except Exception:  # only with HEAPTUI_DEBUG=1 (the error policy says every other bug in one line): its traceback
        traceback.print_exc()
        code = EXIT_INTERNAL
    _finish_threads()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`heaptui summary F | head`): nothing left to say
            code = code or EXIT_BROKEN_PIPE
    if "heaptui.engine.kernel_cache" in sys.modules:  # os._exit skips atexit: a kernels directory of its own goes
        sys.modules["heaptui.engine.kernel_cache"].clean_up()
    os._exit(code)


def _finish_threads() -> None:
    """Wait for the threads that must finish (the index cache's writer: its file is renamed when whole).

    A signal while waiting (a second ctrl+c, a SIGTERM after the answer) stops the wait: the process then
    ends at once, leaving at most a temporary file no cache reader trusts.
    """
    waiting = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    if not waiting:
        return
    from ..capture.interrupt import Interrupted, handling_signals

    with handling_signals():
        try:
            for thread in waiting:
                thread.join()
        except Interrupted:
            pass


class _DefaultToOpen(click.Group):
    """``heaptui FILE`` means ``heaptui open FILE``: files are not subcommand names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        tune_process()
        # The group's own options are welcome anywhere on the line: lift them to the front.
        lifted: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("--force", "--no-cache", "--salvage") or arg.startswith("--cache-dir="):
                lifted.append(arg)
            elif arg == "--cache-dir" and i + 1 < len(args):
                lifted += args[i : i + 2]
                i += 1
            else:
                rest.append(arg)
            i += 1
        first = next((i for i, a in enumerate(rest) if not a.startswith("-")), None)
        if first is not None and rest[first] not in self.commands:
            rest = [*rest[:first], "open", *rest[first:]]
        ctx.meta["heaptui.command"] = rest[first] if first is not None else ""
        args = lifted + rest
        return super().parse_args(ctx, args)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _visible_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        """The command, under the one error policy (:mod:`.errors`); the app handles its own signals."""
        name = ctx.meta.get("heaptui.command", "")
        # The app, the app attached to a process (its handler closes the inspector first) and the MCP server (an
        # asyncio loop serving stdio) keep their own signal handling.
        app = (name == "open" and interactive()) or name in ("mcp", "attach")
        doing = name or "heaptui"
        with policy(doing, bool(ctx.params.get("salvage")), signals=not app), _visible_usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _visible_usage_errors() -> Iterator[None]:
    """click's own errors quote the command line (``unexpected extra argument (NAME)``): file names, escaped."""
    try:
        yield
    except click.ClickException as error:
        error.message = "\n".join(visible(line) for line in error.message.split("\n"))  # type: ignore[misc]
        raise


@click.group(cls=_DefaultToOpen, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="heaptui")
@click.option("--force", is_flag=True, help="Load even when the snapshots look too big for the free memory.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to keep index caches (default: $XDG_CACHE_HOME/heaptui).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write an index cache.")
@click.option(
    "--salvage", is_flag=True, help="Load what is complete of a truncated snapshot (a process killed while writing it)."
)
@click.pass_context
def main(ctx: click.Context, force: bool, cache_dir: str | None, no_cache: bool, salvage: bool) -> None:
    """Explore V8 heap snapshots in the terminal, as Chrome DevTools' Memory tab does.

    heaptui FILE [FILE...] opens the snapshots in the app; the subcommands
    answer without it, as text or JSON.
    """
    ctx.obj = LoadOptions(force=force, cache_dir=cache_dir, no_cache=no_cache, salvage=salvage)


for _command in (
    open_command,
    summary,
    diff,
    leaks,
    top,
    object_command,
    stats,
    strings,
    allocations,
    capture,
    record,
    cache_command,
    mcp_command,
    attach,
):
    main.add_command(_command)
del _command
