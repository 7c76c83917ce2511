"""The reporting pages: a member reports from a phone, updates skills, moves and leaves; the staff's
registry with pending reports first (accept with a grid, decline with a reason), filters and masked
phones; errors shown with their status and nothing changed; the registry at fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services as community_services
from community.models import AreaKind
from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import Activity, Report, ServiceOrder, Signup, Wish, WishClaim
from volunteers.services import reporting
from volunteers.workflow import OrderState, ReportState, SignupState

pytestmark = pytest.mark.django_db


def signed_in(user, *, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The member's page ----------------------------------------------------------------------------


def test_a_member_reports_from_the_page_and_sees_the_state(district):
    d = district
    client = signed_in(d.member_user)
    page = client.get("/volunteers/report/")
    assert page.status_code == 200
    assert page.context["report_form"].initial["community"] == d.community1.pk

    response = client.post(
        "/volunteers/report/",
        {
            "step": "report",
            "community": d.community1.pk,
            "skills": "电工",
            "service_fields": ["repair", "electricity"],
            "note": "周末有空",
        },
        follow=True,
    )

    report = Report.objects.get(member=d.member)
    assert (report.state, report.skills, report.service_fields) == (
        "pending",
        "电工",
        ["repair", "electricity"],
    )
    html = response.content.decode()
    assert 'data-state="pending"' in html and "Awaiting the community" in html
    assert any("You have reported" in m for m in messages_of(response))


def test_reporting_twice_from_the_page_is_409_and_reports_nothing(district):
    d = district
    reporting.report_submit(actor=d.member_user, skills="电工")
    response = signed_in(d.member_user).post(
        "/volunteers/report/", {"step": "report", "community": d.community1.pk, "skills": "理发"}
    )
    assert response.status_code == 409
    assert "You have already reported to this community." in messages_of(response)
    assert Report.objects.get().skills == "电工"


def test_reporting_elsewhere_from_the_page_is_409_with_the_move_hint(district):
    d = district
    volunteer_world(d, members=1)
    response = signed_in(d.member_user).post(
        "/volunteers/report/", {"step": "report", "community": d.community3.pk, "skills": "电工"}
    )
    assert response.status_code == 409
    assert any("Move instead" in m for m in messages_of(response))
    assert not Report.objects.filter(community=d.community3).exists()


def test_a_resident_who_is_not_a_member_is_told_and_cannot_report(district):
    d = district
    client = signed_in(d.resident_user)
    page = client.get("/volunteers/report/")
    assert page.status_code == 200 and b'data-testid="not-a-member"' in page.content
    response = client.post("/volunteers/report/", {"step": "report", "community": d.community1.pk})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_the_member_updates_skills_moves_and_sees_the_history(district):
    d = district
    volunteer_world(d, members=1)
    client = signed_in(d.member_user)

    client.post(
        "/volunteers/report/", {"step": "update", "skills": "电工, 驾驶", "service_fields": ["rescue"]}
    )
    report = Report.objects.get(member=d.member, state="accepted")
    assert (report.skills, report.service_fields) == ("电工, 驾驶", ["rescue"])

    response = client.post("/volunteers/report/", {"step": "move", "community": d.community3.pk}, follow=True)
    assert response.status_code == 200
    assert Report.objects.get(member=d.member, state="pending").community == d.community3
    history = response.context["history"]
    assert [r.community for r in history] == [d.community1] and history[0].state == "left"

    response = client.post("/volunteers/report/", {"step": "leave"}, follow=True)
    assert not Report.objects.filter(member=d.member, state__in=["pending", "accepted"]).exists()
    assert "report_form" in response.context


def test_a_declined_member_reads_the_reason(district):
    d = district
    report = reporting.report_submit(actor=d.member_user, skills="电工")
    reporting.report_decline(actor=d.secretary1, report=report, reason="请补充服务类型后重新报到")
    page = signed_in(d.member_user).get("/volunteers/report/")
    assert "请补充服务类型后重新报到" in page.content.decode()


# --- The registry ---------------------------------------------------------------------------------


def test_the_registry_is_for_the_communitys_staff_only(district):
    d = district
    volunteer_world(d, members=2)
    assert signed_in(d.member_user).get("/volunteers/registry/").status_code == 403
    assert signed_in(d.resident_user).get("/volunteers/registry/").status_code == 403
    assert signed_in(d.convener1).get("/volunteers/registry/").status_code == 403
    other = signed_in(d.secretary3).get("/volunteers/registry/")
    assert other.status_code == 200 and other.context["page_obj"].paginator.count == 0
    for user in (d.secretary1, d.street_admin, d.district_admin):
        page = signed_in(user).get("/volunteers/registry/")
        assert page.status_code == 200 and page.context["page_obj"].paginator.count == 2


def test_pending_reports_come_first_and_the_secretary_accepts_with_a_grid(district):
    d = district
    w = volunteer_world(d, members=1)
    _user, pending = add_member(d, "pending1", "沈国强", accept=False, phone="13812345678")
    client = signed_in(d.secretary1)

    grid0 = community_services.area_create(
        actor=None, name="越都〇网格", kind=AreaKind.GRID, parent=d.community1
    )
    page = client.get("/volunteers/registry/")
    assert [r.pk for r in page.context["pending"]] == [pending.pk]
    html = page.content.decode()
    assert html.index('data-testid="pending"') < html.index('data-testid="members"')
    assert 'href="tel:13812345678"' in html  # the secretary must contact them
    # The grid over the member's home is offered first, not the first grid of the list.
    assert f'<option value="{d.grid1.pk}" selected>' in html
    assert f'<option value="{grid0.pk}" selected>' not in html

    response = client.post(f"/volunteers/registry/{pending.pk}/", {"step": "accept", "grid": d.grid1.pk})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.grid) == (ReportState.ACCEPTED, d.grid1)
    assert len(w.reports) == 1


def test_accepting_with_another_communitys_grid_on_the_page_is_400_and_changes_nothing(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    grid = community_services.area_create(
        actor=None, name="治平一网格", kind=AreaKind.GRID, parent=d.community2
    )
    response = signed_in(d.street_admin).post(
        f"/volunteers/registry/{pending.pk}/", {"step": "accept", "grid": grid.pk}
    )
    assert response.status_code == 400
    assert "Choose a grid of this community." in messages_of(response)
    pending.refresh_from_db()
    assert (pending.state, pending.grid) == (ReportState.PENDING, None)


def test_accepting_by_someone_not_staff_of_the_community_changes_nothing(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    assert (
        signed_in(d.secretary3).post(f"/volunteers/registry/{pending.pk}/", {"step": "accept"}).status_code
        == 404
    )
    member = signed_in(_user).post(f"/volunteers/registry/{pending.pk}/", {"step": "accept"})
    assert member.status_code == 403
    pending.refresh_from_db()
    assert pending.state == ReportState.PENDING


def test_declining_on_the_page_needs_a_reason(district):
    d = district
    _user, pending = add_member(d, "pending1", "沈国强", accept=False)
    client = signed_in(d.secretary1)

    response = client.post(f"/volunteers/registry/{pending.pk}/", {"step": "decline", "reason": ""})
    assert response.status_code == 400
    assert "Say why, in at most 200 characters: the member reads it." in messages_of(response)
    pending.refresh_from_db()
    assert pending.state == ReportState.PENDING

    client.post(f"/volunteers/registry/{pending.pk}/", {"step": "decline", "reason": "请向现居住地社区报到"})
    pending.refresh_from_db()
    assert (pending.state, pending.note) == (ReportState.DECLINED, "请向现居住地社区报到")


def test_the_staff_move_a_member_to_another_grid_and_end_their_service(district):
    d = district
    w = volunteer_world(d, members=1)
    grid2 = community_services.area_create(
        actor=None, name="越都二网格", kind=AreaKind.GRID, parent=d.community1
    )
    client = signed_in(w.social_worker)
    client.post(f"/volunteers/registry/{w.reports[0].pk}/", {"step": "place", "grid": grid2.pk})
    w.reports[0].refresh_from_db()
    assert w.reports[0].grid == grid2
    client.post(f"/volunteers/registry/{w.reports[0].pk}/", {"step": "leave"})
    w.reports[0].refresh_from_db()
    assert w.reports[0].state == ReportState.LEFT


def test_phones_are_in_full_for_contact_roles_and_masked_for_administrators(district):
    d = district
    add_member(d, "vm", "孟庆华", phone="13812345678")
    full = signed_in(d.secretary1).get("/volunteers/registry/").content.decode()
    assert "13812345678" in full
    for user in (d.street_admin, d.district_admin):
        masked = signed_in(user).get("/volunteers/registry/").content.decode()
        assert "13812345678" not in masked and "138****5678" in masked
        assert 'href="tel:' not in masked


def served(d, user, *, days_ago: int, how: str) -> None:
    """A trace of service `days_ago` days ago (made directly: the wishes, orders and activities parts
    have their own services; here only the registry's reading of them is tested)."""
    when = timezone.now() - timedelta(days=days_ago)
    if how == "wish":
        wish = Wish.objects.create(
            community=d.community1,
            beneficiary=d.resident,
            posted_by=d.secretary1,
            title="买米",
            category="daily",
            due_on=timezone.localdate(),
        )
        claim = WishClaim.objects.create(wish=wish, user=user)
        WishClaim.objects.filter(pk=claim.pk).update(claimed_at=when)
    elif how == "order":
        ServiceOrder.objects.create(
            community=d.community1,
            resident=d.resident,
            ordered_by=d.resident_user,
            field="repair",
            description="修水龙头",
            address="越都花园1幢",
            window_start=when - timedelta(hours=2),
            window_end=when + timedelta(hours=2),
            state=OrderState.DONE,
            member=user,
            done_at=when,
        )
    else:
        activity = Activity.objects.create(
            community=d.community1,
            title="垃圾分类宣传",
            field="waste",
            place="越都社区广场",
            starts_at=when,
            ends_at=when + timedelta(hours=2),
            signup_deadline=when,
            capacity=10,
            created_by=d.secretary1,
        )
        Signup.objects.create(activity=activity, user=user, state=SignupState.ATTENDED, checked_in_at=when)


def test_the_registry_filters_by_grid_skill_activity_and_state(district):
    d = district
    w = volunteer_world(d, members=5)
    grid2 = community_services.area_create(
        actor=None, name="越都二网格", kind=AreaKind.GRID, parent=d.community1
    )
    reporting.report_place(actor=None, report=w.reports[1], grid=grid2)
    reporting.report_update(
        actor=w.members[2], report=w.reports[2], skills="法律咨询", service_fields=["legal"]
    )
    served(d, w.members[0], days_ago=3, how="wish")
    served(d, w.members[1], days_ago=10, how="order")
    served(d, w.members[2], days_ago=30, how="activity")
    served(d, w.members[3], days_ago=120, how="wish")  # too long ago
    reporting.report_leave(actor=None, report=w.reports[4])
    client = signed_in(d.secretary1)

    def listed(**query) -> set[int]:
        page = client.get("/volunteers/registry/", query)
        assert page.status_code == 200
        return {r.pk for r in page.context["members"]}

    ids = [r.pk for r in w.reports]
    assert listed() == set(ids[:4])
    assert listed(grid=grid2.pk) == {ids[1]}
    assert listed(skill="电工") == {ids[0]}
    assert listed(skill="法律") == {ids[2]}
    assert listed(skill="legal") == {ids[2]}
    assert listed(skill="Everyday") == {ids[1], ids[3]}
    assert listed(active="yes") == set(ids[:3])
    assert listed(active="no") == {ids[3]}
    assert listed(state="left") == {ids[4]}
    assert listed(state="all") == set(ids)
    # The CSV has the same rows.
    export = client.get("/volunteers/registry/export/", {"active": "yes"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 1 + 3


def test_the_registry_costs_the_same_queries_for_3_or_20_members(district):
    d = district
    w = volunteer_world(d, members=3)
    add_member(d, "pending1", "沈国强", accept=False)
    served(d, w.members[0], days_ago=3, how="wish")
    client = signed_in(d.secretary1)
    client.get("/volunteers/registry/")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/volunteers/registry/")
    assert response.context["page_obj"].paginator.count == 3
    for n in range(17):
        add_member(d, f"more{n}", f"党员{n}", phone=f"1390000{n:04d}")
    add_member(d, "pending2", "韩志刚", accept=False)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/volunteers/registry/")
    assert response.context["page_obj"].paginator.count == 20
    assert len(response.context["pending"]) == 2
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
