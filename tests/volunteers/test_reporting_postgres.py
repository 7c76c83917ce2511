"""On PostgreSQL, with real threads each on its own connection: simultaneous reports by one member make
one active report, simultaneous accepts one acceptance (and one payment), simultaneous signatures one
signature with one public-record entry, simultaneous publications consecutive versions."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import Entry
from core.exceptions import Conflict, InvalidTransition
from core.models import OutboxMessage
from tests.concurrency import run_together
from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import PledgeSignature, PledgeText, Report
from volunteers.services import reporting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def test_ten_simultaneous_reports_by_one_member_make_one(district):
    d = district
    results, errors = run_together(
        10, lambda n: reporting.report_submit(actor=d.member_user, skills=f"电工{n}")
    )
    assert errors == []
    assert sum(isinstance(r, Report) for r in results) == 1
    assert sum(isinstance(r, Conflict) and r.code == "already_reported" for r in results) == 9
    assert Report.objects.filter(member=d.member).count() == 1
    assert connection.vendor == "postgresql"


def test_ten_simultaneous_accepts_accept_once_and_pay_once(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    results, errors = run_together(
        10, lambda n: reporting.report_accept(actor=d.secretary1, report=pending, grid=d.grid1)
    )
    assert errors == []
    assert sum(isinstance(r, Report) for r in results) == 1
    assert sum(isinstance(r, InvalidTransition) for r in results) == 9
    assert OutboxMessage.objects.filter(task_name="points.award_for_event").count() == 1


def test_ten_simultaneous_signatures_record_one(district):
    d = district
    volunteer_world(d, members=1)
    text = reporting.pledge_publish(
        actor=d.secretary1, community=d.community1, title="锋领十条", body="一、亮身份"
    )
    entries = Entry.objects.count()
    results, errors = run_together(10, lambda n: reporting.pledge_sign(actor=d.member_user, text=text))
    assert errors == []
    assert sum(isinstance(r, PledgeSignature) for r in results) == 1
    assert sum(isinstance(r, Conflict) and r.code == "already_signed" for r in results) == 9
    assert PledgeSignature.objects.count() == 1
    assert Entry.objects.count() == entries + 1


def test_simultaneous_publications_make_consecutive_versions(district):
    d = district
    results, errors = run_together(
        5,
        lambda n: reporting.pledge_publish(
            actor=d.secretary1, community=d.community1, title="锋领十条", body=f"版本{n}"
        ),
    )
    assert errors == []
    published = [r for r in results if isinstance(r, PledgeText)]
    assert all(isinstance(r, PledgeText | Conflict) for r in results)
    versions = sorted(PledgeText.objects.values_list("version", flat=True))
    assert versions == list(range(1, len(published) + 1)) and len(published) >= 1
