"""Demo coordinates (and addresses) for the Party-and-people map: the demo district's streets,
communities, compounds, community Party organisations and unit Party organisations placed around
Shaoxing's Yuecheng district (≈ 30.00 N, 120.58 E), by the community services.

Idempotent: only what has no coordinates (or no address) yet is filled; whatever an administrator
entered stays. Places not named below (compounds other demos add) go on a ring around their parent.
"""

from __future__ import annotations

import math
from decimal import Decimal

from community import services
from community.models import Area, AreaKind, Organisation, OrgKind
from core.seeding import DemoContext

# Where the demo's district, streets and communities lie (old town of Shaoxing, Yuecheng district).
PLACES = {
    "越城区": (30.0000, 120.5800),
    "塔山街道": (29.9950, 120.5800),
    "府山街道": (30.0045, 120.5745),
    "北海街道": (30.0150, 120.5620),
    "越都社区": (29.9925, 120.5835),
    "治平社区": (29.9978, 120.5765),
    "府山社区": (30.0062, 120.5718),
    "仓桥社区": (30.0018, 120.5788),
    "北海社区": (30.0168, 120.5628),
}
UNIT_ADDRESSES = {
    "越城区人民医院党委": "绍兴市越城区中兴南路120号",
    "越都小学党支部": "绍兴市越城区塔山街道越都路18号",
    "国网越城供电公司党支部": "绍兴市越城区解放南路356号",
    "越城区司法局机关党支部": "绍兴市越城区治平弄8号",
    "绍兴银行越城支行党支部": "绍兴市越城区府山横街66号",
    "越城区税务局党总支": "绍兴市越城区胜利西路201号",
    "仓桥律师事务所党支部": "绍兴市越城区仓桥直街95号",
    "北海中学党支部": "绍兴市越城区北海路33号",
}
# Degrees of latitude/longitude: ≈ 110 m / 96 m at this latitude.
COMPOUND_RING = (0.0022, 0.0032)
UNIT_RING = 0.0042
SIX = Decimal("0.000001")


def _deg(value: float) -> Decimal:
    return Decimal(str(value)).quantize(SIX)


def _on_ring(centre: tuple[float, float], radius: float, index: int, count: int, turn: float = 0.0):
    angle = math.radians(turn + index * 360 / max(count, 1))
    # A degree of longitude is shorter than one of latitude here (cos 30° ≈ 0.87).
    return centre[0] + radius * math.sin(angle), centre[1] + radius * math.cos(angle) / 0.87


def _place(area: Area) -> tuple[float, float] | None:
    if area.latitude is not None and area.longitude is not None:
        return float(area.latitude), float(area.longitude)
    return PLACES.get(area.name)


def _set_area(area: Area, where: tuple[float, float]) -> None:
    services.area_update(actor=None, area=area, latitude=_deg(where[0]), longitude=_deg(where[1]))
    area.latitude, area.longitude = _deg(where[0]), _deg(where[1])


def _fill_areas() -> None:
    for kind in (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY):
        for area in Area.objects.filter(kind=kind, latitude__isnull=True).order_by("path"):
            where = PLACES.get(area.name)
            if where is None and area.parent is not None:
                parent = _place(area.parent)
                if parent is not None:
                    siblings = list(
                        area.parent.children.filter(kind=kind).order_by("path").values_list("pk", flat=True)
                    )
                    where = _on_ring(parent, 0.006, siblings.index(area.pk), len(siblings), turn=30)
            if where is not None:
                _set_area(area, where)
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"):
        centre = _place(community)
        if centre is None:
            continue
        compounds = list(community.children.filter(kind=AreaKind.COMPOUND).order_by("path"))
        for index, compound in enumerate(compounds):
            if compound.latitude is None or compound.longitude is None:
                radius = COMPOUND_RING[index % 2]
                _set_area(compound, _on_ring(centre, radius, index, len(compounds), turn=15))


def _fill_organisations() -> None:
    for org in Organisation.objects.filter(kind=OrgKind.COMMUNITY_PARTY).select_related("area__parent"):
        changes = {}
        centre = _place(org.area)
        if (org.latitude is None or org.longitude is None) and centre is not None:
            # The Party-and-people service centre, a street's width from the community's centre point.
            changes.update(latitude=_deg(centre[0] + 0.0003), longitude=_deg(centre[1] + 0.0002))
        if not org.address:
            street = org.area.parent.name if org.area.parent else ""
            changes["address"] = f"绍兴市越城区{street}{org.area.name}党群服务中心"
        if changes:
            services.organisation_update(actor=None, organisation=org, **changes)
    units_by_area: dict[int, list[Organisation]] = {}
    for org in (
        Organisation.objects.filter(kind=OrgKind.UNIT_PARTY).select_related("area").order_by("name", "pk")
    ):
        units_by_area.setdefault(org.area_id, []).append(org)
    for units in units_by_area.values():
        for index, org in enumerate(units):
            changes = {}
            centre = _place(org.area)
            if (org.latitude is None or org.longitude is None) and centre is not None:
                where = _on_ring(centre, UNIT_RING, index, len(units), turn=60)
                changes.update(latitude=_deg(where[0]), longitude=_deg(where[1]))
            if not org.address and org.name in UNIT_ADDRESSES:
                changes["address"] = UNIT_ADDRESSES[org.name]
            if changes:
                services.organisation_update(actor=None, organisation=org, **changes)


def seed(ctx: DemoContext) -> None:
    _fill_areas()
    _fill_organisations()
