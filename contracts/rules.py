"""Who may see contracts in the back office; every change goes through contracts.services."""

import rules

from community.models import Role
from community.rules import is_platform_admin, nobody, within

CONTRACT_STAFF_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)
contract_staff = within(*CONTRACT_STAFF_ROLES)

for model in (
    "pairing",
    "pairingcontact",
    "contract",
    "contractversion",
    "signature",
    "contractevent",
    "menuoffer",
    "need",
):
    rules.set_perm(f"contracts.view_{model}", is_platform_admin | contract_staff)
    for action in ("add", "change", "delete"):
        rules.set_perm(f"contracts.{action}_{model}", nobody)
