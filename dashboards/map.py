"""The Party-and-people map (党群地图): the points it shows, as GeoJSON, public facts only.

Four kinds of point, each in one query whatever their number:

- station: each community's Party-and-people service centre, at the community Party organisation
  (its address and coordinates, else the community's);
- organisation: the unit Party organisations of the agencies, companies, schools and hospitals paired
  with the communities (name, sector, address; never a contact phone);
- compound: the compounds, linking to their council's public results when they have a council;
- activity: co-construction activities not yet over (title, place and time), at their community.

A point without coordinates of its own takes its area's, then the area's parent's; one with none at
all is still listed (geometry null) but not drawn. No person's name, phone or address is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import Area, AreaKind, Organisation, OrgKind
from councils.models import Council
from volunteers.models import Activity

# Where the district lies (越城区, Shaoxing): the map's centre when no point has coordinates.
DISTRICT_CENTRE = (30.0, 120.58)
# Activities shown: those not over yet and starting within this many days, at most this many.
ACTIVITY_DAYS = 60
ACTIVITY_LIMIT = 200


class PointKind(TextChoices):
    STATION = "station", _("Service centres")
    ORGANISATION = "organisation", _("Unit Party organisations")
    COMPOUND = "compound", _("Compounds")
    ACTIVITY = "activity", _("Activities")


# Bootstrap icon of each kind, for the markers and the list.
KIND_ICONS = {
    PointKind.STATION: "house-heart",
    PointKind.ORGANISATION: "building",
    PointKind.COMPOUND: "houses",
    PointKind.ACTIVITY: "calendar-event",
}


@dataclass(frozen=True)
class MapPoint:
    kind: str
    id: int
    name: str
    detail: str
    url: str
    area: str
    latitude: Decimal | None
    longitude: Decimal | None
    when: str = ""  # an activity's start (ISO 8601, local time)

    @property
    def kind_label(self) -> str:
        return str(PointKind(self.kind).label)

    @property
    def icon(self) -> str:
        return KIND_ICONS[PointKind(self.kind)]

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def feature(self) -> dict:
        """This point as a GeoJSON Feature ([longitude, latitude], as GeoJSON orders them)."""
        geometry = None
        if self.located:
            geometry = {"type": "Point", "coordinates": [float(self.longitude), float(self.latitude)]}
        return {
            "type": "Feature",
            "id": f"{self.kind}-{self.id}",
            "geometry": geometry,
            "properties": {
                "kind": self.kind,
                "kind_label": self.kind_label,
                "name": self.name,
                "detail": self.detail,
                "area": self.area,
                "url": self.url,
                "when": self.when,
            },
        }


def _coordinates(*candidates) -> tuple[Decimal | None, Decimal | None]:
    """The first candidate (an organisation or area, possibly None) that has both coordinates."""
    for obj in candidates:
        if obj is not None and obj.latitude is not None and obj.longitude is not None:
            return obj.latitude, obj.longitude
    return None, None


def _within(area: Area | None, lookup: str) -> Q:
    """Rows inside `area` (None: everywhere); `lookup` leads to the row's area ("" for an area itself)."""
    if area is None:
        return Q()
    return Q(**{f"{lookup}__path__startswith" if lookup else "path__startswith": area.path})


def kinds_from(values) -> list[str]:
    """The kinds named in `values` (repeated or comma-separated), in the map's order; unknown ones raise."""
    asked: set[str] = set()
    for value in values or ():
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if part not in PointKind.values:
                raise ValueError(part)
            asked.add(part)
    return [kind for kind in PointKind.values if kind in asked]


def _stations(area: Area | None) -> list[MapPoint]:
    orgs = (
        Organisation.objects.filter(_within(area, "area"), kind=OrgKind.COMMUNITY_PARTY, is_active=True)
        .select_related("area__parent")
        .order_by("area__path", "name", "pk")
    )
    points = []
    for org in orgs:
        community = org.area
        latitude, longitude = _coordinates(org, community, community.parent)
        detail = org.address or community.address
        points.append(
            MapPoint(
                kind=PointKind.STATION,
                id=org.pk,
                name=gettext("%(community)s Party-and-people service centre") % {"community": community.name},
                detail=f"{org.name} · {detail}" if detail else org.name,
                url=reverse("contracts:board") + "?" + urlencode({"community": community.pk})
                if community.kind == AreaKind.COMMUNITY
                else "",
                area=community.name,
                latitude=latitude,
                longitude=longitude,
            )
        )
    return points


def _organisations(area: Area | None) -> list[MapPoint]:
    orgs = (
        Organisation.objects.filter(_within(area, "area"), kind=OrgKind.UNIT_PARTY, is_active=True)
        .select_related("area__parent")
        .order_by("area__path", "name", "pk")
    )
    points = []
    for org in orgs:
        latitude, longitude = _coordinates(org, org.area, org.area.parent)
        parts = [part for part in (org.sector, org.address) if part]
        points.append(
            MapPoint(
                kind=PointKind.ORGANISATION,
                id=org.pk,
                name=org.name,
                detail=" · ".join(parts),
                url="",
                area=org.area.name,
                latitude=latitude,
                longitude=longitude,
            )
        )
    return points


def _compounds(area: Area | None) -> list[MapPoint]:
    compounds = (
        Area.objects.filter(_within(area, ""), kind=AreaKind.COMPOUND)
        .select_related("parent__parent")
        .annotate(has_council=Exists(Council.objects.filter(compound=OuterRef("pk"))))
        .order_by("path", "pk")
    )
    board = reverse("councils:board")
    points = []
    for compound in compounds:
        parent = compound.parent
        latitude, longitude = _coordinates(compound, parent, parent.parent if parent else None)
        points.append(
            MapPoint(
                kind=PointKind.COMPOUND,
                id=compound.pk,
                name=compound.name,
                detail=compound.address or (parent.name if parent else ""),
                url=f"{board}?{urlencode({'compound': compound.pk})}" if compound.has_council else "",
                area=parent.name if parent else "",
                latitude=latitude,
                longitude=longitude,
            )
        )
    return points


def _activities(area: Area | None) -> list[MapPoint]:
    now = timezone.now()
    activities = (
        Activity.objects.filter(
            _within(area, "community"),
            cancelled_at__isnull=True,
            ends_at__gte=now,
            starts_at__lt=now + timedelta(days=ACTIVITY_DAYS),
        )
        .select_related("community__parent")
        .order_by("starts_at", "pk")[:ACTIVITY_LIMIT]
    )
    points = []
    for activity in activities:
        community = activity.community
        latitude, longitude = _coordinates(community, community.parent)
        starts = timezone.localtime(activity.starts_at)
        points.append(
            MapPoint(
                kind=PointKind.ACTIVITY,
                id=activity.pk,
                name=activity.title,
                detail=f"{starts:%Y-%m-%d %H:%M} · {activity.place}",
                url=reverse("volunteers:activity_detail", args=[activity.pk]),
                area=community.name,
                latitude=latitude,
                longitude=longitude,
                when=starts.isoformat(),
            )
        )
    return points


BUILDERS = {
    PointKind.STATION: _stations,
    PointKind.ORGANISATION: _organisations,
    PointKind.COMPOUND: _compounds,
    PointKind.ACTIVITY: _activities,
}


def map_points(*, area: Area | None = None, kinds: list[str] | None = None) -> list[MapPoint]:
    """The points inside `area` (None: everywhere) of `kinds` (None or empty: every kind); a query per kind."""
    chosen = kinds or list(PointKind.values)
    points: list[MapPoint] = []
    for kind in PointKind.values:
        if kind in chosen:
            points.extend(BUILDERS[PointKind(kind)](area))
    return points


def feature_collection(points: list[MapPoint]) -> dict:
    return {"type": "FeatureCollection", "features": [point.feature() for point in points]}


def map_areas() -> list[Area]:
    """The streets and communities a visitor may narrow the map to (names are public), in tree order."""
    return list(
        Area.objects.filter(kind__in=(AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)).order_by(
            "path"
        )
    )
