"""The app's one way to run background work (heaptui/tui/work.py), on its own and with the engine."""

from __future__ import annotations

import threading

import pytest
from textual.app import App

from conftest import loaded
from heaptui.engine.compare import compare
from heaptui.engine.errors import Cancelled
from heaptui.tui.work import Job, one_line, start, work_of


def test_job_call_hands_the_engine_its_cancelling_progress_callback():
    job: Job[int] = Job("test")
    seen = {}

    def with_progress(x, progress=None):
        seen["progress"] = progress
        return x + 1

    assert job.call(with_progress, 1) == 2 and seen["progress"] == job.progress
    assert job.call(lambda x: x * 2, 3) == 6  # no progress= parameter: none given
    job.progress("phase", 1, 2)
    assert job.last_progress == ("phase", 1, 2)
    job.cancel()
    with pytest.raises(Cancelled):
        job.progress("phase", 2, 2)
    with pytest.raises(Cancelled):
        job.call(with_progress, 1)


def test_a_comparison_superseded_while_it_runs_stops_with_cancelled():
    """compare() takes progress=: once the job is cancelled (superseded), its next report stops the engine."""
    base, snapshot = loaded("leaky-2"), loaded("leaky-3")
    job: Job[object] = Job("comparison")
    reports = []
    report = job.progress

    def cancel_at_first_report(phase, done, total):
        reports.append(phase)
        job.cancel()  # as Work.run does when a newer Comparison starts
        report(phase, done, total)

    job.progress = cancel_at_first_report  # type: ignore[method-assign]
    with pytest.raises(Cancelled):
        job.call(compare, base, snapshot)
    assert len(reports) == 1  # the engine stopped at the first report after the cancel
    assert Job("comparison").call(compare, base, snapshot).totals.new_count > 0  # and the snapshots are intact


def test_start_runs_on_a_named_daemon_thread_and_keeps_the_error():
    names = []
    done = threading.Event()

    def fails(job):
        names.append(threading.current_thread().name)
        raise ValueError("bad\nthings")

    job = start(Job("probe"), fails, then=lambda j: done.set())
    assert done.wait(120), "the job did not end within 120 s"
    assert names == ["heaptui-probe"] and isinstance(job.error, ValueError) and job.finished.is_set()
    assert one_line(job.error) == "bad" and one_line(MemoryError()) == "not enough memory"
    assert one_line(RuntimeError()) == "RuntimeError"


async def test_idle_says_which_work_did_not_finish():
    release = threading.Event()
    app = App()
    async with app.run_test() as pilot:
        work = work_of(app)
        work.run(app.screen, "stuck", lambda job: release.wait(60), lambda _: None, what="Stuck")
        with pytest.raises(TimeoutError, match="stuck"):
            await work.idle(timeout=0.2)
        release.set()
        await work.idle(timeout=120)
        await pilot.pause()
        assert not work.busy
