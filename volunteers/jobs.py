"""The volunteers' periodic job: wishes pushed, orders returned or closed, activity reminders and
no-shows, and each member's monthly summary.

Run by `volunteers.periodic` (beat, every quarter of an hour). There is no lock around the whole job:
each step does each thing once however often it runs or however many workers run it at once. An
order returns or closes through its service, which locks the row and refuses a second step; an
activity is closed once (its `closed_at`); every notice carries a key naming its cause, so
`notice_send` creates it at most once; points are paid with a key derived from their cause. The
monthly summary runs once per month (`run_once_per_period`), and each member's notice is keyed too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.apps import apps as global_apps
from django.conf import settings
from django.db.models import Avg, Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.jobs import register_beat_task, run_once_per_period, unregister_beat_task
from notices.services import NoticeDraft, notices_send_batch

logger = logging.getLogger(__name__)

JOB = "volunteers.periodic"
SUMMARY_JOB = "volunteers.monthly_summary"
SCHEDULE_CRONTAB = {
    "minute": "*/15",
    "hour": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "Asia/Shanghai",
}
SCHEDULE_DESCRIPTION = (
    "Volunteers: push open micro-wishes near their date to the grid's members, return orders not "
    "accepted in time to the community, close orders not rated in time, remind those signed up to an "
    "activity a day before, mark no-shows and pay hours after it, and send each member their monthly "
    "summary (every 15 minutes; each thing once)."
)


def _month_before(now: datetime) -> tuple[datetime, datetime, str]:
    """The local calendar month before `now`'s: (start, end, "YYYY-MM")."""
    local = timezone.localtime(now)
    this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = (this_month - timedelta(days=1)).replace(day=1)
    return last, this_month, last.strftime("%Y-%m")


def service_summaries(start: datetime, end: datetime) -> dict[int, dict]:
    """What each reported member did between `start` and `end`, by user id (a few grouped queries)."""
    from points.models import Earning

    from .models import Report, ServiceOrder, Signup, WishClaim
    from .workflow import OrderState, ReportState, SignupState, WishState

    members = Report.objects.filter(
        state=ReportState.ACCEPTED, member__person__user__isnull=False
    ).values_list("member__person__user_id", flat=True)
    empty = {"wishes": 0, "orders": 0, "stars": None, "hours": Decimal("0"), "points": 0}
    out: dict[int, dict] = defaultdict(lambda: dict(empty))
    for user_id in members:
        out[user_id]  # noqa: B018 - every reported member gets a summary, even of nothing
    for row in (
        WishClaim.objects.filter(
            wish__state=WishState.CONFIRMED, wish__confirmed_at__gte=start, wish__confirmed_at__lt=end
        )
        .values("user_id")
        .annotate(n=Count("id"))
    ):
        out[row["user_id"]]["wishes"] = row["n"]
    for row in (
        ServiceOrder.objects.filter(
            state__in=[OrderState.RATED, OrderState.CLOSED],
            done_at__gte=start,
            done_at__lt=end,
            member__isnull=False,
        )
        .values("member_id")
        .annotate(n=Count("id"), stars=Avg("stars"))
    ):
        out[row["member_id"]]["orders"] = row["n"]
        out[row["member_id"]]["stars"] = row["stars"]
    for row in (
        Signup.objects.filter(
            state=SignupState.ATTENDED, activity__starts_at__gte=start, activity__starts_at__lt=end
        )
        .values("user_id")
        .annotate(hours=Sum("hours"))
    ):
        out[row["user_id"]]["hours"] = row["hours"] or Decimal("0")
    for row in (
        Earning.objects.filter(created_at__gte=start, created_at__lt=end, transfer__reversed_by__isnull=True)
        .values("user_id")
        .annotate(points=Sum("points"))
    ):
        if row["user_id"] in out:
            out[row["user_id"]]["points"] = row["points"] or 0
    return dict(out)


def summary_text(figures: dict) -> str:
    text = _(
        "Micro-wishes fulfilled: %(wishes)s. Service orders completed: %(orders)s. Hours at activities: "
        "%(hours)s. Points earned: %(points)s."
    ) % {
        "wishes": figures["wishes"],
        "orders": figures["orders"],
        "hours": f"{figures['hours']:.1f}",
        "points": figures["points"],
    }
    if figures["stars"] is not None:
        text += " " + _("Residents rated your services %(stars)s stars on average.") % {
            "stars": f"{figures['stars']:.1f}"
        }
    return text


def monthly_summaries(now: datetime) -> dict:
    """Tell each reported member what they did last month, once per member and month.

    Tens of thousands of members at district scale: the notices are inserted together, 500 a query
    (`notices_send_batch`), each under its key, so a retry sends only what is missing.
    """
    from community.models import User

    start, end, month = _month_before(now)
    figures = service_summaries(start, end)
    # in_bulk splits the ids where the database limits a query's parameters (SQLite).
    users = User.objects.only("is_active").in_bulk(list(figures))
    active = {user_id for user_id, user in users.items() if user.is_active}
    year, number = month.split("-")
    title = _("Your service in %(year)s-%(month)s") % {"year": year, "month": number}
    url = reverse("volunteers:home")
    sent = notices_send_batch(
        NoticeDraft(
            user_id,
            f"volunteer-summary:{month}:{user_id}",
            "volunteer-summary",
            title,
            body=summary_text(numbers),
            url=url,
        )
        for user_id, numbers in sorted(figures.items())
        if user_id in active
    )
    return {"month": month, "sent": sent}


def volunteers_periodic(now: datetime | None = None) -> dict[str, int]:
    from .services import activities, orders, wishes

    now = now or timezone.now()
    done: dict[str, int] = {}
    # Workers have no request: write in the platform's language.
    with override(settings.LANGUAGE_CODE):
        done["wishes_pushed"] = wishes.wishes_push_near_due(now)
        done["orders_returned"] = orders.orders_return_unaccepted(now)
        done["orders_closed"] = orders.orders_close_unrated(now)
        done["activity_reminders"] = activities.activities_remind(now)
        done["activities_closed"] = activities.activities_close_ended(now)
        _start, _end, month = _month_before(now)
        run = run_once_per_period(SUMMARY_JOB, month, lambda: monthly_summaries(now))
        done["summaries"] = run.result.get("sent", 0) if run else 0
    logger.info("volunteers periodic job: %s", done)
    return done


# --- Beat schedule --------------------------------------------------------------------------------


def register_schedule(apps=None) -> None:
    """Put `volunteers.periodic` on beat's schedule, once per database (from a data migration)."""
    register_beat_task(
        apps or global_apps, name=JOB, crontab=SCHEDULE_CRONTAB, description=SCHEDULE_DESCRIPTION
    )


def unregister_schedule(apps=None) -> None:
    """The reverse of `register_schedule` (for the migration's backwards step)."""
    unregister_beat_task(apps or global_apps, name=JOB)
