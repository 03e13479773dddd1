"""Another local account (``nobody``) can neither read nor plant what heaptui writes (issue 18).

The other tests check modes; this one asks a real second account, in a
directory whose parents it can walk through, so only heaptui's own modes stand
between it and the secrets: the index cache of a snapshot holding a secret
string, and a file written the way captures are written. Runs as root (to
become ``nobody`` with ``setpriv``); skipped with the reason otherwise.
"""

from __future__ import annotations

import gzip
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import fixture_path
from heaptui.engine.cache import CacheOptions, cache_file
from heaptui.engine.load import load_snapshot
from heaptui.private_files import writing_private

SETPRIV = shutil.which("setpriv")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv to act as a second account"
)


def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    user = pwd.getpwnam("nobody")
    return subprocess.run([SETPRIV, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def shared_dir():
    """A directory anyone may walk through (as /tmp or a home often is), with umask 022 as on most servers."""
    old = os.umask(0o022)
    top = Path(tempfile.mkdtemp(prefix="heaptui-shared-"))
    os.chmod(top, 0o755)
    yield top
    os.umask(old)
    shutil.rmtree(top)


def test_nobody_reads_no_secret_from_the_index_cache(shared_dir):
    source = shared_dir / "leaky-3.heapsnapshot"
    # The snapshot itself is the user's own (Node writes it 0600); the secret is a string in it.
    source.write_bytes(gzip.decompress(fixture_path("leaky-3").read_bytes()))
    os.chmod(source, 0o600)
    cache_dir = shared_dir / "cache" / "heaptui"
    load_snapshot(source, cache=CacheOptions(directory=str(cache_dir), min_source_size=0))
    cached = cache_file(source, CacheOptions(directory=str(cache_dir)))
    assert cached.is_file() and b"requestLogs" in cached.read_bytes()  # the strings are in it

    denied = as_nobody("cat", str(cached))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr, denied
    listing = as_nobody("ls", str(cache_dir))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing
    planted = as_nobody("ln", "-s", "/etc/passwd", str(cache_dir / "planted.index"))
    assert planted.returncode != 0 and not os.path.lexists(cache_dir / "planted.index"), planted


def test_nobody_reads_no_captured_file(shared_dir):
    out = shared_dir / "heap.heapsnapshot"
    with writing_private(out, mode="w", encoding="utf-8") as f:
        f.write('{"secret": "sk_live_1234"}')
    denied = as_nobody("cat", str(out))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr, denied
    # Nor can it replace the file: the directory is not its own, and the name is a regular file of ours.
    replaced = as_nobody("ln", "-sf", "/etc/passwd", str(out))
    assert replaced.returncode != 0 and out.is_file() and not out.is_symlink(), replaced
