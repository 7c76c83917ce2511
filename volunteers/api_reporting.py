"""/api/v1/ resources of the reporting part: member-reports/ (a POST per step), pledge-texts/ (publish,
sign) and pledge-signatures/.

Reads are scoped: a member sees their own reports and signatures and the pledges of their community;
the community's staff see their communities'. Every write parses an input serializer and calls one
service in volunteers.services.reporting, whose errors become the JSON error format (400 bad input,
403 the wrong actor, 404 not visible, 409 a step the state does not allow).
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from community.access import scope_q
from community.models import Area, AreaKind
from core.api import (
    NOT_FOUND,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    step_schema,
)

from .models import PledgeSignature, PledgeText, Report
from .selectors import reporting as selectors
from .services import reporting as services
from .workflow import ACTIVE_REPORT_STATES, ServiceField

# --- Member reports -------------------------------------------------------------------------------


class MemberReportOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.person.name", read_only=True)
    membership_type = serializers.CharField(source="member.membership_type", read_only=True)
    phone = serializers.SerializerMethodField(
        help_text=_("In full for the community's secretary and social workers and the member; else masked.")
    )
    community_name = serializers.CharField(source="community.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True, allow_null=True, default=None)
    service_field_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    served_recently = serializers.BooleanField(
        read_only=True, help_text=_("Served in the last 90 days: a wish, an order or an activity.")
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "member",
            "member_name",
            "membership_type",
            "phone",
            "community",
            "community_name",
            "grid",
            "grid_name",
            "skills",
            "service_fields",
            "service_field_labels",
            "state",
            "note",
            "served_recently",
            "reported_at",
            "decided_at",
            "left_at",
        ]
        read_only_fields = fields

    def get_phone(self, report) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and report.member.person.user_id == user.pk:
            return report.member.person.phone
        return selectors.shown_phone(user, report)


class MemberReportInput(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY),
        required=False,
        allow_null=True,
        help_text=_("The community you report to; by default the one you live in."),
    )
    skills = serializers.CharField(max_length=200, required=False, allow_blank=True)
    service_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceField.choices), required=False
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MemberReportUpdateInput(serializers.Serializer):
    skills = serializers.CharField(max_length=200, required=False, allow_blank=True)
    service_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceField.choices), required=False
    )


class MemberReportMoveInput(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY),
        help_text=_("The community you moved to: your current report ends and a new one starts there."),
    )
    skills = serializers.CharField(max_length=200, required=False, allow_blank=True)
    service_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceField.choices), required=False
    )


class ReportGridInput(serializers.Serializer):
    grid = VisiblePrimaryKeyField(
        queryset=Area.objects.filter(kind=AreaKind.GRID),
        required=False,
        allow_null=True,
        help_text=_("A grid of the report's community; empty to place the member later."),
    )


class ReportReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MemberReportFilter(django_filters.FilterSet):
    skill = django_filters.CharFilter(
        method="filter_skill", label=_("A text in the skills, or a service (its name or code)")
    )

    class Meta:
        model = Report
        fields = ["community", "grid", "state", "skill"]

    def filter_skill(self, queryset, name, value):
        return queryset.filter(selectors.skill_q(value)) if value.strip() else queryset


@extend_schema_view(
    list=extend_schema(
        summary=_("Members' reports you may see: your own, or those of the communities you serve")
    ),
    retrieve=extend_schema(summary=_("One report"), responses={200: MemberReportOutput, 404: NOT_FOUND}),
)
class MemberReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = MemberReportOutput
    filterset_class = MemberReportFilter
    ordering_fields = ["reported_at", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return (
            Report.objects.visible_to(self.request.user)
            .select_related("member__person", "community", "grid")
            .annotate(served_recently=selectors.served_recently())
            .order_by("community__path", "-reported_at", "-pk")
        )

    def _output(self, report, code=200):
        fresh = self.get_queryset().get(pk=report.pk)
        return Response(MemberReportOutput(fresh, context=self.get_serializer_context()).data, status=code)

    @step_schema(
        _("Report to your residential community (党员报到), with your skills and services"),
        MemberReportInput,
        201,
        MemberReportOutput,
    )
    def create(self, request):
        data = MemberReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_submit(actor=request.user, **data.validated_data)
        return self._output(report, status.HTTP_201_CREATED)

    @step_schema(_("Change your skills and services"), MemberReportUpdateInput, 200, MemberReportOutput)
    def partial_update(self, request, pk=None):
        report = self.get_object()
        data = MemberReportUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.report_update(actor=request.user, report=report, **data.validated_data))

    @step_schema(
        _("Move: leave your current community and report to another, in one step"),
        MemberReportMoveInput,
        201,
        MemberReportOutput,
    )
    @action(detail=False, methods=["post"])
    def move(self, request):
        data = MemberReportMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_move(actor=request.user, **data.validated_data)
        return self._output(report, status.HTTP_201_CREATED)

    @step_schema(
        _("Accept the report and place the member in a grid"), ReportGridInput, 200, MemberReportOutput
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        report = self.get_object()
        data = ReportGridInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return self._output(services.report_accept(actor=request.user, report=report, **data.validated_data))

    @step_schema(
        _("Decline the report, with a reason the member reads"), ReportReasonInput, 200, MemberReportOutput
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        report = self.get_object()
        data = ReportReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        return self._output(services.report_decline(actor=request.user, report=report, reason=reason))

    @step_schema(
        _("Move an accepted member to another grid of the community"),
        ReportGridInput,
        200,
        MemberReportOutput,
    )
    @action(detail=True, methods=["post"])
    def place(self, request, pk=None):
        report = self.get_object()
        data = ReportGridInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        grid = data.validated_data.get("grid")
        return self._output(services.report_place(actor=request.user, report=report, grid=grid))

    @step_schema(_("End the member's service in the community"), None, 200, MemberReportOutput)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        return self._output(services.report_leave(actor=request.user, report=self.get_object()))


# --- Pledge texts and signatures ------------------------------------------------------------------


def _record_url(request, record_hash: str) -> str:
    if not record_hash:
        return ""
    url = f"{reverse('audit:verify')}?{urlencode({'hash': record_hash})}"
    return request.build_absolute_uri(url) if request is not None else url


class PledgeTextOutput(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    is_current = serializers.BooleanField(read_only=True, help_text=_("The newest version of its year."))
    signed = serializers.BooleanField(read_only=True, help_text=_("Whether you have signed this version."))
    signature_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PledgeText
        fields = [
            "id",
            "community",
            "community_name",
            "year",
            "version",
            "title",
            "body",
            "text_hash",
            "published_at",
            "is_current",
            "signed",
            "signature_count",
        ]
        read_only_fields = fields


class PledgePublishInput(serializers.Serializer):
    # Any community: the service answers 403 or 404 to who may not publish there.
    community = serializers.PrimaryKeyRelatedField(queryset=Area.objects.filter(kind=AreaKind.COMMUNITY))
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    year = serializers.IntegerField(required=False, allow_null=True, help_text=_("This year by default."))


class PledgeSignatureOutput(serializers.ModelSerializer):
    community = serializers.IntegerField(source="text.community_id", read_only=True)
    year = serializers.IntegerField(source="text.year", read_only=True)
    version = serializers.IntegerField(source="text.version", read_only=True)
    member_name = serializers.CharField(source="member.person.name", read_only=True)
    record_url = serializers.SerializerMethodField(
        help_text=_("The signature's entry in the public record, where anyone can check it.")
    )

    class Meta:
        model = PledgeSignature
        fields = [
            "id",
            "text",
            "community",
            "year",
            "version",
            "member",
            "member_name",
            "signed_at",
            "record_hash",
            "record_url",
        ]
        read_only_fields = fields

    def get_record_url(self, signature) -> str:
        return _record_url(self.context.get("request"), signature.record_hash)


def _pledge_texts_for(user):
    """The pledge texts of the actor's communities: staff's, where they live, where they reported."""
    texts = PledgeText.objects.all()
    q = scope_q(PledgeText, user)
    if q is None:
        return texts
    mine = Report.objects.filter(member__person__user=user, state__in=list(ACTIVE_REPORT_STATES))
    q |= Q(community__in=mine.values("community"))
    community_id = getattr(getattr(user, "person", None), "community_id", None)
    if community_id:
        q |= Q(community_id=community_id)
    return texts.filter(q)


@extend_schema_view(
    list=extend_schema(summary=_("Pledge texts (锋领十条) of your communities, newest first")),
    retrieve=extend_schema(summary=_("One pledge text"), responses={200: PledgeTextOutput, 404: NOT_FOUND}),
)
class PledgeTextViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = PledgeTextOutput
    filterset_fields = ["community", "year"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PledgeText.objects.none()
        user = self.request.user
        newer = PledgeText.objects.filter(
            community=OuterRef("community"), year=OuterRef("year"), version__gt=OuterRef("version")
        )
        signed = PledgeSignature.objects.filter(text=OuterRef("pk"), member__person__user=user)
        return (
            _pledge_texts_for(user)
            .select_related("community")
            .annotate(is_current=~Exists(newer), signed=Exists(signed), signature_count=Count("signatures"))
            .order_by("community__path", "-year", "-version")
        )

    @step_schema(
        _("Publish the year's pledge, or a new version that supersedes the last"),
        PledgePublishInput,
        201,
        PledgeTextOutput,
    )
    def create(self, request):
        data = PledgePublishInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        text = services.pledge_publish(
            actor=request.user,
            community=values["community"],
            title=values.get("title", ""),
            body=values.get("body", ""),
            year=values.get("year"),
        )
        fresh = self.get_queryset().get(pk=text.pk)
        return Response(
            PledgeTextOutput(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @step_schema(_("Sign the current pledge of your community, once"), None, 201, PledgeSignatureOutput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        signature = services.pledge_sign(actor=request.user, text=self.get_object())
        signature = PledgeSignature.objects.select_related("text", "member__person").get(pk=signature.pk)
        return Response(
            PledgeSignatureOutput(signature, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class PledgeSignatureFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="text__community")
    year = django_filters.NumberFilter(field_name="text__year")

    class Meta:
        model = PledgeSignature
        fields = ["text", "community", "year"]


@extend_schema_view(
    list=extend_schema(summary=_("Pledge signatures: your own, or those of the communities you serve")),
    retrieve=extend_schema(
        summary=_("One pledge signature"), responses={200: PledgeSignatureOutput, 404: NOT_FOUND}
    ),
)
class PledgeSignatureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = PledgeSignatureOutput
    filterset_class = PledgeSignatureFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PledgeSignature.objects.none()
        return (
            PledgeSignature.objects.visible_to(self.request.user)
            .select_related("text", "member__person")
            .order_by("-signed_at", "-pk")
        )


def register(router) -> None:
    """Register this part's viewsets on the volunteers' router."""
    router.register("member-reports", MemberReportViewSet, basename="member-report")
    router.register("pledge-texts", PledgeTextViewSet, basename="pledge-text")
    router.register("pledge-signatures", PledgeSignatureViewSet, basename="pledge-signature")
