"""What every app shares and nothing owns."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from .pagecache import connect_invalidation

        connect_invalidation()
