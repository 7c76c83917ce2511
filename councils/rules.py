"""Who may see councils in the back office; every change goes through councils.services."""

import rules

from community.models import Role
from community.rules import is_platform_admin, nobody, within

COUNCIL_STAFF_ROLES = (
    Role.DISTRICT_ADMIN,
    Role.STREET_ADMIN,
    Role.COMMUNITY_SECRETARY,
    Role.SOCIAL_WORKER,
    Role.COUNCIL_CONVENER,
)
council_staff = within(*COUNCIL_STAFF_ROLES)

MODELS = (
    "council",
    "seat",
    "issue",
    "issueevent",
    "motion",
    "ballot",
    "meeting",
    "agendaitem",
    "post",
    "resultrating",
    "campaign",
    "pledge",
    "task",
    "taskupdate",
)
for model in MODELS:
    rules.set_perm(f"councils.view_{model}", is_platform_admin | council_staff)
    for action in ("add", "change", "delete"):
        rules.set_perm(f"councils.{action}_{model}", nobody)
