"""A real Celery worker (and optionally beat) in a subprocess, on the test database and broker.

Register the fixtures in the test folder's conftest.py (importing them into the test module itself
makes ruff see the fixture argument as a redefinition):

    from tests.worker import celery_worker  # noqa: F401

then, in a test module:

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        message = enqueue("notices.email_notice", notice.pk)   # committed: relayed at once
        celery_worker.wait_for_tasks([message.celery_task_id])

Tests need `transaction=True`: the worker is another process and sees only committed rows. The
worker gets DATABASE_URL pointing at this run's test database (on PostgreSQL `test_<name>`, on
SQLite the var/test.sqlite3 file) and the same broker: Redis from REDIS_URL, or the filesystem
broker in a private folder (so a `make demo` worker in the same tree never takes a test's
messages, nor the test worker the demo's). Emails go to the console backend, i.e. into the
worker's log, which `CeleryProcess.log()` returns.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

READY_TIMEOUT = 60
STOP_TIMEOUT = 20


def database_url() -> str:
    """DATABASE_URL for the database this test run uses (the test database, once it exists)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if not db["ENGINE"].startswith("django.db.backends.postgresql"):
        raise NotImplementedError(f"no worker database URL for {db['ENGINE']}")
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"


@contextlib.contextmanager
def private_filesystem_broker(folder: Path) -> Iterator[dict[str, str]]:
    """Point this process's Celery app at a private filesystem broker; yields the worker's env.

    The worker's settings put the broker under VAR_DIR/broker, so VAR_DIR=folder makes both meet.
    Nothing to do with Redis: the test run has its own REDIS_URL.
    """
    if settings.REDIS_URL:
        yield {}
        return
    from config.celery import app

    broker = folder / "broker"
    for sub in ("queue", "processed", "control"):
        (broker / sub).mkdir(parents=True, exist_ok=True)
    saved = app.conf.broker_transport_options
    app.conf.broker_transport_options = {
        **saved,
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
    }
    try:
        yield {"VAR_DIR": str(folder)}
    finally:
        app.conf.broker_transport_options = saved


@pytest.fixture
def sent_to_broker(monkeypatch) -> list[str]:
    """Record what the relay hands to the broker instead of publishing it (the connection stays real).

    Returns the sent task ids in order: a row sent twice would appear twice.
    """
    from core import outbox

    sent: list[str] = []
    monkeypatch.setattr(outbox, "_send", lambda message, conn: sent.append(message.celery_task_id))
    return sent


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def broker_unreachable() -> Iterator[None]:
    """Make this process's broker unreachable (a closed port), as in an outage; restored after.

    Only the relay in this process sees the outage; a running worker keeps its own connection.
    """
    from config.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_BROKER
    try:
        yield
    finally:
        app.conf.broker_url = saved


class CeleryProcess:
    """`celery -A config worker` (optionally with `beat`) started and stopped around a test."""

    def __init__(self, workdir: Path, *, beat: bool = False, concurrency: int = 2, queues: str = ""):
        self.workdir = workdir
        self.beat = beat
        self.concurrency = concurrency
        self.queues = queues  # comma-separated for -Q; empty: every queue
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = workdir / f"{self.name}.log"
        self.beat_log_path = workdir / f"{self.name}-beat.log"
        self._procs: list[subprocess.Popen] = []
        self._logs: list = []
        self._env: dict[str, str] = {}

    # --- running ------------------------------------------------------------------------------

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": "consolemail://",
            "PYTHONUNBUFFERED": "1",
            # No idle connection survives a task: the test database is flushed and dropped under it.
            "CONN_MAX_AGE": "0",
            **extra,
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        return env

    def _spawn(self, args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
        log = open(log_path, "wb")  # closed in stop(), once the process has exited
        self._logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so that a last-resort kill also reaches the pool's children.
            start_new_session=True,
        )
        self._procs.append(proc)
        return proc

    def worker_arguments(self) -> list[str]:
        """`celery -A config` arguments of the worker: by default every queue, as the demo's worker reads."""
        from config.celery import all_queues

        return [
            "worker",
            "--loglevel=INFO",
            "-P",
            "prefork",
            "-c",
            str(self.concurrency),
            "-Q",
            self.queues or all_queues(),
            "-n",
            f"{self.name}@%h",
            # Alone and quick to start: no syncing with other workers that may share the broker.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]

    def start(self, extra_env: dict[str, str] | None = None) -> CeleryProcess:
        self._env = self.environment(extra_env or {})
        worker = self._spawn(self.worker_arguments(), self._env, self.log_path)
        self.wait_for(lambda: " ready." in self.log(), READY_TIMEOUT, "the worker to be ready", proc=worker)
        if self.beat:
            self.start_beat()
        return self

    def start_beat(self) -> CeleryProcess:
        """Start beat on the test database's schedules; call it once the schedules are as wanted."""
        beat = self._spawn(
            [
                "beat",
                "--loglevel=INFO",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval",
                "1",
            ],
            self._env,
            self.beat_log_path,
        )
        self.beat = True
        self.wait_for(lambda: "beat: Starting" in self.beat_log(), READY_TIMEOUT, "beat to start", proc=beat)
        return self

    def stop(self) -> None:
        # Beat first, then the worker; each gets a warm shutdown, then a kill of its whole group.
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=STOP_TIMEOUT)
        self._procs.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    # --- observing ----------------------------------------------------------------------------

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def beat_log(self) -> str:
        return self.beat_log_path.read_text(errors="replace") if self.beat_log_path.exists() else ""

    def wait_for(
        self,
        condition: Callable[[], object],
        timeout: float,
        what: str,
        *,
        proc: subprocess.Popen | None = None,
        interval: float = 0.2,
    ):
        """Poll until `condition()` is truthy; fail with the worker's log if it never is."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if proc is not None and proc.poll() is not None:
                pytest.fail(f"celery exited ({proc.returncode}) while waiting for {what}:\n{self._tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what}:\n{self._tail()}")
            time.sleep(interval)

    def task_outcomes(self, task_id: str) -> list[str]:
        """What the worker logged for each run of `task_id`: 'succeeded', 'raised', 'retry', ..."""
        pattern = re.compile(rf"\[{re.escape(task_id)}\] (succeeded|raised|retry|failed|ignored|rejected)")
        return pattern.findall(self.log())

    def wait_for_tasks(self, task_ids: Iterable[str], timeout: float = 60) -> None:
        """Wait until each task id has finished at least once (successfully or not)."""
        pending = set(task_ids)

        def all_done():
            pending.difference_update(
                {
                    task_id
                    for task_id in pending
                    if {"succeeded", "raised", "failed"} & set(self.task_outcomes(task_id))
                }
            )
            return not pending

        self.wait_for(all_done, timeout, f"tasks {sorted(pending)}")

    def _tail(self, lines: int = 80) -> str:
        text = self.log()
        if self.beat:
            text += "\n--- beat ---\n" + self.beat_log()
        return "\n".join(text.splitlines()[-lines:])


def _run(tmp_path_factory, *, beat: bool) -> Iterator[CeleryProcess]:
    workdir = tmp_path_factory.mktemp("celery")
    process = CeleryProcess(workdir, beat=beat)
    with private_filesystem_broker(workdir) as extra_env:
        try:
            yield process.start(extra_env)
        finally:
            process.stop()


@pytest.fixture
def celery_worker(django_db_setup, tmp_path_factory) -> Iterator[CeleryProcess]:
    """A worker for the duration of one test; the test needs django_db(transaction=True)."""
    yield from _run(tmp_path_factory, beat=False)


@pytest.fixture
def celery_worker_and_beat(django_db_setup, tmp_path_factory) -> Iterator[CeleryProcess]:
    """A worker plus beat on the test database's django-celery-beat schedules."""
    yield from _run(tmp_path_factory, beat=True)
