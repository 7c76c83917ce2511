"""The monthly summary: each reported member is told once what they did last month (wishes, orders,
hours, points), whatever number of times the job runs."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.models import JobRun
from notices.models import Notice
from tests.volunteers.support import volunteer_world
from volunteers.jobs import SUMMARY_JOB, monthly_summaries, service_summaries, volunteers_periodic
from volunteers.models import Activity, ServiceOrder, Signup, Wish, WishClaim
from volunteers.workflow import OrderState, SignupState, WishState

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
NOVEMBER_NOW = datetime(2026, 11, 1, 0, 20, tzinfo=SHANGHAI)


def _history(d, w):
    """In October 2026: member1 fulfilled one wish and completed two orders (5 and 4 stars) and served
    2.5 hours; a wish confirmed and an order done in September do not count."""
    member, other = w.members[0], w.members[1]
    for title, confirmed_at in (("一袋大米", OCTOBER), ("老花镜", OCTOBER - timedelta(days=30))):
        wish = Wish.objects.create(
            community=d.community1,
            beneficiary=d.resident,
            posted_by=w.social_worker,
            title=title,
            category="daily",
            due_on=confirmed_at.date(),
            state=WishState.CONFIRMED,
            confirmed_at=confirmed_at,
        )
        WishClaim.objects.create(wish=wish, user=member)
    for stars, done_at, state in (
        (5, OCTOBER, OrderState.RATED),
        (4, OCTOBER + timedelta(days=3), OrderState.RATED),
        (None, OCTOBER - timedelta(days=20), OrderState.CLOSED),
    ):
        ServiceOrder.objects.create(
            community=d.community1,
            resident=d.resident,
            ordered_by=d.resident_user,
            field="repair",
            description="修水龙头",
            address="越都花园1幢",
            window_start=done_at - timedelta(hours=2),
            window_end=done_at,
            state=state,
            member=member,
            done_at=done_at,
            stars=stars,
        )
    activity = Activity.objects.create(
        community=d.community1,
        title="垃圾分类宣传进小区",
        field="waste",
        place="越都花园广场",
        starts_at=OCTOBER,
        ends_at=OCTOBER + timedelta(hours=2, minutes=30),
        signup_deadline=OCTOBER - timedelta(days=1),
        capacity=10,
        created_by=d.secretary1,
    )
    Signup.objects.create(activity=activity, user=member, state=SignupState.ATTENDED, hours=Decimal("2.5"))
    Signup.objects.create(activity=activity, user=other, state=SignupState.NO_SHOW)
    return member, other


def test_figures_count_last_month_only(district):
    w = volunteer_world(district)
    member, other = _history(district, w)
    start = datetime(2026, 10, 1, tzinfo=SHANGHAI)
    figures = service_summaries(start, datetime(2026, 11, 1, tzinfo=SHANGHAI))
    assert figures[member.pk]["wishes"] == 1
    assert figures[member.pk]["orders"] == 2
    assert figures[member.pk]["stars"] == 4.5
    assert figures[member.pk]["hours"] == Decimal("2.5")
    # Every reported member gets a summary, even of nothing; the unreported member does not.
    assert figures[other.pk]["orders"] == 0 and figures[other.pk]["hours"] == Decimal("0")
    assert w.unreported.pk not in figures


def test_each_member_is_told_once_however_often_the_job_runs(district, settings):
    settings.LANGUAGE_CODE = "en"
    w = volunteer_world(district)
    member, _other = _history(district, w)
    first = monthly_summaries(NOVEMBER_NOW)
    again = monthly_summaries(NOVEMBER_NOW)
    assert first == {"month": "2026-10", "sent": 3}
    assert again == {"month": "2026-10", "sent": 0}
    notice = Notice.objects.get(recipient=member, kind="volunteer-summary")
    assert notice.title == "Your service in 2026-10"
    assert "Micro-wishes fulfilled: 1. Service orders completed: 2. Hours at activities: 2.5." in notice.body
    assert "4.5 stars on average" in notice.body


def test_the_periodic_job_records_the_month_once(district, monkeypatch):
    volunteer_world(district)
    monkeypatch.setattr(timezone, "now", lambda: NOVEMBER_NOW)
    assert volunteers_periodic(NOVEMBER_NOW)["summaries"] == 3
    assert volunteers_periodic(NOVEMBER_NOW)["summaries"] == 0
    assert JobRun.objects.filter(job=SUMMARY_JOB, period="2026-10").count() == 1
    assert Notice.objects.filter(kind="volunteer-summary").count() == 3
