"""Periodic jobs keyed by (job, period): a second beat, a duplicate message or a re-run never repeats a period."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection

from core.jobs import period_key, run_once_per_period
from core.models import JobRun


class Work:
    def __init__(self, *, delay: float = 0, fail: bool = False):
        self.calls = 0
        self.delay = delay
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the work failed")
        return {"done": True}


@pytest.mark.django_db
def test_a_period_runs_once_for_two_calls():
    work = Work()

    first = run_once_per_period("test.job", "2026-11-23T10:00", work)
    second = run_once_per_period("test.job", "2026-11-23T10:00", work)

    assert work.calls == 1
    assert first is not None and first.result == {"done": True} and first.finished_at
    assert second is None
    assert JobRun.objects.filter(job="test.job").count() == 1


@pytest.mark.django_db
def test_another_period_or_another_job_runs_again():
    work = Work()

    run_once_per_period("test.job", "2026-11-23T10:00", work)
    run_once_per_period("test.job", "2026-11-23T10:01", work)
    run_once_per_period("test.other", "2026-11-23T10:00", work)

    assert work.calls == 3


@pytest.mark.django_db
def test_failing_work_releases_the_key_so_a_retry_does_the_period():
    with pytest.raises(RuntimeError):
        run_once_per_period("test.job", "2026-11-23", Work(fail=True))
    assert not JobRun.objects.exists()

    retry = Work()
    assert run_once_per_period("test.job", "2026-11-23", retry) is not None
    assert retry.calls == 1


@pytest.mark.django_db
def test_inside_an_outer_transaction_a_skip_leaves_the_transaction_usable():
    from django.db import transaction

    with transaction.atomic():
        run_once_per_period("test.job", "p", Work())
        assert run_once_per_period("test.job", "p", Work()) is None
        assert JobRun.objects.count() == 1  # still usable after the unique violation


@pytest.mark.django_db(transaction=True)
def test_two_threads_at_once_do_the_period_once(require_postgres):
    work = Work(delay=0.5)
    barrier = threading.Barrier(2)
    runs = []

    def beat():
        try:
            barrier.wait()
            runs.append(run_once_per_period("test.job", "2026-11-23T10:00", work))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert work.calls == 1
    assert sorted(run is None for run in runs) == [False, True]
    assert JobRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_when_the_first_thread_fails_the_second_does_the_period(require_postgres):
    failing, succeeding = Work(delay=0.5, fail=True), Work()
    started = threading.Event()
    outcome = {}

    def first():
        try:
            started.set()
            run_once_per_period("test.job", "p", failing)
        except RuntimeError:
            outcome["first"] = "failed"
        finally:
            connection.close()

    def second():
        try:
            started.wait()
            time.sleep(0.1)  # inserts while the first holds the key, so it waits on the unique index
            outcome["second"] = run_once_per_period("test.job", "p", succeeding)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcome["first"] == "failed"
    assert outcome["second"] is not None and succeeding.calls == 1
    assert JobRun.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("minute", "2026-11-23T01:30"),
        ("hour", "2026-11-23T01"),
        ("day", "2026-11-23"),
        ("month", "2026-11"),
        ("year", "2026"),
    ],
)
def test_periods_are_counted_in_shanghai_time(kind, expected):
    # 17:30 UTC on the 22nd is 01:30 on the 23rd in Asia/Shanghai.
    assert period_key(kind, datetime(2026, 11, 22, 17, 30, 45, tzinfo=UTC)) == expected
