"""Celery queues by kind of job: every task lands in a queue that the workers really read.

The queues and routes are in config/settings.py (CELERY_TASK_QUEUES, CELERY_TASK_ROUTES); the
workers that read them are the demo's (`manage.py rundemo`), the test suite's (tests/worker.py) and
docker-compose.yml's `worker` and `worker-notices`. A task routed to a queue none of them reads
would wait there for ever, so each is checked against each.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from config.celery import all_queues, app
from core.management.commands.rundemo import demo_commands
from core.outbox import enqueue, relay_messages
from tests.worker import CeleryProcess, private_filesystem_broker

ROOT = Path(__file__).resolve().parents[2]
DECLARED = {queue.name for queue in settings.CELERY_TASK_QUEUES}


def registered_tasks() -> list[str]:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    return sorted(app.tasks)


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def queues_read(arguments: list[str]) -> set[str]:
    """The queues a `celery worker` command line reads: its -Q/--queues, or every declared queue."""
    for index, argument in enumerate(arguments):
        if argument in ("-Q", "--queues"):
            return set(arguments[index + 1].split(","))
        if argument.startswith("--queues="):
            return set(argument.removeprefix("--queues=").split(","))
    return set(DECLARED)


def compose_workers() -> dict[str, set[str]]:
    """Each docker-compose.yml service that runs a Celery worker, with the queues it reads."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: queues_read(service["command"])
        for name, service in services.items()
        if service.get("command", [])[:1] == ["celery"] and "worker" in service["command"]
    }


def test_the_project_tasks_are_routed_by_kind():
    expected = {
        "notices.email_notice": "notices",
        "notices.send_due_reminders": "notices",
        "points.award_for_event": "ledger",
        "contracts.daily": "periodic",
        "councils.periodic": "periodic",
        "volunteers.periodic": "periodic",
        "points.verify_ledger_nightly": "periodic",
        "points.fold_flows": "periodic",
        # The outbox relay, on-demand ledger exports and anything new without a route: the default queue.
        "core.relay_outbox": settings.CELERY_TASK_DEFAULT_QUEUE,
        "dashboards.build_ledger": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    assert {name: queue_of(name) for name in expected} == expected
    assert set(expected) <= set(registered_tasks())


def test_every_queue_is_declared_with_a_routing_key_of_its_own():
    # A queue bound with the default routing key would receive a copy of every default-queue message.
    keys = {queue.name: queue.routing_key for queue in settings.CELERY_TASK_QUEUES}
    assert keys == {name: name for name in keys}
    assert settings.CELERY_TASK_DEFAULT_QUEUE in keys
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= set(keys)
    assert set(all_queues().split(",")) == set(keys)


@pytest.mark.parametrize(
    "reader",
    ["the demo's worker", "the test suite's worker", "docker-compose's workers"],
)
def test_every_registered_task_lands_in_a_queue_that_is_read(reader, tmp_path):
    if reader == "the demo's worker":
        read = queues_read(demo_commands("127.0.0.1:8000")["worker"])
    elif reader == "the test suite's worker":
        read = queues_read(CeleryProcess(tmp_path).worker_arguments())
    else:
        workers = compose_workers()
        assert {"worker", "worker-notices"} <= set(workers)
        assert workers["worker-notices"] == {"notices"}, "e-mail has workers of its own"
        read = set().union(*workers.values())

    unread = {name: queue_of(name) for name in registered_tasks() if queue_of(name) not in read}
    assert not unread, f"{reader} never reads the queues of {unread}"


@pytest.mark.django_db
def test_every_beat_schedule_runs_a_registered_task_in_a_queue_that_is_read():
    tasks = set(registered_tasks())
    read = queues_read(demo_commands("127.0.0.1:8000")["worker"]) & set().union(*compose_workers().values())
    schedules = list(PeriodicTask.objects.values_list("name", "task", "queue"))
    assert schedules, "the apps' migrations put their jobs on beat's schedule"
    for name, task, queue in schedules:
        assert task in tasks, f"beat's {name!r} runs {task!r}, which no app registers"
        assert (queue or queue_of(task)) in read, f"beat's {name!r} goes to a queue nobody reads"


@pytest.mark.django_db
def test_the_relay_hands_each_task_to_the_queue_of_its_kind(tmp_path):
    # The real broker: Redis from REDIS_URL, or a private filesystem broker for this test.
    with private_filesystem_broker(tmp_path):
        messages = {
            "notices": enqueue("notices.send_due_reminders"),
            "ledger": enqueue("points.award_for_event", "meeting_attended", 0, 0, "test:routing"),
            "periodic": enqueue("councils.periodic"),
            "celery": enqueue("core.relay_outbox"),
        }
        assert relay_messages() == 4

        with app.connection_for_read() as conn:
            for queue, message in messages.items():
                assert take(conn, queue, message.celery_task_id), f"{message.task_name} is not in {queue!r}"


def take(conn, queue: str, task_id: str, timeout: float = 10) -> bool:
    """Take the message of `task_id` from `queue` (others found on the way are taken too)."""
    simple = conn.SimpleQueue(queue, no_ack=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = simple.get(timeout=1)
            except simple.Empty:
                continue
            if message.headers.get("id") == task_id:
                return True
        return False
    finally:
        simple.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_compose_workers_between_them_do_every_kind_of_job(tmp_path_factory):
    services = compose_workers()
    jobs = {
        "celery": ("core.relay_outbox",),
        "notices": ("notices.send_due_reminders",),
        "ledger": ("points.award_for_event", "meeting_attended", 0, 0, "test:compose"),
        "periodic": ("councils.periodic",),
    }
    assert set(jobs) == DECLARED
    workdir = tmp_path_factory.mktemp("celery")
    with private_filesystem_broker(workdir) as extra_env:
        workers = {
            name: CeleryProcess(workdir, queues=",".join(sorted(read))) for name, read in services.items()
        }

        def runs_of(task_id: str) -> dict[str, list[str]]:
            return {name: w.task_outcomes(task_id) for name, w in workers.items() if w.task_outcomes(task_id)}

        try:
            for worker in workers.values():
                worker.start(extra_env)
            # Committed at once (no atomic block here), so each is relayed to its queue straight away.
            messages = {queue: enqueue(*job) for queue, job in jobs.items()}
            for queue, message in messages.items():
                task_id = message.celery_task_id
                runs = workers["worker"].wait_for(
                    lambda task_id=task_id: runs_of(task_id), 60, f"{message.task_name} to run"
                )
                assert list(runs.values()) == [["succeeded"]], f"{message.task_name} ran: {runs}"
                assert queue in services[next(iter(runs))]
        finally:
            for worker in workers.values():
                worker.stop()
