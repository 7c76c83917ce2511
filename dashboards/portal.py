"""The public portal's reads (`/`): the district's headline figures and the teasers of the public pages.

Public aggregates only: counts, sums and the titles of published contracts — never a person's name,
phone or address. A fixed number of queries whatever the data; the figures are cached briefly, since
anyone may load the home page and the sums run over the whole district.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Area, AreaKind, Organisation, OrgKind
from contracts.models import Contract
from contracts.workflow import PUBLIC_STATES
from points.models import MarketItem
from volunteers.models import Wish
from volunteers.workflow import WishCategory, WishState

from .report import ReportFigures, report_figures

HEADLINE_CACHE_KEY = "portal:headline:v1"
HEADLINE_CACHE_SECONDS = 120


def headline_numbers() -> dict:
    """The district's totals for the home page (cached for two minutes)."""
    numbers = cache.get(HEADLINE_CACHE_KEY)
    if numbers is None:
        figures: ReportFigures = report_figures()
        numbers = {
            "communities": Area.objects.filter(kind=AreaKind.COMMUNITY).count(),
            "units": Organisation.objects.filter(kind=OrgKind.UNIT_PARTY, is_active=True).count(),
            "contracts_signed": figures.contracts_signed,
            "items_delivered": figures.items_delivered,
            "issues_raised": figures.issues_raised,
            "issues_solved": figures.issues_solved,
            "resolution_rate": figures.resolution_rate,
            "members_reported": figures.members_reported,
            "wishes_fulfilled": figures.wishes_fulfilled,
            "orders_done": figures.orders_done,
            "points_issued": figures.points_issued,
        }
        cache.set(HEADLINE_CACHE_KEY, numbers, HEADLINE_CACHE_SECONDS)
    return numbers


def headline_list(numbers: dict) -> list[dict]:
    """The figures as the home page lists them: key, label, value and an optional note."""
    rate = numbers["resolution_rate"]
    return [
        {"key": "contracts_signed", "label": _("Contracts signed"), "value": numbers["contracts_signed"]},
        {
            "key": "items_delivered",
            "label": _("Contract items delivered"),
            "value": numbers["items_delivered"],
        },
        {
            "key": "issues_solved",
            "label": _("Council issues solved"),
            "value": numbers["issues_solved"],
            "note": _("Resolution rate %(rate)s") % {"rate": f"{rate:.1f}%"} if rate is not None else "",
        },
        {
            "key": "members_reported",
            "label": _("Party members reported to their communities"),
            "value": numbers["members_reported"],
        },
        {
            "key": "wishes_fulfilled",
            "label": _("Micro-wishes fulfilled"),
            "value": numbers["wishes_fulfilled"],
        },
        {"key": "orders_done", "label": _("Service orders done"), "value": numbers["orders_done"]},
        {"key": "points_issued", "label": _("Points issued"), "value": numbers["points_issued"]},
        {
            "key": "units",
            "label": _("Unit Party organisations"),
            "value": numbers["units"],
            "note": _("The district has %(count)s communities") % {"count": numbers["communities"]},
        },
    ]


def portal_teasers() -> dict:
    """What the sections of the home page show: published contracts, open wishes by category, the market."""
    published = Contract.objects.filter(state__in=PUBLIC_STATES)
    latest = list(
        published.select_related("pairing__community_org", "pairing__unit_org").order_by(
            "-published_at", "-pk"
        )[:3]
    )
    wish_counts = dict(
        Wish.objects.filter(state=WishState.OPEN).values_list("category").annotate(n=Count("id")).order_by()
    )
    labels = dict(WishCategory.choices)
    now = timezone.now()
    market_items = (
        MarketItem.objects.filter(active=True, stock__gt=0, available_from__lte=now)
        .filter(Q(available_until__isnull=True) | Q(available_until__gt=now))
        .count()
    )
    return {
        "published_count": published.count(),
        "latest_contracts": latest,
        "open_wishes": sum(wish_counts.values()),
        "wish_categories": [
            {"code": code, "label": labels[code], "count": wish_counts[code]}
            for code in WishCategory.values
            if wish_counts.get(code)
        ],
        "market_items": market_items,
    }
