"""REST API of the points pages (/api/v1/): my wallet and statement, the market, redemptions, leaderboards,
and the earning rules (staff).

Reads come from the selectors (each list a fixed number of queries); writes parse an input
serializer and call one service in points.market, whose `ApplicationError`s become the JSON error
format of core.drf. Output serializers never accept input.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import scope_for
from community.api import RefOutput
from community.models import Area, AreaKind, Organisation
from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    CursorPagination,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    error_response,
    require_perm,
)
from core.exceptions import NotFound, ValidationFailed

from . import earning, market, market_selectors, selectors
from .earning_permissions import POINTS_STAFF_ROLES
from .models import EarningRule, EventType, MarketItem, Redemption, Transfer
from .workflow import RedemptionState

CONFLICT = error_response(
    _(
        "Not possible now (sold out, already used, cancelled, expired, not enough points). Nothing was changed."
    )
)


def _verify_link(request, redemption: Redemption) -> str:
    return request.build_absolute_uri(
        f"{reverse('points:verify')}?code={redemption.code}&t={redemption.token}"
    )


# --- Output serializers ------------------------------------------------------------------------


class ExpiringOutput(serializers.Serializer):
    until = serializers.DateField(help_text=_("The points expire at the end of this day."))
    points = serializers.IntegerField()


class WalletOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("Null until the first points arrive."))
    balance = serializers.IntegerField()
    community = RefOutput()
    expiring = ExpiringOutput(many=True)


class StatementLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    direction = serializers.ChoiceField(choices=["in", "out"])
    amount = serializers.IntegerField(
        source="signed_amount", help_text=_("Positive into the wallet, negative out of it.")
    )
    counterparty = serializers.CharField(source="counterparty_name")
    memo = serializers.CharField()
    cause = serializers.CharField(help_text=_('What caused it, as "app.Model:id" where there is one.'))
    cause_url = serializers.SerializerMethodField(help_text=_("The page of the cause, if there is one."))

    def get_cause_url(self, transfer) -> str:
        return market_selectors.cause_url(transfer.cause)


class MarketItemOutput(serializers.ModelSerializer):
    merchant = RefOutput()
    community = RefOutput()
    held = serializers.IntegerField(
        help_text=_("How many of this item you hold now (reserved or collected).")
    )
    available_now = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField()

    class Meta:
        model = MarketItem
        fields = [
            "id",
            "name",
            "description",
            "price",
            "stock",
            "per_person_limit",
            "held",
            "available_from",
            "available_until",
            "available_now",
            "pickup_place",
            "active",
            "photo",
            "merchant",
            "community",
        ]
        read_only_fields = fields

    def get_available_now(self, item) -> bool:
        return item.is_available(timezone.now())

    def get_photo(self, item) -> str | None:
        return item.photo.url if item.photo else None


class ItemRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    merchant = RefOutput()
    pickup_place = serializers.CharField()


class RedemptionOutput(serializers.ModelSerializer):
    """One of my redemptions. `code` and `qr_link` are what the merchant verifies: show them only to the counter."""

    item = ItemRefOutput()
    state_display = serializers.CharField(source="get_state_display")
    grouped_code = serializers.CharField()
    qr_link = serializers.SerializerMethodField(
        help_text=_("The link the QR code carries (code and secret).")
    )

    class Meta:
        model = Redemption
        fields = [
            "id",
            "item",
            "quantity",
            "points",
            "state",
            "state_display",
            "code",
            "grouped_code",
            "qr_link",
            "reserved_at",
            "expires_at",
            "completed_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_qr_link(self, redemption) -> str | None:
        request = self.context.get("request")
        if request is None or redemption.state != RedemptionState.RESERVED:
            return None
        return _verify_link(request, redemption)


class RedemptionCheckOutput(serializers.Serializer):
    """What the merchant sees of a redemption: no full name, no phone."""

    id = serializers.IntegerField()
    item = ItemRefOutput()
    quantity = serializers.IntegerField()
    points = serializers.IntegerField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    grouped_code = serializers.CharField()
    holder = serializers.SerializerMethodField(help_text=_("The holder's name, partly hidden."))
    expires_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_holder(self, redemption) -> str:
        person = getattr(redemption.user, "person", None)
        return selectors.mask_name(person.name if person is not None else str(redemption.user))


class LeaderboardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField(help_text=_("Partly hidden, e.g. 王*国."))
    points = serializers.IntegerField()
    is_me = serializers.BooleanField()


class LeaderboardOutput(serializers.Serializer):
    community = RefOutput()
    month = serializers.CharField(help_text=_("YYYY-MM"))
    rows = LeaderboardRowOutput(many=True)


# --- Input serializers -------------------------------------------------------------------------


class RedemptionInput(serializers.Serializer):
    item = VisiblePrimaryKeyField(
        queryset=MarketItem.objects.all(), help_text=_("An item of your community.")
    )
    quantity = serializers.IntegerField(min_value=1, max_value=market.MAX_QUANTITY, default=1)


class RedemptionCodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text=_('The 8 digits ("1234 5678" is fine too).'))
    token = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text=_("The secret from a scanned QR code.")
    )


class LeaderboardInput(serializers.Serializer):
    community = serializers.IntegerField(required=False, help_text=_("Default: your own community."))
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text=_("YYYY-MM; default: this month.")
    )


# --- Wallet ------------------------------------------------------------------------------------


def _wallet_or_404(user):
    wallet = market_selectors.wallet_of(user)
    person = getattr(user, "person", None)
    if wallet is None and person is None:
        raise NotFound(
            _("You have no points wallet: your login is not linked to a resident."), code="no_wallet"
        )
    return wallet, person


class WalletApi(APIView):
    @extend_schema(
        summary=_("My points: balance and what expires when"), responses={200: WalletOutput, 404: NOT_FOUND}
    )
    def get(self, request):
        wallet, person = _wallet_or_404(request.user)
        community = wallet.area if wallet is not None else person.community
        return Response(
            WalletOutput(
                {
                    "id": wallet.pk if wallet else None,
                    "balance": wallet.balance if wallet else 0,
                    "community": community,
                    "expiring": [
                        {"until": until, "points": points}
                        for until, points in (selectors.expiring_points(account=wallet) if wallet else [])
                    ],
                }
            ).data
        )


class StatementPagination(CursorPagination):
    page_size = 30


@extend_schema_view(
    get=extend_schema(
        summary=_("My statement: every entry with its cause, newest first (cursor pages)"),
        responses={200: StatementLineOutput(many=True), 404: NOT_FOUND},
    )
)
class WalletStatementApi(generics.ListAPIView):
    serializer_class = StatementLineOutput
    pagination_class = StatementPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transfer.objects.none()
        wallet, _person = _wallet_or_404(self.request.user)
        if wallet is None:
            return Transfer.objects.none().order_by("-id")
        return selectors.statement(account=wallet)


# --- Market ------------------------------------------------------------------------------------


class MarketItemFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY), label=_("Community")
    )
    merchant = django_filters.ModelChoiceFilter(queryset=Organisation.objects.all(), label=_("Offered by"))
    available = django_filters.BooleanFilter(
        method="filter_available", label=_("true: only items that may be redeemed now")
    )

    class Meta:
        model = MarketItem
        fields = ["community", "merchant", "available"]

    def filter_available(self, queryset, name, value):
        return queryset.filter(open_now=1) if value else queryset.filter(open_now=0)


@extend_schema_view(
    list=extend_schema(summary=_("Market items you may see (your community's, or those in your scope)")),
    retrieve=extend_schema(summary=_("One market item"), responses={200: MarketItemOutput, 404: NOT_FOUND}),
)
class MarketItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = MarketItemOutput
    filterset_class = MarketItemFilter
    search_fields = ["name", "description", "merchant__name"]
    ordering_fields = ["price", "name", "stock", "available_from"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MarketItem.objects.none()
        return market_selectors.market_item_list(actor=self.request.user)


# --- Redemptions -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("My redemptions: open ones first")),
    retrieve=extend_schema(
        summary=_("One of my redemptions"), responses={200: RedemptionOutput, 404: NOT_FOUND}
    ),
)
class RedemptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = RedemptionOutput
    filterset_fields = ["state"]
    ordering_fields = ["reserved_at", "expires_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Redemption.objects.none()
        return market_selectors.redemption_list(user=self.request.user)

    def _output(self, redemption: Redemption) -> dict:
        fresh = market_selectors.redemption_list(user=redemption.user).get(pk=redemption.pk)
        return RedemptionOutput(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        summary=_("Redeem an item: points are set aside and a code is issued"),
        request=RedemptionInput,
        responses={201: RedemptionOutput, 400: INVALID, 404: NOT_FOUND, 409: CONFLICT},
    )
    def create(self, request):
        data = RedemptionInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        redemption = market.redemption_create(
            actor=request.user, item=data.validated_data["item"], quantity=data.validated_data["quantity"]
        )
        return Response(self._output(redemption), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Cancel my redemption before collecting it: points refunded"),
        request=None,
        responses={200: RedemptionOutput, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        redemption = market.redemption_cancel(actor=request.user, redemption=self.get_object())
        return Response(self._output(redemption))

    @extend_schema(
        summary=_("Look up a code before handing over (merchants' contacts and community staff)"),
        request=RedemptionCodeInput,
        responses={200: RedemptionCheckOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=False, methods=["post"])
    def lookup(self, request):
        data = RedemptionCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = market.redemption_lookup(
            actor=request.user, code=data.validated_data["code"], token=data.validated_data.get("token", "")
        )
        return Response(RedemptionCheckOutput(found).data)

    @extend_schema(
        summary=_("Verify a code and complete the redemption (merchants' contacts and community staff)"),
        request=RedemptionCodeInput,
        responses={200: RedemptionCheckOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=False, methods=["post"])
    def verify(self, request):
        data = RedemptionCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = market.redemption_verify(
            actor=request.user, code=data.validated_data["code"], token=data.validated_data.get("token", "")
        )
        return Response(RedemptionCheckOutput(done).data)


# --- Leaderboards ------------------------------------------------------------------------------


class LeaderboardApi(APIView):
    @extend_schema(
        summary=_("Who earned most in a community in a month (names partly hidden)"),
        parameters=[
            OpenApiParameter(
                "community", OpenApiTypes.INT, description=str(_("Default: your own community."))
            ),
            OpenApiParameter("month", OpenApiTypes.STR, description=str(_("YYYY-MM; default: this month."))),
        ],
        responses={200: LeaderboardOutput, 400: INVALID, 404: NOT_FOUND},
    )
    def get(self, request):
        data = LeaderboardInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        communities = market_selectors.leaderboard_communities(request.user)
        wanted = data.validated_data.get("community")
        if wanted is None:
            community = market_selectors.market_community_of(request.user) or communities.first()
        else:
            community = communities.filter(pk=wanted).first()
        if community is None:
            raise NotFound()
        if "month" in data.validated_data:
            year, month_number = (int(part) for part in data.validated_data["month"].split("-"))
            month = date(year, month_number, 1)
        else:
            month = timezone.localdate().replace(day=1)
        rows = selectors.leaderboard(community=community, month=month)
        return Response(
            LeaderboardOutput(
                {
                    "community": community,
                    "month": month.strftime("%Y-%m"),
                    "rows": [{**row, "is_me": row["user_id"] == request.user.pk} for row in rows],
                }
            ).data
        )


# --- Earning rules (staff) ----------------------------------------------------------------------


class EarningRuleOutput(serializers.ModelSerializer):
    district = RefOutput()
    community = RefOutput(allow_null=True)
    event_type_label = serializers.CharField(source="get_event_type_display")

    class Meta:
        model = EarningRule
        fields = [
            "id",
            "event_type",
            "event_type_label",
            "district",
            "community",
            "points",
            "unit_label",
            "daily_cap",
            "monthly_cap",
            "active",
            "valid_from",
            "valid_until",
            "note",
        ]
        read_only_fields = fields


class EarningRuleInput(serializers.Serializer):
    event_type = serializers.ChoiceField(choices=EventType.choices)
    # A district's name is public; whether the caller may set its default is the service's call.
    # Omitted with a community: that community's district.
    district = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(kind=AreaKind.DISTRICT), required=False
    )
    community = VisiblePrimaryKeyField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY), allow_null=True, required=False
    )
    points = serializers.IntegerField(min_value=0, max_value=100_000)
    unit_label = serializers.CharField(max_length=20, allow_blank=True, required=False)
    daily_cap = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    monthly_cap = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    active = serializers.BooleanField(required=False)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True, required=False)
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class EarningRuleFilter(django_filters.FilterSet):
    district_default = django_filters.BooleanFilter(
        field_name="community", lookup_expr="isnull", label=_("District-wide defaults only")
    )

    class Meta:
        model = EarningRule
        fields = ["event_type", "community", "district", "active"]


@extend_schema_view(
    list=extend_schema(
        summary=_("Earning rules you may see (staff): the district's defaults and your communities'")
    ),
    retrieve=extend_schema(summary=_("One earning rule"), responses={200: EarningRuleOutput, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("Add an earning rule"),
        request=EarningRuleInput,
        responses={201: EarningRuleOutput, 400: INVALID, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary=_("Change an earning rule (every version is kept)"),
        request=EarningRuleInput,
        responses={200: EarningRuleOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class EarningRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = EarningRuleOutput
    filterset_class = EarningRuleFilter
    ordering_fields = ["event_type", "valid_from", "points"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EarningRule.objects.none()
        user = self.request.user
        if scope_for(user).for_roles(POINTS_STAFF_ROLES).is_empty:
            return EarningRule.objects.none()  # rules are the staff's; others see none
        return EarningRule.objects.visible_to(user).select_related("district", "community")

    def create(self, request):
        require_perm(request.user, "points.add_earningrule")
        data = EarningRuleInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.get("district") is None:
            community = fields.get("community")
            if community is None:
                raise ValidationFailed(
                    _("Name the district (for a district-wide rule) or the community."),
                    extra={"district": [_("Required.")]},
                )
            fields["district"] = community.ancestor_of_kind(AreaKind.DISTRICT)
        rule = earning.earning_rule_save(actor=request.user, **fields)
        return Response(self._output(rule), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        rule = self.get_object()
        require_perm(request.user, "points.change_earningrule", rule)
        data = EarningRuleInput(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        rule = earning.earning_rule_save(actor=request.user, rule=rule, **data.validated_data)
        return Response(self._output(rule))

    def _output(self, rule: EarningRule) -> dict:
        fresh = self.get_queryset().get(pk=rule.pk)
        return EarningRuleOutput(fresh, context=self.get_serializer_context()).data
