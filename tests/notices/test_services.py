"""Notices services: each cause becomes one notice, only its recipient marks it read, email goes once."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.db.models import QuerySet

from core.exceptions import NotFound
from core.models import OutboxMessage
from notices import services
from notices.models import EmailStatus, Notice
from notices.selectors import notice_list, unread_count
from notices.services import (
    NoticeEmailFailed,
    notice_email,
    notice_email_retry,
    notice_mark_all_read,
    notice_mark_read,
    notice_send,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "contract:12:sign-reminder:2026-11-23"


def send(recipient, key=KEY, **fields):
    fields.setdefault("kind", "contract-sign")
    fields.setdefault("title", "Contract awaiting your signature")
    return notice_send(recipient=recipient, key=key, **fields)


def test_a_key_becomes_one_notice_however_often_it_is_sent(alice):
    first, created = send(alice, body="Please sign.", url="/contracts/12/")
    again, created_again = send(alice, title="changed on the second call")

    assert created and not created_again
    assert again.pk == first.pk and again.title == "Contract awaiting your signature"
    assert Notice.objects.filter(dedupe_key=KEY).count() == 1
    assert (first.body, first.url, first.read_at) == ("Please sign.", "/contracts/12/", None)


def test_a_notice_found_by_the_insert_race_is_returned_not_duplicated(alice, monkeypatch):
    existing, _ = send(alice)
    # Pretend another worker inserted it after our look and before our insert.
    real_first = QuerySet.first
    calls = {"n": 0}

    def first_misses_once(qs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_first(qs)

    monkeypatch.setattr(QuerySet, "first", first_misses_once)

    notice, created = send(alice)

    assert not created and notice.pk == existing.pk
    assert Notice.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_sending_the_same_key_make_one_notice(alice, sent_to_broker):
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(send(alice, email=True)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert Notice.objects.count() == 1
    assert OutboxMessage.objects.count() == 1  # and one email
    assert len(sent_to_broker) == 1


def test_a_key_must_fit(alice):
    with pytest.raises(ValueError):
        send(alice, key="")
    with pytest.raises(ValueError):
        send(alice, key="x" * 201)


def test_a_long_title_is_shortened_not_refused(alice):
    notice, _ = send(alice, title="长" * 300)
    assert len(notice.title) == 200 and notice.title.startswith("长" * 190)


def test_email_is_enqueued_with_the_notice_in_its_transaction(alice):
    notice, _ = send(alice, email=True)

    assert notice.email_status == EmailStatus.PENDING
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args) == ("notices.email_notice", [notice.pk])


def test_no_email_without_an_address_or_when_not_asked(alice):
    nobody = UserFactory(email="")
    without_address, _ = send(nobody, key="a", email=True)
    not_asked, _ = send(alice, key="b")

    assert without_address.email_status == EmailStatus.NOT_NEEDED
    assert not_asked.email_status == EmailStatus.NOT_NEEDED
    assert not OutboxMessage.objects.exists()


def test_the_email_task_sends_once_however_often_it_runs(alice):
    notice, _ = send(alice, body="Please sign by Friday.", url="/contracts/12/", email=True)

    assert notice_email(notice_id=notice.pk) == "sent"
    assert notice_email(notice_id=notice.pk) == "already-sent"

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.org"]
    assert email.subject == "Contract awaiting your signature"
    assert "Please sign by Friday." in email.body and "/contracts/12/" in email.body
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT and notice.emailed_at is not None


def test_the_email_task_for_a_notice_without_email_or_gone_sends_nothing(alice):
    notice, _ = send(alice)

    assert notice_email(notice_id=notice.pk) == "not-needed"
    assert notice_email(notice_id=notice.pk + 1000) == "missing"
    assert mail.outbox == []


def test_a_failed_email_is_recorded_raised_for_retry_and_sent_by_the_retry(alice, monkeypatch):
    notice, _ = send(alice, email=True)

    def refuse(**kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "send_mail", refuse)
    with pytest.raises(NoticeEmailFailed):
        notice_email(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.FAILED
    assert "mail server down" in notice.email_error

    monkeypatch.undo()
    assert notice_email(notice_id=notice.pk) == "sent"
    assert len(mail.outbox) == 1


def test_an_administrator_can_queue_failed_emails_again(alice):
    failed, _ = send(alice, key="failed", email=True)
    sent, _ = send(alice, key="sent", email=True)
    Notice.objects.filter(pk=failed.pk).update(email_status=EmailStatus.FAILED)
    Notice.objects.filter(pk=sent.pk).update(email_status=EmailStatus.SENT)
    OutboxMessage.objects.all().delete()

    assert notice_email_retry(actor=None, notices=Notice.objects.all()) == 1

    failed.refresh_from_db()
    assert failed.email_status == EmailStatus.PENDING
    assert list(OutboxMessage.objects.values_list("args", flat=True)) == [[failed.pk]]


def test_the_email_of_an_inactive_user_is_not_sent(alice):
    notice, _ = send(alice, email=True)
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert notice_email(notice_id=notice.pk) == "no-address"
    assert mail.outbox == []


# --- reading ----------------------------------------------------------------------------------


def test_the_recipient_marks_a_notice_read_once(alice, make_notice):
    notice = make_notice(alice)

    notice_mark_read(actor=alice, notice=notice)
    first_read = notice.read_at
    notice_mark_read(actor=alice, notice=Notice.objects.get(pk=notice.pk))

    assert first_read is not None
    assert Notice.objects.get(pk=notice.pk).read_at == first_read


def test_nobody_else_may_mark_a_notice_read(alice, bob, make_notice):
    notice = make_notice(alice)
    admin = UserFactory(is_superuser=True, is_staff=True)

    for actor in (bob, admin, None):
        with pytest.raises(NotFound):
            notice_mark_read(actor=actor, notice=notice)
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_mark_all_read_touches_only_the_actors_unread_notices(alice, bob, make_notice):
    make_notice(alice)
    make_notice(alice)
    already = make_notice(alice)
    notice_mark_read(actor=alice, notice=already)
    bobs = make_notice(bob)

    assert notice_mark_all_read(actor=alice) == 2
    assert unread_count(user=alice) == 0
    assert Notice.objects.get(pk=already.pk).read_at == already.read_at
    assert Notice.objects.get(pk=bobs.pk).read_at is None


def test_unread_count_is_one_query(alice, make_notice, django_assert_num_queries):
    for _ in range(3):
        make_notice(alice)

    with django_assert_num_queries(1):
        assert unread_count(user=alice) == 3


def test_the_inbox_shows_unread_first_then_newest(alice, make_notice):
    old_unread = make_notice(alice, title="old unread")
    read = make_notice(alice, title="read")
    new_unread = make_notice(alice, title="new unread")
    notice_mark_read(actor=alice, notice=read)

    assert [n.title for n in notice_list(user=alice)] == ["new unread", "old unread", "read"]
    assert [n.pk for n in notice_list(user=alice, read=True)] == [read.pk]
    assert {n.pk for n in notice_list(user=alice, read=False)} == {old_unread.pk, new_unread.pk}


def test_an_inbox_is_personal_even_for_a_superuser(alice, make_notice):
    make_notice(alice)
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert not notice_list(user=admin).exists()
    assert Notice.objects.visible_to(admin).count() == 1  # the admin still sees it in the back office
    assert Notice.objects.visible_to(alice).count() == 1
