"""Compile every kernel into heaptui's kernels directory from a second process, while the first one loads.

A first run has all of heaptui's kernels to compile, ten to twenty seconds of
one core, and the load itself meets them in the order of its phases. So the
process that loads starts this worker (``python -m heaptui.engine.compile_worker``)
on the other core. The worker compiles in the opposite order: it indexes a tiny
built-in snapshot with the parse and index phases run as plain Python
(:mod:`heaptui.engine.python_kernels`), so the first kernels it compiles are the
dominator, class and distance ones, which the loading process reaches last and
then finds in the cache. It goes on with the kernels of every view and command
(Comparison, Leaks, filters, ``diff``, ``leaks``, retainers, instances), so that
a later first use of them compiles nothing, and ends with the parse and index
phases' kernels, which the loading process has compiled meanwhile; when all are
done it marks the directory complete, so later runs say nothing about compiling.

Only one worker runs per kernels directory (a lock file); it outlives a CLI
command that has already answered, and a failure in it never reaches the user.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from . import compile_start, kernel_cache
from .jit import as_python

LOCK_NAME = "compiling.lock"
# The modules whose kernels the parse and index phases call: run as Python first, compiled last.
EARLY_MODULES = ("scan", "columns", "graph", "domstate", "ownership")


@contextlib.contextmanager
def _only_worker(directory: Path) -> Iterator[bool]:
    """Hold the directory's compile lock for the block (False: another worker holds it)."""
    try:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(directory / LOCK_NAME, flags, 0o600)
    except OSError:
        yield False
        return
    try:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): compiling twice at once is only slower
            yield True
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def worker_running(directory: Path) -> bool:
    """Whether a worker holds ``directory``'s compile lock now."""
    with _only_worker(directory) as only:
        return not only


def _tiny(variant: int) -> bytes:
    """The warm-up's tiny snapshot, its three last objects given newer ids in later variants (for diff and leaks)."""
    from .warmup import TINY

    snapshot = json.loads(json.dumps(TINY))
    nodes = snapshot["nodes"]
    for k, ordinal in enumerate((4, 5, 6)):
        nodes[ordinal * 7 + 2] = 9 + 2 * k + 10 * variant
    nodes[6 * 7 + 6] = 2  # a detached node, for the DOM state pass
    return json.dumps(snapshot).encode()


def _run_commands(directory: str) -> None:
    """What every command asks of the engine, on tiny files: their kernels, compiled with the types a real file
    gives them.

    The engine is called as the commands call it, not through the commands: the engine never imports its front
    ends (the CLI imports the engine).
    """
    from .compare import compare
    from .filters import FILTERS, duplicated_string_groups, filter_mask
    from .leaks import largest_objects, leak_report
    from .load import load_snapshot, load_snapshots
    from .search import search
    from .windows import window_since

    plain = os.path.join(directory, "a.heapsnapshot")  # read through a memory map: read-only string bytes
    packed = [os.path.join(directory, f"{variant}.heapsnapshot.gz") for variant in (1, 2, 3)]
    if not os.path.exists(plain):  # the first of the two runs writes them, in its private temporary directory
        with open(plain, "xb") as out:
            out.write(_tiny(0))
        for variant, path in zip((1, 2, 3), packed):
            with open(path, "xb") as out:
                out.write(gzip.compress(_tiny(variant)))
    with contextlib.suppress(Exception):
        load_snapshot(plain).summary()
    with contextlib.suppress(Exception):
        search(load_snapshot(plain), "global")  # its string bytes read-only, as a file read through a map has them
    with contextlib.suppress(Exception):
        first, _, last = series = load_snapshots(packed)
        steps: list[Callable[[], object]] = [
            last.summary,
            lambda: compare(first, last),
            lambda: last.summary(window_since(first, last).mask(last)),
            lambda: leak_report(*series),
            lambda: largest_objects(last, 20),
            lambda: duplicated_string_groups(last),
            lambda: last.object_json(int(last.node_for_id(5) or 0)),
            *(lambda name=f.name: last.summary(filter_mask(last, name)) for f in FILTERS),
        ]
        for step in steps:
            with contextlib.suppress(Exception):
                step()


def _views(path: str) -> None:
    """The app's views' kernels that no command calls: instances, retainers, their orders, the search."""
    import numpy as np

    from .load import load_snapshot
    from .search import search
    from .warmup import class_id_kernels

    s = load_snapshot(path)
    with contextlib.suppress(Exception):
        s.instances(int(s.class_id[s.root]))
    with contextlib.suppress(Exception):  # the tiny file's class ids are bytes; larger snapshots' are wider
        class_id_kernels(s, (np.dtype(np.uint16), np.dtype(np.int32)))
    with contextlib.suppress(Exception):
        search(s, "global")
    for v in range(min(s.node_count, 7)):
        with contextlib.suppress(Exception):
            found = s.retainer_list(v)
            s.retainer_rows(found, 0, 10)


def compile_everything(directory: Path) -> None:
    """Compile every kernel into ``directory``, those the loading process needs last first; then mark it complete.

    With the parse and index phases in Python: the later phases' kernels, then
    the commands' and views'. Last the parse and index kernels, which the
    loading process has compiled by then (so they are only read back), and
    every command again with them compiled (their argument types from a real
    parse, such as a memory-mapped file's read-only bytes).
    """
    from .index import build_index
    from .parse import read_snapshot_bytes
    from .parse.side_by_side import compile_kernels as compile_side_by_side

    warnings.simplefilter("ignore")  # the Python kernels' integer arithmetic wraps, as the compiled code does
    with tempfile.TemporaryDirectory(prefix="heaptui-compile-") as files:
        with as_python(EARLY_MODULES):
            build_index(read_snapshot_bytes(_tiny(0)), "<compile>")
            _run_commands(files)
            _views(os.path.join(files, "3.heapsnapshot.gz"))
        build_index(read_snapshot_bytes(_tiny(0)), "<compile>")
        _run_commands(files)
        _views(os.path.join(files, "3.heapsnapshot.gz"))
        compile_side_by_side()  # only files above 16 MB call it
    kernel_cache.mark_complete(directory)


def main() -> None:
    compile_start.started_here()  # the loads below must not start another worker
    directory = kernel_cache.cache_directory()
    if directory is None or not kernel_cache.shared(directory):
        return
    with _only_worker(directory) as only:
        if only and not kernel_cache.kernels_compiled():
            with contextlib.suppress(Exception):
                compile_everything(directory)


if __name__ == "__main__":
    main()
