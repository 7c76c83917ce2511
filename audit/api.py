"""Read-only REST API of the public record: list, one entry by hash, and verification of a hash."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from community.models import Area
from core.api import CursorPagination
from core.exceptions import ValidationFailed

from .models import Entry
from .selectors import entry_check, entry_get_by_hash, entry_list


class RecordEntryOutput(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Entry
        fields = [
            "seq",
            "kind",
            "subject",
            "area",
            "area_name",
            "payload",
            "created_at",
            "prev_hash",
            "entry_hash",
        ]
        read_only_fields = fields


class RecordBreachOutput(serializers.Serializer):
    seq = serializers.IntegerField()
    reason = serializers.CharField(
        help_text=gettext_lazy("One of: altered, missing, broken_link, out_of_order (stable codes).")
    )
    message = serializers.CharField(source="reason_label", help_text=gettext_lazy("In the user's language."))


class RecordVerifyOutput(serializers.Serializer):
    hash = serializers.CharField(help_text=gettext_lazy("The hash asked about, normalised to lower case."))
    found = serializers.BooleanField()
    entry_valid = serializers.BooleanField(
        allow_null=True,
        help_text=gettext_lazy("The entry's own content gives its hash; null when not found."),
    )
    chain_valid_to_entry = serializers.BooleanField(
        allow_null=True,
        help_text=gettext_lazy(
            "The chain from the first entry up to this one is unbroken; null when not found."
        ),
    )
    seq = serializers.IntegerField(allow_null=True)
    first_break = RecordBreachOutput(
        allow_null=True, help_text=gettext_lazy("Where the chain up to this entry first breaks, if it does.")
    )


class EntryFilter(filters.FilterSet):
    area = filters.ModelChoiceFilter(
        queryset=Area.objects.all(),
        method="filter_area",
        help_text=gettext_lazy("An area id: entries of that area and of every area under it."),
    )
    created_at = filters.IsoDateTimeFromToRangeFilter(
        help_text=gettext_lazy("Use created_at_after and created_at_before (ISO 8601, inclusive).")
    )

    class Meta:
        model = Entry
        fields = ["kind", "subject", "area", "created_at"]

    def filter_area(self, queryset, name, value):
        return queryset.filter(area__path__startswith=value.path)


class EntryCursorPagination(CursorPagination):
    ordering = "-seq"


@extend_schema_view(
    list=extend_schema(summary="List record entries, latest first", auth=[]),
    retrieve=extend_schema(
        summary="One record entry by its hash",
        auth=[],
        parameters=[
            OpenApiParameter(
                "entry_hash",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="64 hexadecimal characters.",
            )
        ],
        responses={
            200: RecordEntryOutput,
            404: OpenApiResponse(description=gettext_lazy("No entry with this hash.")),
        },
    ),
)
class RecordEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The public record is public: anyone may read and verify it, without logging in."""

    permission_classes = [AllowAny]
    serializer_class = RecordEntryOutput
    pagination_class = EntryCursorPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = EntryFilter
    lookup_field = "entry_hash"

    def get_queryset(self):
        return entry_list()

    def get_object(self):
        entry = entry_get_by_hash(self.kwargs["entry_hash"])
        if entry is None:
            raise NotFound(_("There is no entry with this hash in the record."))
        return entry

    @extend_schema(
        summary="Verify a hash: does it name an entry, and is the chain intact up to it?",
        auth=[],
        parameters=[
            OpenApiParameter("hash", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True),
        ],
        responses={
            200: RecordVerifyOutput,
            400: OpenApiResponse(description=gettext_lazy("The value is not a hash.")),
        },
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def verify(self, request):
        check = entry_check(request.query_params.get("hash", ""))
        if check is None:
            raise ValidationFailed(_("This is not a record hash: a hash is 64 characters, each 0–9 or a–f."))
        body = {
            "hash": check.hash,
            "found": check.found,
            "entry_valid": check.entry_valid,
            "chain_valid_to_entry": check.chain_valid_to_entry,
            "seq": check.entry.seq if check.entry else None,
            "first_break": check.breach,
        }
        return Response(RecordVerifyOutput(body).data)
