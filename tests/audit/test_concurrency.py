"""Concurrent appends from several connections give one gapless, valid chain.

PostgreSQL serialises them with an advisory lock, SQLite with its IMMEDIATE transactions; the test
runs on whichever database the suite uses (PostgreSQL in CI).
"""

import threading

import pytest
from django.db import connection

from audit.models import Entry
from audit.services import audit_append
from audit.verify import verify_chain


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_give_a_gapless_valid_chain():
    workers, per_worker = 8, 15
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_worker):
                audit_append(kind="vote.tallied", subject=f"councils.Vote:{worker}", payload={"n": n})
        except BaseException as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = workers * per_worker
    assert list(Entry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    result = verify_chain()
    assert result.ok and result.checked == total
