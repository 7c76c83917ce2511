from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from points.market_selectors import CAUSE_LINKS

        from . import rules  # noqa: F401

        # A member's statement links each earning to the wish, order, activity or report that paid it.
        CAUSE_LINKS.update(
            {
                "volunteers.Wish": lambda pk: reverse("volunteers:wish", args=[pk]),
                "volunteers.ServiceOrder": lambda pk: reverse("volunteers:order", args=[pk]),
                "volunteers.Activity": lambda pk: reverse("volunteers:activity_detail", args=[pk]),
                "volunteers.Report": lambda pk: reverse("volunteers:report"),
            }
        )
