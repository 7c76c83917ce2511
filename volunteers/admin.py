"""The volunteers' admin, one module per part."""

from . import admin_activities, admin_orders, admin_reporting, admin_wishes  # noqa: F401
