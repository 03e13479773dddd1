"""The index cache on a shared server (issue 18): owner-only files, nothing planted followed or believed.

A cache is used only from a directory that is the user's own and writable by
nobody else; only when its header is sealed with the user's key and names
this very file and engine; and only when its arrays hold together (else the
compiled loops would index out of range). Anything else is rebuilt, and the
answer is the fresh load's.
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
import zlib

import numpy as np
import pytest

from conftest import fixture_path
from heaptui.engine import cache as index_cache
from heaptui.engine import cache_store as store
from heaptui.engine.cache import CacheOptions, cache_file
from heaptui.engine.load import load_snapshot


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def copy_of(tmp_path, name: str = "leaky-3", as_name: str | None = None):
    path = tmp_path / f"{as_name or name}.heapsnapshot.gz"
    shutil.copy(fixture_path(name), path)
    return path


def options(directory, **kw) -> CacheOptions:
    return CacheOptions(directory=str(directory), min_source_size=0, **kw)


def from_cache(s) -> bool:
    return "cache" in s.timings and "parse" not in s.timings


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def summary_of(s) -> list[dict]:
    return [r.to_json() for r in s.summary()]


def same_answer(a, b) -> bool:
    return summary_of(a) == summary_of(b) and all(
        np.array_equal(getattr(a, n), getattr(b, n)) for n in ("edge_to", "first_edge", "retained", "dominator")
    )


def rewrite(path, key: bytes, change) -> None:
    """Rewrite a cache file as a writer holding the user's key would: ``change(header, arrays)``, CRCs redone.

    This is stronger than any forger can do (the key is the user's), so what
    is still refused is refused by the consistency checks and the source's
    own header, not by the seal.
    """
    data = path.read_bytes()
    header = store.unseal(data, key)
    assert header is not None
    arrays = {}
    for name, e in header["arrays"].items():
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        arrays[name] = np.frombuffer(data, dtype=e["dtype"], count=count, offset=e["offset"]).reshape(e["shape"]).copy()
    change(header, arrays)
    entries = {
        name: {"dtype": a.dtype.str, "shape": list(a.shape), "nbytes": int(a.nbytes), "crc32": zlib.crc32(a.tobytes())}
        for name, a in arrays.items()
    }
    header["arrays"] = entries
    for _ in range(2):
        offset = index_cache._align(store.sealed_length(header) + 64)
        for name in arrays:
            entries[name]["offset"] = offset
            offset = index_cache._align(offset + entries[name]["nbytes"])
        header["file_end"] = offset
    out = bytearray(header["file_end"])
    layout = store.seal(header, key)
    out[: len(layout)] = layout
    for name, a in arrays.items():
        raw = a.tobytes()
        out[entries[name]["offset"] : entries[name]["offset"] + len(raw)] = raw
    temp = path.with_name("rewritten")
    temp.write_bytes(bytes(out))
    os.replace(temp, path)


# ---------------------------------------------------------------- modes


def test_files_are_0600_and_directories_0700_under_umask_022(tmp_path, umask_022, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source = copy_of(tmp_path)
    load_snapshot(source, cache=CacheOptions(min_source_size=0))
    directory = tmp_path / "xdg" / "heaptui"
    assert mode(tmp_path / "xdg") == mode(directory) == 0o700
    names = sorted(p.name for p in directory.iterdir())
    assert names == sorted([store.KEY_NAME, store.cache_name(source)])
    assert all(mode(directory / n) == 0o600 for n in names)


def test_an_older_heaptuis_0755_directory_is_narrowed_a_chosen_one_is_not(tmp_path, umask_022, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    own = tmp_path / "xdg" / "heaptui"
    own.mkdir(parents=True)
    os.chmod(own, 0o755)
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    os.chmod(chosen, 0o755)
    source = copy_of(tmp_path)
    load_snapshot(source, cache=CacheOptions(min_source_size=0))
    load_snapshot(source, cache=options(chosen))
    assert mode(own) == 0o700 and mode(chosen) == 0o755
    assert mode(chosen / store.cache_name(source)) == 0o600


# ---------------------------------------------------------------- planted names


def test_a_link_at_the_cache_path_is_replaced_never_followed(tmp_path):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine")
    target = cache_file(source, options(directory))
    target.symlink_to(victim)
    first = load_snapshot(source, cache=options(directory))
    assert not from_cache(first) and victim.read_bytes() == b"mine"
    assert stat.S_ISREG(os.lstat(target).st_mode)
    assert from_cache(load_snapshot(source, cache=options(directory)))


def run_bounded(work, seconds: float = 120):
    """Run ``work`` on a thread and fail (not hang) when it does not finish: a FIFO must never be opened."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: something opened the FIFO"
    return result[0]


@pytest.mark.parametrize("where", ["cache", "key"])
def test_a_fifo_at_the_cache_or_key_path_is_never_opened(tmp_path, where):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    fresh = load_snapshot(source, cache=options(directory))
    target = cache_file(source, options(directory)) if where == "cache" else directory / store.KEY_NAME
    target.unlink()
    os.mkfifo(target)
    again = run_bounded(lambda: load_snapshot(source, cache=options(directory)))
    assert not from_cache(again) and same_answer(fresh, again)
    assert stat.S_ISREG(os.lstat(target).st_mode)  # replaced by the rename, unopened
    assert from_cache(run_bounded(lambda: load_snapshot(source, cache=options(directory))))


def test_temporary_names_are_unpredictable_and_planted_ones_untouched(tmp_path, monkeypatch):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine")
    name = store.cache_name(source)
    # What an attacker could guess: the old scheme's names (pid and thread id), and bare prefixes.
    planted = [directory / f"{name}.tmp-{os.getpid()}-{threading.get_ident()}", directory / f"{name}.tmp-"]
    for link in planted:
        link.symlink_to(victim)
    temps = []
    real_temp = index_cache.private_temp

    def spy(*args, **kwargs):
        fd, path = real_temp(*args, **kwargs)
        temps.append(path)
        return fd, path

    monkeypatch.setattr(index_cache, "private_temp", spy)
    for _ in range(2):
        cache_file(source, options(directory)).unlink(missing_ok=True)
        load_snapshot(source, cache=options(directory))
    assert len(temps) == 2 and temps[0] != temps[1] and all(t.parent == directory for t in temps)
    assert not set(temps) & set(planted)
    assert victim.read_bytes() == b"mine" and all(p.is_symlink() for p in planted)


# ---------------------------------------------------------------- untrusted directories


def test_a_group_writable_directory_is_not_used(tmp_path):
    source = copy_of(tmp_path)
    directory = tmp_path / "shared"
    fresh = load_snapshot(source, cache=options(directory))  # a good cache, then the directory is opened up
    os.chmod(directory, 0o770)
    said: list[str] = []
    for _ in range(2):
        s = load_snapshot(source, cache=options(directory, warn=said.append))
        assert not from_cache(s) and same_answer(fresh, s)
    assert len(said) == 1 and str(directory) in said[0] and "writable by others" in said[0]
    before = sorted(p.name for p in directory.iterdir())
    assert before == sorted([store.KEY_NAME, store.cache_name(source)])  # nothing written there


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating another user's directory needs root (os.chown)")
def test_a_directory_of_another_user_is_not_used(tmp_path):
    source = copy_of(tmp_path)
    directory = tmp_path / "theirs"
    fresh = load_snapshot(source, cache=options(directory))
    os.chown(directory, 12345, 12345)
    said: list[str] = []
    s = load_snapshot(source, cache=options(directory, warn=said.append))
    assert not from_cache(s) and same_answer(fresh, s)
    assert len(said) == 1 and "owned by another user (uid 12345)" in said[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating another user's file needs root (os.chown)")
def test_a_cache_file_of_another_user_is_not_believed(tmp_path):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    load_snapshot(source, cache=options(directory))
    os.chown(cache_file(source, options(directory)), 12345, 12345)
    assert index_cache.load(source, options(directory)) is None


# ---------------------------------------------------------------- forged and inconsistent caches


def _edge_to_out_of_range(h, a):
    a["edge_to"][len(a["edge_to"]) // 2] = len(a["node_type"]) + 7


def _edge_to_negative(h, a):
    a["edge_to"][3] = -1


def _first_edge_backwards(h, a):
    f = a["first_edge"]
    i = int(np.flatnonzero(f[1:] > f[:-1])[10])
    f[i], f[i + 1] = f[i + 1], f[i]


def _first_edge_short_of_edges(h, a):
    a["first_edge"][-1] -= 1


def _counts_disagree(h, a):
    a["retained"] = a["retained"][:-1].copy()


def _dominator_out_of_range(h, a):
    a["dominator"][5] = 1 << 30


def _class_out_of_range(h, a):
    a["class_id"][5] = a["summary"].shape[1]


def _string_out_of_blob(h, a):
    a["strings_ends"][0] = len(a["strings_blob"]) + 100


def _edge_name_out_of_strings(h, a):
    named = ~a["numbered_edge"][a["edge_type"]]
    a["edge_name"][int(np.flatnonzero(named)[0])] = 1 << 31


def _retainer_out_of_range(h, a):
    a["retainer_edge"][0] = len(a["edge_type"])


def _wrong_dtype(h, a):
    a["edge_to"] = a["edge_to"].astype(np.int64)


def _array_missing(h, a):
    del a["dominator"]


def _retained_wider_than_the_load_makes(h, a):
    """int64 retained sizes where the shallow sizes fit uint32 (e.g. a cache of the previous format)."""
    assert a["retained"].dtype == np.uint32
    a["retained"] = a["retained"].astype(np.int64)


@pytest.mark.parametrize(
    "damage",
    [
        _edge_to_out_of_range,
        _edge_to_negative,
        _first_edge_backwards,
        _first_edge_short_of_edges,
        _counts_disagree,
        _dominator_out_of_range,
        _class_out_of_range,
        _string_out_of_blob,
        _edge_name_out_of_strings,
        _retainer_out_of_range,
        _wrong_dtype,
        _array_missing,
        _retained_wider_than_the_load_makes,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_an_inconsistent_cache_is_rebuilt_never_crashed_on(tmp_path, damage):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    fresh = load_snapshot(source, cache=options(directory))
    path = cache_file(source, options(directory))
    rewrite(path, store.index_key(directory, create=False), damage)
    assert index_cache.load(source, options(directory)) is None
    rebuilt = load_snapshot(source, cache=options(directory))
    assert not from_cache(rebuilt) and same_answer(fresh, rebuilt)
    assert from_cache(load_snapshot(source, cache=options(directory)))


def test_an_undamaged_rewrite_is_believed(tmp_path):
    """The helper above changes nothing by itself: the refusals come from the damage."""
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    fresh = load_snapshot(source, cache=options(directory))
    rewrite(cache_file(source, options(directory)), store.index_key(directory, create=False), lambda h, a: None)
    again = load_snapshot(source, cache=options(directory))
    assert from_cache(again) and same_answer(fresh, again)


@pytest.mark.parametrize("forger", ["copied", "identity", "identity and key"])
def test_another_snapshots_cache_under_this_ones_name_is_not_believed(tmp_path, forger):
    victim = copy_of(tmp_path, "leaky-3", "victim")
    other = copy_of(tmp_path, "leaky-2", "other")
    directory = tmp_path / "cache"
    fresh = load_snapshot(victim, cache=options(directory, enabled=False))
    load_snapshot(other, cache=options(directory))
    forged = cache_file(victim, options(directory))
    shutil.copy(cache_file(other, options(directory)), forged)
    key = store.index_key(directory, create=False)
    identity = store.source_identity(victim)
    if forger == "identity":  # the header edited without the key: the seal breaks
        data = forged.read_bytes()
        header = store.unseal(data, key)
        old = store.seal(header, key)
        header["source"] = identity
        forged.write_bytes(store.seal(header, os.urandom(32)) + data[len(old) :])
    elif forger == "identity and key":  # even sealed with the user's key: the file's own header disagrees
        rewrite(forged, key, lambda h, a: h.__setitem__("source", identity))
    assert index_cache.load(victim, options(directory)) is None
    s = load_snapshot(victim, cache=options(directory))
    assert not from_cache(s) and same_answer(fresh, s)


def test_another_engine_or_format_is_not_believed_and_removed(tmp_path, monkeypatch):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    load_snapshot(source, cache=options(directory))
    changed = {**store.engine_identity(), "code": "0" * 32}
    monkeypatch.setattr(store, "engine_identity", lambda: changed)
    monkeypatch.setattr(index_cache, "engine_identity", lambda: changed)
    assert index_cache.load(source, options(directory)) is None
    assert not cache_file(source, options(directory)).exists()  # never usable again: removed


def test_the_engine_fingerprint_covers_every_engine_source_recursively():
    identity = store.engine_identity()
    assert identity["heaptui"] and len(identity["code"]) == 32
    assert store.engine_identity() is identity  # computed once
    root = __import__("pathlib").Path(store.__file__).resolve().parent
    assert any(p.parent != root for p in root.rglob("*.py")) or not (root / "kernels").exists()


def test_the_fingerprint_changes_with_a_nested_file(tmp_path):
    (tmp_path / "kernels").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "kernels" / "k.py").write_text("y = 1\n")
    before = store.code_hash(tmp_path)
    (tmp_path / "kernels" / "k.py").write_text("y = 2\n")
    assert store.code_hash(tmp_path) != before


# ---------------------------------------------------------------- what the directory keeps


def test_a_cache_whose_source_is_deleted_or_changed_is_removed(tmp_path):
    gone = copy_of(tmp_path, "leaky-1", "gone")
    changed = copy_of(tmp_path, "leaky-2", "changed")
    kept = copy_of(tmp_path, "leaky-3", "kept")
    directory = tmp_path / "cache"
    for source in (gone, changed, kept):
        load_snapshot(source, cache=options(directory))
    gone.unlink()
    st = os.stat(changed)
    os.utime(changed, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert from_cache(load_snapshot(kept, cache=options(directory)))  # any use of the cache tidies it
    assert sorted(p.name for p in directory.glob("*.index")) == [store.cache_name(kept)]


def test_the_least_recently_used_caches_go_beyond_the_cap(tmp_path):
    a, b, c = (copy_of(tmp_path, "leaky-3", n) for n in "abc")
    directory = tmp_path / "cache"
    load_snapshot(a, cache=options(directory))
    size = cache_file(a, options(directory)).stat().st_size
    capped = options(directory, max_bytes=int(2.5 * size))
    load_snapshot(b, cache=capped)
    assert from_cache(load_snapshot(a, cache=capped))  # a is now more recently used than b
    load_snapshot(c, cache=capped)
    assert sorted(p.name for p in directory.glob("*.index")) == sorted(store.cache_name(x) for x in (a, c))
    # A cache bigger than the cap by itself is not written, and the others go too.
    load_snapshot(b, cache=options(directory, max_bytes=size // 2))
    assert not list(directory.glob("*.index"))


def test_the_cap_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_MAX, "1.5GB")
    assert store.max_bytes(tmp_path) == 1_500_000_000
    monkeypatch.setenv(store.ENV_MAX, "2GiB")
    assert store.max_bytes(tmp_path) == 2 * 1024**3
    assert store.max_bytes(tmp_path, 123) == 123
    monkeypatch.delenv(store.ENV_MAX)
    assert 0 < store.max_bytes(tmp_path) <= store.DEFAULT_MAX_BYTES
    assert store.parse_size("lots") is None


def test_only_index_files_are_managed(tmp_path, monkeypatch):
    """Compiled kernels (``kernels/``) and anything else in the directory survive tidying and the cap."""
    a, b = (copy_of(tmp_path, "leaky-3", n) for n in "ab")
    directory = tmp_path / "cache"
    kernels = directory / "kernels"
    kernels.mkdir(parents=True, mode=0o700)
    (kernels / "k.nbi").write_bytes(b"compiled")
    (directory / "notes.txt").write_bytes(b"mine")
    load_snapshot(a, cache=options(directory))
    load_snapshot(b, cache=options(directory, max_bytes=1 + cache_file(a, options(directory)).stat().st_size))
    a.unlink()
    load_snapshot(b, cache=options(directory))
    assert (kernels / "k.nbi").read_bytes() == b"compiled" and (directory / "notes.txt").read_bytes() == b"mine"


def test_every_fixture_passes_the_checks(tmp_path):
    """The checks refuse nothing a fresh load writes: traces, ephemerons, Chromium's DOM, detachedness."""
    directory = tmp_path / "cache"
    for name in ("chromium-1", "collections-1", "mixed", "tiny"):
        source = copy_of(tmp_path, name)
        fresh = load_snapshot(source, cache=options(directory))
        again = load_snapshot(source, cache=options(directory))
        assert from_cache(again) and same_answer(fresh, again), name
    for name in ("timeline-leaky", "timeline-leaky-nostacks"):
        source = tmp_path / f"{name}.heaptimeline.gz"
        shutil.copy(fixture_path(name).with_name(f"{name}.heaptimeline.gz"), source)
        load_snapshot(source, cache=options(directory))
        assert from_cache(load_snapshot(source, cache=options(directory))), name


# ---------------------------------------------------------------- heaptui cache


def test_heaptui_cache_lists_and_clears(tmp_path, monkeypatch):
    import json
    import threading as _threading

    from click.testing import CliRunner

    from heaptui.cli import main

    monkeypatch.setattr(index_cache, "MIN_SOURCE_SIZE", 0)
    a, b = copy_of(tmp_path, "leaky-3", "first"), copy_of(tmp_path, "leaky-2", "second\x1b[31m")
    directory = tmp_path / "cache"
    (directory / "kernels").mkdir(parents=True, mode=0o700)
    (directory / "kernels" / "k.nbi").write_bytes(b"compiled")
    runner = CliRunner()
    assert runner.invoke(main, ["--cache-dir", str(directory), "cache"]).output.startswith("no index caches in ")
    for source in (a, b):
        assert runner.invoke(main, ["summary", str(source), "--json", "--cache-dir", str(directory)]).exit_code == 0
        for thread in _threading.enumerate():  # a command writes the cache while it answers
            if thread.name == "heaptui-cache":
                thread.join()
    sizes = {s: cache_file(s, options(directory)).stat().st_size for s in (a, b)}

    listed = runner.invoke(main, ["--cache-dir", str(directory), "cache", "--json"])
    assert listed.exit_code == 0
    data = json.loads(listed.output)
    assert {(c["source"], c["size"]) for c in data["caches"]} == {(str(a), sizes[a]), (str(b), sizes[b])}
    assert data["size"] == sum(sizes.values()) and data["directory"] == str(directory)
    assert all(c["last_used"].endswith("Z") for c in data["caches"])

    text = runner.invoke(main, ["--cache-dir", str(directory), "cache", "--wide"]).output
    assert str(a) in text and "\x1b" not in text and "second\\x1b[31m" in text  # escaped, never raw
    assert text.splitlines()[0].split() == ["SOURCE", "SIZE", "LAST", "USED"]
    assert text.splitlines()[-1].startswith("2 caches, ")

    cleared = runner.invoke(main, ["--cache-dir", str(directory), "cache", "clear", str(a), "--json"])
    assert json.loads(cleared.output) == {"removed": [{"source": str(a), "size": sizes[a]}], "freed": sizes[a]}
    assert [
        c["source"]
        for c in json.loads(runner.invoke(main, ["--cache-dir", str(directory), "cache", "--json"]).output)["caches"]
    ] == [str(b)]
    everything = runner.invoke(main, ["--cache-dir", str(directory), "cache", "clear"])
    assert everything.exit_code == 0 and everything.output.splitlines()[-1].startswith("removed 1 index cache, ")
    assert not list(directory.glob("*.index")) and (directory / "kernels" / "k.nbi").read_bytes() == b"compiled"


def test_heaptui_cache_on_an_untrusted_directory_says_so_in_one_line(tmp_path):
    from click.testing import CliRunner

    from heaptui.cli import main

    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(directory, 0o777)
    result = CliRunner().invoke(main, ["--cache-dir", str(directory), "cache"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"heaptui: warning: {directory}: is writable by others (mode 0777); the index cache is not used"
        " (chmod 700 it to use it)"
    ]


def test_a_killed_writes_temporary_file_goes_once_old(tmp_path):
    source = copy_of(tmp_path)
    directory = tmp_path / "cache"
    load_snapshot(source, cache=options(directory))
    name = store.cache_name(source)
    old, fresh = directory / f"{name}.tmp-killed1", directory / f"{name}.tmp-writing"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    hours_ago = os.stat(old).st_mtime - 2 * store.STALE_TEMP_SECONDS
    os.utime(old, (hours_ago, hours_ago))
    cache_file(source, options(directory)).unlink()
    load_snapshot(source, cache=options(directory))
    assert not old.exists() and fresh.exists()  # a write in progress elsewhere is left alone
