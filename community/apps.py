"""Places (the area tree), organisations, people and roles, and who may see what."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Places, organisations and people")
