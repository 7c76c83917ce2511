"""REST API of places, organisations, people and roles (/api/v1/).

Reads are `Model.objects.visible_to(user)` (community.selectors): anything outside answers 404.
Writes check the named rule (community.rules), parse input with an input serializer whose ids are
limited to what the user may see, and call one service; `ApplicationError`s become the JSON error
format in core.drf. Output serializers are separate and never accept input.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from core.api import FORBIDDEN, INVALID, NOT_FOUND, ScopedViewSet, VisiblePrimaryKeyField, require_perm

from . import selectors, services
from .filters import AreaFilter, OrganisationFilter, PartyMemberFilter, PersonFilter, RoleGrantFilter
from .models import (
    Area,
    Organisation,
    OrgKind,
    PartyLevel,
    PartyMember,
    Person,
    Role,
    RoleGrant,
    UnitType,
    User,
)

CONTACT_PERMISSION = "community.view_person_contact"


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


# --- Output serializers ------------------------------------------------------------------------


class RefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class AreaOutput(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Area
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "parent",
            "depth",
            "grid",
            "code",
            "address",
            "latitude",
            "longitude",
        ]
        read_only_fields = fields


class OrganisationOutput(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    area = RefOutput()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "party_level",
            "unit_type",
            "sector",
            "area",
            "parent",
            "address",
            "contact_phone",
            "latitude",
            "longitude",
            "is_active",
        ]
        read_only_fields = fields


class PersonOutput(serializers.ModelSerializer):
    """Phone and ID numbers are masked unless the reader must contact the person (or is the person)."""

    phone = serializers.SerializerMethodField(
        help_text=_("Masked (138****5678) unless you may contact the person.")
    )
    id_number = serializers.SerializerMethodField(help_text=_("Masked unless you may contact the person."))
    community = RefOutput()
    home = RefOutput(allow_null=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "phone",
            "id_number",
            "community",
            "home",
            "is_resident",
            "is_owner",
            "is_social_worker",
            "has_login",
        ]
        read_only_fields = fields

    def _may_contact(self, person: Person) -> bool:
        request = self.context.get("request")
        return request is not None and request.user.has_perm(CONTACT_PERMISSION, person)

    def get_phone(self, person: Person) -> str:
        return person.phone if self._may_contact(person) else person.masked_phone

    def get_id_number(self, person: Person) -> str:
        return person.id_number if self._may_contact(person) else person.masked_id_number

    def get_has_login(self, person: Person) -> bool:
        return person.user_id is not None


class PartyMemberOutput(serializers.ModelSerializer):
    person = RefOutput()
    community = RefOutput(source="person.community")
    party_organisation = RefOutput()
    workplace = RefOutput(allow_null=True)
    grid = RefOutput(allow_null=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "person",
            "community",
            "membership_type",
            "party_organisation",
            "workplace",
            "grid",
            "is_leading_cadre",
            "joined_party_on",
        ]
        read_only_fields = fields


class RoleGrantOutput(serializers.ModelSerializer):
    user = UserRefOutput()
    role_display = serializers.CharField(source="get_role_display")
    area = RefOutput(allow_null=True)
    organisation = RefOutput(allow_null=True)

    class Meta:
        model = RoleGrant
        fields = ["id", "user", "role", "role_display", "area", "organisation", "created_at"]
        read_only_fields = fields


# --- Input serializers -------------------------------------------------------------------------


class OrganisationInput(serializers.Serializer):
    """What a caller may set on an organisation; anything else in the body is ignored."""

    name = serializers.CharField(max_length=_max_length(Organisation, "name"))
    short_name = serializers.CharField(
        max_length=_max_length(Organisation, "short_name"), required=False, allow_blank=True
    )
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    party_level = serializers.ChoiceField(choices=PartyLevel.choices, required=False, allow_blank=True)
    unit_type = serializers.ChoiceField(choices=UnitType.choices, required=False, allow_blank=True)
    sector = serializers.CharField(
        max_length=_max_length(Organisation, "sector"), required=False, allow_blank=True
    )
    area = VisiblePrimaryKeyField(queryset=Area.objects.all())
    parent = VisiblePrimaryKeyField(queryset=Organisation.objects.all(), required=False, allow_null=True)
    address = serializers.CharField(
        max_length=_max_length(Organisation, "address"), required=False, allow_blank=True
    )
    contact_phone = serializers.CharField(
        max_length=_max_length(Organisation, "contact_phone"), required=False, allow_blank=True
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class RoleGrantInput(serializers.Serializer):
    user = VisiblePrimaryKeyField(queryset=User.objects.all())
    role = serializers.ChoiceField(choices=Role.choices)
    area = VisiblePrimaryKeyField(
        queryset=Area.objects.all(), required=False, allow_null=True, help_text=_("For area roles.")
    )
    organisation = VisiblePrimaryKeyField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("For unit contacts."),
    )


# --- Views -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Areas you may see")),
    retrieve=extend_schema(summary=_("One area"), responses={200: AreaOutput, 404: NOT_FOUND}),
)
class AreaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = AreaOutput
    filterset_class = AreaFilter
    search_fields = ["name"]
    ordering_fields = ["name", "depth", "path"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors.area_list(actor=self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_("Organisations you may see")),
    retrieve=extend_schema(
        summary=_("One organisation"), responses={200: OrganisationOutput, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary=_("Create an organisation in one of your areas"),
        request=OrganisationInput,
        responses={201: OrganisationOutput, 400: INVALID, 403: FORBIDDEN},
    ),
    update=extend_schema(
        summary=_("Replace an organisation's details"),
        request=OrganisationInput,
        responses={200: OrganisationOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary=_("Change some of an organisation's details"),
        request=OrganisationInput,
        responses={200: OrganisationOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    serializer_class = OrganisationOutput
    filterset_class = OrganisationFilter
    search_fields = ["name", "short_name", "sector"]
    ordering_fields = ["name", "kind"]
    ordering = ["area__path", "name"]

    def get_queryset(self):
        return selectors.organisation_list(actor=self.request.user)

    def create(self, request):
        require_perm(request.user, "community.add_organisation")
        data = OrganisationInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        organisation = services.organisation_create(actor=request.user, **data.validated_data)
        return Response(self._output(organisation), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        organisation = self.get_object()
        require_perm(request.user, "community.change_organisation", organisation)
        data = OrganisationInput(data=request.data, partial=partial, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        organisation = services.organisation_update(
            actor=request.user, organisation=organisation, **data.validated_data
        )
        return Response(self._output(organisation))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def _output(self, organisation: Organisation) -> dict:
        fresh = self.get_queryset().get(pk=organisation.pk)
        return OrganisationOutput(fresh, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(
        summary=_("People you may see (phone and ID numbers masked unless you may contact them)")
    ),
    retrieve=extend_schema(summary=_("One person"), responses={200: PersonOutput, 404: NOT_FOUND}),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = PersonOutput
    filterset_class = PersonFilter
    search_fields = ["name"]
    # Not by phone or ID number: the order would tell what the mask hides.
    ordering_fields = ["name"]
    ordering = ["community__path", "name"]

    def get_queryset(self):
        return selectors.person_list(actor=self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_("Party members you may see")),
    retrieve=extend_schema(summary=_("One Party member"), responses={200: PartyMemberOutput, 404: NOT_FOUND}),
)
class PartyMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = PartyMemberOutput
    filterset_class = PartyMemberFilter
    search_fields = ["person__name"]
    ordering_fields = ["person__name", "joined_party_on"]
    ordering = ["person__community__path", "person__name"]

    def get_queryset(self):
        return selectors.party_member_list(actor=self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_("Role grants you may see")),
    retrieve=extend_schema(summary=_("One role grant"), responses={200: RoleGrantOutput, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("Grant a role within one of your areas"),
        request=RoleGrantInput,
        responses={201: RoleGrantOutput, 400: INVALID, 403: FORBIDDEN},
    ),
    destroy=extend_schema(
        summary=_("Revoke a role grant"), responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND}
    ),
)
class RoleGrantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    serializer_class = RoleGrantOutput
    filterset_class = RoleGrantFilter
    search_fields = ["user__username", "user__display_name"]
    ordering_fields = ["created_at", "role"]
    ordering = ["user_id", "role"]

    def get_queryset(self):
        return selectors.role_grant_list(actor=self.request.user)

    def create(self, request):
        require_perm(request.user, "community.add_rolegrant")
        data = RoleGrantInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        grant = services.role_grant(actor=request.user, **data.validated_data)
        fresh = self.get_queryset().get(pk=grant.pk)
        return Response(RoleGrantOutput(fresh).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        grant = self.get_object()
        require_perm(request.user, "community.delete_rolegrant", grant)
        services.role_revoke(actor=request.user, grant=grant)
        return Response(status=status.HTTP_204_NO_CONTENT)
