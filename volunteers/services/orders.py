"""Service orders (群众点单 → 社区发单 → 党员接单/随时抢单 → 实时晒单 → 服务评单): one function per step.

A resident orders a service in the community they live in (a social worker or the secretary may order
for a resident without a phone). The community's staff dispatch it to a reported member, who accepts
or declines, or open it to the pool, where the first reported member of the community to grab it wins
(the row is locked and its state checked again, so exactly one of many simultaneous grabs succeeds).
The member may release it before starting, marks it done with photos (晒单), and the resident rates it
(评单) once; rating pays the member the "order completed" earning rule through the outbox, keyed by the
order, so it is paid once — also when the order closes itself unrated. Orders not accepted in time
return to the community; both periodic steps are safe to run twice and concurrently.

Every transition locks the order, checks `ORDER_TABLE`, and writes an `OrderEvent`. Refusals: 404 for
an order the actor may not see, 403 for a step they may not take, 409 for a step the state does not
allow, 400 for bad input; nothing changes when refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.access import scope_for
from community.models import Area, AreaKind, Person, Role, RoleGrant, User
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from notices.services import notice_send_each
from points.models import EventType

from ..models import OrderEvent, OrderPhoto, ServiceOrder
from ..workflow import ORDER_TABLE, OrderState, OrderStep, ServiceField
from .common import (
    active_report,
    check_photo,
    grid_of,
    is_staff_of,
    pay,
    person_of,
    refusal,
    require_reported_member,
    require_staff,
)

DESCRIPTION_MAX = 500
ADDRESS_MAX = 200
NOTE_MAX = 500
REASON_MAX = 300
COMMENT_MAX = 300
MAX_PHOTOS = 6
# How far ahead a resident may order.
WINDOW_AHEAD_DAYS = 90
PHONE = re.compile(r"1\d{10}")
# Who may order a service for a resident without a phone, and who is told when an order returns.
ORDERING_ROLES = (Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)
NOTIFY_ROLES = (Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)
# States in which an order has been taken by a member (a later grab hears "already taken").
TAKEN_STATES = frozenset(
    {OrderState.ACCEPTED, OrderState.STARTED, OrderState.DONE, OrderState.RATED, OrderState.CLOSED}
)


# --- Helpers --------------------------------------------------------------------------------------


def home_address(person: Person | None) -> str:
    """The resident's home as an address: "越都花园1幢" for a building of a compound, else the home's name."""
    home = getattr(person, "home", None)
    if home is None:
        return ""
    if home.kind != AreaKind.COMPOUND and home.parent_id:
        parent = home.parent
        if parent.kind == AreaKind.COMPOUND:
            return f"{parent.name}{home.name}"
    return home.name


def community_staff(community: Area) -> list[User]:
    """The community's active Party secretaries and social workers (who are told when an order returns)."""
    grants = (
        RoleGrant.objects.filter(role__in=NOTIFY_ROLES, area=community, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({grant.user_id: grant.user for grant in grants}.values())


def _what(order: ServiceOrder) -> str:
    return f"{order.get_field_display()} · {Truncator(order.description).chars(30)}"


def _who(user: User | None) -> str:
    return str(user) if user is not None else ""


def _url(order: ServiceOrder) -> str:
    return reverse("volunteers:order", args=[order.pk])


def _tell(users, *, order: ServiceOrder, event: OrderEvent, kind: str, message, **values) -> int:
    """Notices in the platform's language, once per event and recipient (the key names the event).

    `message` is a lazy msgid with `%(what)s` (the order in a few words) and `values`' placeholders.
    """
    users = [user for user in users if user is not None and user.is_active]
    if not users:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title = str(message) % {"what": _what(order), **values}
        return notice_send_each(
            users, key=f"{kind}:{order.pk}:{event.pk}", kind=kind, title=title, url=_url(order)
        )


def _orderer_users(order: ServiceOrder) -> list[User]:
    """Who hears about the resident's order: the resident's login, else the staff who ordered for them."""
    resident_user = order.resident.user
    if resident_user is not None:
        return [resident_user]
    return [order.ordered_by]


def _record(
    order: ServiceOrder, step: str, from_state: str, actor: User | None, note: str = ""
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        step=step,
        from_state=from_state,
        to_state=order.state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=(note or "")[:300],
    )


def _locked(order: ServiceOrder) -> ServiceOrder:
    locked = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk=order.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found."), code="not_found")
    return locked


def _authenticated(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated


def is_holder(actor: User | None, order: ServiceOrder) -> bool:
    """The member the order was dispatched to, or who accepted or grabbed it."""
    return _authenticated(actor) and order.member_id == actor.pk


def is_orderer(actor: User | None, order: ServiceOrder) -> bool:
    """The resident whose order it is, or the staff member who ordered it for them."""
    if not _authenticated(actor):
        return False
    return order.ordered_by_id == actor.pk or order.resident.user_id == actor.pk


def _require_holder(actor: User | None, order: ServiceOrder) -> None:
    if not is_holder(actor, order):
        raise refusal(
            actor,
            order.community,
            _("Only the member this order is with can do this."),
            "not_your_order",
        )


def _text(value: Any, *, limit: int, required: bool, field: str, message: str, code: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None or len(value) > limit or (required and not value):
        raise ValidationFailed(message, code=code, extra={field: [message]})
    return value


def _reason(reason: Any) -> str:
    return _text(
        reason,
        limit=REASON_MAX,
        required=False,
        field="reason",
        message=_("At most %(max)s characters.") % {"max": REASON_MAX},
        code="invalid_reason",
    )


def _accept_by(now: datetime) -> datetime:
    return now + timedelta(hours=settings.VOLUNTEER_ACCEPT_HOURS)


def _pay(order: ServiceOrder) -> None:
    """The member earns the "order completed" rule once per order (the key), whether rated or closed."""
    if order.member_id is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        memo = _("Service order: %(what)s") % {"what": _what(order)}
    pay(
        EventType.ORDER_COMPLETED,
        order.member_id,
        order.community,
        f"service-order:{order.pk}",
        cause=f"volunteers.ServiceOrder:{order.pk}",
        memo=memo,
    )


# --- 群众点单: a resident orders -------------------------------------------------------------------


def _check_window(window_start: Any, window_end: Any, now: datetime) -> None:
    if not isinstance(window_start, datetime) or not isinstance(window_end, datetime):
        raise ValidationFailed(
            _("Say from when until when the service is wanted."),
            code="invalid_window",
            extra={"window_start": [_("Required.")]},
        )
    if timezone.is_naive(window_start) or timezone.is_naive(window_end):
        raise ValidationFailed(_("Times must carry a time zone."), code="invalid_window")
    if window_end <= window_start:
        message = _("The time window must end after it starts.")
        raise ValidationFailed(message, code="invalid_window", extra={"window_end": [message]})
    if window_end <= now:
        message = _("This time is already past: choose a time still to come.")
        raise ValidationFailed(message, code="window_past", extra={"window_end": [message]})
    if window_start > now + timedelta(days=WINDOW_AHEAD_DAYS):
        message = _("Order at most %(days)s days ahead.") % {"days": WINDOW_AHEAD_DAYS}
        raise ValidationFailed(message, code="window_too_far", extra={"window_start": [message]})


@transaction.atomic
def order_place(
    *,
    actor: User,
    field: str,
    description: str,
    window_start: datetime,
    window_end: datetime,
    address: str = "",
    contact_phone: str = "",
    community: Area | None = None,
    for_person: Person | None = None,
) -> ServiceOrder:
    """群众点单: a resident orders a service in their community, or staff order one for a resident.

    The address defaults to the resident's home, the phone to theirs. `community`, when given, must
    be the one the resident lives in.
    """
    if for_person is not None:
        person = Person.objects.select_related("community", "home").get(pk=for_person.pk)
        if not scope_for(actor).for_roles(ORDERING_ROLES).covers_path(person.community.path):
            raise refusal(
                actor,
                person.community,
                _("Only a social worker or the community's secretary can order a service for a resident."),
                "not_a_recorder",
            )
    else:
        person = person_of(actor)
        if person is None:
            raise PermissionDenied(
                _("Register as a resident first: ask your community's office."), code="not_a_resident"
            )
    home = person.community
    if home is None or home.kind != AreaKind.COMMUNITY:
        raise PermissionDenied(
            _("Register as a resident first: ask your community's office."), code="not_a_resident"
        )
    if community is not None and community.pk != home.pk:
        raise PermissionDenied(
            _("Services are ordered in the community one lives in: %(community)s.")
            % {"community": home.name},
            code="not_your_community",
        )
    if field not in ServiceField.values:
        message = _("Choose a service from the list.")
        raise ValidationFailed(message, code="invalid_field", extra={"field": [message]})
    description = _text(
        description,
        limit=DESCRIPTION_MAX,
        required=True,
        field="description",
        message=_("Say what is needed, in at most %(max)s characters.") % {"max": DESCRIPTION_MAX},
        code="invalid_description",
    )
    now = timezone.now()
    _check_window(window_start, window_end, now)
    address = _text(
        address,
        limit=ADDRESS_MAX,
        required=False,
        field="address",
        message=_("At most %(max)s characters.") % {"max": ADDRESS_MAX},
        code="invalid_address",
    ) or home_address(person)
    if not address:
        message = _("Give the address where the service is needed.")
        raise ValidationFailed(message, code="address_required", extra={"address": [message]})
    contact_phone = (
        (contact_phone or "").strip() if isinstance(contact_phone, str) or contact_phone is None else None
    )
    if contact_phone is None or (contact_phone and not PHONE.fullmatch(contact_phone)):
        message = _("Enter an 11-digit mainland mobile number starting with 1.")
        raise ValidationFailed(message, code="invalid_phone", extra={"contact_phone": [message]})
    contact_phone = contact_phone or person.phone or ""
    order = ServiceOrder.objects.create(
        community=home,
        grid=grid_of(person.home),
        resident=person,
        ordered_by=actor,
        field=field,
        description=description,
        address=address,
        contact_phone=contact_phone,
        window_start=window_start,
        window_end=window_end,
    )
    note = ""
    if for_person is not None:
        note = _("Ordered by %(who)s for the resident") % {"who": _who(actor)}
    _record(order, OrderStep.ORDER, "", actor, note)
    return order


# --- 社区发单: the community dispatches --------------------------------------------------------------


@transaction.atomic
def order_dispatch(*, actor: User | None, order: ServiceOrder, member: User) -> ServiceOrder:
    """The community dispatches the order to a member who reported to it; they have the accept hours to accept."""
    order = _locked(order)
    require_staff(actor, order.community)
    ORDER_TABLE.check(OrderStep.DISPATCH, order.state)
    if member is None or active_report(member, order.community) is None:
        message = _("Choose a member who has reported to this community.")
        raise ValidationFailed(message, code="member_not_reported", extra={"member": [message]})
    if order.resident.user_id == member.pk:
        message = _("A member cannot serve their own order.")
        raise ValidationFailed(message, code="own_order", extra={"member": [message]})
    before, now = order.state, timezone.now()
    order.state, order.member, order.from_pool = OrderState.ASSIGNED, member, False
    order.accept_by = _accept_by(now)
    order.save(update_fields=["state", "member", "from_pool", "accept_by"])
    event = _record(order, OrderStep.DISPATCH, before, actor, _who(member))
    _tell(
        [member],
        order=order,
        event=event,
        kind="service-order-dispatched",
        message=gettext_lazy(
            "A service order was dispatched to you: %(what)s. Accept or decline it by %(when)s."
        ),
        when=timezone.localtime(order.accept_by).strftime("%Y-%m-%d %H:%M"),
    )
    return order


@transaction.atomic
def order_to_pool(*, actor: User | None, order: ServiceOrder) -> ServiceOrder:
    """The community opens the order to grab (随时抢单) by any member reported to it."""
    order = _locked(order)
    require_staff(actor, order.community)
    ORDER_TABLE.check(OrderStep.POOL, order.state)
    before = order.state
    order.state, order.member, order.from_pool = OrderState.POOLED, None, False
    order.accept_by = _accept_by(timezone.now())
    order.save(update_fields=["state", "member", "from_pool", "accept_by"])
    _record(order, OrderStep.POOL, before, actor)
    return order


# --- 党员接单 / 随时抢单: a member takes it ------------------------------------------------------------


def _tell_accepted(order: ServiceOrder, event: OrderEvent) -> None:
    _tell(
        _orderer_users(order),
        order=order,
        event=event,
        kind="service-order-accepted",
        message=gettext_lazy("Your service order “%(what)s” was taken by %(member)s, who will contact you."),
        member=_who(order.member),
    )


@transaction.atomic
def order_accept(*, actor: User, order: ServiceOrder) -> ServiceOrder:
    """The member it was dispatched to accepts it (党员接单); the resident is told."""
    order = _locked(order)
    _require_holder(actor, order)
    ORDER_TABLE.check(OrderStep.ACCEPT, order.state)
    require_reported_member(actor, order.community)
    before = order.state
    order.state, order.accepted_at = OrderState.ACCEPTED, timezone.now()
    order.save(update_fields=["state", "accepted_at"])
    event = _record(order, OrderStep.ACCEPT, before, actor)
    _tell_accepted(order, event)
    return order


def _tell_returned(order: ServiceOrder, event: OrderEvent, message, **values) -> None:
    _tell(
        community_staff(order.community),
        order=order,
        event=event,
        kind="service-order-returned",
        message=message,
        **values,
    )


@transaction.atomic
def order_decline(*, actor: User, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """The member it was dispatched to declines: it goes back to the community, which is told."""
    order = _locked(order)
    _require_holder(actor, order)
    target = ORDER_TABLE.check(OrderStep.DECLINE, order.state)
    reason = _reason(reason)
    before, member = order.state, order.member
    order.state, order.member, order.accept_by = target, None, None
    order.save(update_fields=["state", "member", "accept_by"])
    event = _record(order, OrderStep.DECLINE, before, actor, reason)
    _tell_returned(
        order,
        event,
        gettext_lazy("%(member)s declined the service order “%(what)s”; it awaits dispatch again."),
        member=_who(member),
    )
    return order


@transaction.atomic
def order_grab(*, actor: User, order: ServiceOrder) -> ServiceOrder:
    """A member reported to the community grabs a pooled order; of many at once, exactly one wins.

    The row lock makes simultaneous grabs take turns; each checks the state again under the lock, so
    the first takes it and every other hears that it is already taken (409), changing nothing.
    """
    order = _locked(order)
    require_reported_member(actor, order.community)
    if order.state != OrderState.POOLED:
        if order.state in TAKEN_STATES and order.member_id == actor.pk:
            raise Conflict(_("You have already taken this order."), code="already_yours")
        if order.state in TAKEN_STATES:
            raise Conflict(_("This order has already been taken by another member."), code="order_taken")
        ORDER_TABLE.check(OrderStep.GRAB, order.state)
    if order.resident.user_id == actor.pk:
        raise PermissionDenied(_("You cannot take your own order."), code="own_order")
    before = order.state
    order.state, order.member, order.from_pool = OrderState.ACCEPTED, actor, True
    order.accepted_at = timezone.now()
    order.save(update_fields=["state", "member", "from_pool", "accepted_at"])
    event = _record(order, OrderStep.GRAB, before, actor)
    _tell_accepted(order, event)
    return order


@transaction.atomic
def order_release(*, actor: User, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """The member gives the order back before starting: to the pool (a fresh deadline) if grabbed there,
    else to the community; the community is told."""
    order = _locked(order)
    _require_holder(actor, order)
    ORDER_TABLE.check(OrderStep.RELEASE, order.state)
    reason = _reason(reason)
    before, member, now = order.state, order.member, timezone.now()
    if order.from_pool:
        order.state, order.accept_by = OrderState.POOLED, _accept_by(now)
    else:
        order.state, order.accept_by = OrderState.ORDERED, None
    order.member, order.from_pool, order.accepted_at = None, False, None
    order.save(update_fields=["state", "accept_by", "member", "from_pool", "accepted_at"])
    event = _record(order, OrderStep.RELEASE, before, actor, reason)
    if order.state == OrderState.POOLED:
        message = gettext_lazy("%(member)s released the service order “%(what)s”; it is open to grab again.")
    else:
        message = gettext_lazy("%(member)s released the service order “%(what)s”; it awaits dispatch again.")
    _tell_returned(order, event, message, member=_who(member))
    return order


@transaction.atomic
def order_start(*, actor: User, order: ServiceOrder) -> ServiceOrder:
    """The member starts the service (optional: an order can be marked done straight from accepted)."""
    order = _locked(order)
    _require_holder(actor, order)
    target = ORDER_TABLE.check(OrderStep.START, order.state)
    before = order.state
    order.state, order.started_at = target, timezone.now()
    order.save(update_fields=["state", "started_at"])
    _record(order, OrderStep.START, before, actor)
    return order


# --- 实时晒单: done, with photos ----------------------------------------------------------------------


@transaction.atomic
def order_finish(*, actor: User, order: ServiceOrder, photos: list | None, note: str) -> ServiceOrder:
    """The member marks it done with 1–6 photos (JPG or PNG, 8 MB each) and a note; the resident is asked to rate."""
    order = _locked(order)
    _require_holder(actor, order)
    target = ORDER_TABLE.check(OrderStep.FINISH, order.state)
    photos = [photo for photo in (photos or []) if photo is not None]
    if not 1 <= len(photos) <= MAX_PHOTOS:
        message = _("Add from 1 to %(max)s photos of the service done.") % {"max": MAX_PHOTOS}
        raise ValidationFailed(message, code="photos_required", extra={"photos": [message]})
    for photo in photos:
        check_photo(photo, field="photos")
    note = _text(
        note,
        limit=NOTE_MAX,
        required=True,
        field="note",
        message=_("Say what was done, in at most %(max)s characters.") % {"max": NOTE_MAX},
        code="note_required",
    )
    for photo in photos:
        OrderPhoto.objects.create(order=order, photo=photo, uploaded_by=actor)
    before, now = order.state, timezone.now()
    order.state, order.done_at, order.done_note = target, now, note
    order.rate_by = now + timedelta(days=settings.VOLUNTEER_RATE_DAYS)
    order.save(update_fields=["state", "done_at", "done_note", "rate_by"])
    event = _record(order, OrderStep.FINISH, before, actor, note)
    _tell(
        _orderer_users(order),
        order=order,
        event=event,
        kind="service-order-done",
        message=gettext_lazy("Your service order “%(what)s” is done. Please rate it by %(when)s."),
        when=timezone.localtime(order.rate_by).strftime("%Y-%m-%d"),
    )
    return order


# --- 服务评单: the resident rates ---------------------------------------------------------------------


@transaction.atomic
def order_rate(*, actor: User, order: ServiceOrder, stars: int, comment: str = "") -> ServiceOrder:
    """The resident (or the staff who ordered for them) rates the done order once; the member is paid once."""
    order = _locked(order)
    if not is_orderer(actor, order):
        raise refusal(
            actor,
            order.community,
            _("Only the resident who ordered can rate this service."),
            "not_your_order",
        )
    target = ORDER_TABLE.check(OrderStep.RATE, order.state)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        message = _("Give from 1 to 5 stars.")
        raise ValidationFailed(message, code="invalid_stars", extra={"stars": [message]})
    comment = _text(
        comment,
        limit=COMMENT_MAX,
        required=False,
        field="comment",
        message=_("At most %(max)s characters.") % {"max": COMMENT_MAX},
        code="invalid_comment",
    )
    before = order.state
    order.state, order.stars, order.rating_comment, order.rated_at = target, stars, comment, timezone.now()
    order.save(update_fields=["state", "stars", "rating_comment", "rated_at"])
    _record(order, OrderStep.RATE, before, actor, "★" * stars + (f" {comment}" if comment else ""))
    _pay(order)
    return order


@transaction.atomic
def order_cancel(*, actor: User | None, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """The resident (or the community's staff) cancels an order nobody has accepted yet."""
    order = _locked(order)
    if not (is_orderer(actor, order) or is_staff_of(actor, order.community)):
        raise refusal(
            actor, order.community, _("Only the resident who ordered can cancel it."), "not_your_order"
        )
    target = ORDER_TABLE.check(OrderStep.CANCEL, order.state)
    reason = _reason(reason)
    before, member = order.state, order.member
    order.state, order.member, order.accept_by = target, None, None
    order.save(update_fields=["state", "member", "accept_by"])
    event = _record(order, OrderStep.CANCEL, before, actor, reason)
    if before == OrderState.ASSIGNED and member is not None:
        _tell(
            [member],
            order=order,
            event=event,
            kind="service-order-cancelled",
            message=gettext_lazy("The service order “%(what)s” dispatched to you was cancelled."),
        )
    return order


# --- The platform's periodic steps ----------------------------------------------------------------


@transaction.atomic
def order_timeout(*, order: ServiceOrder, now: datetime | None = None) -> bool:
    """An order dispatched or pooled but not accepted by its deadline returns to the community, which is
    told once. Returns whether it returned now (False when not due or already handled)."""
    now = now or timezone.now()
    order = _locked(order)
    if (
        not ORDER_TABLE.can(OrderStep.TIMEOUT, order.state)
        or order.accept_by is None
        or order.accept_by > now
    ):
        return False
    before, member = order.state, order.member
    order.state, order.member, order.accept_by, order.from_pool = OrderState.ORDERED, None, None, False
    order.save(update_fields=["state", "member", "accept_by", "from_pool"])
    event = _record(order, OrderStep.TIMEOUT, before, None, _who(member))
    _tell_returned(
        order,
        event,
        gettext_lazy("Nobody accepted the service order “%(what)s” in time; it awaits dispatch again."),
    )
    return True


@transaction.atomic
def order_close(*, order: ServiceOrder, now: datetime | None = None) -> bool:
    """A done order not rated by its rating deadline closes itself and pays the member (the same key as
    rating, so never twice). Returns whether it closed now."""
    now = now or timezone.now()
    order = _locked(order)
    if not ORDER_TABLE.can(OrderStep.CLOSE, order.state) or order.rate_by is None or order.rate_by > now:
        return False
    before = order.state
    order.state, order.closed_at = OrderState.CLOSED, now
    order.save(update_fields=["state", "closed_at"])
    _record(order, OrderStep.CLOSE, before, None)
    _pay(order)
    return True


def orders_return_unaccepted(now: datetime | None = None) -> int:
    """Job step: every assigned or pooled order past its accept-by time returns to the community (once)."""
    now = now or timezone.now()
    due = ServiceOrder.objects.filter(
        state__in=(OrderState.ASSIGNED, OrderState.POOLED), accept_by__lte=now
    ).order_by("accept_by", "pk")
    return sum(order_timeout(order=order, now=now) for order in due.only("pk"))


def orders_close_unrated(now: datetime | None = None) -> int:
    """Job step: every done order past its rate-by time closes and pays the member (once)."""
    now = now or timezone.now()
    due = ServiceOrder.objects.filter(state=OrderState.DONE, rate_by__lte=now).order_by("rate_by", "pk")
    return sum(order_close(order=order, now=now) for order in due.only("pk"))
