"""Public-welfare points: the double-entry ledger, earning rules and the livelihood market."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points and market")
