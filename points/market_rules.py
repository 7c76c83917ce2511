"""Who may do what in the livelihood market: named permissions (django-rules), asked with the object.

Seeing comes first: `MarketItem.objects.visible_to(user)` (staff and merchant contacts by scope,
residents and members the items of their own community) and `Redemption.objects.visible_to(user)`
(one's own, plus those in scope); anything outside answers 404 before a rule runs.

| permission               | platform admin | caseworkers¹ in scope | unit contact of the merchant | holder | others |
|--------------------------|----------------|-----------------------|------------------------------|--------|--------|
| view_marketitem          | yes            | yes                   | yes                          | –      | –      |
| add/change_marketitem    | yes            | yes                   | –                            | –      | –      |
| delete_marketitem        | nobody: an item is taken off offer (active = no)                                    |||||
| view_redemption          | yes            | yes                   | yes                          | –      | –      |
| verify_redemption        | yes            | yes                   | yes                          | –      | –      |
| cancel_redemption        | yes            | yes                   | –                            | yes    | –      |
| add/change/delete_redemption | nobody: redemptions change only through points.market                          |||||

¹ district and street administrators, community Party secretaries and social workers (DOMAIN §7:
they run the points market). Residents and members redeem through the market pages and API; the
services check the item is offered in their community.
"""

from __future__ import annotations

import rules

from community.models import CASEWORK_ROLES, Role
from community.rules import has_area_role, is_platform_admin, nobody, within

caseworker = within(*CASEWORK_ROLES)
merchant_contact = within(Role.UNIT_CONTACT)


@rules.predicate
def is_holder(user, redemption) -> bool:
    return redemption is not None and getattr(redemption, "user_id", None) == user.pk


# Who may open the verification page at all (a merchant's contact or market staff, somewhere).
may_verify_somewhere = is_platform_admin | has_area_role(*CASEWORK_ROLES, Role.UNIT_CONTACT)

PERMISSIONS = {
    "points.view_marketitem": is_platform_admin | caseworker | merchant_contact,
    "points.add_marketitem": is_platform_admin | caseworker,
    "points.change_marketitem": is_platform_admin | caseworker,
    "points.delete_marketitem": nobody,
    "points.view_redemption": is_platform_admin | caseworker | merchant_contact,
    "points.verify_redemption": is_platform_admin | caseworker | merchant_contact,
    "points.cancel_redemption": is_platform_admin | caseworker | is_holder,
    "points.add_redemption": nobody,
    "points.change_redemption": nobody,
    "points.delete_redemption": nobody,
    "points.view_redemptiontransition": is_platform_admin | caseworker | merchant_contact,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)
