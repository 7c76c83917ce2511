"""Thin Celery tasks of the points app: check it is still due, call the service; each is safe to run twice."""

from celery import shared_task

from core.jobs import period_key, run_once_per_period

from .ledger import ledger_check_and_alert


@shared_task(name="points.verify_ledger_nightly")
def verify_ledger_nightly_task() -> dict | None:
    """Every night from beat (02:30). The (job, day) key makes a second beat or a retry a no-op."""
    day = period_key("day")
    run = run_once_per_period("points.verify_ledger_nightly", day, lambda: ledger_check_and_alert(day=day))
    return run.result if run else None


# --- Earning and expiry (points.earning) -------------------------------------------------------


@shared_task(name="points.award_for_event")
def points_award_for_event_task(
    event_type: str,
    user_id: int,
    community_id: int,
    cause_key: str,
    quantity: int = 1,
    cause: str = "",
    memo: str = "",
) -> int | None:
    """For apps that report an event through the outbox: the cause key makes a redelivery pay once."""
    from community.models import Area, User

    from .earning import points_award_for_event

    user = User.objects.filter(pk=user_id).first()
    community = Area.objects.filter(pk=community_id).first()
    if user is None or community is None:
        return None
    transfer = points_award_for_event(
        event_type=event_type,
        user=user,
        community=community,
        cause_key=cause_key,
        quantity=quantity,
        cause=cause,
        memo=memo,
    )
    return transfer.pk if transfer else None


@shared_task(name="points.expire_points")
def points_expire_task() -> dict | None:
    """Yearly from beat (1 January): what expired at the end of last year goes to the expiry sink, once."""
    from .earning import local_year, points_expire
    from .selectors import expiry_years

    if expiry_years() == 0:
        return None
    year = local_year() - 1
    run = run_once_per_period("points.expire", str(year), lambda: points_expire(year=year))
    return run.result if run else None


@shared_task(name="points.expiry_notice")
def points_expiry_notify_task() -> dict | None:
    """Yearly from beat (1 December): tell holders what expires at the end of this year, once."""
    from django.utils import timezone

    from .earning import local_year, points_expiry_notify
    from .selectors import expiry_notice_date, expiry_years

    year = local_year()
    if expiry_years() == 0 or timezone.localdate() < expiry_notice_date(year):
        return None
    run = run_once_per_period("points.expiry_notice", str(year), lambda: points_expiry_notify(year=year))
    return run.result if run else None


# --- Livelihood market ---------------------------------------------------------------------------


@shared_task(name="points.expire_redemptions")
def redemptions_expire_task() -> int:
    """Every 10 minutes from beat: refund codes nobody collected in time. Safe to run twice (state-checked)."""
    from .market import redemptions_expire

    return redemptions_expire()


@shared_task(name="points.fold_flows")
def fold_flows_task() -> int:
    """Every five minutes from beat: pending flows into the days' totals (points.flows.fold).

    Safe twice or at once: each pending row is taken by one fold only; the totals read the same
    before and after (the view `points_flow` counts both tables)."""
    from .flows import fold

    return fold()
