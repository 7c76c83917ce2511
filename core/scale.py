"""District-scale data (`manage.py seed_demo --scale district` or a fraction such as `--scale 0.01`).

The district of DOMAIN.md §1 at its real sizes — 352 communities, 1,175 unit Party organisations
paired, 50,000 members (37,000 reported), 5,464 activities, 37,747 claims, ≈ 2.2 million points
transfers — for benchmarks and for checking that pages stay fast. Each installed app with a
`demo_scale` module adds its part, in app order, through `seed(world)`; `community.demo_scale`
comes first and fills the `ScaleWorld` that the others read (ids only, never model instances, so
nothing large stays in memory).

Rules every part follows:
- bulk inserts (`bulk_create` in batches of `BATCH`, or COPY), never one service call per row: the
  whole district must load in under ten minutes on two cores;
- every row is a state the services could have produced (the same invariants: states and their
  timestamps, unique keys, balances that `verify_ledger` accepts, a chain `verify_audit` accepts);
- deterministic: `world.rng` is seeded, so two runs at one scale give the same data;
- sizes through `world.n(full_size)`, which scales and never gives less than `minimum` (1).

The data goes into a database without a district: seeding it a second time finds the marker
(`core.models.JobRun`, job "seed_scale") and does nothing.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

BATCH = 5000
SCALE_JOB = "seed_scale"


@dataclass
class ScaleCommunity:
    """One community of the scale district: its ids and its people (ids)."""

    area_id: int
    street_id: int
    name: str
    party_org_id: int  # the community Party organisation (社区党委)
    compound_ids: list[int] = field(default_factory=list)
    grid_ids: list[int] = field(default_factory=list)
    secretary_user_id: int = 0
    social_worker_user_id: int = 0
    # Members living here (their PartyMember.person is in this community), with a user or 0.
    member_person_ids: list[int] = field(default_factory=list)
    member_user_ids: list[int] = field(default_factory=list)
    # Of those, the members who report here (到居住地报到): a prefix of member_person_ids.
    reported_count: int = 0
    resident_person_ids: list[int] = field(default_factory=list)
    resident_user_ids: list[int] = field(default_factory=list)


@dataclass
class ScaleUnit:
    """A unit Party organisation (驻区单位党组织) and the community it pairs with."""

    org_id: int
    community_area_id: int
    contact_user_id: int
    name: str


@dataclass
class ScaleWorld:
    factor: float
    rng: random.Random
    today: date
    years: tuple[int, int, int]  # the three contract years, the last one this year
    stdout: Any = None
    district_id: int = 0
    district_admin_user_id: int = 0
    street_ids: list[int] = field(default_factory=list)
    street_admin_user_ids: dict[int, int] = field(default_factory=dict)
    communities: list[ScaleCommunity] = field(default_factory=list)
    units: list[ScaleUnit] = field(default_factory=list)
    password_hash: str = ""
    # What each part made (for the summary line and for the parts after it).
    made: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def n(self, full_size: int, minimum: int = 1) -> int:
        """`full_size` at this scale, never below `minimum`."""
        return max(minimum, round(full_size * self.factor))

    def count(self, what: str, number: int) -> None:
        self.made[what] = self.made.get(what, 0) + number

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)


def batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk(model, rows: Iterable[Any], size: int = BATCH) -> list[Any]:
    """`bulk_create` in batches; returns the created objects (with ids on PostgreSQL and SQLite)."""
    created: list[Any] = []
    for chunk in batches(rows, size):
        created.extend(model.objects.bulk_create(chunk, batch_size=size))
    return created


def seed_scale(factor: float, *, stdout=None, seed: int = 2021) -> ScaleWorld | None:
    """Load the district at `factor` (1.0 = the whole district); None when it was loaded before."""
    from core.models import JobRun

    period = f"{factor:g}"
    if JobRun.objects.filter(job=SCALE_JOB).exists():
        if stdout is not None:
            stdout.write("District-scale data is already loaded; nothing to do.")
        return None
    today = timezone.localdate()
    world = ScaleWorld(
        factor=factor,
        rng=random.Random(seed),  # noqa: S311 - demo data, reproducible on purpose
        today=today,
        years=(today.year - 2, today.year - 1, today.year),
        stdout=stdout,
    )
    started = time.monotonic()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.demo_scale")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo_scale":
                raise
            continue
        part_started = time.monotonic()
        with transaction.atomic():
            module.seed(world)
        world.say(f"  {config.verbose_name}: {time.monotonic() - part_started:.1f} s")
    JobRun.objects.create(job=SCALE_JOB, period=period)
    if connection.vendor == "postgresql":
        # Fresh statistics: the planner would otherwise take the bulk-loaded tables for nearly empty ones
        # (a district dashboard's query went from over 20 s to under 5 s after ANALYZE).
        analysed = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        world.say(f"  ANALYZE: {time.monotonic() - analysed:.1f} s")
    summary = ", ".join(f"{what} {number:,}" for what, number in world.made.items())
    world.say(f"District-scale data ({period}) ready in {time.monotonic() - started:.1f} s: {summary}.")
    return world
