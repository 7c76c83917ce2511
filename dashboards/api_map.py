"""/api/v1/map-points/: the Party-and-people map's points as a GeoJSON FeatureCollection (public, no login)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Area
from core.api import error_response
from core.exceptions import NotFound, ValidationFailed
from core.pagecache import public_page

from .map import PointKind, feature_collection, kinds_from, map_points


class PointGeometryOutput(serializers.Serializer):
    type = serializers.CharField(help_text=gettext_lazy("Always “Point”."))
    coordinates = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        help_text=gettext_lazy("[longitude, latitude]"),
    )


class PointPropertiesOutput(serializers.Serializer):
    # A plain string, not an enum: "kind" names other choice sets in the schema already.
    kind = serializers.CharField(help_text=gettext_lazy("station, organisation, compound or activity."))
    kind_label = serializers.CharField()
    name = serializers.CharField()
    detail = serializers.CharField(
        help_text=gettext_lazy("Address, sector, or an activity's time and place.")
    )
    area = serializers.CharField(help_text=gettext_lazy("The community (or street) the point belongs to."))
    url = serializers.CharField(help_text=gettext_lazy("A page about the point; empty when there is none."))
    when = serializers.CharField(help_text=gettext_lazy("An activity's start (ISO 8601); empty otherwise."))


class MapFeatureOutput(serializers.Serializer):
    type = serializers.CharField(help_text=gettext_lazy("Always “Feature”."))
    id = serializers.CharField()
    geometry = PointGeometryOutput(
        allow_null=True, help_text=gettext_lazy("Null when no coordinates are known.")
    )
    properties = PointPropertiesOutput()


class MapFeatureCollectionOutput(serializers.Serializer):
    type = serializers.CharField(help_text=gettext_lazy("Always “FeatureCollection”."))
    features = MapFeatureOutput(many=True)


def area_from(raw: str | None) -> Area | None:
    """The area named by id in a query string; None when absent. 400 for a malformed id, 404 for none such."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed(_("Choose an area by its number."), code="invalid_area")
    area = Area.objects.filter(pk=int(raw)).first()
    if area is None:
        raise NotFound(_("There is no such area."), code="not_found")
    return area


def kinds_param(values) -> list[str]:
    try:
        return kinds_from(values)
    except ValueError as exc:
        raise ValidationFailed(
            _("Unknown kind of point “%(kind)s”: choose from %(kinds)s.")
            % {"kind": exc.args[0], "kinds": ", ".join(PointKind.values)},
            code="invalid_kind",
        ) from None


class MapPointsApi(APIView):
    """The map's points: service centres, unit Party organisations, compounds, upcoming activities."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Points of the Party-and-people map (GeoJSON)",
        auth=[],
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=gettext_lazy(
                    "Only these kinds (repeat or separate by commas): station, organisation, compound, activity."
                ),
            ),
            OpenApiParameter(
                "area",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description=gettext_lazy("Only points inside this area (a street or a community)."),
            ),
        ],
        responses={
            200: MapFeatureCollectionOutput,
            400: error_response(gettext_lazy("An unknown kind, or an area that is not a number.")),
            404: error_response(gettext_lazy("No area with this number.")),
        },
    )
    def get(self, request):
        area = area_from(request.query_params.get("area"))
        kinds = kinds_param(request.query_params.getlist("kind"))
        return Response(feature_collection(map_points(area=area, kinds=kinds)))


urlpatterns = [
    path("map-points/", public_page(MapPointsApi.as_view(), by_accept=True), name="map-points"),
]
