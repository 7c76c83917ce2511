"""Co-construction activities (共建活动): publish, sign up, check in at the venue, hours and points.

The community's staff publish an activity with places, times and a sign-up deadline (optionally with a
paired unit), edit it before it starts and cancel it with a reason (everyone signed up is told once).
Residents and reported members of the community sign up before the deadline — never more than the
places, however many sign up at once (the activity's row is locked while places are counted) — and
may cancel their own place before the start, which frees it.

Check-in: the venue screen shows a QR code of a link with a signed code naming the activity and a
five-minute slot; the current and the previous slot are accepted, so a photo of an old code stops
working, and a made-up code fails the signature. The code works from `ACTIVITY_CHECKIN_MARGIN_MINUTES`
before the start until as long after the end; staff may also check someone in by hand. Check-in
records the activity's duration as the person's hours; staff may correct hours until the activity is
closed. The periodic job reminds those signed up a day before, and after the end marks no-shows,
pays each attendee's hours once (a key per activity and person) and closes the activity.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, User
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from notices.services import NoticeDraft, notice_send_each, notices_send_batch
from points.models import EventType

from ..models import Activity, Signup
from ..workflow import PLACE_STATES, SIGNUP_TABLE, ServiceField, SignupState
from .common import active_report, is_staff_of, lives_in, pay, refusal, require_staff

TITLE_MAX = 100
PLACE_MAX = 200
DESCRIPTION_MAX = 5000
REASON_MAX = 200
CAPACITY_MAX = 1000
HOURS_MAX = Decimal("24")
ONE_DECIMAL = Decimal("0.1")
# Check-in codes: signed with this salt, valid in the slot they were made in and the one after.
CHECKIN_SALT = "volunteers.activity-checkin"
CHECKIN_SLOT_SECONDS = 300
REMIND_BEFORE = timedelta(hours=24)
# The paired unit is a Party organisation (结对共建).
PARTY_ORG_KINDS = (OrgKind.UNIT_PARTY, OrgKind.COMMUNITY_PARTY, OrgKind.COMPOUND_BRANCH, OrgKind.STREET_PARTY)


def checkin_margin() -> timedelta:
    return timedelta(minutes=settings.ACTIVITY_CHECKIN_MARGIN_MINUTES)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _url(activity: Activity) -> str:
    return reverse("volunteers:activity_detail", args=[activity.pk])


def _locked(activity: Activity) -> Activity:
    # Only the activity's row: the community's row is shared by every activity there.
    return Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)


def may_see(actor: User | None, activity: Activity) -> bool:
    """The community's staff, its residents and the members who reported there."""
    community = activity.community
    return (
        actor is None
        or lives_in(actor, community)
        or scope_for(actor).covers_path(community.path)
        or active_report(actor, community) is not None
    )


def _require_visible(actor: User | None, activity: Activity) -> None:
    if not may_see(actor, activity):
        raise NotFound(_("Not found."), code="not_found")


def duration_hours(activity: Activity) -> Decimal:
    """The activity's length in hours, one decimal, at most 24: what a check-in records."""
    seconds = Decimal((activity.ends_at - activity.starts_at).total_seconds())
    hours = (seconds / Decimal(3600)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    return min(max(hours, Decimal("0.0")), HOURS_MAX)


def points_quantity(hours: Decimal) -> int:
    """Whole hours paid for `hours` served: rounded half up, at least 1."""
    return max(1, int(Decimal(hours).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def places_taken(activity: Activity) -> int:
    return Signup.objects.filter(activity=activity, state__in=PLACE_STATES).count()


# --- Publishing ---------------------------------------------------------------------------------


def _clean_text(value: Any, *, limit: int, required: bool) -> str | None:
    """The stripped text, or None when it is missing (and required), too long or not text."""
    if value is not None and not isinstance(value, str):
        return None
    value = (value or "").strip()
    if len(value) > limit or (required and not value):
        return None
    return value


def _clean_activity(values: dict[str, Any], *, actor: User | None, now: datetime) -> dict[str, Any]:
    """Check an activity's fields together; raises ValidationFailed with each field's error."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, limit, required in (
        ("title", TITLE_MAX, True),
        ("place", PLACE_MAX, True),
        ("description", DESCRIPTION_MAX, False),
    ):
        text = _clean_text(values.get(name), limit=limit, required=required)
        if text is None:
            message = (
                _("Required, at most %(max)s characters.") if required else _("At most %(max)s characters.")
            )
            errors[name] = [message % {"max": limit}]
        cleaned[name] = text
    if values.get("field") not in ServiceField.values:
        errors["field"] = [_("Choose a service from the list.")]
    cleaned["field"] = values.get("field")
    times = {}
    for name in ("starts_at", "ends_at", "signup_deadline"):
        value = values.get(name)
        if not isinstance(value, datetime) or timezone.is_naive(value):
            errors[name] = [_("Enter a date and time.")]
        else:
            times[name] = value
    starts_at, ends_at, deadline = (times.get(n) for n in ("starts_at", "ends_at", "signup_deadline"))
    if starts_at is not None and starts_at <= now:
        errors.setdefault("starts_at", []).append(_("The activity must start in the future."))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))
    if deadline is not None and starts_at is not None and deadline > starts_at:
        errors.setdefault("signup_deadline", []).append(_("Sign-up must close before the activity starts."))
    elif deadline is not None and deadline <= now:
        errors.setdefault("signup_deadline", []).append(_("The sign-up deadline must be in the future."))
    cleaned.update(times)
    capacity = values.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= CAPACITY_MAX:
        errors["capacity"] = [_("Between 1 and %(max)s places.") % {"max": CAPACITY_MAX}]
    cleaned["capacity"] = capacity
    organiser = values.get("organiser")
    if organiser is not None:
        visible = actor is None or Organisation.objects.visible_to(actor).filter(pk=organiser.pk).exists()
        if not isinstance(organiser, Organisation) or organiser.kind not in PARTY_ORG_KINDS or not visible:
            errors["organiser"] = [_("Choose a Party organisation you work with.")]
    cleaned["organiser"] = organiser
    cleaned["open_to_residents"] = bool(values.get("open_to_residents", True))
    if errors:
        raise ValidationFailed(
            _("Please correct the activity. Nothing was saved."), code="invalid_activity", extra=errors
        )
    return cleaned


@transaction.atomic
def activity_publish(
    *,
    actor: User | None,
    community: Area,
    title: str,
    field: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    signup_deadline: datetime,
    capacity: int,
    description: str = "",
    organiser: Organisation | None = None,
    open_to_residents: bool = True,
) -> Activity:
    """The community's staff publish an activity; residents and members can sign up at once."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("An activity is published by a community."), code="invalid_community")
    require_staff(actor, community)
    values = _clean_activity(
        {
            "title": title,
            "field": field,
            "place": place,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "signup_deadline": signup_deadline,
            "capacity": capacity,
            "description": description,
            "organiser": organiser,
            "open_to_residents": open_to_residents,
        },
        actor=actor,
        now=timezone.now(),
    )
    if actor is None:
        # An activity names the staff member who published it; the demo passes one too.
        raise ValueError("activity_publish() needs the publishing staff member as actor")
    return Activity.objects.create(community=community, created_by=actor, **values)


EDITABLE = (
    "title",
    "description",
    "field",
    "place",
    "starts_at",
    "ends_at",
    "signup_deadline",
    "capacity",
    "organiser",
    "open_to_residents",
)


def _require_not_started(activity: Activity, now: datetime) -> None:
    if activity.cancelled_at is not None:
        raise Conflict(_("This activity was cancelled."), code="activity_cancelled")
    if activity.starts_at <= now:
        raise Conflict(_("This activity has already started."), code="activity_started")


@transaction.atomic
def activity_update(*, actor: User | None, activity: Activity, **changes: Any) -> Activity:
    """Staff change an activity's details before it starts; never fewer places than are taken.

    Those signed up are told when the time or the place changes.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"activity_update() got unexpected fields: {sorted(unknown)}")
    activity = _locked(activity)
    _require_visible(actor, activity)
    require_staff(actor, activity.community)
    now = timezone.now()
    _require_not_started(activity, now)
    values = {name: getattr(activity, name) for name in EDITABLE}
    values.update(changes)
    cleaned = _clean_activity(values, actor=actor, now=now)
    taken = places_taken(activity)
    if cleaned["capacity"] < taken:
        raise ValidationFailed(
            _("%(taken)s places are already taken: the activity cannot have fewer places.")
            % {"taken": taken},
            code="capacity_below_taken",
            extra={"capacity": [_("At least %(taken)s.") % {"taken": taken}]},
        )
    moved = (cleaned["starts_at"], cleaned["ends_at"], cleaned["place"]) != (
        activity.starts_at,
        activity.ends_at,
        activity.place,
    )
    changed = [name for name in EDITABLE if cleaned[name] != getattr(activity, name)]
    for name in changed:
        setattr(activity, name, cleaned[name])
    if changed:
        activity.save(update_fields=changed)
    if moved:
        what = f"{activity.starts_at.isoformat()}|{activity.ends_at.isoformat()}|{activity.place}"
        digest = hashlib.sha256(what.encode()).hexdigest()[:12]
        notice_send_each(
            _signed_up_users(activity),
            key=f"activity-changed:{activity.pk}:{digest}",
            kind="activity-changed",
            title=_("“%(title)s” is now at %(when)s, %(place)s.")
            % {"title": activity.title, "when": _when(activity.starts_at), "place": activity.place},
            url=_url(activity),
        )
    return activity


def _signed_up_users(activity: Activity):
    return User.objects.filter(
        activity_signups__activity=activity, activity_signups__state=SignupState.SIGNED_UP, is_active=True
    ).order_by("pk")


@transaction.atomic
def activity_cancel(*, actor: User | None, activity: Activity, reason: str) -> Activity:
    """Staff cancel an activity before it starts, with a reason; everyone signed up is told once."""
    activity = _locked(activity)
    _require_visible(actor, activity)
    require_staff(actor, activity.community)
    _require_not_started(activity, timezone.now())
    reason = _clean_text(reason, limit=REASON_MAX, required=True)
    if reason is None:
        raise ValidationFailed(
            _("Say why, in at most %(max)s characters: everyone signed up reads it.") % {"max": REASON_MAX},
            code="reason_required",
            extra={"reason": [_("Required, at most %(max)s characters.") % {"max": REASON_MAX}]},
        )
    activity.cancelled_at, activity.cancel_reason = timezone.now(), reason
    activity.save(update_fields=["cancelled_at", "cancel_reason"])
    notice_send_each(
        _signed_up_users(activity),
        key=f"activity-cancelled:{activity.pk}",
        kind="activity-cancelled",
        title=_("“%(title)s” on %(when)s is cancelled: %(reason)s")
        % {"title": activity.title, "when": _when(activity.starts_at), "reason": reason},
        url=_url(activity),
    )
    return activity


# --- Signing up ---------------------------------------------------------------------------------


def _require_may_sign_up(actor: User | None, activity: Activity) -> None:
    community = activity.community
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to sign up."), code="not_authenticated")
    if active_report(actor, community) is not None:
        return
    if not activity.open_to_residents:
        raise refusal(
            actor,
            community,
            _("This activity is for Party members who have reported to the community."),
            "members_only",
        )
    if not lives_in(actor, community):
        raise refusal(
            actor,
            community,
            _("Only the community's residents and the members who reported there can sign up."),
            "not_of_community",
        )


@transaction.atomic
def signup_create(*, actor: User, activity: Activity) -> Signup:
    """Take a place at the activity; never more places than it has, however many sign up at once."""
    # Every sign-up and cancellation of this activity waits here, so counting and taking are one step.
    activity = _locked(activity)
    _require_visible(actor, activity)
    _require_may_sign_up(actor, activity)
    if activity.cancelled_at is not None:
        raise Conflict(_("This activity was cancelled."), code="activity_cancelled")
    if timezone.now() >= activity.signup_deadline:
        raise Conflict(
            _("Sign-up closed at %(when)s.") % {"when": _when(activity.signup_deadline)}, code="signup_closed"
        )
    signup = Signup.objects.filter(activity=activity, user=actor).first()
    if signup is not None and signup.state != SignupState.CANCELLED:
        raise Conflict(_("You have already signed up for this activity."), code="already_signed_up")
    if places_taken(activity) >= activity.capacity:
        raise Conflict(_("Sorry, this activity is full."), code="full")
    if signup is not None:
        # Signing up again after cancelling takes the same row (one per activity and person).
        signup.state, signup.checked_in_at, signup.hours = SignupState.SIGNED_UP, None, Decimal("0.0")
        signup.signed_up_at = timezone.now()
        signup.save(update_fields=["state", "checked_in_at", "hours", "signed_up_at"])
        return signup
    try:
        with transaction.atomic():
            return Signup.objects.create(activity=activity, user=actor)
    except IntegrityError:
        raise Conflict(_("You have already signed up for this activity."), code="already_signed_up") from None


def _locked_signup(signup: Signup) -> tuple[Activity, Signup]:
    """The sign-up's activity, then the sign-up, locked in that order (as signing up locks them)."""
    activity = _locked(Activity(pk=Signup.objects.values_list("activity_id", flat=True).get(pk=signup.pk)))
    signup = Signup.objects.select_for_update().select_related("user").get(pk=signup.pk)
    signup.activity = activity
    return activity, signup


def signup_of(*, actor: User, activity: Activity) -> Signup:
    """The actor's own sign-up to the activity; 409 when they have none."""
    signup = Signup.objects.filter(activity=activity, user=actor).first() if actor is not None else None
    if signup is None:
        raise Conflict(_("You have not signed up for this activity."), code="not_signed_up")
    return signup


@transaction.atomic
def signup_cancel(*, actor: User, signup: Signup) -> Signup:
    """Give one's place back before the activity starts; someone else can take it."""
    activity, signup = _locked_signup(signup)
    if actor is None or signup.user_id != actor.pk:
        raise refusal(actor, activity.community, _("Only the person who signed up can cancel it."), "not_own")
    if activity.starts_at <= timezone.now():
        raise Conflict(_("This activity has already started."), code="activity_started")
    SIGNUP_TABLE.check("cancel", signup.state)
    signup.state = SignupState.CANCELLED
    signup.save(update_fields=["state"])
    return signup


# --- Check-in at the venue ----------------------------------------------------------------------


def _slot(moment: datetime) -> int:
    return int(moment.timestamp()) // CHECKIN_SLOT_SECONDS


def checkin_code(activity: Activity, *, now: datetime | None = None) -> str:
    """The signed code of the venue screen: the activity and the current five-minute slot."""
    return signing.dumps([activity.pk, _slot(now or timezone.now())], salt=CHECKIN_SALT)


def checkin_url(activity: Activity, *, now: datetime | None = None) -> str:
    """The check-in page's path with the current code (the venue screen makes it absolute)."""
    path = reverse("volunteers:activity_checkin", args=[activity.pk])
    return f"{path}?code={checkin_code(activity, now=now)}"


def _check_code(activity: Activity, code: Any, now: datetime) -> None:
    """The code was signed by the platform, for this activity, in this slot or the one before."""
    try:
        if not isinstance(code, str) or not code or len(code) > 200:
            raise signing.BadSignature
        activity_id, slot = signing.loads(code, salt=CHECKIN_SALT)
        if not isinstance(activity_id, int) or not isinstance(slot, int):
            raise signing.BadSignature
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationFailed(
            _("This is not a valid check-in code. Scan the code on the venue screen again."),
            code="forged_code",
        ) from None
    if activity_id != activity.pk:
        raise ValidationFailed(
            _("This code is for another activity. Scan the code on this activity's venue screen."),
            code="wrong_activity",
        )
    current = _slot(now)
    if slot not in (current, current - 1):
        raise ValidationFailed(
            _(
                "This check-in code has expired. Scan the code on the venue screen again: it changes every few minutes."
            ),
            code="stale_code",
        )


def checkin_window(activity: Activity) -> tuple[datetime, datetime]:
    margin = checkin_margin()
    return activity.starts_at - margin, activity.ends_at + margin


def _require_checkin_open(activity: Activity, now: datetime, *, by_hand: bool = False) -> None:
    if activity.cancelled_at is not None:
        raise Conflict(_("This activity was cancelled."), code="activity_cancelled")
    if activity.closed_at is not None:
        raise Conflict(_("This activity is closed: its hours have been paid."), code="activity_closed")
    opens, closes = checkin_window(activity)
    if now < opens:
        raise Conflict(
            _("Check-in opens at %(when)s, %(minutes)s minutes before the start.")
            % {"when": _when(opens), "minutes": settings.ACTIVITY_CHECKIN_MARGIN_MINUTES},
            code="checkin_not_open",
        )
    if now > closes and not by_hand:
        raise Conflict(
            _("Check-in closed at %(when)s. Ask the community's staff to check you in by hand.")
            % {"when": _when(closes)},
            code="checkin_closed",
        )


def _check_in(signup: Signup, activity: Activity, now: datetime) -> Signup:
    SIGNUP_TABLE.check("check_in", signup.state)
    signup.state, signup.checked_in_at, signup.hours = SignupState.ATTENDED, now, duration_hours(activity)
    signup.save(update_fields=["state", "checked_in_at", "hours"])
    return signup


@transaction.atomic
def signup_check_in(*, actor: User, activity: Activity, code: str, now: datetime | None = None) -> Signup:
    """The person signed up scans the venue's code on their phone and is checked in (attended)."""
    now = now or timezone.now()
    activity = _locked(activity)
    _require_visible(actor, activity)
    _check_code(activity, code, now)
    _require_checkin_open(activity, now)
    signup = Signup.objects.select_for_update().filter(activity=activity, user=actor).first()
    if signup is None or signup.state == SignupState.CANCELLED:
        raise Conflict(
            _(
                "You have not signed up for this activity, so you cannot check in. Ask the staff at the venue."
            ),
            code="not_signed_up",
        )
    signup.activity = activity
    return _check_in(signup, activity, now)


@transaction.atomic
def signup_check_in_by_hand(*, actor: User | None, signup: Signup, now: datetime | None = None) -> Signup:
    """Staff check someone in from the sign-up list (an old phone, no phone), until the activity closes."""
    now = now or timezone.now()
    activity, signup = _locked_signup(signup)
    _require_visible(actor, activity)
    require_staff(actor, activity.community)
    _require_checkin_open(activity, now, by_hand=True)
    return _check_in(signup, activity, now)


def clean_hours(hours: Any) -> Decimal:
    """0 to 24 hours, at most one decimal; anything else is refused (400)."""
    try:
        value = Decimal(str(hours).strip()) if isinstance(hours, str | int | float | Decimal) else None
    except InvalidOperation:
        value = None
    if (
        isinstance(hours, bool)
        or value is None
        or not value.is_finite()
        or not Decimal(0) <= value <= HOURS_MAX
        or value != value.quantize(ONE_DECIMAL)
    ):
        raise ValidationFailed(
            _("Hours are between 0 and 24, with at most one decimal (e.g. 2.5)."),
            code="invalid_hours",
            extra={"hours": [_("Between 0 and 24, one decimal.")]},
        )
    return value.quantize(ONE_DECIMAL)


@transaction.atomic
def signup_record_hours(*, actor: User | None, signup: Signup, hours: Any) -> Signup:
    """Staff correct a person's hours (0–24, one decimal) until the activity is closed."""
    activity, signup = _locked_signup(signup)
    _require_visible(actor, activity)
    require_staff(actor, activity.community)
    hours = clean_hours(hours)
    if activity.closed_at is not None:
        raise Conflict(
            _("This activity is closed and its hours are paid: hours can no longer be changed."),
            code="activity_closed",
        )
    SIGNUP_TABLE.check("record_hours", signup.state)
    signup.state, signup.hours = SignupState.ATTENDED, hours
    signup.save(update_fields=["state", "hours"])
    return signup


# --- The periodic job's steps -------------------------------------------------------------------


def activities_remind(now: datetime | None = None) -> int:
    """A day before the start, tell each person signed up once; returns how many notices were new.

    The sign-ups of every activity starting within the day come in one query and the notices go
    together: a run costs the same few queries however many activities and people it looks at.
    """
    now = now or timezone.now()
    due = Activity.objects.filter(
        cancelled_at__isnull=True, starts_at__gt=now, starts_at__lte=now + REMIND_BEFORE
    )
    signed_up: dict[int, list[int]] = {}
    for activity_id, user_id in (
        Signup.objects.filter(activity__in=due, state=SignupState.SIGNED_UP, user__is_active=True)
        .values_list("activity_id", "user_id")
        .order_by("user_id")
    ):
        signed_up.setdefault(activity_id, []).append(user_id)
    drafts: list[NoticeDraft] = []
    for activity in due.filter(pk__in=list(signed_up)).order_by("starts_at", "pk"):
        title = _("Reminder: “%(title)s” at %(when)s, %(place)s. Scan the code at the venue to check in.") % {
            "title": activity.title,
            "when": _when(activity.starts_at),
            "place": activity.place,
        }
        drafts += [
            NoticeDraft(
                user_id,
                f"activity-reminder:{activity.pk}:{user_id}",
                "activity-reminder",
                title,
                url=_url(activity),
            )
            for user_id in signed_up[activity.pk]
        ]
    return notices_send_batch(drafts)


@transaction.atomic
def activity_close(*, activity: Activity, now: datetime | None = None) -> bool:
    """Close an ended activity once: mark no-shows, pay each attendee's hours (keyed), set `closed_at`.

    Answers False, changing nothing, when it is already closed, cancelled or not yet over.
    """
    now = now or timezone.now()
    activity = _locked(activity)
    if activity.closed_at is not None or activity.cancelled_at is not None:
        return False
    if activity.ends_at + checkin_margin() > now:
        return False
    Signup.objects.filter(activity=activity, state=SignupState.SIGNED_UP).update(state=SignupState.NO_SHOW)
    for signup in Signup.objects.filter(activity=activity, state=SignupState.ATTENDED).order_by("pk"):
        pay(
            EventType.ACTIVITY_HOURS,
            signup.user_id,
            activity.community,
            f"activity:{activity.pk}:user:{signup.user_id}",
            quantity=points_quantity(signup.hours),
            cause=f"volunteers.Activity:{activity.pk}",
            memo=f"{activity.title} · {signup.hours}h",
        )
    activity.closed_at = now
    activity.save(update_fields=["closed_at"])
    return True


def activities_close_ended(now: datetime | None = None) -> int:
    """Close every activity whose check-in window has passed; returns how many this run closed."""
    now = now or timezone.now()
    due = Activity.objects.filter(
        closed_at__isnull=True, cancelled_at__isnull=True, ends_at__lte=now - checkin_margin()
    ).order_by("ends_at", "pk")
    return sum(activity_close(activity=activity, now=now) for activity in due)


# --- Reads the pages and the API share ----------------------------------------------------------


def get_activity(*, actor: User | None, pk: Any) -> Activity:
    """An activity the actor may see (staff, residents, reported members of its community); else 404."""
    activity = (
        Activity.objects.select_related("community", "organiser").filter(pk=pk).first()
        if str(pk).isascii() and str(pk).isdigit()
        else None
    )
    if activity is None or not may_see(actor, activity):
        raise NotFound(_("Not found."), code="not_found")
    return activity


def is_staff_for(actor: User | None, activity: Activity) -> bool:
    return actor is not None and actor.is_authenticated and is_staff_of(actor, activity.community)
