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

# Pairing a unit with a community, and naming each side's contacts and signers (the services check
# which side and which community): the district's and streets' administrators and the community's secretary.
pairing_staff = within(Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY)
rules.set_perm("contracts.add_pairing", is_platform_admin | pairing_staff)
rules.set_perm("contracts.change_pairing", is_platform_admin | pairing_staff)
rules.set_perm("contracts.add_pairingcontact", is_platform_admin | pairing_staff)
