"""heaptui.private_files: owner-only modes whatever the umask, nothing planted is ever followed."""

from __future__ import annotations

import os
import stat

import pytest

from heaptui.private_files import (
    UnsafePath,
    check_output_path,
    open_own_file,
    private_directory,
    private_temp,
    publish,
    unsafe_directory_reason,
    writing_private,
)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_directories_are_0700_whatever_the_umask(tmp_path, loose_umask):
    target = tmp_path / "a" / "b" / "c"
    private_directory(target)
    assert [mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3


def test_an_own_loose_directory_is_tightened_and_others_refused(tmp_path, loose_umask):
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    os.chmod(loose, 0o777)
    private_directory(loose)
    assert mode(loose) == 0o700
    os.chmod(loose, 0o777)
    with pytest.raises(UnsafePath, match="writable by others"):
        private_directory(loose, tighten=False)
    link = tmp_path / "link"
    link.symlink_to(loose)
    assert "symbolic link" in unsafe_directory_reason(link)
    with pytest.raises(UnsafePath, match="symbolic link"):
        private_directory(link)


def test_files_are_0600_and_published_whole(tmp_path, loose_umask):
    final = tmp_path / "out.heapsnapshot"
    with writing_private(final) as f:
        f.write(b"{}")
        assert not final.exists()
        (temp,) = [p for p in tmp_path.iterdir()]
        assert temp.name.endswith(".partial") and mode(temp) == 0o600
    assert final.read_bytes() == b"{}" and mode(final) == 0o600
    assert list(tmp_path.iterdir()) == [final]


def test_a_failed_write_leaves_nothing(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), writing_private(final) as f:
        f.write(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def planted(tmp_path, plant: str):
    """A file of the user's (``victim``) and, at ``out``, what another account plants: a link to it, a FIFO, a dir."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine")
    out = tmp_path / "out"
    if plant == "symlink":
        out.symlink_to(victim)
    elif plant == "fifo":
        os.mkfifo(out)
    else:
        out.mkdir()
    return victim, out


@pytest.mark.parametrize("plant", ["symlink", "fifo", "dir"])
def test_planted_names_are_refused_not_followed(tmp_path, plant):
    victim, out = planted(tmp_path, plant)
    with pytest.raises(UnsafePath):
        check_output_path(out)
    with pytest.raises(UnsafePath), writing_private(out) as f:
        f.write(b"secret")
    assert victim.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "victim"]


def test_temporary_names_are_unpredictable_and_exclusive(tmp_path):
    fd1, p1 = private_temp(tmp_path, "x.")
    fd2, p2 = private_temp(tmp_path, "x.")
    os.close(fd1)
    os.close(fd2)
    assert p1 != p2 and mode(p1) == mode(p2) == 0o600


def test_publish_without_replace_never_clobbers(tmp_path):
    fd, temp = private_temp(tmp_path, "x.")
    os.close(fd)
    final = tmp_path / "final"
    final.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        publish(temp, final, replace=False)
    assert final.read_bytes() == b"old"


@pytest.mark.parametrize("plant", ["symlink", "fifo", "dir"])
def test_own_directory_publish_replaces_planted_names_unopened(tmp_path, plant):
    victim, out = planted(tmp_path, plant)
    fd, temp = private_temp(tmp_path, "x.")
    os.write(fd, b"new")
    os.close(fd)
    if plant == "dir":  # a directory is never replaced
        with pytest.raises(OSError):
            publish(temp, out, own_directory=True)
        return
    publish(temp, out, own_directory=True)
    assert out.read_bytes() == b"new" and not out.is_symlink() and mode(out) == 0o600
    assert victim.read_bytes() == b"mine"


def test_open_own_file_opens_only_own_regular_files(tmp_path):
    mine = tmp_path / "mine"
    mine.write_bytes(b"ok")
    os.chmod(mine, 0o600)
    fd = open_own_file(mine)
    assert fd is not None and os.read(fd, 10) == b"ok"
    os.close(fd)
    link = tmp_path / "link"
    link.symlink_to(mine)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would block: it must not be opened at all
    loose = tmp_path / "loose"
    loose.write_bytes(b"x")
    os.chmod(loose, 0o666)
    assert [open_own_file(p) for p in (link, fifo, loose, tmp_path, tmp_path / "missing")] == [None] * 5


@pytest.mark.skipif(os.geteuid() != 0, reason="a file of another user needs root (os.chown)")
def test_open_own_file_refuses_another_users_file(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.write_bytes(b"x")
    os.chown(theirs, 12345, 12345)
    assert open_own_file(theirs) is None
