"""/api/v1/wishes/: micro-wishes (微心愿) with one POST per step (claim, fulfil, confirm, cancel).

Reads are what the actor may see (volunteers.selectors.wishes): the wishes of the communities where
they live or reported, their own, those they posted or lit up, and for the staff their communities'.
The resident's name is given only to the resident and to the community's staff; no phone number or
address is ever part of a wish here. Every write parses an input serializer and calls one service in
volunteers.services.wishes, whose errors become the JSON error format (400, 403, 404, 409).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from community.models import Area, AreaKind, Person
from core.api import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    step_schema,
)

from .models import Wish, WishEvent
from .selectors import wishes as selectors
from .services import wishes as services
from .services.wishes import DESCRIPTION_MAX, GROUP_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX
from .workflow import WishCategory, WishState


class WishEventOutput(serializers.ModelSerializer):
    class Meta:
        model = WishEvent
        fields = ["step", "from_state", "to_state", "created_at", "note"]
        read_only_fields = fields


class WishOutput(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True, allow_null=True, default=None)
    place = serializers.SerializerMethodField(
        help_text=_("Where, without saying who: “A resident of 越都花园”.")
    )
    beneficiary_name = serializers.SerializerMethodField(
        help_text=_("The resident's name: only for the resident themself and the community's staff.")
    )
    claim_count = serializers.IntegerField(read_only=True, help_text=_("Members who lit it up."))
    has_room = serializers.SerializerMethodField(help_text=_("Whether members can still light it up."))
    claimed_by_me = serializers.BooleanField(read_only=True)
    fulfil_photo = serializers.FileField(read_only=True, allow_null=True)

    class Meta:
        model = Wish
        fields = [
            "id",
            "title",
            "description",
            "category",
            "due_on",
            "group_size",
            "claim_count",
            "has_room",
            "claimed_by_me",
            "state",
            "community",
            "community_name",
            "grid",
            "grid_name",
            "place",
            "beneficiary_name",
            "fulfil_note",
            "fulfil_photo",
            "fulfilled_at",
            "confirmed_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_place(self, wish) -> str:
        return selectors.wish_place(wish)

    def get_beneficiary_name(self, wish) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return wish.beneficiary.name if selectors.may_see_beneficiary(user, wish) else None

    def get_has_room(self, wish) -> bool:
        return services.has_room(wish, wish.claim_count)


class WishDetailOutput(WishOutput):
    events = WishEventOutput(many=True, read_only=True)

    class Meta(WishOutput.Meta):
        fields = [*WishOutput.Meta.fields, "events"]
        read_only_fields = fields


class WishInput(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=WishCategory.choices)
    due_on = serializers.DateField(help_text=_("The day it is wanted by: after today, within three months."))
    group_size = serializers.IntegerField(
        min_value=1,
        max_value=GROUP_MAX,
        required=False,
        default=1,
        help_text=_("Members needed: 1 for a small wish, up to 20 for a big wish."),
    )
    beneficiary = VisiblePrimaryKeyField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The community's staff posting for a resident: the resident's id. Empty: yourself."),
    )


class WishFulfilInput(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX)
    photo = serializers.FileField(help_text=_("A JPG or PNG picture, at most 8 MB."))


class WishConfirmInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class WishCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class WishFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=WishState.choices)
    category = django_filters.ChoiceFilter(choices=WishCategory.choices)
    community = django_filters.ModelChoiceFilter(queryset=Area.objects.filter(kind=AreaKind.COMMUNITY))
    grid = django_filters.ModelChoiceFilter(queryset=Area.objects.filter(kind=AreaKind.GRID))
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Only mine: for me, posted by me, or lit up by me")
    )

    class Meta:
        model = Wish
        fields = ["state", "category", "community", "grid", "mine"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(selectors.mine_q(self.request.user))


@extend_schema_view(
    list=extend_schema(
        summary=_("Micro-wishes you may see (微心愿): your communities' wall, your own, those you lit up")
    ),
    retrieve=extend_schema(
        summary=_("One wish with its timeline"), responses={200: WishDetailOutput, 404: NOT_FOUND}
    ),
)
class WishViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = WishOutput
    filterset_class = WishFilter
    search_fields = ["title"]
    ordering_fields = ["due_on", "created_at", "state"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Wish.objects.none()
        return selectors.wish_list(actor=self.request.user)

    def get_serializer_class(self):
        return WishDetailOutput if self.action == "retrieve" else WishOutput

    def _output(self, wish, code=200):
        fresh = selectors.wish_for_page(actor=self.request.user, pk=wish.pk)
        fresh = fresh or selectors.shaped(Wish.objects.filter(pk=wish.pk), self.request.user).get()
        return Response(WishDetailOutput(fresh, context=self.get_serializer_context()).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._output(self.get_object())

    @step_schema(
        _("Post a wish: for yourself, or (the community's staff) for a resident"),
        WishInput,
        201,
        WishDetailOutput,
    )
    def create(self, request):
        data = WishInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        wish = services.wish_post(actor=request.user, **data.validated_data)
        return self._output(wish, status.HTTP_201_CREATED)

    @step_schema(
        _("Light up the wish (点亮): a reported member of its community; one member, or a group's places"),
        None,
        200,
        WishDetailOutput,
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        wish = self.get_object()
        services.wish_claim(actor=request.user, wish=wish)
        return self._output(wish)

    @extend_schema(
        summary=_("Mark the wish fulfilled with a photo and a note (a member who lit it up)"),
        request={"multipart/form-data": WishFulfilInput},
        responses={200: WishDetailOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def fulfil(self, request, pk=None):
        wish = self.get_object()
        data = WishFulfilInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.wish_fulfil(actor=request.user, wish=wish, **data.validated_data)
        return self._output(wish)

    @step_schema(
        _("Confirm the wish fulfilled (the resident, or for them whoever posted it); points are paid"),
        WishConfirmInput,
        200,
        WishDetailOutput,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        wish = self.get_object()
        data = WishConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.wish_confirm(actor=request.user, wish=wish, **data.validated_data)
        return self._output(wish)

    @step_schema(_("Cancel an open or lit-up wish, with a reason"), WishCancelInput, 200, WishDetailOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        wish = self.get_object()
        data = WishCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.wish_cancel(actor=request.user, wish=wish, **data.validated_data)
        return self._output(wish)


def register(router) -> None:
    """Register this part's viewsets on the volunteers' router."""
    router.register("wishes", WishViewSet, basename="wish")
