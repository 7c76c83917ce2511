"""Issues (民提) and triage (四事分流): raised by residents or recorded for them, classified by the
convener, each step on the timeline; and who may do what, in which compound (a table)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community import services as community_services
from community.models import Role
from core.exceptions import ApplicationError, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from councils import services
from councils.models import Council, Issue, IssueEvent
from councils.workflow import IssueState, Track
from tests.councils.support import council_world, motion
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def raise_issue(w, actor=None, **fields):
    values = {
        "category": "facilities",
        "title": "1幢楼道灯坏了",
        "description": "1幢2单元三楼到五楼的楼道灯坏了一个多星期，老人晚上上下楼不方便。",
        **fields,
    }
    return services.issue_raise(actor=actor or w.d.resident_user, council=w.council, **values)


def test_a_resident_raises_an_issue_and_follows_its_timeline(district):
    w = council_world(district)
    issue = raise_issue(w, building=district.building1, photo=SimpleUploadedFile("灯.png", PNG))
    assert issue.state == IssueState.RAISED and issue.raised_by == district.resident
    assert issue.triage_by == timezone.localdate() + timedelta(days=3)

    services.issue_triage(actor=district.convener1, issue=issue, track=Track.SMALL)

    issue.refresh_from_db()
    assert (issue.state, issue.track) == (IssueState.HANDLING, Track.SMALL)
    assert issue.due_on == timezone.localdate() + timedelta(days=15)
    assert [(e.step, e.to_state) for e in issue.events.order_by("at", "id")] == [
        ("raise", "raised"),
        ("triage", "handling"),
    ]


def test_a_social_worker_records_an_issue_for_an_elderly_resident(district):
    w = council_world(district)
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=district.community1)
    issue = raise_issue(w, actor=worker, on_behalf_of=district.resident)
    assert (issue.raised_by, issue.recorded_by) == (district.resident, worker)
    assert (
        "worker1" in IssueEvent.objects.get(issue=issue).note
        or worker.display_name in IssueEvent.objects.get(issue=issue).note
    )


@pytest.mark.parametrize(
    ("fields", "error", "code"),
    [
        ({"title": ""}, ValidationFailed, "invalid_title"),
        ({"title": "长" * 81}, ValidationFailed, "invalid_title"),
        ({"description": ""}, ValidationFailed, "invalid_description"),
        ({"description": "长" * 2001}, ValidationFailed, "invalid_description"),
        ({"category": "weather"}, ValidationFailed, "invalid_category"),
        ({"photo": SimpleUploadedFile("灯.gif", b"GIF89a")}, ValidationFailed, "photo_type"),
        ({"photo": SimpleUploadedFile("灯.exe", PNG)}, ValidationFailed, "photo_type"),
    ],
)
def test_bad_input_is_refused_and_no_issue_is_raised(district, fields, error, code):
    w = council_world(district)
    with pytest.raises(error) as refused:
        raise_issue(w, **fields)
    assert refused.value.code == code
    assert not Issue.objects.exists()


def test_too_large_a_photo_is_refused(district, settings):
    w = council_world(district)
    big = SimpleUploadedFile("灯.jpg", b"\xff" * (8 * 1024 * 1024 + 1))
    with pytest.raises(ValidationFailed) as refused:
        raise_issue(w, photo=big)
    assert refused.value.code == "photo_too_large"
    assert not Issue.objects.exists()


def test_a_resident_of_another_compound_cannot_raise_here(district):
    w = council_world(district)
    outsider = make_user("outsider")
    community_services.person_create(
        actor=None, name="冯大伟", community=district.community2, home=district.compound2, user=outsider
    )
    with pytest.raises(PermissionDenied):
        raise_issue(w, actor=outsider)
    assert not Issue.objects.exists()


def test_duplicates_are_merged_and_rejections_need_a_reason(district):
    w = council_world(district)
    first, second = raise_issue(w), raise_issue(w, title="楼道灯不亮")
    services.issue_merge(actor=district.convener1, issue=second, into=first)
    second.refresh_from_db()
    assert (second.state, second.merged_into) == (IssueState.MERGED, first)
    with pytest.raises(ValidationFailed):
        services.issue_merge(actor=district.convener1, issue=first, into=first)
    with pytest.raises(ValidationFailed):
        services.issue_reject(actor=district.convener1, issue=first, reason=" ")
    services.issue_reject(actor=district.convener1, issue=first, reason="属于物业维修范围，已转物业公司")
    with pytest.raises(InvalidTransition):
        services.issue_triage(actor=district.convener1, issue=first, track=Track.BIG)
    first.refresh_from_db()
    assert first.state == IssueState.REJECTED and first.track == ""


def test_each_track_takes_its_path(district):
    w = council_world(district)
    expected = {
        Track.MICRO: IssueState.HANDLING,
        Track.SMALL: IssueState.HANDLING,
        Track.BIG: IssueState.ON_AGENDA,
        Track.HARD: IssueState.ESCALATED,
    }
    for track, state in expected.items():
        issue = raise_issue(w, title=f"问题{track}")
        assert services.issue_triage(actor=district.convener1, issue=issue, track=track).state == state
    big = Issue.objects.get(track=Track.BIG)
    services.issue_advance(actor=district.convener1, issue=big, step="decide", note="议事会表决通过")
    services.issue_advance(actor=district.convener1, issue=big, step="resolve")
    big.refresh_from_db()
    assert big.state == IssueState.RESOLVED and big.resolved_at is not None
    with pytest.raises(ValidationFailed):
        services.issue_triage(actor=district.convener1, issue=raise_issue(w), track="urgent")


# --- Who may do what, where: role × action × compound ---------------------------------------------

ROLES = {
    "convener1": "convener",
    "secretary1": "secretary",
    "street_admin": "street",
    "district_admin": "district",
    "worker": "social_worker",
    "unit_contact1": "unit_contact",
    "resident_user": "resident",
}
# For the own compound (越都花园): True = allowed; otherwise the refusal's class.
OWN = {
    "triage": {
        "convener": True,
        "secretary": True,
        "street": True,
        "district": True,
        "social_worker": PermissionDenied,
        "unit_contact": NotFound,
        "resident": PermissionDenied,
    },
    "record_for": {
        "convener": PermissionDenied,
        "secretary": True,
        "street": PermissionDenied,
        "district": PermissionDenied,
        "social_worker": True,
        "unit_contact": NotFound,
        "resident": PermissionDenied,
    },
    "draft_motion": {
        "convener": True,
        "secretary": True,
        "street": True,
        "district": True,
        "social_worker": PermissionDenied,
        "unit_contact": NotFound,
        "resident": PermissionDenied,
    },
}
# In another street's compound (府山社区): only the district reaches it.
OTHER = {
    "triage": {"district": True},
    "record_for": {"district": PermissionDenied},
    "draft_motion": {"district": True},
}


def _act(action, actor, w, issue, resident):
    if action == "triage":
        return services.issue_triage(actor=actor, issue=issue, track=Track.SMALL)
    if action == "record_for":
        return services.issue_raise(
            actor=actor,
            council=w.council,
            category="safety",
            title="消防通道被占",
            description="3幢旁消防通道常有车辆停放。",
            on_behalf_of=resident,
        )
    return (
        motion(w)
        if actor is None
        else services.motion_create(
            actor=actor,
            council=w.council,
            title="是否划定临时停车位",
            options=["赞成", "反对"],
            quorum="0.5",
            threshold="simple",
            opens_at=timezone.now(),
            closes_at=timezone.now() + timedelta(days=2),
        )
    )


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("action", ["triage", "record_for", "draft_motion"])
@pytest.mark.parametrize("login", list(ROLES))
def test_permission_table(district, login, action, where):
    district.worker = make_user("worker", Role.SOCIAL_WORKER, area=district.community1)
    if where == "own":
        w = council_world(district)
        resident = district.resident
    else:
        compound3 = district.compound3
        council = services.council_create(actor=None, compound=compound3)
        resident = community_services.person_create(
            actor=None, name="许桂芳", community=district.community3, home=compound3
        )
        w = type("W", (), {"council": council, "d": district})()
    issue = services.issue_raise(
        actor=make_user(
            "recorder", Role.COMMUNITY_SECRETARY, area=w.council.compound.ancestor_of_kind("community")
        ),
        council=w.council,
        category="environment",
        title="垃圾分类点异味",
        description="垃圾分类点夏天异味大，希望增加清运次数。",
        on_behalf_of=resident,
    )
    actor = getattr(district, login)
    role = ROLES[login]
    table = OWN if where == "own" else OTHER
    expected = table[action].get(role, NotFound if where == "other" else PermissionDenied)
    before = (
        Issue.objects.count(),
        Council.objects.count(),
        list(Issue.objects.values_list("state", flat=True)),
    )

    if expected is True:
        assert _act(action, actor, w, issue, resident) is not None
    else:
        with pytest.raises(ApplicationError) as refused:
            _act(action, actor, w, issue, resident)
        assert isinstance(refused.value, expected), (login, action, where, refused.value)
        after = (
            Issue.objects.count(),
            Council.objects.count(),
            list(Issue.objects.values_list("state", flat=True)),
        )
        assert after == before
