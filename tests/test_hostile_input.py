"""Hostile input: small files that expand to gigabytes, files that are not files, nesting, truncation.

The compressed bombs are made here, never committed: gzip members of one
repeated block, concatenated (a gzip stream may hold several members), so a
gigabyte of text costs a megabyte and a fraction of a second. They run in a
child process held to 1 GiB, by a cgroup of its own where the machine lets
root make one, else by ``RLIMIT_AS``: the answer must be one line and exit
status 1, never the OOM killer's SIGKILL.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from builder import node_like
from conftest import fixture_path
from heaptui.engine import SnapshotError, load_snapshot
from heaptui.engine.heapprofile import parsed_cost, read_heapprofile
from heaptui.engine.memory import headroom

GIB = 1 << 30
BLOCK = 32 << 20


def small_snapshot(**kw) -> str:
    b, root, gc, glob = node_like()
    a = b.node("object", "A", 10)
    b.edge(glob, "property", "a", a)
    return b.to_json(**kw)


def member(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def repeated(pattern: bytes, total: int) -> bytes:
    """``pattern`` repeated to ``total`` bytes, as gzip members of one block each."""
    block = pattern * max(1, min(total, BLOCK) // len(pattern))
    count, rest = divmod(total, len(block))
    return member(block) * count + (member(block[:rest]) if rest else b"")


def bomb(*parts: bytes | tuple[bytes, int]) -> bytes:
    """A gzip file of these parts: bytes as they are, (pattern, size) repeated to size bytes."""
    return b"".join(repeated(*p) if isinstance(p, tuple) else member(p) for p in parts)


def _own_memory_cgroup() -> tuple[str, str] | None:
    """(version, directory) of this process's memory cgroup, if the machine has one we may write under."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, group = line.split(":", 2)
        if controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            directory = Path("/sys/fs/cgroup") / group.strip("/")
            if "memory" in (directory / "cgroup.controllers").read_text().split():
                return "v2", str(directory)
        if "memory" in controllers.split(","):
            directory = Path("/sys/fs/cgroup/memory") / group.strip("/")
            if directory.is_dir():
                return "v1", str(directory)
    return None


@pytest.fixture(scope="module")
def limited() -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run ``python -m heaptui ARGS`` held to 1 GiB: in a child cgroup if one can be made, else under RLIMIT_AS."""
    made: Path | None = None
    own = _own_memory_cgroup() if os.geteuid() == 0 else None
    if own is not None:
        version, parent = own
        made = Path(parent) / f"heaptui-test-{uuid.uuid4().hex[:12]}"
        try:
            made.mkdir()
            (made / ("memory.max" if version == "v2" else "memory.limit_in_bytes")).write_text(str(GIB))
            if version == "v2":
                (made / "memory.swap.max").write_text("0") if (made / "memory.swap.max").exists() else None
        except OSError:
            if made.exists():
                made.rmdir()
            made = None

    def enter() -> None:  # in the child, before it runs anything
        if made is not None:
            (made / "cgroup.procs").write_text(str(os.getpid()))
        else:
            resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "heaptui", "--no-cache", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=enter,
            stdin=subprocess.DEVNULL,
        )

    def python(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, preexec_fn=enter
        )

    run.python = python  # type: ignore[attr-defined]
    run.how = "cgroup" if made is not None else "RLIMIT_AS"  # type: ignore[attr-defined]
    try:
        yield run
    finally:
        if made is not None:
            for _ in range(50):  # the group can be removed once its last process is gone
                try:
                    made.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def one_line_refusal(proc: subprocess.CompletedProcess[str], path: Path, *words: str) -> str:
    assert proc.returncode != -signal.SIGKILL, f"killed (out of memory?): {proc.stderr[-500:]}"
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"heaptui: {path}: "), proc.stderr[-2000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _before_last_bracket(text: str) -> str:
    """The snapshot's JSON up to the strings array's closing bracket (V8 writes the strings last)."""
    assert text.endswith("]}")
    return text[:-2]


def test_the_limit_is_seen_from_inside(limited):
    """The child's headroom is under its 1 GiB limit and names the limit (the machine has far more free)."""
    proc = limited.python("from heaptui.engine.memory import headroom; h = headroom(); print(h.bytes, h.source)")
    assert proc.returncode == 0, proc.stderr
    room, source = proc.stdout.split(maxsplit=1)
    assert 0 < int(room) < GIB
    assert ("limit_in_bytes" in source or "memory.max" in source) if limited.how == "cgroup" else "ulimit -v" in source


def test_a_huge_string_in_a_small_gzip_is_refused(limited, tmp_path):
    text = _before_last_bracket(small_snapshot())
    path = tmp_path / "string-bomb.heapsnapshot.gz"
    path.write_bytes(bomb(text.encode() + b',"', (b"a", 2 * GIB), b'"]}'))
    assert path.stat().st_size < 4 << 20
    one_line_refusal(limited("summary", str(path)), path, "strings array", "memory")


def test_counts_a_small_gzip_cannot_fit_are_refused_before_reading(limited, tmp_path):
    doc = json.loads(small_snapshot())
    doc["snapshot"]["node_count"] = 20_000_000
    text = json.dumps(doc)
    nodes_at = text.index('"nodes": [') + len('"nodes": [')
    path = tmp_path / "count-bomb.heapsnapshot.gz"
    path.write_bytes(bomb(text[:nodes_at].encode(), (b"0,", 20_000_000 * 7 * 2 - 2), text[nodes_at:].encode()))
    assert path.stat().st_size < 1 << 20
    one_line_refusal(limited("summary", str(path)), path, "loading needs about", "--force")


def test_a_huge_trace_tree_or_small_section_is_refused(limited, tmp_path):
    text = small_snapshot()
    header_end = text.index('"nodes":')
    for name, section in (
        ("trace", (b'"trace_tree":[', b"[1,2,3,4,[]],", GIB + (GIB >> 2), b"[1,2,3,4,[]]],")),
        ("locations", (b'"locations":[', b"0,", 3 * GIB, b"0],")),
    ):
        opening, pattern, size, closing = section
        path = tmp_path / f"{name}-bomb.heapsnapshot.gz"
        path.write_bytes(
            bomb(text[:header_end].encode(), opening, (pattern, size), closing, text[header_end:].encode())
        )
        one_line_refusal(limited("summary", str(path)), path, "memory")


def test_millions_of_empty_strings_are_refused(limited, tmp_path):
    """`"",` is 3 bytes of text and 25 bytes of string index: the index's growth counts too."""
    text = _before_last_bracket(small_snapshot())
    path = tmp_path / "strings-bomb.heapsnapshot.gz"
    path.write_bytes(bomb(text.encode(), (b',""', GIB), b"]}"))
    one_line_refusal(limited("summary", str(path)), path, "strings array", "memory")


def test_millions_of_sections_are_refused(tmp_path):
    path = tmp_path / "sections.heapsnapshot"
    path.write_text(small_snapshot()[:-1] + ',"x":0' * 1001 + "}")
    with pytest.raises(SnapshotError, match="more than 1,000 sections"):
        load_snapshot(path)
    path.write_text(small_snapshot()[:-1] + ',"x":0' * 900 + "}")
    assert load_snapshot(path).node_count == 4


def test_a_compressed_file_decompresses_to_what_its_counts_allow_and_no_more(monkeypatch, tmp_path):
    """A gigabyte of gzip can hold a terabyte of white space: hours of reading. Before the header only
    TEXT_SLACK may come (here made 1 MB, not 1 GB, to keep the test small)."""
    from heaptui.engine.estimate import estimate
    from heaptui.engine.parse import limits

    monkeypatch.setattr(limits, "TEXT_SLACK", 1 << 20)
    path = tmp_path / "padded.heapsnapshot.gz"
    path.write_bytes(gzip.compress(b" " * (2 << 20) + small_snapshot().encode()))
    with pytest.raises(SnapshotError, match="decompresses to more than"):
        load_snapshot(path)
    with pytest.raises(SnapshotError, match="decompresses to more than"):
        estimate(path)
    path.write_bytes(gzip.compress(b" " * (1 << 19) + small_snapshot().encode()))
    assert load_snapshot(path).node_count == 4 and estimate(path).nodes == 4


def test_a_huge_header_is_refused(limited, tmp_path):
    path = tmp_path / "header-bomb.heapsnapshot.gz"
    path.write_bytes(bomb(b'{"snapshot":{"padding":"', (b"x", 2 * GIB), b'"},"nodes":[],"edges":[],"strings":[]}'))
    one_line_refusal(limited("summary", str(path)), path, "snapshot header is larger than")


def test_a_sampling_profile_bomb_is_refused(limited, tmp_path):
    """Gigabytes of text in a small gzip, and 30 MB of `{},` (objects that cost 67 times their text)."""
    path = tmp_path / "bomb.heapprofile.gz"
    node = (
        b'{"callFrame":{"functionName":"f","scriptId":"1","url":"","lineNumber":0,"columnNumber":0},'
        b'"selfSize":1,"id":2,"children":[]},'
    )
    path.write_bytes(
        bomb(
            b'{"head":{"callFrame":{"functionName":"(root)"},"selfSize":0,"id":1,"children":[',
            (node, 2 * GIB),
            node[:-1] + b']},"samples":[]}',
        )
    )
    one_line_refusal(limited("allocations", str(path)), path, "JSON text is larger than")
    with pytest.raises(SnapshotError, match="larger than"):
        read_heapprofile(path)
    objects = tmp_path / "objects.heapprofile"
    objects.write_bytes(b'{"head":{"children":[' + b"{}," * 10_000_000 + b"{}]}}")
    one_line_refusal(limited("allocations", str(objects)), objects, "reading the profile needs about")
    assert parsed_cost(objects.read_bytes()) > GIB  # the 1 GiB limit is what refuses it


def test_a_deep_sampling_profile_is_one_line(tmp_path):
    path = tmp_path / "deep.heapprofile"
    path.write_text('{"head":' + '{"children":[' * 100_000 + "]}" * 100_000 + "}")
    with pytest.raises(SnapshotError, match="too deep"):
        read_heapprofile(path)


def test_a_snapshot_that_fits_loads_within_the_limit(limited):
    """The limit itself (numba reserves much address space) does not stop a normal load."""
    fits = limited("summary", str(fixture_path("leaky-3")), "--top", "1")
    assert fits.returncode == 0 and "Function" in fits.stdout, fits.stderr


def test_headroom_reads_cgroup_limits(tmp_path):
    """v2 memory.max and v1 memory.limit_in_bytes of the process's own group and its ancestors, less usage."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 100000000 kB\nMemAvailable: 50000000 kB\n")
    (proc / "self" / "status").write_text("VmSize: 1000 kB\n")
    v2 = tmp_path / "sys" / "fs" / "cgroup"
    (v2 / "box" / "inner").mkdir(parents=True)
    (v2 / "cgroup.controllers").write_text("memory\n")
    (v2 / "box" / "memory.max").write_text(f"{GIB}\n")
    (v2 / "box" / "memory.current").write_text(f"{300 << 20}\n")
    (v2 / "box" / "memory.stat").write_text(f"anon 1\ninactive_file {100 << 20}\n")
    (v2 / "box" / "inner" / "memory.max").write_text("max\n")
    (v2 / "box" / "inner" / "memory.current").write_text("5\n")
    (proc / "self" / "cgroup").write_text("0::/box/inner\n")
    room = headroom(str(tmp_path))
    assert room is not None and room.bytes == GIB - (200 << 20) and "memory.max" in room.source
    v1 = tmp_path / "sys" / "fs" / "cgroup" / "memory" / "job"
    v1.mkdir(parents=True)
    (v1 / "memory.limit_in_bytes").write_text(f"{GIB >> 1}\n")
    (v1 / "memory.usage_in_bytes").write_text(f"{100 << 20}\n")
    (tmp_path / "sys" / "fs" / "cgroup" / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    (proc / "self" / "cgroup").write_text("4:memory:/job\n0::/box/inner\n")
    room = headroom(str(tmp_path))
    assert room is not None and room.bytes == (GIB >> 1) - (100 << 20) and "limit_in_bytes" in room.source
    (proc / "self" / "cgroup").write_text("4:memory:/\n")  # no limit anywhere: free memory
    room = headroom(str(tmp_path))
    assert room is not None and room.bytes == 50000000 * 1024 and room.source == "free memory"


def test_address_space_limit_counts():
    """Under ``ulimit -v`` the headroom is the limit less the address space mapped (VmSize), if that is lowest."""
    code = (
        "import resource; from heaptui.engine.memory import _address_space, headroom; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({4 * GIB}, {4 * GIB})); h = _address_space('/'); "
        "vm = [int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize:')][0]; "
        "print(h.bytes, vm, headroom().bytes <= h.bytes, h.source)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    room, mapped, is_min, source = proc.stdout.split(maxsplit=3)
    assert 0 < int(room) < 4 * GIB and abs(int(room) - (4 * GIB - int(mapped))) < 16 << 20
    assert is_min == "True" and "ulimit -v" in source


@pytest.mark.parametrize("make", ["fifo", "stdin pipe", "stdin null", "process substitution", "proc mem", "dev zero"])
def test_what_is_not_a_regular_file_is_refused(tmp_path, make):
    """One line and status 1, at once: a FIFO with no writer must not block the open."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "heaptui", "--no-cache", "summary"]
    stdin: int | None = subprocess.DEVNULL
    if make == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
        args, expected = [path], "pipe (FIFO)"
    elif make == "stdin pipe":
        args, expected, stdin = ["/dev/stdin"], "pipe (FIFO)", subprocess.PIPE
    elif make == "stdin null":
        args, expected = ["/dev/stdin"], "character device"
    elif make == "process substitution":
        read_end, write_end = os.pipe()
        args, expected = [f"/dev/fd/{read_end}"], "pipe (FIFO)"
    elif make == "proc mem":
        args, expected = ["/proc/self/mem"], "/proc file"
    else:
        args, expected = ["/dev/zero"], "character device"
    try:
        proc = subprocess.run(
            command + args,
            capture_output=stdin != subprocess.PIPE,
            text=True,
            timeout=120,
            stdin=stdin,
            env=env,
            pass_fds=(read_end,) if make == "process substitution" else (),
            **({"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} if stdin == subprocess.PIPE else {}),
        )
    finally:
        if make == "process substitution":
            os.close(read_end)
            os.close(write_end)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "internal error" not in lines[0], proc.stderr


def test_a_fifo_is_refused_in_process_and_by_the_profile_reader(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    with pytest.raises(SnapshotError, match="pipe"):
        load_snapshot(path)
    with pytest.raises(SnapshotError, match="pipe"):
        read_heapprofile(path)
    from heaptui.engine.heapprofile import is_heapprofile

    assert not is_heapprofile(path)


def test_deep_nesting_is_one_line(tmp_path):
    path = tmp_path / "deep.heapsnapshot"
    path.write_text('{"snapshot":{"meta":' + "[" * 200_000 + "]" * 200_000 + "}}")
    with pytest.raises(SnapshotError, match="nested too deeply"):
        load_snapshot(path)
    from heaptui.engine.estimate import estimate

    with pytest.raises(SnapshotError, match="nested too deeply"):
        estimate(path)
    text = small_snapshot()
    at = text.index('"nodes":')
    path.write_text(text[:at] + '"trace_tree":' + "[1,1,1,1," * 5_000 + "[]" + "]" * 5_000 + "," + text[at:])
    with pytest.raises(SnapshotError, match="trace_tree nests deeper"):
        load_snapshot(path)
    from click.testing import CliRunner

    from heaptui.cli import main

    result = CliRunner().invoke(main, ["--no-cache", "allocations", str(path)])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "trace_tree" in result.output


def test_whitespace_is_skipped_at_scan_speed(tmp_path):
    """100 MB of white space is an empty file (this took 88 s a byte at a time), and so is it compressed."""
    path = tmp_path / "blank.heapsnapshot"
    with open(path, "wb") as f:
        for _ in range(100):
            f.write(b" \n\t\r" * (1 << 18))
    with pytest.raises(SnapshotError, match="empty file"):
        load_snapshot(path)
    packed = tmp_path / "blank.heapsnapshot.gz"
    packed.write_bytes(bomb((b" \n", 100 << 20)))
    with pytest.raises(SnapshotError, match="empty file"):
        load_snapshot(packed)
    text = small_snapshot().replace('"nodes":', " " * (50 << 20) + '"nodes":')
    path.write_text(text)
    assert load_snapshot(path).node_count == 4


def test_truncated_says_where_and_offers_salvage(tmp_path):
    whole = gzip.decompress(fixture_path("leaky-3").read_bytes())
    path = tmp_path / "cut.heapsnapshot"
    from click.testing import CliRunner

    from heaptui.cli import main

    for cut in (200, 5_000, len(whole) // 3, len(whole) - 50):
        path.write_bytes(whole[:cut])
        with pytest.raises(SnapshotError) as info:
            load_snapshot(path)
        assert "truncated" in info.value.problem and f"{cut:,}" in info.value.problem, info.value.problem
        assert "meta disagrees" not in info.value.problem
        result = CliRunner().invoke(main, ["--no-cache", "summary", str(path)])
        assert result.exit_code == 1 and "truncated" in result.output and "--salvage" in result.output
    packed = tmp_path / "cut.heapsnapshot.gz"
    data = fixture_path("leaky-3").read_bytes()
    packed.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match="truncated"):
        load_snapshot(packed)


def test_the_app_loader_offers_salvage_for_a_truncated_file(tmp_path):
    from heaptui.tui.loader import Loader

    whole = gzip.decompress(fixture_path("leaky-3").read_bytes())
    path = tmp_path / "cut.heapsnapshot"
    path.write_bytes(whole[: whole.index(b'"strings":') + 1000])
    loader = Loader([str(path)]).start()
    assert loader.finished.wait(120), "the load did not finish in 120 s"
    assert loader.error is not None and "truncated" in loader.error and "--salvage" in loader.error
    salvaged = Loader([str(path)], salvage=True).start()
    assert salvaged.finished.wait(120), "the salvaged load did not finish in 120 s"
    assert salvaged.error is None and salvaged.snapshots[0].lost
