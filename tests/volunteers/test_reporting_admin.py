"""The back office lists reports, pledge texts and signatures, scoped to the user's areas, read-only;
its "accept" action calls the service, which refuses what the user may not accept."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import Report
from volunteers.services import reporting

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_lists_are_scoped_read_only_and_cost_the_same_queries_for_few_or_many(district):
    d = district
    w = volunteer_world(d, members=3)
    text = reporting.pledge_publish(
        actor=d.secretary1, community=d.community1, title="锋领十条", body="一、亮身份"
    )
    reporting.pledge_sign(actor=w.members[0], text=text)
    client = signed_in(d.secretary1)
    for path in ("report", "pledgetext", "pledgesignature"):
        assert client.get(f"/admin/volunteers/{path}/").status_code == 200
    assert client.get(f"/admin/volunteers/pledgetext/{text.pk}/change/").status_code == 200
    assert client.get("/admin/volunteers/report/add/").status_code == 403

    client.get("/admin/volunteers/report/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/volunteers/report/")
    for n in range(10):
        add_member(d, f"more{n}", f"党员{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/volunteers/report/")
    assert len(response.context["cl"].result_list) == Report.objects.filter(community=d.community1).count()
    assert len(many) == len(few)

    other = signed_in(d.secretary3).get("/admin/volunteers/report/")
    assert len(other.context["cl"].result_list) == 0
    assert signed_in(d.member_user).get("/admin/volunteers/report/").status_code in (302, 403)


def test_the_accept_action_calls_the_service_for_each_report(district):
    d = district
    _u1, pending1 = add_member(d, "pending1", "沈国强", accept=False)
    _u2, pending2 = add_member(d, "pending2", "韩志刚", accept=False)
    accepted = volunteer_world(d, members=1).reports[0]

    response = signed_in(d.secretary1).post(
        "/admin/volunteers/report/",
        {"action": "accept", "_selected_action": [pending1.pk, pending2.pk, accepted.pk]},
        follow=True,
    )

    assert response.status_code == 200
    states = dict(Report.objects.filter(pk__in=[pending1.pk, pending2.pk]).values_list("pk", "state"))
    assert states == {pending1.pk: "accepted", pending2.pk: "accepted"}
    text = [str(m) for m in response.context["messages"]]
    assert "2 reports accepted." in text
    assert any("This report has already been accepted." in m for m in text)


def test_another_communitys_secretary_cannot_accept_through_the_admin(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    signed_in(d.secretary3).post(
        "/admin/volunteers/report/", {"action": "accept", "_selected_action": [pending.pk]}, follow=True
    )
    pending.refresh_from_db()
    assert pending.state == "pending"
