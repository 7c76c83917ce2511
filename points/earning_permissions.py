"""Who may see accounts and transfers, edit earning rules and award points by hand (django-rules).

Seeing comes first: `Model.objects.visible_to(user)`; outside it answers 404 before a rule runs.
The services check the same things again (`points.earning`), whoever calls them.

| permission                     | platform admin | district admin | street admin | secretary           | social worker | others |
|--------------------------------|----------------|----------------|--------------|---------------------|---------------|--------|
| view_account, view_transfer    | yes            | in scope       | in scope     | in scope            | in scope      | –      |
| add/change/delete_account      | nobody: accounts open themselves; balances move only by transfers                  ||||||
| add/change/delete_transfer     | nobody: transfers are append-only; corrections are reversals                       ||||||
| view_earningrule               | yes            | in scope¹      | in scope¹    | in scope¹           | in scope¹     | –      |
| add_earningrule                | yes            | yes            | –            | yes (own community) | –             | –      |
| change_earningrule             | yes            | in scope       | –            | own community's     | –             | –      |
| delete_earningrule             | nobody: a rule is switched off, its history kept                                   ||||||
| view_earning                   | yes            | in scope       | in scope     | in scope            | in scope      | –      |
| view_manualadjustment          | yes            | in scope       | in scope     | in scope            | in scope      | –      |
| add_manualadjustment           | yes            | –              | –            | own community       | own community | –      |
| change/delete_manualadjustment | nobody: an adjustment is corrected by another one                                  ||||||
| allocate_points                | yes            | in scope       | –            | –                   | –             | –      |

¹ plus the district-wide default rules of their district (`EarningRule.objects.visible_to`).
"""

from __future__ import annotations

import rules

from community.models import Role
from community.rules import has_area_role, is_platform_admin, nobody, within

from .models import EarningRule

POINTS_STAFF_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)
MANUAL_ROLES = (Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)

points_staff = within(*POINTS_STAFF_ROLES)


@rules.predicate
def rule_visible(user, rule) -> bool:
    if rule is None:
        return True
    return EarningRule.objects.visible_to(user).filter(pk=rule.pk).exists()


@rules.predicate
def is_community_rule(user, rule) -> bool:
    return rule is None or rule.community_id is not None


PERMISSIONS = {
    "points.view_account": is_platform_admin | points_staff,
    "points.add_account": nobody,
    "points.change_account": nobody,
    "points.delete_account": nobody,
    "points.view_transfer": is_platform_admin | points_staff,
    "points.add_transfer": nobody,
    "points.change_transfer": nobody,
    "points.delete_transfer": nobody,
    "points.view_earningrule": is_platform_admin | (has_area_role(*POINTS_STAFF_ROLES) & rule_visible),
    "points.add_earningrule": is_platform_admin
    | has_area_role(Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY),
    "points.change_earningrule": is_platform_admin
    | within(Role.DISTRICT_ADMIN)
    | (within(Role.COMMUNITY_SECRETARY) & is_community_rule),
    "points.delete_earningrule": nobody,
    "points.view_earning": is_platform_admin | points_staff,
    "points.add_earning": nobody,
    "points.change_earning": nobody,
    "points.delete_earning": nobody,
    "points.view_manualadjustment": is_platform_admin | points_staff,
    "points.add_manualadjustment": is_platform_admin | has_area_role(*MANUAL_ROLES),
    "points.change_manualadjustment": nobody,
    "points.delete_manualadjustment": nobody,
    # With a community (an Area) as the object: the district administrator of its district.
    "points.allocate_points": is_platform_admin | within(Role.DISTRICT_ADMIN),
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)
