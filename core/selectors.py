"""Reads shared across the platform."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def headline_figures() -> list[dict]:
    """The public home's headline figures. The domain apps add theirs as they land; zero until then."""
    from community.models import Area, AreaKind, Organisation, OrgKind, PartyMember

    return [
        {"label": _("Communities"), "value": Area.objects.filter(kind=AreaKind.COMMUNITY).count()},
        {
            "label": _("Unit Party organisations"),
            "value": Organisation.objects.filter(kind=OrgKind.UNIT_PARTY, is_active=True).count(),
        },
        {"label": _("Party members"), "value": PartyMember.objects.count()},
        {"label": _("Contracts signed"), "value": 0},
        {"label": _("Issues solved"), "value": 0},
        {"label": _("Points issued"), "value": 0},
    ]
