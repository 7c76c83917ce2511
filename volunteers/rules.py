"""Who may see volunteering in the back office: platform administrators and the staff who run it
(secretaries, social workers, street and district administrators), inside their areas. Nobody adds,
changes or deletes a row there; every step goes through volunteers.services (pages, API, admin actions)."""

import rules

from community.rules import is_platform_admin, nobody, within

from .services.common import STAFF_ROLES

volunteer_staff = within(*STAFF_ROLES)

MODELS = (
    "report",
    "pledgetext",
    "pledgesignature",
    "wish",
    "wishclaim",
    "wishevent",
    "serviceorder",
    "orderphoto",
    "orderevent",
    "activity",
    "signup",
)
for model in MODELS:
    rules.set_perm(f"volunteers.view_{model}", is_platform_admin | volunteer_staff)
    for action in ("add", "change", "delete"):
        rules.set_perm(f"volunteers.{action}_{model}", nobody)
