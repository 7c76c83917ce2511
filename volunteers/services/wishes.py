"""Micro-wishes (微心愿, "light up a wish" 点亮心愿).

A resident posts a small wish for themself, or the community's social worker or secretary posts one
for a resident (often elderly, without a phone). Reported Party members of the community light it up
(claim it): a small wish takes exactly one member, a big wish up to `group_size` of them. A claimant
shows it fulfilled with a photo; the resident (or, for a resident without a login, the one who
posted it or the community's staff) confirms, and every claimant earns the "wish fulfilled" points
once. The poster, the resident or the staff may cancel an open or lit-up wish with a reason.

Every step locks the wish row, checks `WISH_TABLE`, writes a `WishEvent` and sends its notices keyed
by cause, so a retry sends nothing twice. `wishes_push_near_due` is the periodic job's part: wishes
still waiting for members close to their date are pushed once to the members of their grid.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.models import Person, User
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from notices.services import NoticeDraft, notice_send, notice_send_each, notices_send_batch
from points.models import EventType

from ..models import Wish, WishClaim, WishEvent
from ..workflow import WISH_TABLE, ReportState, WishCategory, WishState, WishStep
from .common import check_photo, grid_of, is_staff_of, pay, person_of, refusal, require_reported_member

TITLE_MAX = 60
DESCRIPTION_MAX = 500
NOTE_MAX = 500
REASON_MAX = 200
GROUP_MAX = 20
# "Within about three months": the furthest wanted-by date a wish may name.
DUE_MAX_DAYS = 92


# --- Helpers ---------------------------------------------------------------------------------------


def _text(value: Any, *, limit: int, required: bool, field: str, message: str, code: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None or len(text) > limit or (required and not text):
        raise ValidationFailed(message, code=code, extra={field: [message]})
    return text


def _record(wish: Wish, step: str, from_state: str, actor: User | None, note: str = "") -> WishEvent:
    return WishEvent.objects.create(
        wish=wish,
        step=step,
        from_state=from_state,
        to_state=wish.state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:300],
    )


def _locked(wish: Wish) -> Wish:
    locked = (
        Wish.objects.select_for_update(of=("self",))
        .select_related("community", "beneficiary__user", "posted_by")
        .filter(pk=wish.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found."), code="not_found")
    return locked


def _url(wish: Wish) -> str:
    return reverse("volunteers:wish", args=[wish.pk])


def wish_owner(wish: Wish) -> User:
    """Who speaks for the wish: the resident's own login, else the one who posted it."""
    user = wish.beneficiary.user
    return user if user is not None and user.is_active else wish.posted_by


def claimant_users(wish: Wish) -> list[User]:
    return [claim.user for claim in wish.claims.select_related("user").order_by("claimed_at", "pk")]


def may_confirm(actor: User | None, wish: Wish) -> bool:
    """The resident with a login confirms; for a resident without one, the poster or the community's staff."""
    if actor is None:
        return True
    if not actor.is_authenticated:
        return False
    if wish.beneficiary.user_id is not None:
        return actor.pk in (wish.beneficiary.user_id, wish.posted_by_id)
    return actor.pk == wish.posted_by_id or is_staff_of(actor, wish.community)


def may_cancel(actor: User | None, wish: Wish) -> bool:
    """The resident, the poster, or the community's staff."""
    if actor is None:
        return True
    if not actor.is_authenticated:
        return False
    return actor.pk in (wish.beneficiary.user_id, wish.posted_by_id) or is_staff_of(actor, wish.community)


def has_room(wish: Wish, claims: int) -> bool:
    return wish.state in (WishState.OPEN, WishState.CLAIMED) and claims < wish.group_size


def _platform_language():
    # Notices are read later, by someone else: they are written in the platform's language.
    return translation.override(settings.LANGUAGE_CODE)


# --- Posting ---------------------------------------------------------------------------------------


def _clean_due(due_on: Any, today: date) -> date:
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        raise ValidationFailed(
            _("Choose the date the wish is wanted by."),
            code="invalid_due_on",
            extra={"due_on": [_("Required.")]},
        )
    if due_on <= today:
        raise ValidationFailed(
            _("The wanted-by date must be in the future."),
            code="due_in_past",
            extra={"due_on": [_("Choose a day after today.")]},
        )
    if due_on > today + timedelta(days=DUE_MAX_DAYS):
        raise ValidationFailed(
            _("A micro-wish is for the next three months: choose an earlier date."),
            code="due_too_far",
            extra={"due_on": [_("At most three months from today.")]},
        )
    return due_on


def _clean_group_size(group_size: Any) -> int:
    if isinstance(group_size, bool) or not isinstance(group_size, int) or not 1 <= group_size <= GROUP_MAX:
        message = _("Members needed: 1 for a small wish, up to %(max)s for a big wish.") % {"max": GROUP_MAX}
        raise ValidationFailed(message, code="invalid_group_size", extra={"group_size": [message]})
    return group_size


@transaction.atomic
def wish_post(
    *,
    actor: User,
    title: str,
    category: str,
    due_on: date,
    description: str = "",
    group_size: int = 1,
    beneficiary: Person | None = None,
) -> Wish:
    """A resident posts a wish for themself, or the community's staff post one for a resident."""
    own = person_of(actor)
    if beneficiary is None or (own is not None and beneficiary.pk == own.pk):
        if own is None:
            raise PermissionDenied(
                _("Register as a resident of your community first: ask your community's office."),
                code="not_a_resident",
            )
        beneficiary = own
    elif not is_staff_of(actor, beneficiary.community):
        raise refusal(
            actor,
            beneficiary.community,
            _("Only the community's social workers or Party secretary can post a wish for a resident."),
            "not_community_staff",
        )
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    checks = (
        (
            "title",
            lambda: _text(
                title,
                limit=TITLE_MAX,
                required=True,
                field="title",
                message=_("Say the wish in at most %(max)s characters.") % {"max": TITLE_MAX},
                code="invalid_title",
            ),
        ),
        (
            "description",
            lambda: _text(
                description,
                limit=DESCRIPTION_MAX,
                required=False,
                field="description",
                message=_("At most %(max)s characters.") % {"max": DESCRIPTION_MAX},
                code="invalid_description",
            ),
        ),
        ("due_on", lambda: _clean_due(due_on, timezone.localdate())),
        ("group_size", lambda: _clean_group_size(group_size)),
    )
    first: ValidationFailed | None = None
    if category not in WishCategory.values:
        first = ValidationFailed(_("Choose what kind of wish it is."), code="invalid_category")
        errors["category"] = [_("Choose one.")]
    for name, check in checks:
        try:
            values[name] = check()
        except ValidationFailed as exc:
            first = first or exc
            errors.update(exc.extra)
    if first is not None:
        raise ValidationFailed(first.message, code=first.code, extra=errors)
    community = beneficiary.community
    wish = Wish.objects.create(
        community=community,
        grid=grid_of(beneficiary.home),
        beneficiary=beneficiary,
        posted_by=actor,
        category=category,
        **values,
    )
    _record(wish, WishStep.POST, "", actor)
    return wish


# --- Lighting up (点亮) ------------------------------------------------------------------------------


@transaction.atomic
def wish_claim(*, actor: User, wish: Wish) -> WishClaim:
    """A reported member of the wish's community lights it up; exactly `group_size` members can.

    The wish row is locked while its claims are counted, so of many members tapping at once, only
    as many as there are places succeed; the others are told it was lit up (or is full).
    """
    wish = _locked(wish)
    require_reported_member(actor, wish.community)
    WISH_TABLE.check(WishStep.CLAIM, wish.state)
    if wish.beneficiary.user_id == actor.pk:
        raise PermissionDenied(_("You cannot light up your own wish."), code="own_wish")
    claims = list(wish.claims.values_list("user_id", flat=True))
    if actor.pk in claims:
        raise Conflict(_("You have already lit up this wish."), code="already_claimed")
    if len(claims) >= wish.group_size:
        if wish.group_size == 1:
            raise Conflict(_("This wish has already been lit up by another member."), code="wish_taken")
        raise Conflict(
            _("This wish already has all the %(n)s members it needs.") % {"n": wish.group_size},
            code="wish_full",
        )
    try:
        with transaction.atomic():
            claim = WishClaim.objects.create(wish=wish, user=actor)
    except IntegrityError:
        raise Conflict(_("You have already lit up this wish."), code="already_claimed") from None
    before = wish.state
    if before == WishState.OPEN:
        wish.state = WishState.CLAIMED
        wish.save(update_fields=["state"])
    count = len(claims) + 1
    note = f"{count}/{wish.group_size}" if wish.group_size > 1 else ""
    _record(wish, WishStep.CLAIM, before, actor, note)
    owner = wish_owner(wish)
    if before == WishState.OPEN:
        with _platform_language():
            title = _("The wish “%(title)s” has been lit up by a Party member.") % {"title": wish.title}
        notice_send(recipient=owner, key=f"wish-lit:{wish.pk}", kind="wish-lit", title=title, url=_url(wish))
    if wish.group_size > 1 and count == wish.group_size:
        with _platform_language():
            title = _("All %(n)s members the wish “%(title)s” needs have lit it up.") % {
                "n": wish.group_size,
                "title": wish.title,
            }
        notice_send(
            recipient=owner, key=f"wish-full:{wish.pk}", kind="wish-full", title=title, url=_url(wish)
        )
    return claim


# --- Fulfilling, confirming, cancelling --------------------------------------------------------------


@transaction.atomic
def wish_fulfil(*, actor: User, wish: Wish, note: str, photo) -> Wish:
    """A claimant shows the wish fulfilled with a photo and a note; the resident is asked to confirm."""
    wish = _locked(wish)
    if actor is None or not wish.claims.filter(user_id=actor.pk).exists():
        raise refusal(
            actor,
            wish.community,
            _("Only a member who lit up this wish can mark it fulfilled."),
            "not_claimant",
        )
    WISH_TABLE.check(WishStep.FULFIL, wish.state)
    note = _text(
        note,
        limit=NOTE_MAX,
        required=True,
        field="note",
        message=_("Say how the wish was fulfilled, in at most %(max)s characters.") % {"max": NOTE_MAX},
        code="invalid_note",
    )
    if photo is None:
        raise ValidationFailed(
            _("Add a photo of the wish fulfilled (晒单)."),
            code="photo_required",
            extra={"photo": [_("Required.")]},
        )
    check_photo(photo)
    # The stored name says nothing about who took it.
    extension = os.path.splitext(photo.name or "")[1].lower() or ".jpg"
    photo.name = f"wish-{wish.pk}{extension}"
    before = wish.state
    wish.state = WishState.FULFILLED
    wish.fulfil_note, wish.fulfil_photo, wish.fulfilled_at = note, photo, timezone.now()
    wish.save(update_fields=["state", "fulfil_note", "fulfil_photo", "fulfilled_at"])
    _record(wish, WishStep.FULFIL, before, actor, note)
    with _platform_language():
        title = _("The wish “%(title)s” has been fulfilled: please confirm it.") % {"title": wish.title}
    notice_send(
        recipient=wish_owner(wish),
        key=f"wish-fulfilled:{wish.pk}",
        kind="wish-fulfilled",
        title=title,
        url=_url(wish),
    )
    return wish


@transaction.atomic
def wish_confirm(*, actor: User | None, wish: Wish, note: str = "") -> Wish:
    """The resident (or for them the poster or staff) confirms; every claimant earns the points once."""
    wish = _locked(wish)
    if not may_confirm(actor, wish):
        raise refusal(
            actor,
            wish.community,
            _("Only the resident the wish is for, or whoever posted it for them, can confirm it."),
            "not_wish_owner",
        )
    WISH_TABLE.check(WishStep.CONFIRM, wish.state)
    note = _text(
        note,
        limit=300,
        required=False,
        field="note",
        message=_("At most %(max)s characters.") % {"max": 300},
        code="invalid_note",
    )
    before = wish.state
    wish.state, wish.confirmed_at = WishState.CONFIRMED, timezone.now()
    wish.save(update_fields=["state", "confirmed_at"])
    _record(wish, WishStep.CONFIRM, before, actor, note)
    claimants = claimant_users(wish)
    for user in claimants:
        pay(
            EventType.WISH_FULFILLED,
            user.pk,
            wish.community,
            f"wish:{wish.pk}:claim:{user.pk}",
            cause=f"volunteers.Wish:{wish.pk}",
            memo=wish.title,
        )
    with _platform_language():
        title = _("The wish “%(title)s” you lit up is confirmed fulfilled. Thank you!") % {
            "title": wish.title
        }
    notice_send_each(
        claimants, key=f"wish-confirmed:{wish.pk}", kind="wish-confirmed", title=title, url=_url(wish)
    )
    return wish


@transaction.atomic
def wish_cancel(*, actor: User | None, wish: Wish, reason: str) -> Wish:
    """The resident, the poster or the community's staff cancel an open or lit-up wish; claimants are told."""
    wish = _locked(wish)
    if not may_cancel(actor, wish):
        raise refusal(
            actor,
            wish.community,
            _("Only the resident, whoever posted the wish, or the community's staff can cancel it."),
            "not_wish_owner",
        )
    WISH_TABLE.check(WishStep.CANCEL, wish.state)
    reason = _text(
        reason,
        limit=REASON_MAX,
        required=True,
        field="reason",
        message=_("Say why, in at most %(max)s characters: the members who lit it up read it.")
        % {"max": REASON_MAX},
        code="reason_required",
    )
    before = wish.state
    wish.state, wish.cancel_reason = WishState.CANCELLED, reason
    wish.save(update_fields=["state", "cancel_reason"])
    _record(wish, WishStep.CANCEL, before, actor, reason)
    with _platform_language():
        title = _("The wish “%(title)s” you lit up was cancelled: %(reason)s") % {
            "title": wish.title,
            "reason": reason,
        }
    notice_send_each(
        claimant_users(wish),
        key=f"wish-cancelled:{wish.pk}",
        kind="wish-cancelled",
        title=title,
        url=_url(wish),
    )
    return wish


# --- The periodic push ---------------------------------------------------------------------------


def wishes_near_due(today: date):
    """Wishes still waiting for members whose wanted-by date is within VOLUNTEER_WISH_PUSH_DAYS."""
    horizon = today + timedelta(days=settings.VOLUNTEER_WISH_PUSH_DAYS)
    return (
        Wish.objects.filter(
            state__in=[WishState.OPEN, WishState.CLAIMED], due_on__gte=today, due_on__lte=horizon
        )
        .annotate(claim_count=Count("claims"))
        .filter(claim_count__lt=F("group_size"))
        .select_related("community", "grid", "beneficiary")
        .order_by("due_on", "pk")
    )


def _push_recipients(wish: Wish) -> list[User]:
    """The reported members of the wish's grid (or community, for a wish without a grid) who have not lit it up."""
    where = Q(
        person__party_member__reports__state=ReportState.ACCEPTED,
        person__party_member__reports__community=wish.community,
    )
    if wish.grid_id is not None:
        where &= Q(person__party_member__reports__grid=wish.grid)
    users = (
        User.objects.filter(where, is_active=True).exclude(wish_claims__wish=wish).distinct().order_by("pk")
    )
    if wish.beneficiary.user_id is not None:
        users = users.exclude(pk=wish.beneficiary.user_id)
    return list(users)


def wishes_push_near_due(now: datetime | None = None) -> int:
    """Push each wish still waiting near its date, once, to its grid's reported members; notices sent.

    Safe to run twice, or from two workers: every notice is keyed `wish-push:<wish>:<user>`. One
    query for the members of each wish near its date; the notices of all of them go together.
    """
    today = timezone.localdate(now or timezone.now())
    drafts: list[NoticeDraft] = []
    for wish in wishes_near_due(today):
        place = wish.grid.name if wish.grid_id else wish.community.name
        with _platform_language():
            title = _(
                "A micro-wish in %(place)s is wanted by %(date)s and still waits for members: “%(title)s”."
            ) % {"place": place, "date": wish.due_on.strftime("%Y-%m-%d"), "title": wish.title}
        drafts += [
            NoticeDraft(user.pk, f"wish-push:{wish.pk}:{user.pk}", "wish-push", title, url=_url(wish))
            for user in _push_recipients(wish)
        ]
    return notices_send_batch(drafts)
