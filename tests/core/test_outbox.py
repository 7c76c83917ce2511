"""The outbox: nothing runs for a rolled-back transaction, nothing committed is lost, nothing is sent twice."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from core import outbox
from core.models import OutboxMessage
from core.outbox import enqueue, relay_messages
from core.tasks import relay_outbox_task
from tests.worker import broker_unreachable

# Committed transactions: on_commit hooks fire as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def test_enqueue_in_a_rolled_back_transaction_creates_and_sends_nothing(sent_to_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("notices.email_notice", 1)
        raise RuntimeError("the caller's change failed")

    assert OutboxMessage.objects.count() == 0
    assert relay_messages() == 0
    assert sent_to_broker == []


def test_enqueue_in_a_rolled_back_savepoint_sends_nothing_of_it(sent_to_broker):
    with transaction.atomic():
        kept = enqueue("notices.email_notice", 1)
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("notices.email_notice", 2)
            raise RuntimeError

    assert list(OutboxMessage.objects.values_list("args", flat=True)) == [[1]]
    assert sent_to_broker == [kept.celery_task_id]


def test_enqueue_is_relayed_only_after_commit(sent_to_broker):
    with transaction.atomic():
        message = enqueue("notices.email_notice", 7, queue="celery")
        assert sent_to_broker == []

    assert sent_to_broker == [message.celery_task_id]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert (message.args, message.kwargs, message.queue) == ([7], {}, "celery")


def test_broker_down_keeps_the_row_with_its_error_and_a_later_relay_sends_it(sent_to_broker):
    with broker_unreachable():
        message = enqueue("notices.email_notice", 3)

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error  # e.g. "OperationalError: Error 111 connecting to 127.0.0.1:1"
    assert sent_to_broker == []

    # The broker is back: the periodic relay sends it.
    assert relay_outbox_task() == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert sent_to_broker == [message.celery_task_id]


def test_a_broker_failure_in_the_middle_keeps_the_rest_for_later(monkeypatch):
    sent = []
    calls = {"n": 0}

    def flaky_send(message, conn):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("broker went away")
        sent.append(message.celery_task_id)

    monkeypatch.setattr(outbox, "_send", flaky_send)
    with broker_unreachable():
        messages = [enqueue("notices.email_notice", n) for n in range(3)]

    assert relay_messages() == 1
    first, second, third = (OutboxMessage.objects.get(pk=m.pk) for m in messages)
    assert first.sent_at and not second.sent_at and not third.sent_at
    assert "broker went away" in second.last_error

    assert relay_messages() == 2
    assert relay_messages() == 0
    assert sent == [m.celery_task_id for m in messages]


def test_relay_never_sends_a_row_twice(sent_to_broker):
    with transaction.atomic():
        messages = [enqueue("notices.email_notice", n) for n in range(5)]

    assert relay_messages() == 0
    assert relay_messages(ids=[messages[0].pk]) == 0
    assert relay_outbox_task() == 0
    assert sorted(sent_to_broker) == sorted(m.celery_task_id for m in messages)
    assert len(sent_to_broker) == 5


def test_relay_task_drains_a_backlog_in_batches(sent_to_broker, monkeypatch):
    from core import tasks

    monkeypatch.setattr(tasks, "RELAY_BATCH", 3)
    with broker_unreachable(), transaction.atomic():
        for n in range(8):
            enqueue("notices.email_notice", n)

    assert relay_outbox_task() == 8
    assert len(sent_to_broker) == 8
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_two_relays_at_once_send_each_row_once(require_postgres, sent_to_broker):
    with broker_unreachable(), transaction.atomic():
        for n in range(40):
            enqueue("notices.email_notice", n)
    barrier = threading.Barrier(2)
    results = []

    def relay():
        try:
            barrier.wait()
            results.append(relay_messages(limit=40))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 40
    assert len(sent_to_broker) == len(set(sent_to_broker)) == 40


def test_one_transaction_relays_all_its_messages_over_one_connection(sent_to_broker, monkeypatch):
    connects = []
    real_connect = outbox._connect
    monkeypatch.setattr(outbox, "_connect", lambda: connects.append(1) or real_connect())

    with transaction.atomic():
        first = enqueue("notices.email_notice", 1)
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("notices.email_notice", 2)
            raise RuntimeError
        last = enqueue("notices.email_notice", 3)

    assert sent_to_broker == [first.celery_task_id, last.celery_task_id]
    assert len(connects) == 1


def test_during_an_outage_a_transaction_costs_one_attempt_not_one_per_message():
    with broker_unreachable(), transaction.atomic():
        for n in range(5):
            enqueue("notices.email_notice", n)

    attempts = list(OutboxMessage.objects.order_by("id").values_list("attempts", flat=True))
    assert attempts == [1, 0, 0, 0, 0]
    assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()
