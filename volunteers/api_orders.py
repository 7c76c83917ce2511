"""/api/v1/service-orders/: residents' service orders, with one POST per step.

Reads show the orders the actor may see (`selectors.orders.orders_visible`); the resident's address
and phone are masked except to the member holding the order, the resident (or whoever ordered for
them) and the community's staff. Every write parses an input serializer and calls one function of
`volunteers.services.orders`; its `ApplicationError`s become the JSON error format (400 bad input,
403 the wrong actor, 404 not visible, 409 a step the state does not allow).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from community.models import Area, AreaKind, Person, User
from core.api import (
    NOT_FOUND,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    error_response,
    step_schema,
)

from .models import OrderEvent, ServiceOrder
from .selectors import orders as selectors
from .services import orders as services
from .services.orders import COMMENT_MAX, DESCRIPTION_MAX, MAX_PHOTOS, NOTE_MAX, REASON_MAX
from .workflow import OPEN_ORDER_STATES, OrderState, ServiceField

CONFLICT = error_response(
    _("The state does not allow this step now (or another member took the order first). Nothing was changed.")
)


def _step(summary, request=None, code=200):
    return step_schema(summary, request, code, output=ServiceOrderDetailOutput, conflict=CONFLICT)


# --- Output ---------------------------------------------------------------------------------------


class ServiceOrderEventOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["step", "from_state", "to_state", "created_at", "note"]
        read_only_fields = fields


class ServiceOrderOutput(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True, allow_null=True, default=None)
    address = serializers.SerializerMethodField(
        help_text=_(
            "In full for the member holding the order, the resident and the community's staff; else masked."
        )
    )
    contact_phone = serializers.SerializerMethodField(help_text=_("Masked like the address."))
    resident_name = serializers.SerializerMethodField(help_text=_("Masked like the address."))
    contact_visible = serializers.SerializerMethodField(
        help_text=_("Whether the address and phone above are shown in full.")
    )
    member_name = serializers.SerializerMethodField()
    ordered_for_resident = serializers.SerializerMethodField(
        help_text=_("Placed by a social worker or the secretary for a resident without a phone.")
    )
    photos = serializers.SerializerMethodField(help_text=_("The photos of the service done (晒单)."))

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "community",
            "community_name",
            "grid",
            "grid_name",
            "field",
            "description",
            "address",
            "contact_phone",
            "resident_name",
            "contact_visible",
            "window_start",
            "window_end",
            "state",
            "member",
            "member_name",
            "from_pool",
            "accept_by",
            "accepted_at",
            "started_at",
            "done_at",
            "done_note",
            "rate_by",
            "stars",
            "rating_comment",
            "rated_at",
            "closed_at",
            "ordered_for_resident",
            "photos",
            "created_at",
        ]
        read_only_fields = fields

    def _visible(self, order) -> bool:
        cache = self.context.setdefault("_contact", {})
        if order.pk not in cache:
            request = self.context.get("request")
            cache[order.pk] = selectors.contact_visible(getattr(request, "user", None), order)
        return cache[order.pk]

    def get_address(self, order) -> str:
        return order.address if self._visible(order) else order.masked_address

    def get_contact_phone(self, order) -> str:
        return order.contact_phone if self._visible(order) else order.masked_phone

    def get_resident_name(self, order) -> str:
        name = order.resident.name
        return name if self._visible(order) else selectors.mask_name(name)

    def get_contact_visible(self, order) -> bool:
        return self._visible(order)

    def get_member_name(self, order) -> str | None:
        return str(order.member) if order.member_id else None

    def get_ordered_for_resident(self, order) -> bool:
        return order.ordered_by_id != order.resident.user_id

    def get_photos(self, order) -> list[str]:
        request = self.context.get("request")
        urls = [photo.photo.url for photo in order.photos.all()]
        return [request.build_absolute_uri(url) for url in urls] if request is not None else urls


class ServiceOrderDetailOutput(ServiceOrderOutput):
    events = ServiceOrderEventOutput(many=True, read_only=True)

    class Meta(ServiceOrderOutput.Meta):
        fields = [*ServiceOrderOutput.Meta.fields, "events"]
        read_only_fields = fields


# --- Input ----------------------------------------------------------------------------------------


class ServiceOrderInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=ServiceField.choices)
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    address = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Left empty: the resident's home."),
    )
    contact_phone = serializers.CharField(
        max_length=11,
        required=False,
        allow_blank=True,
        help_text=_("Left empty: the resident's registered number."),
    )
    community = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY),
        required=False,
        allow_null=True,
        help_text=_("Optional: must be the community the resident lives in."),
    )
    for_person = VisiblePrimaryKeyField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A social worker or the secretary ordering for a resident: the resident's id."),
    )


class ServiceOrderDispatchInput(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text=_("The user id of a member reported to the order's community.")
    )


class ServiceOrderReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)


class ServiceOrderFinishInput(serializers.Serializer):
    photos = serializers.ListField(
        child=serializers.FileField(),
        allow_empty=True,
        required=False,
        default=list,
        help_text=lazy(
            lambda: _("1 to %(max)s photos, JPG or PNG, at most 8 MB each.") % {"max": MAX_PHOTOS}, str
        )(),
    )
    note = serializers.CharField(max_length=NOTE_MAX, help_text=_("What was done."))


class ServiceOrderRateInput(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True)


# --- Filters --------------------------------------------------------------------------------------


class ServiceOrderFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("open", _("Open (not yet finished)")), *OrderState.choices], method="filter_state"
    )
    field = django_filters.ChoiceFilter(choices=ServiceField.choices)
    community = django_filters.NumberFilter(field_name="community_id")
    grid = django_filters.NumberFilter(field_name="grid_id")
    mine = django_filters.ChoiceFilter(
        choices=[("held", _("Orders I hold as a member")), ("ordered", _("Orders I placed as a resident"))],
        method="filter_mine",
    )

    class Meta:
        model = ServiceOrder
        fields = ["state", "field", "community", "grid", "mine"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(state__in=OPEN_ORDER_STATES)
        return queryset.filter(state=value)

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        if value == "held":
            return queryset.filter(member=user)
        return queryset.filter(Q(resident__user=user) | Q(ordered_by=user))


# --- The viewset ----------------------------------------------------------------------------------

STEP_ACTIONS = {
    "dispatch_to_member",
    "pool",
    "accept",
    "decline",
    "grab",
    "release",
    "start",
    "finish",
    "rate",
    "cancel",
}


@extend_schema_view(
    list=extend_schema(
        summary=_(
            "Service orders you may see: yours, those you hold, your community's pool, or your communities'"
        )
    ),
    retrieve=extend_schema(
        summary=_("One service order with its photos and timeline"),
        responses={200: ServiceOrderDetailOutput, 404: NOT_FOUND},
    ),
)
class ServiceOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ServiceOrderOutput
    filterset_class = ServiceOrderFilter
    search_fields = ["description"]
    ordering_fields = ["created_at", "window_start", "state"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceOrder.objects.none()
        user = self.request.user
        if self.action in STEP_ACTIONS:
            # The services decide between 403 and 409 for orders of the communities a member reported to.
            return selectors.orders_for_steps(actor=user)
        return selectors.orders_visible(actor=user).prefetch_related("photos").order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return ServiceOrderDetailOutput if self.action == "retrieve" else ServiceOrderOutput

    def _output(self, order, code=200):
        fresh = (
            ServiceOrder.objects.select_related("community", "grid", "resident", "member", "ordered_by")
            .prefetch_related("photos", "events")
            .get(pk=order.pk)
        )
        return Response(
            ServiceOrderDetailOutput(fresh, context=self.get_serializer_context()).data, status=code
        )

    def retrieve(self, request, *args, **kwargs):
        return self._output(self.get_object())

    @_step(_("Order a service (群众点单), or order one for a resident"), ServiceOrderInput, 201)
    def create(self, request):
        data = ServiceOrderInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        order = services.order_place(actor=request.user, **data.validated_data)
        return self._output(order, status.HTTP_201_CREATED)

    @_step(_("Dispatch the order to a reported member (社区发单)"), ServiceOrderDispatchInput)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to_member(self, request, pk=None):
        # Not named `dispatch`: that is the view's own entry point.
        order = self.get_object()
        data = ServiceOrderDispatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_dispatch(actor=request.user, order=order, **data.validated_data))

    @_step(_("Open the order to grab by the community's reported members (随时抢单)"), None)
    @action(detail=True, methods=["post"])
    def pool(self, request, pk=None):
        return self._output(services.order_to_pool(actor=request.user, order=self.get_object()))

    @_step(_("Accept the order dispatched to you (党员接单)"), None)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._output(services.order_accept(actor=request.user, order=self.get_object()))

    @_step(_("Decline the order dispatched to you; it returns to the community"), ServiceOrderReasonInput)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        order = self.get_object()
        data = ServiceOrderReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_decline(actor=request.user, order=order, **data.validated_data))

    @_step(_("Grab an open order: the first member wins, the others get 409"), None)
    @action(detail=True, methods=["post"])
    def grab(self, request, pk=None):
        return self._output(services.order_grab(actor=request.user, order=self.get_object()))

    @_step(_("Give the order back before starting"), ServiceOrderReasonInput)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = self.get_object()
        data = ServiceOrderReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_release(actor=request.user, order=order, **data.validated_data))

    @_step(_("Start the service"), None)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._output(services.order_start(actor=request.user, order=self.get_object()))

    @_step(
        _("Mark the order done with photos and a note (实时晒单)"),
        {"multipart/form-data": ServiceOrderFinishInput},
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        order = self.get_object()
        data = ServiceOrderFinishInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_finish(actor=request.user, order=order, **data.validated_data))

    @_step(
        _("Rate the service once, 1 to 5 stars (服务评单); the member earns points"), ServiceOrderRateInput
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        order = self.get_object()
        data = ServiceOrderRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_rate(actor=request.user, order=order, **data.validated_data))

    @_step(_("Cancel an order nobody has accepted yet"), ServiceOrderReasonInput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        data = ServiceOrderReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(services.order_cancel(actor=request.user, order=order, **data.validated_data))


def register(router) -> None:
    """Register this part's viewsets on the volunteers' router."""
    router.register("service-orders", ServiceOrderViewSet, basename="service-order")
