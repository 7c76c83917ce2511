"""Reports (党员报到) through the services: report, accept in a grid, decline with a reason, place, leave,
move; every refusal is clear and changes nothing; accepting pays "member reported" once per member and
community."""

from __future__ import annotations

import pytest

from community import services as community_services
from community.models import AreaKind, PartyMember
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.models import OutboxMessage
from points.models import EventType, Transfer
from points.tasks import points_award_for_event_task
from tests.points.earning_support import fund, make_rule
from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import Report
from volunteers.services import reporting
from volunteers.workflow import ReportState

pytestmark = pytest.mark.django_db


def other_grid(d, community=None, name="治平一网格"):
    return community_services.area_create(
        actor=None, name=name, kind=AreaKind.GRID, parent=community or d.community2
    )


def snapshot(report: Report) -> tuple:
    report.refresh_from_db()
    return (report.state, report.grid_id, report.note, report.skills, report.decided_at, report.left_at)


def test_a_member_reports_and_the_secretary_accepts_them_in_a_grid(district):
    d = district
    report = reporting.report_submit(
        actor=d.member_user,
        skills="电工",
        service_fields=["repair", "electricity", "repair"],
        note="周末有空",
    )
    assert (report.state, report.community, report.service_fields) == (
        ReportState.PENDING,
        d.community1,
        ["repair", "electricity"],
    )

    accepted = reporting.report_accept(actor=d.secretary1, report=report, grid=d.grid1)

    assert accepted.state == ReportState.ACCEPTED and accepted.grid == d.grid1
    assert accepted.decided_by == d.secretary1 and accepted.decided_at is not None
    assert PartyMember.objects.get(pk=d.member.pk).grid == d.grid1


def test_reporting_twice_is_refused_with_409_and_creates_nothing(district):
    d = district
    reporting.report_submit(actor=d.member_user, skills="电工")

    with pytest.raises(Conflict) as refused:
        reporting.report_submit(actor=d.member_user, skills="水电维修")

    assert refused.value.status_code == 409 and refused.value.code == "already_reported"
    assert Report.objects.count() == 1 and Report.objects.get().skills == "电工"


def test_reporting_while_reported_elsewhere_is_409_with_the_move_hint_and_moving_works(district):
    d = district
    w = volunteer_world(d, members=1)
    before = snapshot(w.reports[0])

    with pytest.raises(Conflict) as refused:
        reporting.report_submit(actor=d.member_user, community=d.community3, skills="电工")

    assert refused.value.status_code == 409 and refused.value.code == "reported_elsewhere"
    assert "越都社区" in str(refused.value.message) and "Move" in str(refused.value.message)
    assert snapshot(w.reports[0]) == before
    assert not Report.objects.filter(community=d.community3).exists()

    moved = reporting.report_move(actor=d.member_user, community=d.community3)

    assert (moved.community, moved.state, moved.skills) == (d.community3, ReportState.PENDING, "电工")
    assert moved.service_fields == ["repair", "electricity"]
    w.reports[0].refresh_from_db()
    assert w.reports[0].state == ReportState.LEFT and w.reports[0].left_at is not None
    assert PartyMember.objects.get(pk=d.member.pk).grid is None


def test_moving_to_the_same_community_is_409(district):
    d = district
    volunteer_world(d, members=1)
    with pytest.raises(Conflict):
        reporting.report_move(actor=d.member_user, community=d.community1)
    assert Report.objects.filter(member=d.member).count() == 1


def test_someone_who_is_not_a_party_member_cannot_report(district):
    d = district
    with pytest.raises(PermissionDenied) as refused:
        reporting.report_submit(actor=d.resident_user, skills="理发")
    assert refused.value.status_code == 403 and refused.value.code == "not_a_member"
    assert not Report.objects.exists()


def test_bad_skills_or_services_are_400_and_report_nothing(district):
    d = district
    with pytest.raises(ValidationFailed) as refused:
        reporting.report_submit(actor=d.member_user, service_fields=["flying"])
    assert refused.value.code == "invalid_service_fields"
    with pytest.raises(ValidationFailed) as refused:
        reporting.report_submit(actor=d.member_user, skills="电" * 201)
    assert refused.value.code == "invalid_skills"
    assert not Report.objects.exists()


def test_accepting_with_a_grid_of_another_community_is_400_and_changes_nothing(district):
    d = district
    report = reporting.report_submit(actor=d.member_user, skills="电工")
    before = snapshot(report)

    with pytest.raises(ValidationFailed) as refused:
        reporting.report_accept(actor=d.secretary1, report=report, grid=other_grid(d))

    assert refused.value.status_code == 400 and refused.value.code == "invalid_grid"
    assert snapshot(report) == before
    assert not OutboxMessage.objects.filter(task_name="points.award_for_event").exists()


@pytest.mark.parametrize(
    ("who", "refusal"),
    [("secretary2", NotFound), ("resident_user", PermissionDenied), ("member_user", PermissionDenied)],
)
def test_only_the_communitys_staff_accept(district, who, refusal):
    """Another community's secretary does not even see it (404); a neighbour or the member sees but may not (403)."""
    d = district
    report = reporting.report_submit(actor=d.member_user, skills="电工")
    before = snapshot(report)

    with pytest.raises(refusal):
        reporting.report_accept(actor=getattr(d, who), report=report, grid=d.grid1)

    assert snapshot(report) == before
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("who", ["street_admin", "district_admin"])
def test_street_and_district_administrators_accept_in_their_areas(district, who):
    d = district
    report = reporting.report_submit(actor=d.member_user)
    assert reporting.report_accept(actor=getattr(d, who), report=report, grid=d.grid1).state == "accepted"


def test_declining_needs_a_reason_which_the_member_reads(district):
    d = district
    report = reporting.report_submit(actor=d.member_user, skills="电工")
    before = snapshot(report)

    for reason in ("", "   ", "因" * 201):
        with pytest.raises(ValidationFailed) as refused:
            reporting.report_decline(actor=d.secretary1, report=report, reason=reason)
        assert refused.value.status_code == 400 and refused.value.code == "reason_required"
        assert snapshot(report) == before

    declined = reporting.report_decline(actor=d.secretary1, report=report, reason="请向现居住地社区报到")
    assert (declined.state, declined.note) == (ReportState.DECLINED, "请向现居住地社区报到")
    # A declined member may report again.
    assert reporting.report_submit(actor=d.member_user).state == ReportState.PENDING


def test_a_decided_report_is_not_decided_again(district):
    d = district
    w = volunteer_world(d, members=1)
    before = snapshot(w.reports[0])
    with pytest.raises(InvalidTransition) as refused:
        reporting.report_accept(actor=d.secretary1, report=w.reports[0], grid=d.grid1)
    assert refused.value.status_code == 409 and refused.value.code == "report_accepted"
    with pytest.raises(InvalidTransition):
        reporting.report_decline(actor=d.secretary1, report=w.reports[0], reason="重复")
    assert snapshot(w.reports[0]) == before


def test_the_staff_place_a_member_in_another_grid_and_the_member_leaves(district):
    d = district
    w = volunteer_world(d, members=1)
    grid2 = other_grid(d, d.community1, "越都二网格")

    placed = reporting.report_place(actor=w.social_worker, report=w.reports[0], grid=grid2)
    assert placed.grid == grid2 and PartyMember.objects.get(pk=d.member.pk).grid == grid2
    with pytest.raises(ValidationFailed):
        reporting.report_place(actor=w.social_worker, report=w.reports[0], grid=other_grid(d))
    assert Report.objects.get(pk=w.reports[0].pk).grid == grid2

    left = reporting.report_leave(actor=d.member_user, report=w.reports[0])
    assert left.state == ReportState.LEFT and PartyMember.objects.get(pk=d.member.pk).grid is None
    with pytest.raises(InvalidTransition):
        reporting.report_leave(actor=d.member_user, report=w.reports[0])


def test_a_neighbour_cannot_end_a_members_service(district):
    d = district
    w = volunteer_world(d, members=2)
    before = snapshot(w.reports[1])
    with pytest.raises(PermissionDenied):
        reporting.report_leave(actor=d.member_user, report=w.reports[1])
    assert snapshot(w.reports[1]) == before


def test_the_member_updates_their_skills_and_nobody_else_does(district):
    d = district
    w = volunteer_world(d, members=1)

    updated = reporting.report_update(
        actor=d.member_user, report=w.reports[0], skills="电工, 家电维修", service_fields=["repair"]
    )
    assert (updated.skills, updated.service_fields) == ("电工, 家电维修", ["repair"])

    before = snapshot(w.reports[0])
    with pytest.raises(PermissionDenied) as refused:
        reporting.report_update(actor=w.social_worker, report=w.reports[0], skills="改")
    assert refused.value.code == "not_own_report"
    with pytest.raises(ValidationFailed):
        reporting.report_update(actor=d.member_user, report=w.reports[0], service_fields="repair")
    assert snapshot(w.reports[0]) == before


# --- Points: "member reported" once per member and community --------------------------------------


def deliver_outbox_twice() -> None:
    """Run the task of every outbox message twice, as a broker that redelivers would."""
    for message in OutboxMessage.objects.filter(task_name="points.award_for_event").order_by("pk"):
        points_award_for_event_task(*message.args)
        points_award_for_event_task(*message.args)


def test_accepting_pays_member_reported_once_per_member_and_community(district):
    d = district
    fund(d.community1)
    fund(d.community3)
    make_rule(district=d.district, event_type=EventType.MEMBER_REPORTED, points=10)
    report = reporting.report_submit(actor=d.member_user, skills="电工")
    reporting.report_accept(actor=d.secretary1, report=report, grid=d.grid1)
    deliver_outbox_twice()
    key = f"earn:member-report:{d.member.pk}:{d.community1.pk}"
    earnings = Transfer.objects.filter(key__startswith="earn:member-report:")
    assert Transfer.objects.filter(key=key).count() == 1
    assert Transfer.objects.get(key=key).amount == 10
    transfers = Transfer.objects.count()
    assert earnings.count() == 1

    # Leaving and reporting again to the same community does not pay again.
    reporting.report_leave(actor=d.member_user, report=report)
    again = reporting.report_submit(actor=d.member_user, skills="电工")
    reporting.report_accept(actor=d.secretary1, report=again, grid=d.grid1)
    deliver_outbox_twice()
    assert Transfer.objects.count() == transfers
    assert Transfer.objects.filter(key=key).count() == 1

    # Another community is another cause: it pays once too.
    moved = reporting.report_move(actor=d.member_user, community=d.community3)
    reporting.report_accept(actor=d.secretary3, report=moved)
    deliver_outbox_twice()
    assert earnings.count() == 2
    assert Transfer.objects.filter(key=f"earn:member-report:{d.member.pk}:{d.community3.pk}").count() == 1


def test_an_unaccepted_report_pays_nothing(district):
    d = district
    _user, report = add_member(d, "pending1", "沈国强", accept=False)
    reporting.report_decline(actor=d.secretary1, report=report, reason="信息有误")
    assert not OutboxMessage.objects.filter(task_name="points.award_for_event").exists()
