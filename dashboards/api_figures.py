"""/api/v1/stats/: an area's dashboard figures for a period, and the rows behind one figure, so that a
province platform can pull the same numbers the dashboards show.

Errors are the platform's JSON: 400 for a bad period, 403 for a login without dashboards, 404 for an
area outside the caller's areas or an unknown figure.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import FORBIDDEN, INVALID, NOT_FOUND, Pagination
from core.exceptions import NotFound

from . import figures as registry
from .areas import dashboard_area
from .periods import period_from


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.ReadOnlyField):
    """A count as an integer, a sum, rate, mean or median as a number; null when there is nothing to compute."""


class StatsAreaOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    code = serializers.CharField(help_text=_("The administrative code, if recorded."))


PeriodOutput = type(
    "PeriodOutput",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(help_text=_("First day, included.")),
        "to": serializers.DateField(help_text=_("Last day, included.")),
        "__doc__": "The whole local days (Asia/Shanghai) the figures cover.",
    },
)


class FigureOutput(serializers.Serializer):
    key = serializers.CharField(help_text=_("Stable key, e.g. councils.issues_raised."))
    section = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "sum", "rate", "median", "mean"])
    value = NumberField(
        help_text=_("A rate is a percentage with one decimal; null when nothing was counted.")
    )
    unit = serializers.CharField(allow_blank=True)
    timeless = serializers.BooleanField(
        help_text=_("True for a figure of today that the period does not change.")
    )


class StatsOutput(serializers.Serializer):
    area = StatsAreaOutput()
    period = PeriodOutput()
    figures = FigureOutput(many=True)


class RowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField(help_text=_("What the row is, e.g. councils.issue."))
    text = serializers.CharField(help_text=_("A short description; names partly hidden, no phone numbers."))


class FigureRowsOutput(serializers.Serializer):
    figure = FigureOutput()
    area = StatsAreaOutput()
    period = PeriodOutput()
    count = serializers.IntegerField(help_text=_("How many rows; equal to the value of a count."))
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowOutput(many=True)


AREA = OpenApiParameter(
    "area", OpenApiTypes.INT, description=_("A district, street or community id; default: your own top area.")
)
FROM = OpenApiParameter("from", OpenApiTypes.DATE, description=_("YYYY-MM-DD; default: 1 January this year."))
TO = OpenApiParameter("to", OpenApiTypes.DATE, description=_("YYYY-MM-DD; default: today."))
YEAR = OpenApiParameter("year", OpenApiTypes.INT, description=_("A whole year, instead of from and to."))


def _area_and_period(request):
    raw = (request.query_params.get("area") or "").strip()
    if raw and not (raw.isascii() and raw.isdigit()):
        raise NotFound()
    area = dashboard_area(request.user, raw or None)
    return area, period_from(request.query_params)


def _area(area) -> dict:
    return {"id": area.pk, "name": area.name, "kind": area.kind, "code": area.code}


def _period(period) -> dict:
    return {"from": period.start, "to": period.end}


def _figure(row: dict) -> dict:
    return {**row, "label": str(row["label"]), "unit": str(row["unit"])}


class StatsApi(APIView):
    @extend_schema(
        summary=_("An area's dashboard figures for a period"),
        parameters=[AREA, FROM, TO, YEAR],
        responses={200: StatsOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request):
        area, period = _area_and_period(request)
        rows = registry.figures_for(area, period)
        return Response(
            StatsOutput(
                {"area": _area(area), "period": _period(period), "figures": [_figure(row) for row in rows]}
            ).data
        )


class FigureRowsApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        summary=_("The rows one figure counts, for an area and a period (pages)"),
        parameters=[
            OpenApiParameter(
                "key", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The figure's key.")
            ),
            AREA,
            FROM,
            TO,
            YEAR,
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: FigureRowsOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, key: str):
        fig = registry.figure(key)
        if fig is None:
            raise NotFound()
        area, period = _area_and_period(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(fig.rows(area, period), request, view=self)
        rows = registry.describe_rows(fig, page)
        return Response(
            FigureRowsOutput(
                {
                    "figure": _figure(registry.value_for(key, area, period)),
                    "area": _area(area),
                    "period": _period(period),
                    "count": paginator.page.paginator.count,
                    "next": paginator.get_next_link(),
                    "previous": paginator.get_previous_link(),
                    "results": [
                        {"id": row["id"], "model": row["model"], "text": registry.row_text(row)}
                        for row in rows
                    ],
                }
            ).data
        )


urlpatterns = [
    path("stats/", StatsApi.as_view(), name="stats"),
    path("stats/figures/<str:key>/", FigureRowsApi.as_view(), name="stats-figure-rows"),
]
