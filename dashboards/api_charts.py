"""/api/v1/ routes of the charts part: stats/trends/, stats/comparison/, stats/scores/ for an area and a
period, the numbers behind the dashboards' charts, for a province platform to pull.

Each takes ?area=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD (or ?year=YYYY); without an area, the caller's top
dashboard area; without a period, this year to today. An area outside the caller's dashboard areas
answers 404, a bad period 400, a caller with no dashboard role 403 — all as {"detail", "code"}.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import FORBIDDEN, INVALID, NOT_FOUND

from . import charts
from .areas import dashboard_area
from .periods import period_from

PARAMETERS = [
    OpenApiParameter(
        "area",
        OpenApiTypes.INT,
        description=str(_("A district, street or community id; default: your own top area.")),
    ),
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description=str(_("First day, YYYY-MM-DD; default: 1 January this year."))
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description=str(_("Last day (included), YYYY-MM-DD; default: today."))
    ),
    OpenApiParameter("year", OpenApiTypes.INT, description=str(_("A whole year, instead of from and to."))),
]
REFUSALS = {
    400: INVALID,
    403: FORBIDDEN,
    404: NOT_FOUND,
}


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A count (an integer) or hours (with one decimal), as it is."""

    def to_representation(self, value):
        return value


class ChartAreaOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class ChartPeriodOutput(serializers.Serializer):
    start = serializers.DateField(help_text=_("First day."))
    end = serializers.DateField(help_text=_("Last day, included."))


class ChartTrendSeriesOutput(serializers.Serializer):
    key = serializers.CharField(
        help_text=_(
            "contracts_signed, consultation_meetings, issues_raised, issues_solved (of the issues raised "
            "in the month, those solved since), orders_done, wishes_fulfilled, activity_hours, points_issued."
        )
    )
    label = serializers.CharField()
    unit = serializers.CharField(help_text=_("count, hours or points."))
    data = serializers.ListField(child=NumberField(), help_text=_("One number per month."))


class StatsTrendsOutput(serializers.Serializer):
    area = ChartAreaOutput()
    period = ChartPeriodOutput()
    months = serializers.ListField(child=serializers.CharField(), help_text=_("YYYY-MM, in order."))
    series = ChartTrendSeriesOutput(many=True)


class ChartComparedValuesOutput(serializers.Serializer):
    """The measures of one part; those not compared at this level (by a community's compounds) are absent."""

    issues_raised = serializers.IntegerField()
    issues_solved = serializers.IntegerField(help_text=_("Of the issues raised in the period, those solved."))
    resolution_rate = serializers.FloatField(allow_null=True, help_text=_("Percent; null without issues."))
    contracts_signed = serializers.IntegerField(required=False)
    members_reported = serializers.IntegerField(
        required=False, help_text=_("Party members' reports to a community accepted in the period.")
    )
    orders_done = serializers.IntegerField(required=False)
    points_issued = serializers.IntegerField(required=False)


class ChartComparedMeasureOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(help_text=_("count, points or percent."))


class ChartComparedPartOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    values = ChartComparedValuesOutput()


class StatsComparisonOutput(serializers.Serializer):
    area = ChartAreaOutput()
    period = ChartPeriodOutput()
    part_kind = serializers.CharField(allow_null=True, help_text=_("street, community or compound."))
    measures = ChartComparedMeasureOutput(many=True)
    parts = ChartComparedPartOutput(many=True)
    total = ChartComparedValuesOutput(help_text=_("The parts added up."))


class ChartScoreBucketOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class ChartScoreDistributionOutput(serializers.Serializer):
    key = serializers.CharField(help_text=_("contract_scores, issue_satisfaction or order_stars."))
    label = serializers.CharField()
    total = serializers.IntegerField()
    buckets = ChartScoreBucketOutput(many=True)


class StatsScoresOutput(serializers.Serializer):
    area = ChartAreaOutput()
    period = ChartPeriodOutput()
    distributions = ChartScoreDistributionOutput(many=True)


class _StatsApi(APIView):
    """Reads the area (404 outside the caller's dashboard areas) and then the period (400)."""

    def area_and_period(self, request):
        area = dashboard_area(request.user, request.query_params.get("area"))
        period = period_from(request.query_params)
        head = {
            "area": {"id": area.pk, "name": area.name, "kind": area.kind},
            "period": {"start": period.start, "end": period.end},
        }
        return area, period, head


class StatsTrendsApi(_StatsApi):
    @extend_schema(
        summary=_("Monthly trends of an area over a period"),
        parameters=PARAMETERS,
        responses={200: StatsTrendsOutput, **REFUSALS},
    )
    def get(self, request):
        area, period, head = self.area_and_period(request)
        return Response(StatsTrendsOutput({**head, **charts.trends(area=area, period=period)}).data)


class StatsComparisonApi(_StatsApi):
    @extend_schema(
        summary=_("An area's streets, communities or compounds compared over a period"),
        parameters=PARAMETERS,
        responses={200: StatsComparisonOutput, **REFUSALS},
    )
    def get(self, request):
        area, period, head = self.area_and_period(request)
        return Response(StatsComparisonOutput({**head, **charts.comparison(area=area, period=period)}).data)


class StatsScoresApi(_StatsApi):
    @extend_schema(
        summary=_("Distributions of contract scores, residents' satisfaction and service-order stars"),
        parameters=PARAMETERS,
        responses={200: StatsScoresOutput, **REFUSALS},
    )
    def get(self, request):
        area, period, head = self.area_and_period(request)
        distributions = charts.score_distributions(area=area, period=period)
        return Response(StatsScoresOutput({**head, "distributions": distributions}).data)


urlpatterns = [
    path("stats/trends/", StatsTrendsApi.as_view(), name="stats-trends"),
    path("stats/comparison/", StatsComparisonApi.as_view(), name="stats-comparison"),
    path("stats/scores/", StatsScoresApi.as_view(), name="stats-scores"),
]
