"""REST API of contracts (/api/v1/): pairings, contracts with filters, one POST per step, and their rows.

Reads are scoped (`visible_to`); every write parses an input serializer and calls one service in
contracts.services, whose `ApplicationError`s become the JSON error format (400 bad input, 403 the
wrong actor, 404 not visible, 409 a step the state does not allow).
"""

from __future__ import annotations

import django_filters
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from community.api import RefOutput
from community.models import Area, AreaKind, Organisation, User
from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    CursorPagination,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    error_response,
)

from . import selectors, services
from .models import (
    Comment,
    Contract,
    FulfilmentRecord,
    Meeting,
    MenuKind,
    MenuOffer,
    Need,
    Pairing,
    Rating,
    Side,
    Signature,
    SigningOrder,
)
from .workflow import PUBLIC_STATES, ContractState

CONFLICT = error_response(_("The contract's state does not allow this step now. Nothing was changed."))


class PairingOutput(serializers.ModelSerializer):
    community = RefOutput()
    community_org = RefOutput()
    unit_org = RefOutput()

    class Meta:
        model = Pairing
        fields = ["id", "community", "community_org", "unit_org", "since", "ended_on", "active"]
        read_only_fields = fields


class SignatureOutput(serializers.ModelSerializer):
    organisation = RefOutput()
    version = serializers.IntegerField(source="version.number")

    class Meta:
        model = Signature
        fields = ["side", "organisation", "version", "signed_at", "text_hash"]
        read_only_fields = fields


class ContractOutput(serializers.ModelSerializer):
    pairing = PairingOutput()
    state_label = serializers.CharField(source="get_state_display")
    latest_version = serializers.IntegerField()
    frozen_version = serializers.IntegerField(source="frozen_version.number", allow_null=True, default=None)
    text_hash = serializers.CharField(source="frozen_version.text_hash", allow_null=True, default=None)
    signatures = SignatureOutput(many=True, source="live_signatures")

    class Meta:
        model = Contract
        fields = [
            "id",
            "title",
            "pairing",
            "term_start",
            "term_end",
            "state",
            "state_label",
            "signing_order",
            "latest_version",
            "community_agreed",
            "unit_agreed",
            "frozen_version",
            "text_hash",
            "sign_by",
            "signatures",
            "signed_at",
            "published_at",
            "terminated_at",
            "termination_reason",
            "termination_proposed_by",
        ]
        read_only_fields = fields


class ItemInput(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.ChoiceField(choices=MenuKind.choices)
    title = serializers.CharField(max_length=120)
    deliverable = serializers.CharField(max_length=500, allow_blank=True, required=False)
    quantity = serializers.IntegerField(min_value=0, max_value=100_000, allow_null=True, required=False)
    unit = serializers.CharField(max_length=20, allow_blank=True, required=False)
    schedule = serializers.CharField(max_length=120, allow_blank=True, required=False)
    budget = serializers.IntegerField(
        min_value=0, max_value=services.MAX_BUDGET, allow_null=True, required=False
    )


class ContractInput(serializers.Serializer):
    pairing = VisiblePrimaryKeyField(queryset=Pairing.objects.all())
    title = serializers.CharField(max_length=120)
    term_start = serializers.DateField()
    term_end = serializers.DateField()
    signing_order = serializers.ChoiceField(choices=SigningOrder.choices, required=False)
    items = ItemInput(many=True, allow_empty=False)


class ReviseInput(serializers.Serializer):
    items = ItemInput(many=True, allow_empty=False)
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class SignInput(VersionInput):
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PairingFilter(django_filters.FilterSet):
    class Meta:
        model = Pairing
        fields = ["community", "unit_org", "active"]


@extend_schema_view(
    list=extend_schema(summary=_("Pairings you may see")),
    retrieve=extend_schema(summary=_("One pairing"), responses={200: PairingOutput, 404: NOT_FOUND}),
)
class PairingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = PairingOutput
    filterset_class = PairingFilter
    ordering_fields = ["since"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pairing.objects.none()
        return (
            Pairing.objects.visible_to(self.request.user)
            .select_related("community", "community_org", "unit_org")
            .order_by("community__path", "unit_org__name")
        )


class ContractFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="pairing__community", label=_("community"))
    unit = django_filters.NumberFilter(field_name="pairing__unit_org", label=_("unit Party organisation"))
    year = django_filters.NumberFilter(field_name="term_start__year", label=_("year the term starts"))
    state = django_filters.MultipleChoiceFilter(choices=ContractState.choices)

    class Meta:
        model = Contract
        fields = ["state", "community", "unit", "year"]


# --- Fulfil (履约), rate (评约), consult (谈约): the rows a contract gathers ---------------------------


class ServerField(serializers.PrimaryKeyRelatedField):
    """A Party member who served: of the pairing's community or of its unit, as the record form offers.

    Any other id reads as one that does not exist, so an id never reveals whose login it is.
    """

    def get_queryset(self):
        pairing = self.context.get("pairing")
        queryset = super().get_queryset()
        if pairing is None:
            return queryset.none()
        return queryset.filter(person__party_member__isnull=False).filter(
            Q(person__community=pairing.community_id)
            | Q(person__party_member__party_organisation=pairing.unit_org_id)
        )


class RecordInput(serializers.Serializer):
    item_index = serializers.IntegerField(min_value=0)
    done_on = serializers.DateField()
    description = serializers.CharField(max_length=500)
    people_served = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    hours = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, required=False)
    evidence = serializers.FileField(
        required=False, allow_null=True, help_text=_("A photo (JPG or PNG) or a PDF, at most 10 MB.")
    )
    served_by = ServerField(
        queryset=User.objects.all(),
        many=True,
        required=False,
        help_text=_("Ids of the Party members who served; each earns points."),
    )
    milestone = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("The index of the item's milestone (节点) this record reaches, if any."),
    )


class FulfilmentRecordOutput(serializers.ModelSerializer):
    evidence = serializers.FileField(read_only=True, allow_null=True)
    served_by = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    reported_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = FulfilmentRecord
        fields = [
            "id",
            "item_index",
            "milestone",
            "done_on",
            "description",
            "people_served",
            "hours",
            "evidence",
            "side",
            "served_by",
            "reported_by",
            "created_at",
        ]
        read_only_fields = fields


class FulfilmentRecordFilter(django_filters.FilterSet):
    done_on = django_filters.DateFromToRangeFilter(label=_("done on (after, before)"))

    class Meta:
        model = FulfilmentRecord
        fields = ["item_index", "done_on"]


class FulfilmentRecordPagination(CursorPagination):
    # Latest done first, as the contract's page shows them; the (contract, -done_on, -id) index
    # finds any page of one contract's records without sorting them.
    ordering = ("-done_on", "-id")


class RateInput(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        help_text=_("One overall score (residents; or a side for all criteria)."),
    )
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5),
        required=False,
        help_text=_('A side\'s score per criterion (CONTRACT_EVALUATION_CRITERIA), e.g. {"delivery": 5}.'),
    )
    comment = serializers.CharField(max_length=300, allow_blank=True, required=False)

    def validate(self, attrs):
        if "score" not in attrs and not attrs.get("scores"):
            raise serializers.ValidationError(_("Give a score from 1 to 5, or one per criterion."))
        return attrs


class RatingOutput(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["id", "rater_kind", "score", "scores", "comment", "created_at"]
        read_only_fields = fields


class MeetingInput(serializers.Serializer):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=120)
    attendees = serializers.CharField(max_length=500)
    minutes = serializers.CharField(max_length=5000)
    decisions = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class MeetingOutput(serializers.ModelSerializer):
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "held_on", "place", "attendees", "minutes", "decisions", "recorded_by", "created_at"]
        read_only_fields = fields


class CommentInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    body = serializers.CharField(max_length=500)
    item_index = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class CommentFilter(django_filters.FilterSet):
    class Meta:
        model = Comment
        fields = ["version", "item_index"]


class CommentOutput(serializers.ModelSerializer):
    author = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "version", "item_index", "body", "side", "author", "created_at"]
        read_only_fields = fields


# The lists under one contract (/contracts/{id}/<name>/) and the model of their rows.
NESTED_LISTS = {"records": FulfilmentRecord, "meetings": Meeting, "comments": Comment}


def _step(summary, request=None, code=200, output=ContractOutput, methods=None):
    return extend_schema(
        methods=methods,
        summary=summary,
        request=request,
        responses={code: output, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )


def _rows(summary, output):
    """The schema of a list under one contract: a page of `output`, filtered."""
    return extend_schema(
        methods=["GET"],
        summary=summary,
        request=None,
        responses={200: output(many=True), 400: INVALID, 404: NOT_FOUND},
    )


@extend_schema_view(
    list=extend_schema(summary=_("Contracts you may see, newest term first")),
    retrieve=extend_schema(summary=_("One contract"), responses={200: ContractOutput, 404: NOT_FOUND}),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ContractOutput
    filterset_class = ContractFilter
    search_fields = ["title", "pairing__unit_org__name", "pairing__community_org__name"]
    ordering_fields = ["term_start", "title", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # The schema reads a nested list's filters from the model of its rows.
            return NESTED_LISTS.get(self.action, Contract).objects.none()
        contracts = Contract.objects.visible_to(self.request.user)
        if self.action == "rate":
            # Residents rate from the public board, as on the contract's public page.
            contracts |= Contract.objects.filter(state__in=PUBLIC_STATES)
        return (
            contracts.select_related(
                "pairing__community", "pairing__community_org", "pairing__unit_org", "frozen_version"
            )
            .annotate(latest_version=Max("versions__number"))
            .prefetch_related(selectors.live_signatures())
            .order_by("-term_start", "pk")
        )

    def _output(self, contract: Contract, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(ContractOutput(fresh, context=self.get_serializer_context()).data, status=code)

    def filter_queryset(self, queryset):
        # A nested list's filters are for its rows, not for the contract get_object() looks up.
        if self.action in NESTED_LISTS and queryset.model is Contract:
            return queryset
        return super().filter_queryset(queryset)

    def _page(self, rows, output) -> Response:
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(
            output(page, many=True, context=self.get_serializer_context()).data
        )

    @_step(_("Draft a contract for a pairing (谈约)"), ContractInput, 201)
    def create(self, request):
        data = ContractInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        contract = services.contract_create(actor=request.user, **data.validated_data)
        return self._output(contract, status.HTTP_201_CREATED)

    @_step(_("A new version of the draft"), ReviseInput)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        data = ReviseInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = self.get_object()
        services.contract_revise(actor=request.user, contract=contract, **data.validated_data)
        return self._output(contract)

    @_step(
        _("Agree to the latest version for your side; both agreeing freezes it for signature"), VersionInput
    )
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_agree(
            actor=request.user, contract=self.get_object(), **data.validated_data
        )
        return self._output(contract)

    @_step(_("Ask for a change before both have signed (voids any signature)"), ReasonInput)
    @action(detail=True, methods=["post"], url_path="request-change")
    def request_change(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_request_change(
            actor=request.user, contract=self.get_object(), **data.validated_data
        )
        return self._output(contract)

    @_step(_("Sign the frozen version for your side, with your password again (签约)"), SignInput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = self.get_object()
        services.contract_sign(
            actor=request.user,
            contract=contract,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            **data.validated_data,
        )
        return self._output(contract)

    @_step(_("Publish the signed contract (亮约)"))
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._output(services.contract_publish(actor=request.user, contract=self.get_object()))

    @_step(_("Open the evaluation (评约)"))
    @action(detail=True, methods=["post"], url_path="open-evaluation")
    def open_evaluation(self, request, pk=None):
        return self._output(services.contract_open_evaluation(actor=request.user, contract=self.get_object()))

    @_step(_("Close the evaluation"))
    @action(detail=True, methods=["post"], url_path="close-evaluation")
    def close_evaluation(self, request, pk=None):
        return self._output(
            services.contract_close_evaluation(actor=request.user, contract=self.get_object())
        )

    @_step(_("Start next year's draft from this contract's items (续约)"), None, 201)
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        renewed = services.contract_renew(actor=request.user, contract=self.get_object())
        return self._output(renewed, status.HTTP_201_CREATED)

    @_step(_("Propose ending the contract by agreement, or agree to the other side's proposal"), ReasonInput)
    @action(detail=True, methods=["post"], url_path="terminate-by-agreement")
    def terminate_by_agreement(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_terminate_by_agreement(
            actor=request.user, contract=self.get_object(), **data.validated_data
        )
        return self._output(contract)

    @_step(_("Terminate the contract (district administrator), with a reason"), ReasonInput)
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_terminate(
            actor=request.user, contract=self.get_object(), **data.validated_data
        )
        return self._output(contract)

    @_step(
        _("Record something done for one item of the published contract (履约)"),
        RecordInput,
        201,
        FulfilmentRecordOutput,
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        contract = self.get_object()
        context = {**self.get_serializer_context(), "pairing": contract.pairing}
        data = RecordInput(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        record = services.contract_record(actor=request.user, contract=contract, **data.validated_data)
        return Response(FulfilmentRecordOutput(record, context=context).data, status=status.HTTP_201_CREATED)

    @_rows(_("What was done for the contract's items (履约), latest first"), FulfilmentRecordOutput)
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[DjangoFilterBackend],
        filterset_class=FulfilmentRecordFilter,
        pagination_class=FulfilmentRecordPagination,
    )
    def records(self, request, pk=None):
        rows = FulfilmentRecord.objects.filter(contract=self.get_object()).prefetch_related("served_by")
        return self._page(rows, FulfilmentRecordOutput)

    @_step(
        _("Rate the contract in its evaluation window: each side once, each resident once (评约)"),
        RateInput,
        201,
        RatingOutput,
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        data = RateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.contract_rate(actor=request.user, contract=self.get_object(), **data.validated_data)
        return Response(RatingOutput(rating).data, status=status.HTTP_201_CREATED)

    @_rows(_("Consultation meetings (协商会议), latest first"), MeetingOutput)
    @_step(
        _("Record the minutes of a consultation meeting while negotiating"),
        MeetingInput,
        201,
        MeetingOutput,
        methods=["POST"],
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def meetings(self, request, pk=None):
        contract = self.get_object()
        if request.method == "GET":
            return self._page(contract.meetings.order_by("-held_on", "-id"), MeetingOutput)
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_record(actor=request.user, contract=contract, **data.validated_data)
        return Response(MeetingOutput(meeting).data, status=status.HTTP_201_CREATED)

    @_rows(_("Comments on the draft's versions, latest first"), CommentOutput)
    @_step(
        _("Comment on a version of the draft, or on one of its items"),
        CommentInput,
        201,
        CommentOutput,
        methods=["POST"],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[DjangoFilterBackend],
        filterset_class=CommentFilter,
    )
    def comments(self, request, pk=None):
        contract = self.get_object()
        if request.method == "GET":
            return self._page(contract.comments.order_by("-created_at", "-id"), CommentOutput)
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(actor=request.user, contract=contract, **data.validated_data)
        return Response(CommentOutput(comment).data, status=status.HTTP_201_CREATED)


# --- The four menus and needs ---------------------------------------------------------------------


class MenuOfferOutput(serializers.ModelSerializer):
    organisation = RefOutput()
    area = RefOutput()
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = MenuOffer
        fields = [
            "id",
            "organisation",
            "area",
            "kind",
            "kind_label",
            "title",
            "description",
            "quantity",
            "unit",
            "estimated_value",
            "active",
        ]
        read_only_fields = fields


class MenuOfferInput(serializers.Serializer):
    organisation = VisiblePrimaryKeyField(queryset=Organisation.objects.all())
    kind = serializers.ChoiceField(choices=MenuKind.choices)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)
    quantity = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    unit = serializers.CharField(max_length=20, allow_blank=True, required=False)
    estimated_value = serializers.IntegerField(min_value=0, allow_null=True, required=False)


class NeedOutput(serializers.ModelSerializer):
    community = RefOutput()
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Need
        fields = ["id", "community", "kind", "kind_label", "title", "description", "open", "created_at"]
        read_only_fields = fields


class NeedInput(serializers.Serializer):
    community = VisiblePrimaryKeyField(queryset=Area.objects.filter(kind=AreaKind.COMMUNITY))
    kind = serializers.ChoiceField(choices=MenuKind.choices)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)


class MenuOfferFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="area", label=_("community"))

    class Meta:
        model = MenuOffer
        fields = ["kind", "organisation", "community", "active"]


@extend_schema_view(
    list=extend_schema(summary=_("Menu offers you may see (四类菜单)")),
    retrieve=extend_schema(summary=_("One menu offer"), responses={200: MenuOfferOutput, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("Put an item on your organisation's menu"),
        request=MenuOfferInput,
        responses={201: MenuOfferOutput, 400: INVALID, 403: FORBIDDEN},
    ),
)
class MenuOfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = MenuOfferOutput
    filterset_class = MenuOfferFilter
    search_fields = ["title", "description", "organisation__name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MenuOffer.objects.none()
        return (
            MenuOffer.objects.visible_to(self.request.user)
            .select_related("organisation", "area")
            .order_by("kind", "title", "pk")
        )

    def create(self, request):
        data = MenuOfferInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        offer = services.menu_offer_create(actor=request.user, **data.validated_data)
        return Response(MenuOfferOutput(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Open needs this offer could meet (same kind, same street)"),
        responses={200: NeedOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def matches(self, request, pk=None):
        return Response(NeedOutput(selectors.needs_for_offer(self.get_object())[:20], many=True).data)


@extend_schema_view(
    list=extend_schema(summary=_("Needs posted by communities you may see")),
    retrieve=extend_schema(summary=_("One need"), responses={200: NeedOutput, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("Post a community need"),
        request=NeedInput,
        responses={201: NeedOutput, 400: INVALID, 403: FORBIDDEN},
    ),
)
class NeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = NeedOutput
    filterset_fields = ["kind", "community", "open"]
    search_fields = ["title", "description"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Need.objects.none()
        return (
            Need.objects.visible_to(self.request.user)
            .select_related("community")
            .order_by("-created_at", "pk")
        )

    def create(self, request):
        data = NeedInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        need = services.need_post(actor=request.user, **data.validated_data)
        return Response(NeedOutput(need).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Offers that could meet this need (same kind, same street, own community first)"),
        responses={200: MenuOfferOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def matches(self, request, pk=None):
        return Response(MenuOfferOutput(selectors.offers_for_need(self.get_object())[:20], many=True).data)
