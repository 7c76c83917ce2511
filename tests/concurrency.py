"""Running a piece of work in many threads at once, each with its own database connection, for the
concurrency tests on PostgreSQL (k slots → exactly k successes)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from core.exceptions import ApplicationError


def run_together(workers: int, work: Callable[[int], object]) -> tuple[list, list[BaseException]]:
    """Run work(0..workers-1) in threads released at once; returns (results, unexpected errors).

    An ApplicationError is a result (a refusal); anything else — a deadlock, a unique violation
    that escaped — is an error.
    """
    start = threading.Barrier(workers)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            start.wait()
            try:
                outcome = work(n)
            except ApplicationError as refusal:
                outcome = refusal
            with lock:
                results.append(outcome)
        except BaseException as exc:  # reported by the test; a thread's exception would otherwise vanish
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results, errors
