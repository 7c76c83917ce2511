"""/api/v1/ledger-exports/: ask for a ledger (台账) of an area and a period, follow its progress, download it.

A small ledger comes back done at once; a large one comes back queued and is made by a worker:
poll the export until its state is "done", then GET its download/. Errors are the JSON format of
core.drf (400 a bad period or kind, 404 an area or export outside what you may see, 409 a file
not ready yet).
"""

from __future__ import annotations

import json

import django_filters
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api import CONFLICT, INVALID, NOT_FOUND, ScopedViewSet

from . import services
from .ledgers import XLSX_CONTENT_TYPE
from .models import ExportState, LedgerExport, LedgerKind
from .periods import period_from


class LedgerExportOutput(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("How far along, 0 to 100."))
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = LedgerExport
        fields = [
            "id",
            "kind",
            "area",
            "area_name",
            "period_start",
            "period_end",
            "language",
            "state",
            "rows_done",
            "rows_total",
            "percent",
            "error",
            "file_name",
            "download_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_file_name(self, export) -> str | None:
        return services.download_name(export) if export.state == ExportState.DONE else None

    def get_download_url(self, export) -> str | None:
        if export.state != ExportState.DONE:
            return None
        url = reverse("ledger-export-download", args=[export.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class LedgerExportInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LedgerKind.choices)
    area = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("The area's id; none: your own top area.")
    )
    # "from" is a Python keyword: declared through the class namespace.
    locals()["from"] = serializers.DateField(
        required=False, help_text=_("First day, YYYY-MM-DD (default: 1 January of this year).")
    )
    to = serializers.DateField(required=False, help_text=_("Last day, YYYY-MM-DD (default: today)."))
    year = serializers.IntegerField(required=False, help_text=_("A whole year instead of from and to."))


def _period_params(data) -> dict[str, str]:
    """The period fields as period_from reads them (JSON may give numbers)."""
    return {key: str(data[key]) for key in ("from", "to", "year") if data.get(key) not in (None, "")}


class XlsxRenderer(renderers.BaseRenderer):
    """Lets a client ask for the spreadsheet by its type; errors still come as JSON."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class LedgerExportFilter(django_filters.FilterSet):
    class Meta:
        model = LedgerExport
        fields = ["kind", "state", "area"]


@extend_schema_view(
    list=extend_schema(
        summary=_("Ledger exports you may see: yours, and those of the areas whose dashboards you open")
    ),
    retrieve=extend_schema(
        summary=_("One ledger export with its progress"),
        responses={200: LedgerExportOutput, 404: NOT_FOUND},
    ),
)
class LedgerExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = LedgerExportOutput
    filterset_class = LedgerExportFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerExport.objects.none()
        return services.ledger_exports_visible(self.request.user)

    @extend_schema(
        summary=_("Ask for a ledger (台账) of an area and a period"),
        description=_(
            "A small ledger is made at once (state done); a large one is queued for a worker (state "
            "queued): poll the export until it is done. Asking again while it is on its way returns it."
        ),
        request=LedgerExportInput,
        responses={201: LedgerExportOutput, 400: INVALID, 404: NOT_FOUND},
    )
    def create(self, request):
        data = LedgerExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        period = period_from(_period_params(request.data))
        export = services.ledger_request(
            actor=request.user,
            kind=data.validated_data["kind"],
            area=data.validated_data.get("area"),
            period=period,
        )
        output = LedgerExportOutput(export, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Download the ledger's Excel file"),
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description=_("The .xlsx file.")),
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, XlsxRenderer],
        url_path="download",
        url_name="download",
    )
    def download(self, request, pk=None):
        export = services.ledger_file_for_download(actor=request.user, export_id=self.get_object().pk)
        response = FileResponse(export.file.open("rb"), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = services.content_disposition(export)
        response["Cache-Control"] = "private, no-store"
        return response


router = SimpleRouter()
router.register("ledger-exports", LedgerExportViewSet, basename="ledger-export")

urlpatterns = router.urls
