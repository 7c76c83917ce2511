"""Reads of the livelihood market and the member's own points pages, each shaped for its page or API.

Every list is one query (or a fixed few), whatever its length: related rows come with
`select_related`, per-row figures with subqueries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from community.models import Area, AreaKind

from .models import Account, AccountKind, MarketItem, Redemption
from .workflow import HOLDING_STATES, RedemptionState

if TYPE_CHECKING:
    from community.models import User


# --- Market items ------------------------------------------------------------------------------


def _held_by(user) -> Subquery:
    held = (
        Redemption.objects.filter(item=OuterRef("pk"), user=user, state__in=HOLDING_STATES)
        .order_by()
        .values("item")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))


def market_item_list(
    *,
    actor: User,
    community: Area | None = None,
    merchant=None,
    available: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[MarketItem]:
    """Items the actor may see, with `held` (how many the actor holds now). Available ones first."""
    now = now or timezone.now()
    qs = MarketItem.objects.visible_to(actor).select_related("merchant", "community")
    if community is not None:
        qs = qs.filter(community=community)
    if merchant is not None:
        qs = qs.filter(merchant=merchant)
    window = Q(active=True, available_from__lte=now) & (
        Q(available_until__isnull=True) | Q(available_until__gt=now)
    )
    if available is True:
        qs = qs.filter(window)
    elif available is False:
        qs = qs.exclude(window)
    return qs.annotate(
        held=_held_by(actor),
        open_now=Case(When(window, then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).order_by("-open_now", "community__path", "price", "name", "id")


def market_item_get(*, actor: User, pk) -> MarketItem:
    """One item the actor may see (raises MarketItem.DoesNotExist otherwise), with `held`."""
    return (
        MarketItem.objects.visible_to(actor)
        .select_related("merchant", "community")
        .annotate(held=_held_by(actor))
        .get(pk=pk)
    )


def market_community_of(user: User) -> Area | None:
    """The community whose market the user shops in: where they are registered."""
    person = getattr(user, "person", None)
    return person.community if person is not None else None


# --- Redemptions -------------------------------------------------------------------------------


def redemption_list(*, user: User, state: str | None = None) -> QuerySet[Redemption]:
    """The user's own redemptions: open ones (to show at the counter) first, then newest first."""
    qs = Redemption.objects.filter(user=user).select_related("item__merchant", "item__community")
    if state:
        qs = qs.filter(state=state)
    return qs.annotate(
        open_first=Case(
            When(state=RedemptionState.RESERVED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("open_first", "-reserved_at", "-id")


def redemption_merchant_list(*, actor: User) -> QuerySet[Redemption]:
    """Redemptions the actor may see as merchant contact or staff (not their own), newest first."""
    return (
        Redemption.objects.visible_to(actor)
        .exclude(user=actor)
        .select_related("item__merchant", "item__community", "user__person")
        .order_by("-reserved_at", "-id")
    )


# --- Wallet and statement ----------------------------------------------------------------------


def wallet_of(user: User) -> Account | None:
    """The user's wallet if one was opened; reading never opens one."""
    if user is None or not user.is_authenticated:
        return None
    return Account.objects.filter(kind=AccountKind.WALLET, user=user).select_related("area").first()


# What a transfer's `cause` ("app.Model:pk") links to, for the holder reading their statement.
# Apps add their causes here: {"volunteers.Wish": lambda pk: reverse("volunteers:wish", args=[pk])}.
CAUSE_LINKS: dict[str, Callable[[str], str]] = {
    "points.Redemption": lambda pk: f"{reverse('points:codes')}#redemption-{pk}",
}


def cause_url(cause: str) -> str:
    """The page of a transfer's cause, or "" when there is none to show."""
    model, _sep, pk = (cause or "").partition(":")
    link = CAUSE_LINKS.get(model)
    if link is None or not pk.isdigit():
        return ""
    try:
        return link(pk)
    except Exception:  # a cause whose page no longer resolves is shown without a link
        return ""


# --- Leaderboard -------------------------------------------------------------------------------


def leaderboard_communities(user: User) -> QuerySet[Area]:
    """Communities whose leaderboard the user may open: their own, and those inside their roles' areas."""
    own = getattr(user, "person", None)
    q = Q(pk=own.community_id) if own is not None else Q(pk__in=[])
    visible = Area.objects.visible_to(user).filter(kind=AreaKind.COMMUNITY).values("pk")
    return Area.objects.filter(Q(kind=AreaKind.COMMUNITY) & (q | Q(pk__in=visible))).order_by("path")


def held_total(*, item: MarketItem, user: User) -> int:
    return (
        Redemption.objects.filter(item=item, user=user, state__in=HOLDING_STATES).aggregate(
            total=Coalesce(Sum("quantity"), 0)
        )["total"]
        or 0
    )
