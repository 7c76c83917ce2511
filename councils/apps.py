from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "councils"
    verbose_name = _("Red-steward councils")

    def ready(self) -> None:
        from . import rules  # noqa: F401
