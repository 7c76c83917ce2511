"""REST API of contracts (/api/v1/): pairings, contracts with filters, and one POST per step.

Reads are scoped (`visible_to`); every write parses an input serializer and calls one service in
contracts.services, whose `ApplicationError`s become the JSON error format (400 bad input, 403 the
wrong actor, 404 not visible, 409 a step the state does not allow).
"""

from __future__ import annotations

import django_filters
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from community.api import RefOutput
from community.models import Area, AreaKind, Organisation
from core.api import FORBIDDEN, INVALID, NOT_FOUND, ScopedViewSet, VisiblePrimaryKeyField, error_response

from . import selectors, services
from .models import Contract, MenuKind, MenuOffer, Need, Pairing, Side, Signature, SigningOrder
from .workflow import ContractState

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


def _step(summary, request=None, code=200):
    return extend_schema(
        summary=summary,
        request=request,
        responses={code: ContractOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
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
            return Contract.objects.none()
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related(
                "pairing__community", "pairing__community_org", "pairing__unit_org", "frozen_version"
            )
            .annotate(latest_version=Max("versions__number"))
            .prefetch_related(selectors.live_signatures())
            .order_by("-term_start", "pk")
        )

    def _output(self, contract: Contract, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(ContractOutput(fresh, context=self.get_serializer_context()).data, status=code)

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
