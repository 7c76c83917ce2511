"""Query filters of the community API. Every id a filter accepts is checked against the user's scope:
an id outside it is refused exactly like one that does not exist."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import (
    Area,
    AreaKind,
    MembershipType,
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
from .selectors import area_subtree


def visible(model, **conditions):
    """A queryset callable for ModelChoiceFilter: the objects of `model` the requesting user may see."""

    def queryset(request):
        if request is None or not getattr(request, "user", None):
            return model.objects.none()
        return model.objects.visible_to(request.user).filter(**conditions)

    return queryset


@extend_schema_field(OpenApiTypes.INT)
class SubtreeFilter(filters.ModelChoiceFilter):
    """`?within=<area id>`: the rows in that area and every area under it."""


class AreaFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=AreaKind.choices)
    parent = filters.ModelChoiceFilter(
        queryset=visible(Area), help_text=_("An area id: its direct children.")
    )
    depth = filters.NumberFilter(help_text=_("0 is the district, 1 a street, 2 a community, …"))
    within = SubtreeFilter(
        queryset=visible(Area),
        method="filter_within",
        help_text=_("An area id: that area and every area under it."),
    )

    class Meta:
        model = Area
        fields = ["kind", "parent", "depth", "within"]

    def filter_within(self, queryset, name, value):
        return area_subtree(queryset, value)


class OrganisationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrgKind.choices)
    unit_type = filters.ChoiceFilter(choices=UnitType.choices)
    party_level = filters.ChoiceFilter(choices=PartyLevel.choices)
    area = filters.ModelChoiceFilter(
        queryset=visible(Area), help_text=_("An area id: organisations placed there.")
    )
    within = SubtreeFilter(
        queryset=visible(Area),
        method="filter_within",
        help_text=_("An area id: organisations in that area and every area under it."),
    )
    is_active = filters.BooleanFilter()

    class Meta:
        model = Organisation
        fields = ["kind", "unit_type", "party_level", "area", "within", "is_active"]

    def filter_within(self, queryset, name, value):
        return area_subtree(queryset, value, path_field="area__path")


class PersonFilter(filters.FilterSet):
    community = filters.ModelChoiceFilter(queryset=visible(Area, kind=AreaKind.COMMUNITY))
    is_resident = filters.BooleanFilter()
    is_owner = filters.BooleanFilter()
    is_social_worker = filters.BooleanFilter()

    class Meta:
        model = Person
        fields = ["community", "is_resident", "is_owner", "is_social_worker"]


class PartyMemberFilter(filters.FilterSet):
    membership_type = filters.ChoiceFilter(choices=MembershipType.choices)
    grid = filters.ModelChoiceFilter(queryset=visible(Area, kind=AreaKind.GRID))
    community = filters.ModelChoiceFilter(
        field_name="person__community", queryset=visible(Area, kind=AreaKind.COMMUNITY)
    )
    party_organisation = filters.ModelChoiceFilter(queryset=visible(Organisation))
    is_leading_cadre = filters.BooleanFilter()

    class Meta:
        model = PartyMember
        fields = ["membership_type", "grid", "community", "party_organisation", "is_leading_cadre"]


class RoleGrantFilter(filters.FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices)
    user = filters.ModelChoiceFilter(queryset=visible(User))
    area = filters.ModelChoiceFilter(queryset=visible(Area))
    organisation = filters.ModelChoiceFilter(queryset=visible(Organisation))

    class Meta:
        model = RoleGrant
        fields = ["role", "user", "area", "organisation"]
