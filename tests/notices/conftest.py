"""Fixtures of the notices tests: two users with email addresses, and a notice maker."""

import itertools

import pytest

from notices.services import notice_send
from tests.factories import UserFactory
from tests.worker import celery_worker, sent_to_broker  # noqa: F401

_serial = itertools.count(1)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@example.org")


@pytest.fixture
def make_notice():
    def make(recipient, *, title=None, kind="test", **fields):
        n = next(_serial)
        notice, _ = notice_send(
            recipient=recipient, key=f"test:{n}", kind=kind, title=title or f"Notice {n}", **fields
        )
        return notice

    return make
