"""Template context every page needs: platform name, the user's roles, navigation and unread notices."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.access import scope_for
from community.models import CASEWORK_ROLES, STAFF_ROLES, Role

from .pagecache import CSRF_PLACEHOLDER, rendering_for_cache

# The main navigation: (URL name, label, Bootstrap icon, roles that see it or None for everyone).
# Apps add their entry here when they add the page.
NAV_LINKS: list[tuple[str, str, str, frozenset[str] | None]] = [
    ("home", _("Home"), "house", None),
    ("contracts:board", _("Published contracts"), "megaphone", None),
    ("contracts:mine", _("My contracts"), "file-earmark-text", frozenset({Role.UNIT_CONTACT, *STAFF_ROLES})),
    ("councils:board", _("Council results"), "bar-chart", None),
    ("councils:issues", _("My issues"), "chat-square-text", None),
    ("volunteers:home", _("My service"), "heart", None),
    ("dashboards:map", _("Party-and-people map"), "geo-alt", None),
    # The administrators of the district, streets and communities (dashboards.areas.DASHBOARD_ROLES).
    (
        "dashboards:dashboard",
        _("Dashboards"),
        "speedometer2",
        frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER}),
    ),
    ("audit:entry_list", _("Public record"), "journal-check", None),
    ("audit:verify", _("Verify the public record"), "patch-check", None),
    ("points:wallet", _("My points"), "coin", None),
    ("points:market", _("Livelihood market"), "shop", None),
    # Merchants' contacts and the staff who run the market (points.market_rules).
    ("points:verify", _("Verify codes"), "qr-code-scan", frozenset({Role.UNIT_CONTACT, *CASEWORK_ROLES})),
]
# Translators: the platform's name where a phone has little room, next to the full name
# "Yuecheng Co-construction Platform"; about four Chinese characters (e.g. 越城共建).
PLATFORM_SHORT_NAME = _("Yuecheng")


def _navigation(roles: frozenset[str], *, everything: bool) -> list[dict]:
    links = []
    for name, label, icon, allowed in NAV_LINKS:
        if allowed is not None and not everything and not roles & allowed:
            continue
        links.append({"url": reverse(name), "label": label, "icon": icon, "name": name})
    return links


def platform(request):
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    scope = scope_for(user) if authenticated else None
    roles = scope.roles if scope else frozenset()
    everything = bool(scope and scope.everything)
    unread = 0
    if authenticated:
        from notices.selectors import unread_count

        unread = unread_count(user=user)
    context = {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "PLATFORM_SHORT_NAME": PLATFORM_SHORT_NAME,
        "user_roles": roles,
        "unread_notice_count": unread,
        "nav_links": _navigation(roles, everything=everything),
        # Back-office roles work in /admin/; is_staff follows those roles (community.services).
        "show_back_office": authenticated and (user.is_staff or everything or bool(roles & STAFF_ROLES)),
        "notices_url": reverse("notices:inbox") if authenticated else None,
        "record_verify_url": reverse("audit:verify"),
    }
    if rendering_for_cache(request):
        # Rendered once for every anonymous visitor: each one's token is written in when served.
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
