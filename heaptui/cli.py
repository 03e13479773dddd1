"""The ``heaptui`` command: the app by default, headless answers as subcommands.

``heaptui FILE...`` opens the TUI; ``heaptui summary|stats|object`` print what
the engine computes, as text or ``--json``. Bad input ends with one line on
stderr naming the file and the problem, and exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from . import __version__

if TYPE_CHECKING:
    from .engine import Snapshot

# The engine (numpy, numba) is imported by the commands that need it, after
# _skip_numba_blas_probe, so that --help is instant and numba starts lean.

EXIT_BAD_INPUT = 1
EXIT_INTERNAL = 2
EXIT_CANCELLED = 130


class _Progress:
    """Phase and percent on one stderr line, redrawn in place (only on a terminal)."""

    def __init__(self, path: str, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        self.last = 0.0
        self.shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\r\x1b[Kloading {os.path.basename(self.path)}: {phase} {pct}%")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _fail(message: str, code: int) -> None:
    click.echo(f"heaptui: {message}", err=True)
    sys.exit(code)


def load_or_exit(path: str, progress: bool | None = None) -> Snapshot:
    """Load a snapshot for a command, turning every failure into one line and an exit status."""
    from .engine import SnapshotError, load_snapshot

    show = sys.stderr.isatty() if progress is None else progress
    reporter = _Progress(path, show)
    try:
        return load_snapshot(path, reporter)
    except SnapshotError as error:
        reporter.close()
        _fail(str(error), EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        reporter.close()
        _fail(f"{path}: cancelled", EXIT_CANCELLED)
    except MemoryError:
        reporter.close()
        _fail(f"{path}: not enough memory to load this snapshot", EXIT_BAD_INPUT)
    except Exception as error:  # a bug, not bad input: say so in one line, unless debugging
        reporter.close()
        if os.environ.get("HEAPTUI_DEBUG"):
            raise
        _fail(f"{path}: internal error ({type(error).__name__}: {error}); "
              "set HEAPTUI_DEBUG=1 for details", EXIT_INTERNAL)
    finally:
        reporter.close()
    raise AssertionError("unreachable")


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def parse_node_id(text: str) -> int:
    value = text[1:] if text.startswith("@") else text
    if not value.isdigit():
        raise click.BadParameter(f"{text!r} is not a node id (like @123 or 123)")
    return int(value)


def _skip_numba_blas_probe() -> None:
    """Spare heaptui's own process numba's probe for scipy's BLAS.

    numba imports scipy (when installed) to check its version, and
    ``scipy.linalg`` the first time it loads compiled code, to see whether BLAS
    is there: a third of a second of start-up for nothing, since heaptui's
    kernels use no linear algebra. Only the ``heaptui`` command does this, and
    only before anything imported numba; a program importing the engine keeps
    its scipy.
    """
    if "scipy" not in sys.modules and "numba" not in sys.modules:
        sys.modules["scipy"] = None  # type: ignore[assignment]


class _DefaultToOpen(click.Group):
    """``heaptui FILE`` means ``heaptui open FILE``: files are not subcommand names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _skip_numba_blas_probe()
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["open", *args]
        return super().parse_args(ctx, args)


_progress_option = click.option("--progress/--no-progress", default=None,
                                 help="Show load progress on stderr (default: when stderr is a terminal).")


@click.group(cls=_DefaultToOpen, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="heaptui")
def main() -> None:
    """Explore V8 heap snapshots in the terminal, as Chrome DevTools' Memory tab does.

    heaptui FILE [FILE...] opens the snapshots in the app; the subcommands
    answer without it, as text or JSON.
    """


@main.command("open")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def open_command(files: tuple[str, ...]) -> None:
    """Open snapshots in the terminal app."""
    for path in files:
        if not os.path.exists(path):
            _fail(f"{path}: no such file", EXIT_BAD_INPUT)
    from .tui.loader import Loader

    loader = Loader(list(files)).start()  # reading starts while the app is built
    from .tui.app import HeapTUI  # imported here so headless commands never load Textual

    app = HeapTUI(list(files), loader=loader)
    app.run()
    if app.load_error:
        _fail(app.load_error, EXIT_BAD_INPUT)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N classes with most retained size.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def summary(file: str, top: int | None, as_json: bool, progress: bool | None) -> None:
    """Classes by retained size, as DevTools' Summary view groups them."""
    snapshot = load_or_exit(file, progress)
    rows = snapshot.summary()
    if top is not None:
        rows = rows[:top]
    if as_json:
        _emit_json({"snapshot": snapshot.describe(), "classes": [r.to_json() for r in rows]})
    else:
        from .textreport import summary_table

        click.echo(summary_table(snapshot, rows))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def stats(file: str, as_json: bool, progress: bool | None) -> None:
    """Heap totals by category, as DevTools' Statistics view shows them."""
    snapshot = load_or_exit(file, progress)
    if as_json:
        _emit_json(snapshot.statistics.to_json())
    else:
        from .textreport import statistics_table

        click.echo(statistics_table(snapshot))


@main.command("object")
@click.argument("file", type=click.Path())
@click.argument("node_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_progress_option
def object_command(file: str, node_id: str, as_json: bool, progress: bool | None) -> None:
    """One object (ID as @123 or 123): sizes, distance and retainers in DevTools' order."""
    wanted = parse_node_id(node_id)
    snapshot = load_or_exit(file, progress)
    v = snapshot.node_for_id(wanted)
    if v is None:
        _fail(f"{file}: no object @{wanted} in this snapshot", EXIT_BAD_INPUT)
        return
    if as_json:
        _emit_json(snapshot.object_json(v))
    else:
        from .textreport import object_report

        click.echo(object_report(snapshot, v))
