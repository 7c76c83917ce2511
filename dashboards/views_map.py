"""The Party-and-people map page (党群地图): public, no login; a Leaflet map with the points and, under
it, the same points as a list (for screen readers and small phones). Filters: kind chips and an area."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from core.exceptions import ApplicationError

from .api_map import area_from, kinds_param
from .map import DISTRICT_CENTRE, KIND_ICONS, PointKind, feature_collection, map_areas, map_points

# At most this many points are listed (and carried in the page for the map) — the whole district has
# thousands (3 MB of page); beyond it the list says how to narrow it down and the map loads its
# points from the API after the page shows.
MAP_LIST_LIMIT = 200


def _query(area, kinds) -> str:
    params = []
    if area is not None:
        params.append(("area", area.pk))
    params.extend(("kind", kind) for kind in kinds)
    return f"?{urlencode(params)}" if params else "?"


class MapView(View):
    template_name = "dashboards/map.html"

    def get(self, request):
        try:
            area = area_from(request.GET.get("area"))
            kinds = kinds_param(request.GET.getlist("kind"))
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, self.template_name, self._context(None, [], []), status=exc.status_code)
        return render(
            request, self.template_name, self._context(area, kinds, map_points(area=area, kinds=kinds))
        )

    def _context(self, area, kinds, points) -> dict:
        chips = []
        for kind in PointKind:
            on = kind.value in kinds
            toggled = [k for k in kinds if k != kind.value] if on else [*kinds, kind.value]
            chips.append(
                {
                    "kind": kind.value,
                    "label": kind.label,
                    "icon": KIND_ICONS[kind],
                    "on": on,
                    "href": _query(area, [k for k in PointKind.values if k in toggled]),
                    "count": sum(1 for p in points if p.kind == kind.value),
                }
            )
        api = reverse("map-points") + _query(area, kinds).rstrip("?")
        return {
            "area": area,
            "areas": map_areas(),
            "kinds": kinds,
            "chips": chips,
            "all_href": _query(area, []),
            "points": points[:MAP_LIST_LIMIT],
            "total": len(points),
            "listed_all": len(points) <= MAP_LIST_LIMIT,
            "located": sum(1 for p in points if p.located),
            "geojson": feature_collection(points) if len(points) <= MAP_LIST_LIMIT else None,
            "api_url": api,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "centre": DISTRICT_CENTRE,
        }
