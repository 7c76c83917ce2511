"""Demo volunteering in 越都社区: reported members in grids and their pledges, micro-wishes, service
orders and activities in every state. Reports come first: the other parts need reported members."""

from __future__ import annotations

from core.seeding import DemoContext

from . import demo_activities, demo_orders, demo_reporting, demo_wishes


def seed(ctx: DemoContext) -> None:
    for part in (demo_reporting, demo_wishes, demo_orders, demo_activities):
        part.seed(ctx)
