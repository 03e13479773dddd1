"""The wrong kind of file names the command that reads it; bad values are usage errors; advice fits the user."""

from __future__ import annotations

import gzip

import pytest
from cli_support import run_heaptui

from conftest import FIXTURES, fixture_path

TINY = str(fixture_path("tiny"))
PROFILE = str(FIXTURES / "alloc-leaky.heapprofile.gz")


def one_line(result, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["summary", PROFILE],
        ["top", PROFILE],
        ["stats", PROFILE],
        ["strings", PROFILE],
        ["object", PROFILE, "@1"],
        ["diff", TINY, PROFILE],
        ["leaks", PROFILE, TINY, str(fixture_path("leaky-1"))],
        ["summary", TINY, "--since", PROFILE],
    ],
)
def test_a_profile_where_a_snapshot_is_read_names_allocations(args):
    said = one_line(run_heaptui(*args), 1)
    assert said == (
        f"heaptui: {PROFILE} is a sampling heap profile, not a heap snapshot: read it with "
        "`heaptui allocations`, or open it in the app\n"
    )


@pytest.mark.parametrize("json", [[], ["--json"]])
def test_allocations_of_a_plain_snapshot_names_summary_and_the_app(json):
    said = one_line(run_heaptui("allocations", TINY, *json), 1)
    assert said.startswith(f"heaptui: {TINY}: a heap snapshot, not an allocation timeline")
    assert "`heaptui summary`" in said and "the app" in said


@pytest.mark.parametrize(
    "args",
    [
        ["diff", TINY, TINY, "--fail-on-growth", "-5"],
        ["leaks", TINY, TINY, TINY, "--fail-on-growth", "-1kB"],
        ["summary", TINY, "--top", "-3"],
        ["top", TINY, "--top", "0"],
        ["record", "1", "--sampling", "--interval", "0"],
        ["diff", TINY, TINY, "--fail-on-growth", "inf"],
    ],
)
def test_invalid_values_are_usage_errors(args):
    result = run_heaptui(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Invalid value" in result.stderr and "Traceback" not in result.stderr


def test_a_truncated_file_says_so_and_offers_salvage(tmp_path):
    cut = tmp_path / "cut.heapsnapshot"
    cut.write_bytes(gzip.open(fixture_path("tiny")).read()[:3_000_000])
    for args in (["summary", str(cut)], ["top", str(cut)], ["diff", TINY, str(cut)]):
        said = one_line(run_heaptui(*args), 1)
        assert said.startswith(f"heaptui: {cut}: truncated: the file ends inside the edges array")
        assert said.endswith("(--salvage loads what is complete)\n")
    salvaged = run_heaptui("summary", str(cut), "--salvage")
    assert salvaged.returncode == 0 and "salvaged a truncated snapshot" in salvaged.stderr


def test_a_native_context_is_spoken_of_by_the_id_given():
    said = one_line(run_heaptui("summary", TINY, "--filter", "native-context=@1"), 1)
    assert said == f"heaptui: {TINY}: no native context @1\n"
    assert "index" not in said


def test_the_same_file_twice_is_warned_about_once(tmp_path):
    diff = run_heaptui("diff", TINY, TINY, "--top", "1")
    assert diff.returncode == 0
    assert diff.stderr == f"heaptui: warning: {TINY} is given 2 times: nothing can differ between them\n"
    link = tmp_path / "same.heapsnapshot.gz"
    link.symlink_to(TINY)
    leaks = run_heaptui("leaks", TINY, TINY, str(link), "--top", "1")
    assert leaks.returncode == 0
    assert leaks.stderr == (
        f"heaptui: warning: {TINY} and {link} are the same file, given 3 times: nothing can differ between them\n"
    )


def test_permission_advice_fits_who_runs_heaptui(monkeypatch):
    from heaptui.capture import proc

    monkeypatch.setattr(proc.os, "geteuid", lambda: 0)
    as_root = str(proc._denied(1, 1000))
    assert "run heaptui as that user or as root" not in as_root and "heaptui runs as root" in as_root
    monkeypatch.setattr(proc.os, "geteuid", lambda: 1000)
    assert str(proc._denied(1, 0)).endswith("(run heaptui as that user or as root)")
