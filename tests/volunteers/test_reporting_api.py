"""The API of reports and pledges: member-reports/ (report, accept, decline, place, leave, move, skills),
pledge-texts/ (publish, sign), pledge-signatures/; JSON errors that change nothing; lists whose query
count does not grow; the OpenAPI document still builds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from audit.models import Entry
from community import services as community_services
from community.models import AreaKind
from tests.api.helpers import assert_error, ids
from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import PledgeSignature, PledgeText, Report
from volunteers.services import reporting

pytestmark = pytest.mark.django_db

TITLE = "2026年“锋领十条”党员承诺"
BODY = "一、亮身份，做群众身边的明白人。\n二、守规矩，做遵纪守法的带头人。"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def state_of(report) -> tuple:
    report.refresh_from_db()
    return report.state, report.grid_id, report.note, report.skills


# --- Member reports -------------------------------------------------------------------------------


def test_a_member_reports_and_the_secretary_accepts_through_the_api(district):
    d = district
    created = api(d.member_user).post(
        "/api/v1/member-reports/", {"skills": "电工", "service_fields": ["repair"]}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["community"], body["skills"]) == ("pending", d.community1.pk, "电工")
    assert body["phone"] == "13900001111"  # their own number, in full

    accepted = api(d.secretary1).post(
        f"/api/v1/member-reports/{body['id']}/accept/", {"grid": d.grid1.pk}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["state"], accepted.json()["grid_name"]) == ("accepted", "越都一网格")
    assert_error(
        api(d.secretary1).post(f"/api/v1/member-reports/{body['id']}/accept/", {}, format="json"),
        409,
        "report_accepted",
    )


def test_reporting_twice_or_elsewhere_is_409_and_a_non_member_403(district):
    d = district
    api(d.member_user).post("/api/v1/member-reports/", {"skills": "电工"}, format="json")
    assert_error(
        api(d.member_user).post("/api/v1/member-reports/", {}, format="json"), 409, "already_reported"
    )
    elsewhere = assert_error(
        api(d.member_user).post("/api/v1/member-reports/", {"community": d.community3.pk}, format="json"),
        409,
        "reported_elsewhere",
    )
    assert "Move instead" in elsewhere["detail"]
    assert_error(api(d.resident_user).post("/api/v1/member-reports/", {}, format="json"), 403, "not_a_member")
    assert_error(
        api(d.member_user).post("/api/v1/member-reports/", {"service_fields": ["flying"]}, format="json"), 400
    )
    assert Report.objects.count() == 1 and Report.objects.get().skills == "电工"


def test_steps_refused_by_the_api_change_nothing(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    url = f"/api/v1/member-reports/{pending.pk}"
    before = state_of(pending)
    other_grid = community_services.area_create(
        actor=None, name="治平一网格", kind=AreaKind.GRID, parent=d.community2
    )

    assert_error(api(d.street_admin).post(f"{url}/accept/", {"grid": other_grid.pk}, format="json"), 400)
    # The secretary does not see another community's grid: the id reads as one that does not exist.
    assert_error(api(d.secretary1).post(f"{url}/accept/", {"grid": other_grid.pk}, format="json"), 400)
    assert_error(api(d.secretary3).post(f"{url}/accept/", {"grid": d.grid1.pk}, format="json"), 404)
    assert_error(api(_user).post(f"{url}/accept/", {}, format="json"), 403, "not_community_staff")
    assert_error(
        api(d.secretary1).post(f"{url}/decline/", {"reason": ""}, format="json"), 400, "reason_required"
    )
    assert_error(api(d.secretary1).post(f"{url}/decline/", {}, format="json"), 400, "reason_required")
    assert_error(api(d.secretary1).post(f"{url}/place/", {"grid": d.grid1.pk}, format="json"), 409)
    assert_error(api(d.resident_user).post(f"{url}/leave/"), 404)
    assert state_of(pending) == before

    declined = api(d.secretary1).post(f"{url}/decline/", {"reason": "请向现居住地社区报到"}, format="json")
    assert declined.status_code == 200 and declined.json()["note"] == "请向现居住地社区报到"


def test_place_leave_move_and_skills_through_the_api(district):
    d = district
    w = volunteer_world(d, members=1)
    grid2 = community_services.area_create(
        actor=None, name="越都二网格", kind=AreaKind.GRID, parent=d.community1
    )
    url = f"/api/v1/member-reports/{w.reports[0].pk}"

    placed = api(w.social_worker).post(f"{url}/place/", {"grid": grid2.pk}, format="json")
    assert placed.status_code == 200 and placed.json()["grid"] == grid2.pk
    patched = api(d.member_user).patch(
        url + "/", {"skills": "电工, 驾驶", "service_fields": ["rescue"]}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["service_fields"] == ["rescue"]
    assert_error(
        api(w.social_worker).patch(url + "/", {"skills": "改"}, format="json"), 403, "not_own_report"
    )

    moved = api(d.member_user).post(
        "/api/v1/member-reports/move/", {"community": d.community3.pk}, format="json"
    )
    assert moved.status_code == 201 and moved.json()["skills"] == "电工, 驾驶"
    assert state_of(w.reports[0])[0] == "left"
    left = api(d.member_user).post(f"/api/v1/member-reports/{moved.json()['id']}/leave/")
    assert left.status_code == 200 and left.json()["state"] == "left"


def test_the_list_is_own_or_the_staffs_filtered_and_phones_masked_for_administrators(district):
    d = district
    w = volunteer_world(d, members=3)
    reporting.report_update(
        actor=w.members[1], report=w.reports[1], skills="法律咨询", service_fields=["legal"]
    )

    assert ids(api(d.member_user).get("/api/v1/member-reports/")) == {w.reports[0].pk}
    staff = api(d.secretary1).get("/api/v1/member-reports/", {"state": "accepted"})
    assert ids(staff) == {r.pk for r in w.reports}
    assert ids(api(d.secretary1).get("/api/v1/member-reports/", {"skill": "法律"})) == {w.reports[1].pk}
    assert ids(api(d.secretary1).get("/api/v1/member-reports/", {"skill": "repair"})) == {w.reports[0].pk}
    assert (
        ids(api(d.secretary1).get("/api/v1/member-reports/", {"grid": d.grid1.pk, "state": "left"})) == set()
    )
    assert ids(api(d.secretary3).get("/api/v1/member-reports/")) == set()
    phones = {row["id"]: row["phone"] for row in staff.json()["results"]}
    assert phones[w.reports[1].pk] == "13800000000"
    masked = api(d.street_admin).get("/api/v1/member-reports/", {"state": "accepted"}).json()["results"]
    assert {row["phone"] for row in masked} >= {"138****0000"}
    assert all("****" in row["phone"] for row in masked)


def test_the_report_list_costs_the_same_queries_for_3_or_20_members(district):
    d = district
    volunteer_world(d, members=3)
    client = api(d.secretary1)
    client.get("/api/v1/member-reports/")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/api/v1/member-reports/", {"state": "accepted"})
    assert response.json()["count"] == 3
    for n in range(17):
        add_member(d, f"more{n}", f"党员{n}", phone=f"1390000{n:04d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/member-reports/", {"state": "accepted"})
    assert response.json()["count"] == 20
    assert len(many) == len(few)


# --- Pledge texts and signatures ------------------------------------------------------------------


def test_publish_and_sign_through_the_api(district):
    d = district
    w = volunteer_world(d, members=2)
    published = api(d.secretary1).post(
        "/api/v1/pledge-texts/", {"community": d.community1.pk, "title": TITLE, "body": BODY}, format="json"
    )
    assert published.status_code == 201, published.content
    text = published.json()
    assert (text["version"], text["is_current"], text["signed"]) == (1, True, False)

    mine = api(d.member_user).get("/api/v1/pledge-texts/")
    assert ids(mine) == {text["id"]}
    signed = api(d.member_user).post(f"/api/v1/pledge-texts/{text['id']}/sign/")
    assert signed.status_code == 201, signed.content
    signature = signed.json()
    assert (
        signature["record_hash"]
        == Entry.objects.get(subject=f"volunteers.PledgeSignature:{signature['id']}").entry_hash
    )
    assert signature["record_url"].endswith(f"/record/verify/?hash={signature['record_hash']}")
    assert api(d.member_user).get(f"/api/v1/pledge-texts/{text['id']}/").json()["signed"] is True

    assert ids(api(d.member_user).get("/api/v1/pledge-signatures/")) == {signature["id"]}
    assert ids(api(w.members[1]).get("/api/v1/pledge-signatures/")) == set()
    assert ids(api(d.secretary1).get("/api/v1/pledge-signatures/", {"community": d.community1.pk})) == {
        signature["id"]
    }
    assert ids(api(d.secretary3).get("/api/v1/pledge-signatures/")) == set()


def test_pledge_refusals_through_the_api_change_nothing(district):
    d = district
    volunteer_world(d, members=1)
    _pending_user, _pending = add_member(d, "pending1", "沈国强", accept=False)
    v1 = reporting.pledge_publish(actor=d.secretary1, community=d.community1, title=TITLE, body=BODY)
    api(d.member_user).post(f"/api/v1/pledge-texts/{v1.pk}/sign/")
    before = (PledgeText.objects.count(), PledgeSignature.objects.count(), Entry.objects.count())

    empty = {"community": d.community1.pk, "title": "", "body": ""}
    body = assert_error(
        api(d.secretary1).post("/api/v1/pledge-texts/", empty, format="json"), 400, "invalid_pledge"
    )
    assert set(body["errors"]) == {"title", "body"}
    assert_error(
        api(d.member_user).post(
            "/api/v1/pledge-texts/", {**empty, "title": TITLE, "body": BODY}, format="json"
        ),
        403,
        "not_community_staff",
    )
    assert_error(api(d.member_user).post(f"/api/v1/pledge-texts/{v1.pk}/sign/"), 409, "already_signed")
    assert_error(api(_pending_user).post(f"/api/v1/pledge-texts/{v1.pk}/sign/"), 403, "not_reported_here")
    assert_error(api(d.secretary3).post(f"/api/v1/pledge-texts/{v1.pk}/sign/"), 404)
    assert (PledgeText.objects.count(), PledgeSignature.objects.count(), Entry.objects.count()) == before

    v2 = (
        api(d.secretary1)
        .post(
            "/api/v1/pledge-texts/",
            {"community": d.community1.pk, "title": TITLE, "body": BODY + "\n三、"},
            format="json",
        )
        .json()
    )
    assert v2["version"] == 2
    before = PledgeSignature.objects.count()
    assert_error(api(d.member_user).post(f"/api/v1/pledge-texts/{v1.pk}/sign/"), 409, "superseded")
    assert PledgeSignature.objects.count() == before
    listed = {
        row["id"]: row["is_current"]
        for row in api(d.member_user).get("/api/v1/pledge-texts/").json()["results"]
    }
    assert listed == {v1.pk: False, v2["id"]: True}


def test_the_pledge_lists_cost_the_same_queries_for_few_or_many(district):
    d = district
    w = volunteer_world(d, members=3)
    text = reporting.pledge_publish(actor=d.secretary1, community=d.community1, title=TITLE, body=BODY)
    for user in w.members:
        reporting.pledge_sign(actor=user, text=text)
    client = api(d.secretary1)
    client.get("/api/v1/pledge-signatures/")
    client.get("/api/v1/pledge-texts/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/pledge-signatures/")
        client.get("/api/v1/pledge-texts/")
    for n in range(10):
        user, _report = add_member(d, f"more{n}", f"党员{n}")
        reporting.pledge_sign(actor=user, text=text)
    reporting.pledge_publish(actor=d.secretary1, community=d.community1, title=TITLE, body=BODY + "。")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/pledge-signatures/").json()["count"] == 13
        assert client.get("/api/v1/pledge-texts/").json()["count"] == 2
    assert len(many) == len(few)


def test_the_openapi_document_still_builds_with_these_resources(district):
    d = district
    response = api(d.secretary1).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/member-reports/",
        "/api/v1/member-reports/{id}/accept/",
        "/api/v1/member-reports/{id}/decline/",
        "/api/v1/member-reports/{id}/place/",
        "/api/v1/member-reports/{id}/leave/",
        "/api/v1/member-reports/move/",
        "/api/v1/pledge-texts/",
        "/api/v1/pledge-texts/{id}/sign/",
        "/api/v1/pledge-signatures/",
    ):
        assert path in paths
