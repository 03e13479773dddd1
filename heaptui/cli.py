"""The ``heaptui`` command: the app by default, headless answers as subcommands.

``heaptui FILE...`` opens the TUI; ``heaptui summary|stats|object`` print what
the engine computes, as text or ``--json``. Bad input ends with one line on
stderr naming the file and the problem, and exit status 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .engine.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_INTERNAL  # light: the engine's package is lazy
from .visible import clip, visible

if TYPE_CHECKING:
    from .engine import Snapshot

# The engine (numpy, numba) is imported by the commands that need it, after
# _skip_numba_blas_probe, so that --help is instant and numba starts lean.

EXIT_GROWTH = 3  # --fail-on-growth: the heap grew more than allowed
FIRST_RUN_NOTE = ("first run of this heaptui: a second process compiles its kernels, once (15 to 25 s of one core, "
                  "going on after this command); meanwhile a small snapshot is indexed by them as plain Python; "
                  "later runs start at once")


class _Progress:
    """Each file's phase and percent on one stderr line, redrawn in place (only on a terminal)."""

    def __init__(self, paths: list[str], enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0
        self.shown = False
        self.status: dict[str, str] = {path: "waiting" for path in paths}
        self.lock = threading.Lock()

    def reporter(self, path: str) -> Callable[[str, int, int], None]:
        def report(phase: str, done: int, total: int) -> None:
            self.update(path, phase, done, total)
        return report

    def update(self, path: str, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        pct = 100 * done // total if total else 100
        self.status[path] = f"{phase} {pct}%"
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        line = ", ".join(f"{os.path.basename(p)}: {text}" for p, text in self.status.items())
        with self.lock:
            sys.stderr.write(f"\r\x1b[K{clip('loading ' + line, 196)}")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        with self.lock:
            if self.shown:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
                self.shown = False


def _fail(message: str, code: int) -> None:
    """One line on stderr, file text in it escaped (a path, a name quoted by the engine), and an exit."""
    click.echo(f"heaptui: {visible(message)}", err=True)
    sys.exit(code)


def load_or_exit(path: str, progress: bool | None = None) -> Snapshot:
    """Load a snapshot for a command, turning every failure into one line and an exit status."""
    return load_all_or_exit([path], progress)[0]


def load_all_or_exit(paths: list[str], progress: bool | None = None) -> list[Snapshot]:
    """Load snapshots (side by side where there are cores); any failure is one line and an exit status."""
    from .engine import load_snapshots

    def work(reporter: _Progress) -> list[Snapshot]:
        check_memory(paths)
        snapshots = load_snapshots(paths, reporter.reporter, cache=cache_options(), salvage=salvaging())
        reporter.close()
        for s in snapshots:
            for note in s.lost:
                _warn(f"{s.path}: salvaged a truncated snapshot; {note}")
        return snapshots

    return _or_exit(paths, progress, work)


def cache_options(app: bool = False) -> Any:
    """The index cache as the command line chose it (--cache-dir, --no-cache).

    Commands answer while the cache is written (and wait for it before exiting); the app writes it on
    a thread a quit does not wait for.
    """
    from .engine.cache import CacheOptions

    ctx = click.get_current_context(silent=True)
    params = ctx.find_root().params if ctx is not None else {}
    options = CacheOptions(directory=params.get("cache_dir"), enabled=not params.get("no_cache"), background=True,
                           finish_at_exit=not app, warn=_warn)
    if options.enabled:  # an untrusted directory is said now, once, before the app owns the screen
        options.usable_directory(create=False)
    return options


def salvaging() -> bool:
    """Whether --salvage was given."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("salvage"))


def check_memory(paths: list[str]) -> None:
    """Stop with one line when the files will not fit in memory, unless ``--force`` was given."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().params.get("force"):
        return
    from .engine.estimate import too_big

    reason = too_big(paths)
    if reason:
        _fail(reason, EXIT_BAD_INPUT)


def max_id_or_exit(path: str, progress: bool | None = None) -> int:
    """The newest JavaScript object id of a snapshot file (read, not indexed), or one line and an exit."""
    from .engine.load import file_max_js_node_id

    return _or_exit([path], progress, lambda reporter: file_max_js_node_id(path, reporter.reporter(path)))


T = TypeVar("T")


def _or_exit(paths: list[str], progress: bool | None, work: Callable[[_Progress], T]) -> T:
    show = sys.stderr.isatty() if progress is None else progress
    reporter = _Progress(paths, show)
    if show:
        from .engine.warmup import kernels_compiled

        if not kernels_compiled():
            click.echo(f"heaptui: {FIRST_RUN_NOTE}", err=True)
    where = paths[0] if len(paths) == 1 else ", ".join(paths)
    try:
        return work(reporter)
    except (Exception, KeyboardInterrupt) as error:
        reporter.close()
        from .engine.errors import classify_error

        failure = classify_error(error, where, salvaging=salvaging())
        if failure.kind == "internal":  # a bug, not bad input: say so in one line, unless debugging
            if os.environ.get("HEAPTUI_DEBUG"):
                raise
            _fail(f"{failure.message}; set HEAPTUI_DEBUG=1 for details", failure.exit_code)
        _fail(failure.message, failure.exit_code)
    finally:
        reporter.close()
    raise AssertionError("unreachable")


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def _answer(warnings: list[str], as_json: bool, to_json: Callable[[], dict[str, Any]], rows_key: str,
            top: int | None, text: Callable[[], str]) -> None:
    """Warnings on stderr, then the answer as JSON (its list ``rows_key`` cut to ``top``) or as text."""
    for warning in warnings:
        _warn(warning)
    if as_json:
        data = to_json()
        if top is not None:
            data[rows_key] = data[rows_key][:top]
        _emit_json(data)
    else:
        click.echo(text())


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
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`heaptui summary F | head`): nothing left to say
            code = code or 1
    if "heaptui.engine.kernel_cache" in sys.modules:  # os._exit skips atexit: a kernels directory of its own goes
        sys.modules["heaptui.engine.kernel_cache"].clean_up()
    os._exit(code)


class _DefaultToOpen(click.Group):
    """``heaptui FILE`` means ``heaptui open FILE``: files are not subcommand names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _skip_numba_blas_probe()
        # The group's own options are welcome anywhere on the line: lift them to the front.
        lifted: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("--force", "--no-cache", "--salvage") or arg.startswith("--cache-dir="):
                lifted.append(arg)
            elif arg == "--cache-dir" and i + 1 < len(args):
                lifted += args[i:i + 2]
                i += 1
            else:
                rest.append(arg)
            i += 1
        first = next((i for i, a in enumerate(rest) if not a.startswith("-")), None)
        if first is not None and rest[first] not in self.commands:
            rest = [*rest[:first], "open", *rest[first:]]
        args = lifted + rest
        return super().parse_args(ctx, args)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _visible_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _visible_usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _visible_usage_errors() -> Iterator[None]:
    """click's own errors quote the command line (``unexpected extra argument (NAME)``): file names, escaped."""
    try:
        yield
    except click.ClickException as error:
        error.message = visible(error.message)  # type: ignore[misc]  (click marks it Final; it is set here)
        raise


class ByteCount(click.ParamType):
    """A number of bytes: ``1500``, ``1.5kB``, ``2MB``, ``1GB`` (units of 1000, as DevTools shows sizes)."""

    name = "bytes"
    UNITS = {"": 1, "b": 1, "kb": 1000, "k": 1000, "mb": 1000**2, "m": 1000**2, "gb": 1000**3, "g": 1000**3}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().replace("_", "")
        number = text.rstrip("kmgb")
        unit = text[len(number):]
        try:
            if unit not in self.UNITS:
                raise ValueError(unit)
            return int(float(number) * self.UNITS[unit])
        except ValueError:
            self.fail(f"{value!r} is not a size (like 500000, 500kB or 2MB)", param, ctx)


_progress_option = click.option("--progress/--no-progress", default=None,
                                 help="Show load progress on stderr (default: when stderr is a terminal).")


@click.group(cls=_DefaultToOpen, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="heaptui")
@click.option("--force", is_flag=True, help="Load even when the snapshots look too big for the free memory.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep index caches (default: $XDG_CACHE_HOME/heaptui).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write an index cache.")
@click.option("--salvage", is_flag=True,
              help="Load what is complete of a truncated snapshot (a process killed while writing it).")
def main(force: bool, cache_dir: str | None, no_cache: bool, salvage: bool) -> None:
    """Explore V8 heap snapshots in the terminal, as Chrome DevTools' Memory tab does.

    heaptui FILE [FILE...] opens the snapshots in the app; the subcommands
    answer without it, as text or JSON.
    """


@main.command("open")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def open_command(files: tuple[str, ...]) -> None:
    """Open snapshots in the terminal app."""
    _open_files(files)


def _open_files(files: tuple[str, ...], view: str = "summary") -> None:
    """The app on these files, showing the newest snapshot's ``view``."""
    for path in files:
        if not os.path.exists(path):
            _fail(f"{path}: no such file", EXIT_BAD_INPUT)
    from .engine.heapprofile import is_heapprofile

    profiles = [path for path in files if is_heapprofile(path)]
    if profiles:
        _open_profile(profiles[0], len(files))
        return
    _or_exit(list(files), False, lambda reporter: check_memory(list(files)))
    from .tui.loader import Loader

    # Reading starts while the app is built.
    loader = Loader(list(files), cache=cache_options(app=True), salvage=salvaging()).start()
    from .tui.app import HeapTUI  # imported here so headless commands never load Textual

    app = HeapTUI(list(files), loader=loader, view=view)
    app.run()
    if app.load_error:
        _fail(app.load_error, EXIT_BAD_INPUT)


class _CaptureProgress:
    """One stderr line, redrawn in place on a terminal: what the capture is doing.

    A terminal that went away (SIGHUP, then EIO on every write) silences it rather than ending the capture
    with an error before the inspector is closed.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        if phase == "writing":
            text = f"writing {done / 1e6:,.1f} MB"
        elif phase == "recording":
            text = f"recording {done / 1000:.1f} of {total / 1000:.1f} s"
        else:
            text = f"{phase} {100 * done // total if total else 0}%"
        self._write(f"\r\033[K{text}")

    def done(self) -> None:
        if self.enabled:
            self._write("\r\033[K")

    def _write(self, text: str) -> None:
        try:
            click.echo(text, err=True, nl=False)
        except (OSError, ValueError):
            self.enabled = False


def _capture_fail(message: str, code: int) -> None:
    """The capture's last line and exit status (:func:`_fail`'s); a closed or vanished stderr does not change
    the status."""
    try:
        _fail(message, code)
    except (OSError, ValueError):
        sys.exit(code)


def _capture_or_exit(work: Callable[[_CaptureProgress], T]) -> T:
    """Run a capture; however it ends, one line on stderr and a status, after the inspector is closed.

    SIGINT, SIGTERM, SIGHUP and SIGQUIT are turned into :class:`~heaptui.capture.interrupt.Interrupted` while
    it runs, so that the capture's cleanup (close the inspector heaptui opened, remove the partial file) runs
    before heaptui exits with 128 + the signal's number; a bug in heaptui's own code is cleaned up after too.
    """
    from .capture import CaptureError
    from .capture.interrupt import Interrupted, handling_signals

    progress = _CaptureProgress(sys.stderr.isatty())
    with handling_signals():
        try:
            return work(progress)
        except CaptureError as error:
            progress.done()
            _capture_fail(str(error), EXIT_BAD_INPUT)
        except Interrupted as interrupted:
            progress.done()
            _capture_fail(f"capture ended by {interrupted.name}: the inspector heaptui opened is closed and no "
                          "partial file is left", interrupted.exit_status)
        except KeyboardInterrupt:
            progress.done()
            _capture_fail("capture cancelled (no partial file is left)", EXIT_CANCELLED)
        except Exception as error:  # a bug: the inspector was closed on the way out; say it in one line
            progress.done()
            what = " ".join(str(error).split())
            _capture_fail(f"internal error during the capture ({type(error).__name__}: {what}); the inspector "
                          "heaptui opened is closed and no partial file is left", EXIT_INTERNAL)
        finally:
            progress.done()
    raise AssertionError("unreachable")


def _warn(message: str) -> None:
    click.echo(f"heaptui: warning: {visible(message)}", err=True)


def _open_after(paths: list[str], no_open: bool, view: str | None = None) -> None:
    """Say where the files are, then open them in the app (unless --no-open, or stdout is not a terminal):
    a series in the Comparison view."""
    for path in paths:
        click.echo(visible(path))
    if no_open or not sys.stdout.isatty():
        return
    _open_files(tuple(paths), view or ("comparison" if len(paths) > 1 else "summary"))


@main.command()
@click.argument("pid", type=int)
@click.option("-o", "--output", type=str, default=None,
              help="Where to write (default: heap-PID-DATE-TIME.heapsnapshot here); with --count, "
                   "{n} in it is the number, else -1, -2, ... go before the suffix.")
@click.option("--signal", "signal_name", default=None, metavar="SIGNAL",
              help="Instead of the inspector, send SIGNAL to a process started with "
                   "--heapsnapshot-signal=SIGNAL and collect the file it writes.")
@click.option("--every", default=None, metavar="DURATION", help="With --count: time between snapshots (30s, 2m).")
@click.option("--count", type=click.IntRange(min=1), default=1, help="How many snapshots (a leak hunt takes 3).")
@click.option("--gc", "collect_garbage", is_flag=True, help="Collect garbage before each snapshot.")
@click.option("--no-open", is_flag=True, help="Only write the files; do not open them.")
def capture(pid: int, output: str | None, signal_name: str | None, every: str | None, count: int,
            collect_garbage: bool, no_open: bool) -> None:
    """Take heap snapshots of the running Node process PID, then open them.

    heaptui opens the process's inspector (SIGUSR1, after checking in /proc
    that PID is a Node process it may signal), checks it reached PID, streams
    the snapshot to disk and closes the inspector again if it was closed. A
    file appears under its final name only when whole.
    """
    from .capture import (
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
        path = _capture_or_exit(lambda progress: signal_snapshot(pid, target, signal=signal_name,
                                                                 progress=progress))
        _open_after([str(path)], no_open)
    elif count == 1:
        path = _capture_or_exit(lambda progress: take_snapshot(pid, target, progress=progress,
                                                               collect_garbage=collect_garbage, warn=_warn))
        _open_after([str(path)], no_open)
    else:
        def taken(n: int, path: Any) -> None:
            click.echo(f"heaptui: snapshot {n} of {count}: {visible(str(path))}", err=True)

        paths = _capture_or_exit(lambda progress: take_series(
            pid, interval, count, target, on_snapshot=taken, progress=progress,
            collect_garbage=collect_garbage, warn=_warn, signal=signal_name))
        _open_after([str(p) for p in paths], no_open)


@main.command()
@click.argument("pid", type=int)
@click.option("--duration", default="20s", show_default=True, metavar="DURATION",
              help="How long to record (20s, 2m).")
@click.option("-o", "--output", type=str, default=None,
              help="Where to write (default: heap-PID-DATE-TIME.heaptimeline, or .heapprofile).")
@click.option("--sampling", is_flag=True,
              help="Sample allocations (HeapProfiler.startSampling: low overhead, for production) and write "
                   "a .heapprofile, instead of tracking every allocation with its stack.")
@click.option("--interval", type=ByteCount(), default="32kB", show_default=True,
              help="With --sampling: bytes allocated between two samples.")
@click.option("--no-open", is_flag=True, help="Only write the file; do not open it.")
def record(pid: int, duration: str, output: str | None, sampling: bool, interval: int, no_open: bool) -> None:
    """Record what the running Node process PID allocates, then open it.

    By default, DevTools' "Allocations on timeline" with allocation stacks
    (a .heaptimeline: the Timeline and Allocation views); with --sampling,
    its "Allocation sampling" (a .heapprofile).
    """
    from .capture import CaptureError, default_output, parse_duration
    from .capture.record import record_sampling, record_timeline

    try:
        seconds = parse_duration(duration)
    except CaptureError as error:
        raise click.BadParameter(str(error), param_hint="--duration") from None
    suffix = ".heapprofile" if sampling else ".heaptimeline"
    target = output or str(default_output(pid).with_suffix(suffix))
    if sampling:
        path = _capture_or_exit(lambda progress: record_sampling(pid, target, seconds, interval=interval,
                                                                 progress=progress, warn=_warn))
    else:
        path = _capture_or_exit(lambda progress: record_timeline(pid, target, seconds, progress=progress,
                                                                 warn=_warn))
    _open_after([str(path)], no_open, None if sampling else "timeline")


def _open_profile(path: str, files: int) -> None:
    """A sampling heap profile (.heapprofile) opens alone, on its own screen."""
    from .engine.errors import SnapshotError
    from .engine.heapprofile import read_heapprofile

    if files > 1:
        _fail(f"{path}: a sampling heap profile opens on its own, not with other files", EXIT_BAD_INPUT)
    try:
        profile = read_heapprofile(path)
    except SnapshotError as error:
        _fail(str(error), EXIT_BAD_INPUT)
    from .tui.app import HeapTUI

    HeapTUI([path], profile=profile).run()


@main.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N classes with most retained size.")
@click.option("--since", "since", type=click.Path(), default=None, metavar="OLDER",
              help="Only objects allocated after the snapshot OLDER was taken (DevTools' "
                   "\"Objects allocated between OLDER and FILE\").")
@click.option("--before", "before", type=click.Path(), default=None, metavar="OLDER",
              help="Only objects allocated before the snapshot OLDER was taken.")
@click.option("--filter", "filter_name", default=None, metavar="NAME",
              help="One of DevTools' Summary filters: duplicated-strings, detached-dom, contexts, console, "
                   "event-handlers, shared-native-context, no-native-context, native-context=@ID.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def summary(file: str, top: int | None, since: str | None, before: str | None, filter_name: str | None,
            as_json: bool, progress: bool | None) -> None:
    """Classes by retained size, as DevTools' Summary view groups them.

    --filter applies one of DevTools' Summary filters: duplicated-strings,
    detached-dom (objects retained by detached DOM nodes), contexts, console,
    event-handlers, shared-native-context, no-native-context, or
    native-context=@ID (objects attributed to that native context).
    """
    if since and before:
        raise click.UsageError("--since and --before cannot be used together")
    if filter_name is not None and (since or before):
        raise click.UsageError("--filter cannot be used with --since or --before")
    from .engine.filters import FilterSpec, devtools_filter_name, filter_mask, parse_filter
    from .engine.windows import AllocationWindow, window_before, window_since

    spec: FilterSpec | None = None
    if filter_name is not None:
        try:
            spec = parse_filter(filter_name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--filter") from None
    bound = max_id_or_exit(since or before, progress) if since or before else None  # type: ignore[arg-type]
    snapshot = load_or_exit(file, progress)
    allocated = None
    devtools_filter = None
    window: AllocationWindow | None = None
    if bound is not None:
        window = window_since(bound, snapshot) if since else window_before(bound)
        allocated = {"after" if since else "before": since or before, "min_id": window.min_id,
                     "max_id": window.max_id}
        rows = snapshot.summary(window.mask(snapshot))
    elif spec is not None:
        try:
            devtools_filter = devtools_filter_name(snapshot, spec)
            rows = snapshot.summary(filter_mask(snapshot, devtools_filter))
        except ValueError as error:
            _fail(f"{file}: {error}", EXIT_BAD_INPUT)
    else:
        rows = snapshot.summary()
    if top is not None:
        rows = rows[:top]
    if as_json:
        data: dict[str, Any] = {"snapshot": snapshot.describe()}
        if allocated is not None:
            data["allocated"] = allocated
        if devtools_filter is not None:
            data["filter"] = devtools_filter
        data["classes"] = [r.to_json() for r in rows]
        _emit_json(data)
    else:
        from .textreport import summary_table

        if window is not None:
            click.echo(f"objects with ids in ({window.min_id}, {window.max_id}]: allocated "
                       f"{'after' if since else 'before'} {visible(since or before or '')} was taken")
        if spec is not None:
            click.echo(f"filter: {visible(spec.label)}" + (f" (@{spec.node_id})" if spec.node_id is not None else ""))
        click.echo(summary_table(snapshot, rows))


@main.command()
@click.argument("base", type=click.Path())
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the first N classes.")
@click.option("--fail-on-growth", "limit", type=ByteCount(), default=None, metavar="BYTES",
              help=f"Exit with status {EXIT_GROWTH} when the total Size Delta is more than BYTES "
                   "(e.g. 500000, 500kB, 2MB).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def diff(base: str, file: str, top: int | None, limit: int | None, as_json: bool, progress: bool | None) -> None:
    """DevTools' Comparison view: FILE against the older snapshot BASE, class by class, by node id."""
    from .engine.compare import compare

    old, new = load_all_or_exit([base, file], progress)
    comparison = compare(old, new)
    from .textreport import comparison_table

    _answer(comparison.warnings, as_json, comparison.to_json, "classes", top,
            lambda: comparison_table(comparison, comparison.rows[:top] if top else comparison.rows))
    growth = comparison.totals.size_delta
    if limit is not None and growth > limit:
        _fail(f"{file}: the heap grew by {growth:,} bytes since {base}, more than {limit:,}", EXIT_GROWTH)


@main.command()
@click.argument("baseline", type=click.Path())
@click.argument("target", type=click.Path())
@click.argument("final", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the first N clusters.")
@click.option("--fail-on-growth", "limit", type=ByteCount(), default=None, metavar="BYTES",
              help=f"Exit with status {EXIT_GROWTH} when the leaked objects retain more than BYTES.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_progress_option
def leaks(baseline: str, target: str, final: str, top: int | None, limit: int | None, as_json: bool,
          progress: bool | None) -> None:
    """Objects allocated between BASELINE and TARGET that FINAL still holds, clustered by retainer path."""
    from .engine.leaks import leak_report

    snapshots = load_all_or_exit([baseline, target, final], progress)
    report = leak_report(*snapshots)
    from .textreport import leak_text

    _answer(report.warnings, as_json, report.to_json, "clusters", top,
            lambda: leak_text(report, report.clusters[:top] if top else report.clusters))
    if limit is not None and report.retained_size > limit:
        _fail(f"{final}: objects allocated between {baseline} and {target} still retain "
              f"{report.retained_size:,} bytes, more than {limit:,}", EXIT_GROWTH)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--top", "count", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many objects.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def top(file: str, count: int, as_json: bool, progress: bool | None) -> None:
    """The objects with the largest retained sizes, each with its shortest retainer path."""
    from .engine.leaks import largest_objects

    snapshot = load_or_exit(file, progress)
    found = largest_objects(snapshot, count)
    if as_json:
        _emit_json({"snapshot": snapshot.describe(), "objects": [o.to_json(snapshot) for o in found]})
    else:
        from .textreport import largest_text

        click.echo(largest_text(snapshot, found))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N functions with most live size.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def allocations(file: str, top: int | None, as_json: bool, progress: bool | None) -> None:
    """The functions that allocated the live objects, by live size.

    FILE is an allocation timeline recorded with stacks (.heaptimeline, as
    `heaptui record` or DevTools' "Allocations on timeline" with "Allocation
    stack traces" write it; also any snapshot of `node --track-heap-objects`)
    or a sampling profile (.heapprofile).
    """
    from .engine.errors import SnapshotError
    from .engine.heapprofile import is_heapprofile, read_heapprofile

    if not os.path.exists(file):
        _fail(f"{file}: no such file", EXIT_BAD_INPUT)
    reason = None
    if is_heapprofile(file):
        try:
            profile = read_heapprofile(file)
        except SnapshotError as error:
            _fail(str(error), EXIT_BAD_INPUT)
        rows = [f.to_json() for f in profile.by_function()]  # a sampling profile holds only live objects
    else:
        from .engine.allocation import allocation_tree

        tree = allocation_tree(load_or_exit(file, progress))
        reason = tree.reason
        rows = [r.to_json() for r in tree.sorted_rows(tree.tops(), "live_size")]
    total = len(rows)
    rows = rows[:top] if top is not None else rows
    if as_json:
        _emit_json({"file": file, "reason": reason, "functions": rows})
    else:
        from .textreport import allocations_table

        click.echo(allocations_table(file, rows, reason, total))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the N texts that waste most.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_progress_option
def strings(file: str, top: int | None, as_json: bool, progress: bool | None) -> None:
    """Duplicated strings: texts held by several string objects, by the bytes all but one copy waste.

    DevTools' "Duplicated strings" filter only lists the copies; this groups them.
    """
    from .engine.filters import duplicated_string_groups

    snapshot = load_or_exit(file, progress)
    groups = duplicated_string_groups(snapshot)
    total_wasted = sum(g.wasted for g in groups)
    shown = groups[:top] if top is not None else groups
    if as_json:
        _emit_json({"snapshot": snapshot.describe(), "wasted": total_wasted,
                    "strings": [g.to_json() for g in shown]})
    else:
        from .textreport import strings_table

        click.echo(strings_table(snapshot, shown, len(groups), total_wasted))


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


@main.command("mcp")
@click.option("--root", "roots", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
              help="A directory whose snapshots the agent may open (repeatable; default: the working directory).")
@click.option("--allow-capture", is_flag=True, help="Offer the capture tool (it opens a process's inspector).")
def mcp_command(roots: tuple[str, ...], allow_capture: bool) -> None:
    """Answer a coding agent's questions over the Model Context Protocol (stdio): the headless commands as tools."""
    from .mcp import SdkMissing, serve
    from .mcp.sessions import ToolProblem

    try:
        serve(list(roots) or [os.getcwd()], allow_capture, cache=cache_options(), salvage=salvaging(),
              force=bool(click.get_current_context().find_root().params.get("force")))
    except (SdkMissing, ToolProblem) as error:
        _fail(str(error), EXIT_BAD_INPUT)


from .cli_cache import cache_command  # noqa: E402  (registered last: it imports cache_options from here)

main.add_command(cache_command)

from .cli_attach import attach  # noqa: E402

main.add_command(attach)
