"""Crowdfunding (居民众筹) for a decided project: money, labour and materials pledged by residents and
units, progress, labour given earning points once; and the project's tasks with progress (民办)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from core.models import OutboxMessage
from councils import services
from councils.models import Campaign, Pledge, Task, TaskUpdate
from councils.workflow import Track
from tests.councils.support import council_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def handling(w):
    issue = services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="facilities",
        title="加装休闲座椅",
        description="小区花园没有座椅，老人散步累了没处坐。",
    )
    return services.issue_triage(actor=w.d.convener1, issue=issue, track=Track.SMALL)


def campaign(w, **fields):
    return services.campaign_open(
        actor=w.d.convener1,
        issue=fields.pop("issue", None) or handling(w),
        title=fields.pop("title", "花园座椅众筹"),
        closes_on=fields.pop("closes_on", timezone.localdate() + timedelta(days=14)),
        **{"money_goal": 3000, "hours_goal": 20, "materials": "防腐木、螺丝", **fields},
    )


def test_residents_and_a_unit_pledge_and_labour_given_earns_points_once(district):
    w = council_world(district)
    c = campaign(w)
    money = services.pledge_make(actor=district.resident_user, campaign=c, kind="money", amount=200)
    labour = services.pledge_make(actor=district.member_user, campaign=c, kind="labour", hours=4)
    unit = services.pledge_make(
        actor=district.unit_contact1,
        campaign=c,
        kind="materials",
        what="防腐木10根",
        organisation=district.unit1,
    )
    services.pledge_fulfil(actor=district.convener1, pledge=labour)
    services.pledge_fulfil(actor=district.convener1, pledge=money)
    with pytest.raises(Conflict):
        services.pledge_fulfil(actor=district.convener1, pledge=labour)
    progress = services.campaign_progress(c)
    assert progress == {
        "money_pledged": 200,
        "money_given": 200,
        "hours_pledged": 4,
        "hours_given": 4,
        "materials": 1,
    }
    awards = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="crowdfunding_labour")
    assert awards.count() == 1 and awards.get().args[4] == 4  # the hours given
    assert unit.organisation == district.unit1


@pytest.mark.parametrize(
    ("pledge", "code"),
    [
        ({"kind": "money"}, "invalid_amount"),
        ({"kind": "money", "amount": 0}, "invalid_amount"),
        ({"kind": "labour", "hours": -2}, "invalid_hours"),
        ({"kind": "materials", "what": ""}, "invalid_what"),
        ({"kind": "gold", "amount": 1}, "invalid_kind"),
    ],
)
def test_a_bad_pledge_is_refused_and_nothing_pledged(district, pledge, code):
    w = council_world(district)
    c = campaign(w)
    with pytest.raises(ValidationFailed) as refused:
        services.pledge_make(actor=district.resident_user, campaign=c, **pledge)
    assert refused.value.code == code
    assert not Pledge.objects.exists()


def test_who_may_pledge_and_when(district):
    w = council_world(district)
    c = campaign(w)
    with pytest.raises(PermissionDenied):
        services.pledge_make(actor=make_user("nobody"), campaign=c, kind="money", amount=10)
    with pytest.raises(PermissionDenied):
        services.pledge_make(
            actor=district.unit_contact1, campaign=c, kind="money", amount=10, organisation=district.unit2
        )
    Campaign.objects.filter(pk=c.pk).update(closes_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(InvalidTransition):
        services.pledge_make(actor=district.resident_user, campaign=c, kind="money", amount=10)
    assert not Pledge.objects.exists()


def test_a_campaign_needs_a_project_being_carried_out_and_a_goal(district):
    w = council_world(district)
    raised = services.issue_raise(
        actor=district.resident_user, council=w.council, category="other", title="待分流", description="说明"
    )
    with pytest.raises(InvalidTransition):
        campaign(w, issue=raised)
    with pytest.raises(ValidationFailed) as no_goal:
        campaign(w, money_goal=None, hours_goal=None, materials="")
    assert no_goal.value.code == "no_goal"
    assert not Campaign.objects.exists()


def test_tasks_with_progress_and_photos_then_done_once(district):
    w = council_world(district)
    issue = handling(w)
    task = services.task_add(
        actor=district.convener1,
        issue=issue,
        title="采购并安装座椅",
        owner="物业公司",
        due_on=timezone.localdate() + timedelta(days=10),
    )
    png = SimpleUploadedFile("座椅.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    services.task_report(actor=district.convener1, task=task, note="已完成采购", photo=png)
    services.task_report(actor=district.convener1, task=task, note="安装完毕", done=True)
    with pytest.raises(Conflict):
        services.task_report(actor=district.convener1, task=task, note="再报一次")
    with pytest.raises(ValidationFailed):
        services.task_add(
            actor=district.convener1, issue=issue, title="", owner="物业", due_on=timezone.localdate()
        )
    with pytest.raises(PermissionDenied):
        services.task_add(
            actor=district.resident_user,
            issue=issue,
            title="自己装",
            owner="居民",
            due_on=timezone.localdate(),
        )
    assert Task.objects.get().done_at is not None and TaskUpdate.objects.count() == 2
