"""The index cache: same numbers as a fresh load, and never trusted when stale, truncated, foreign or corrupted."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest
from click.testing import CliRunner

from builder import node_like
from conftest import fixture_path
from heaptui.cli import main
from heaptui.engine import cache as index_cache
from heaptui.engine.cache import CacheOptions, cache_file
from heaptui.engine.cache_store import VERSION
from heaptui.engine.load import load_snapshot

ARRAYS = (
    "node_type",
    "node_name",
    "node_id",
    "shallow",
    "first_edge",
    "edge_type",
    "edge_name",
    "edge_to",
    "first_retainer",
    "retainer_edge",
    "distances",
    "dominator",
    "retained",
    "class_id",
    "locations",
)


@pytest.fixture
def snapshot_file(tmp_path):
    """A private copy of a fixture (its mtime is ours to change)."""
    path = tmp_path / "leaky-3.heapsnapshot.gz"
    shutil.copy(fixture_path("leaky-3"), path)
    return path


def options(tmp_path, enabled: bool = True) -> CacheOptions:
    return CacheOptions(directory=str(tmp_path / "cache"), min_source_size=0, enabled=enabled)


def from_cache(s) -> bool:
    return "cache" in s.timings and "parse" not in s.timings


def assert_same(a, b) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert [r.to_json() for r in a.summary()] == [r.to_json() for r in b.summary()]
    assert a.statistics == b.statistics and a.classes == b.classes and a.interfaces == b.interfaces
    assert len(a.strings) == len(b.strings) and all(a.strings[i] == b.strings[i] for i in range(0, len(a.strings), 97))
    for row in a.summary()[:20]:
        v = int(a.instances(row.class_index)[0])
        assert a.object_json(v) == b.object_json(v)


def test_a_reopen_maps_the_cache_and_gives_the_same_numbers(tmp_path, snapshot_file):
    fresh = load_snapshot(snapshot_file, cache=options(tmp_path, enabled=False))
    written = load_snapshot(snapshot_file, cache=options(tmp_path))
    assert not from_cache(written) and cache_file(snapshot_file, options(tmp_path)).exists()
    # Once written, the fresh load's arrays are the cache file's (mapped), with the same values.
    for name in ("retained", "edge_to", "first_retainer"):
        array = getattr(written, name)
        while isinstance(array.base, np.ndarray):
            array = array.base
        assert isinstance(array.base, memoryview), name  # a view of the mapped file
    assert_same(fresh, written)
    again = load_snapshot(snapshot_file, cache=options(tmp_path))
    assert from_cache(again)
    assert_same(fresh, again)
    # The retained sizes come back in the load's own dtype (uint32: the fixture's shallow sizes add up to < 4 GiB).
    assert fresh.retained.dtype == written.retained.dtype == again.retained.dtype == np.uint32
    # The compiled queries run on the mapped arrays too.
    from heaptui.engine.compare import compare

    assert [r.to_json() for r in compare(fresh, again).rows] == []


def test_a_changed_snapshot_invalidates_its_cache(tmp_path, snapshot_file):
    load_snapshot(snapshot_file, cache=options(tmp_path))
    stat = os.stat(snapshot_file)
    os.utime(snapshot_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    reloaded = load_snapshot(snapshot_file, cache=options(tmp_path))
    assert not from_cache(reloaded)
    assert from_cache(load_snapshot(snapshot_file, cache=options(tmp_path)))  # rewritten for the new version


@pytest.mark.parametrize("damage", ["header", "array", "truncate", "foreign", "empty", "version"])
def test_a_damaged_cache_is_rebuilt(tmp_path, snapshot_file, damage):
    fresh = load_snapshot(snapshot_file, cache=options(tmp_path))
    path = cache_file(snapshot_file, options(tmp_path))
    data = bytearray(path.read_bytes())
    if damage == "header":
        data[40] ^= 0xFF
    elif damage == "array":
        data[len(data) // 2] ^= 0x01  # one bit deep inside the arrays
    elif damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "foreign":
        data = bytearray(b"PK\x03\x04" + bytes(200))
    elif damage == "empty":
        data = bytearray()
    else:
        current = f'"version":{VERSION}'.encode()
        assert current in data
        data = data.replace(current, f'"version":{VERSION + 1}'.encode(), 1)
    # Replaced, not rewritten in place (as heaptui writes caches): `fresh` maps the old file.
    damaged = path.with_name("damaged")
    damaged.write_bytes(bytes(data))
    os.replace(damaged, path)
    rebuilt = load_snapshot(snapshot_file, cache=options(tmp_path))
    assert not from_cache(rebuilt)
    assert_same(fresh, rebuilt)
    assert from_cache(load_snapshot(snapshot_file, cache=options(tmp_path)))


def test_an_unwritable_location_falls_back_quietly(tmp_path, snapshot_file):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    s = load_snapshot(snapshot_file, cache=CacheOptions(directory=str(blocker / "cache"), min_source_size=0))
    assert s.node_count > 0 and not from_cache(s)


def test_a_cancelled_write_leaves_no_cache(tmp_path, snapshot_file, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_cache, "_header", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_snapshot(snapshot_file, cache=options(tmp_path))
    leftovers = [p.name for p in (tmp_path / "cache").iterdir()]
    assert leftovers == ["index.key"]


def test_small_files_and_no_cache_write_nothing(tmp_path, snapshot_file):
    tiny, *_ = node_like()
    tiny_file = tiny.write(tmp_path / "tiny.heapsnapshot")
    load_snapshot(tiny_file, cache=CacheOptions(directory=str(tmp_path / "c1")))  # under the size floor
    load_snapshot(snapshot_file, cache=CacheOptions(directory=str(tmp_path / "c2"), enabled=False, min_source_size=0))
    assert not (tmp_path / "c1").exists() and not (tmp_path / "c2").exists()


def test_cli_cache_dir_and_no_cache(tmp_path, snapshot_file, monkeypatch):
    monkeypatch.setattr(index_cache, "MIN_SOURCE_SIZE", 0)
    directory = tmp_path / "cli-cache"
    runner = CliRunner()
    first = runner.invoke(main, ["summary", str(snapshot_file), "--json", "--cache-dir", str(directory)])
    for thread in threading.enumerate():  # a command writes the cache while it answers
        if thread.name == "heaptui-cache":
            thread.join()
    second = runner.invoke(main, ["--cache-dir", str(directory), "summary", str(snapshot_file), "--json"])
    assert first.exit_code == second.exit_code == 0 and first.output == second.output
    assert len(list(directory.glob("*.index"))) == 1
    other = tmp_path / "unused"
    third = runner.invoke(main, ["summary", str(snapshot_file), "--json", "--no-cache", "--cache-dir", str(other)])
    assert third.exit_code == 0 and third.output == first.output and not other.exists()
