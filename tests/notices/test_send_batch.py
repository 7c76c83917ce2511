"""Sending many notices at once (the periodic jobs): once per key, in a few queries whatever the number."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices.models import EmailStatus, Notice
from notices.services import NOTICE_BATCH, NoticeDraft, notice_send, notice_send_each, notices_send_batch
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def draft(user, key, title="Milestone due", **fields):
    return NoticeDraft(recipient_id=user.pk, key=key, kind="contract-milestone-soon", title=title, **fields)


def _inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith("INSERT") and 'INTO "notices_notice"' in q["sql"])


def test_each_key_becomes_one_notice_and_keys_already_used_are_left_alone(alice, bob):
    notice_send(recipient=alice, key="m:1:alice", kind="contract-milestone-soon", title="sent before")

    sent = notices_send_batch(
        [
            draft(alice, "m:1:alice", title="a second time"),
            draft(bob, "m:1:bob", body="Bring the records.", url="/contracts/mine/1/"),
            draft(bob, "m:1:bob", title="the first draft on a key wins, as notice_send would"),
            draft(alice, "m:2:alice", title="长" * 300),
        ]
    )

    assert sent == 2
    assert Notice.objects.get(dedupe_key="m:1:alice").title == "sent before"
    bobs = Notice.objects.get(dedupe_key="m:1:bob")
    assert (bobs.recipient, bobs.title, bobs.body, bobs.url) == (
        bob,
        "Milestone due",
        "Bring the records.",
        "/contracts/mine/1/",
    )
    assert bobs.email_status == EmailStatus.NOT_NEEDED
    assert len(Notice.objects.get(dedupe_key="m:2:alice").title) == 200
    assert notices_send_batch([draft(bob, "m:1:bob"), draft(alice, "m:2:alice")]) == 0
    assert Notice.objects.count() == 3


def test_a_bad_key_is_a_programming_error_and_nothing_is_sent(alice):
    with pytest.raises(ValueError):
        notices_send_batch([draft(alice, "fine"), draft(alice, "")])
    assert not Notice.objects.exists()


def test_many_notices_cost_one_lookup_and_one_insert_per_batch_and_nothing_the_second_time():
    users = UserFactory.create_batch(3)
    drafts = [draft(users[n % 3], f"many:{n}") for n in range(NOTICE_BATCH * 2 + 1)]

    with CaptureQueriesContext(connection) as first:
        assert notices_send_batch(drafts) == len(drafts)
    with CaptureQueriesContext(connection) as second:
        assert notices_send_batch(drafts) == 0

    assert (len(first), _inserts(first.captured_queries)) == (6, 3)  # 3 lookups, 3 inserts
    assert (len(second), _inserts(second.captured_queries)) == (3, 0)
    assert Notice.objects.count() == len(drafts)


def test_notice_send_each_keys_each_recipients_notice_by_their_id_and_sends_it_once(alice, bob):
    with CaptureQueriesContext(connection) as queries:
        assert (
            notice_send_each([alice, bob, alice], key="vote-open:7", kind="council-vote-open", title="Vote")
            == 2
        )
    assert notice_send_each([alice, bob], key="vote-open:7", kind="council-vote-open", title="Vote") == 0

    assert len(queries) == 2
    assert sorted(Notice.objects.values_list("dedupe_key", flat=True)) == [
        f"vote-open:7:{alice.pk}",
        f"vote-open:7:{bob.pk}",
    ]
