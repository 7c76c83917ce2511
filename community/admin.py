"""The back office for places, organisations, people and roles: scoped to the user's areas, writes via services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ScopedAdminMixin, ScopedInlineMixin, brand_admin_site, scoped

from . import services
from .models import (
    Area,
    Organisation,
    PartyMember,
    Person,
    Role,
    RoleGrant,
    User,
    mask_id_number,
    mask_phone,
)

brand_admin_site(admin.site)

CONTACT_PERMISSION = "community.view_person_contact"


class ScopedHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Scoped, written through services, with the django-simple-history "History" page."""


# --- Areas -------------------------------------------------------------------------------------


@admin.register(Area)
class AreaAdmin(ScopedHistoryAdmin):
    list_display = ["name", "kind", "parent", "depth", "grid", "code"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "code"]
    list_select_related = ["parent", "grid"]
    fields = ["name", "kind", "parent", "grid", "code", "address", "latitude", "longitude", "path", "depth"]
    readonly_fields = ["path", "depth"]

    def create_object(self, request, data, form):
        return services.area_create(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        return services.area_update(actor=request.user, area=obj, **changes)


# --- Organisations -----------------------------------------------------------------------------


@admin.register(Organisation)
class OrganisationAdmin(ScopedHistoryAdmin):
    list_display = ["name", "kind", "party_level", "unit_type", "sector", "area", "parent", "is_active"]
    list_filter = ["kind", "unit_type", "party_level", "is_active"]
    search_fields = ["name", "short_name", "sector"]
    list_select_related = ["area", "parent"]
    fields = [
        "name",
        "short_name",
        "kind",
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

    def create_object(self, request, data, form):
        return services.organisation_create(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        return services.organisation_update(actor=request.user, organisation=obj, **changes)


# --- People ------------------------------------------------------------------------------------


class MaskedContactHistoryHelper(HistoricalRecordContextHelper):
    """History rows show phone and ID numbers masked, like the lists."""

    masks = {"phone": mask_phone, "id_number": mask_id_number}

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        mask = self.masks.get(change.field)
        return mask(value or "") if mask else value


@admin.register(Person)
class PersonAdmin(LargeTableAdminMixin, ScopedHistoryAdmin):
    list_display = [
        "name",
        "community",
        "home",
        "phone_masked",
        "id_number_masked",
        "is_resident",
        "is_owner",
        "is_social_worker",
        "has_login",
    ]
    list_filter = [
        ("community", admin.RelatedOnlyFieldListFilter),
        "is_resident",
        "is_owner",
        "is_social_worker",
    ]
    search_fields = ["name"]
    list_select_related = ["community", "home"]
    base_fields = [
        "name",
        "phone",
        "id_number",
        "community",
        "home",
        "user",
        "is_resident",
        "is_owner",
        "is_social_worker",
        "note",
    ]

    @admin.display(description=_("mobile number"))
    def phone_masked(self, obj):
        return obj.masked_phone

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("login"), boolean=True)
    def has_login(self, obj):
        return obj.user_id is not None

    def _shows_contact(self, request, obj) -> bool:
        # Creating a person means typing their numbers; afterwards only those who must contact them see them.
        return obj is None or request.user.has_perm(CONTACT_PERMISSION, obj)

    def get_fields(self, request, obj=None):
        if self._shows_contact(request, obj):
            return list(self.base_fields)
        masked = {"phone": "phone_masked", "id_number": "id_number_masked"}
        return [masked.get(name, name) for name in self.base_fields]

    def get_readonly_fields(self, request, obj=None):
        if self._shows_contact(request, obj):
            return []
        return ["phone_masked", "id_number_masked"]

    def get_historical_record_context_helper(self, request, historical_record):
        if request.user.has_perm(CONTACT_PERMISSION, historical_record.instance):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedContactHistoryHelper(self.model, historical_record)

    def create_object(self, request, data, form):
        return services.person_create(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        return services.person_update(actor=request.user, person=obj, **changes)


@admin.register(PartyMember)
class PartyMemberAdmin(LargeTableAdminMixin, ScopedHistoryAdmin):
    list_display = [
        "person",
        "community",
        "membership_type",
        "party_organisation",
        "workplace",
        "grid",
        "is_leading_cadre",
    ]
    list_filter = ["membership_type", ("grid", admin.RelatedOnlyFieldListFilter), "is_leading_cadre"]
    search_fields = ["person__name"]
    list_select_related = ["person__community", "party_organisation", "workplace", "grid"]
    fields = [
        "person",
        "membership_type",
        "party_organisation",
        "workplace",
        "grid",
        "is_leading_cadre",
        "joined_party_on",
    ]

    @admin.display(description=_("community"), ordering="person__community__path")
    def community(self, obj):
        return obj.person.community

    def get_readonly_fields(self, request, obj=None):
        # A membership belongs to one person; register the other person instead of moving it.
        return ["person"] if obj is not None else []

    def create_object(self, request, data, form):
        return services.party_member_register(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        current = {
            "membership_type": obj.membership_type,
            "party_organisation": obj.party_organisation,
            "workplace": obj.workplace,
            "grid": obj.grid,
            "is_leading_cadre": obj.is_leading_cadre,
            "joined_party_on": obj.joined_party_on,
        }
        return services.party_member_register(actor=request.user, person=obj.person, **{**current, **changes})


# --- Roles and logins --------------------------------------------------------------------------


@admin.register(RoleGrant)
class RoleGrantAdmin(ScopedHistoryAdmin):
    list_display = ["user", "role", "area", "organisation", "granted_by", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "area__name", "organisation__name"]
    list_select_related = ["user", "area", "organisation", "granted_by"]
    fields = ["user", "role", "area", "organisation", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]

    def create_object(self, request, data, form):
        return services.role_grant(
            actor=request.user,
            user=data["user"],
            role=data["role"],
            area=data.get("area"),
            organisation=data.get("organisation"),
        )

    def delete_object(self, request, obj):
        services.role_revoke(actor=request.user, grant=obj)


class RoleGrantInline(ScopedInlineMixin, admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    fields = ["role", "area", "organisation", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]
    extra = 0
    verbose_name_plural = _("roles")


class UserAddForm(AdminUserCreationForm):
    """A new login arrives with its place: a role in the creator's areas, or a person it belongs to.

    Otherwise the login would sit outside everyone's scope but the platform administrators'.
    """

    role = forms.ChoiceField(label=_("role"), choices=[("", "---------"), *Role.choices], required=False)
    area = forms.ModelChoiceField(label=_("area"), queryset=Area.objects.none(), required=False)
    organisation = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organisation.objects.none(), required=False
    )
    person = forms.ModelChoiceField(
        label=_("person"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("The person (without a login yet) this login belongs to."),
    )

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "phone")

    actor: User | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.actor is not None:
            self.fields["area"].queryset = Area.objects.visible_to(self.actor)
            self.fields["organisation"].queryset = Organisation.objects.visible_to(self.actor)
            self.fields["person"].queryset = Person.objects.visible_to(self.actor).filter(user__isnull=True)

    def clean(self):
        cleaned = super().clean()
        role, person = cleaned.get("role"), cleaned.get("person")
        if role and not (cleaned.get("area") or cleaned.get("organisation")):
            self.add_error("area", _("Choose where the role is held: an area or an organisation."))
        if not role and person is None and not (self.actor and self.actor.is_superuser):
            raise forms.ValidationError(
                _("Give the new login a role in your areas or the person it belongs to."), code="unplaced"
            )
        return cleaned


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(LargeTableAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    inlines = [RoleGrantInline]
    list_display = ["username", "display_name", "phone_masked", "roles", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "role_grants__role"]
    search_fields = ["username", "display_name", "email"]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("display_name", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "phone", "usable_password", "password1", "password2"),
            },
        ),
        (_("Where the login belongs"), {"fields": ("role", "area", "organisation", "person")}),
    )
    filter_horizontal = ()

    @admin.display(description=_("mobile number"))
    def phone_masked(self, obj):
        return obj.masked_phone

    @admin.display(description=_("roles"))
    def roles(self, obj):
        # Only the grants the viewer may see (prefetched, scoped in get_queryset).
        return ", ".join(f"{g.get_role_display()} · {g.area or g.organisation}" for g in obj.visible_grants)

    def get_queryset(self, request):
        from django.db.models import Prefetch

        grants = scoped(RoleGrant.objects.select_related("area", "organisation"), request.user)
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("role_grants", queryset=grants, to_attr="visible_grants"))
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["is_staff", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def get_inlines(self, request, obj):
        # A new login's first role comes with the add form; the grants list appears once it exists.
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form_class = type(form_class.__name__, (form_class,), {"actor": request.user})
        return form_class

    def create_object(self, request, data, form):
        cleaned = form.cleaned_data
        password = cleaned.get("password1") if cleaned.get("set_usable_password", True) else None
        user = services.user_create(actor=request.user, password=password, **data)
        if cleaned.get("role"):
            services.role_grant(
                actor=request.user,
                user=user,
                role=cleaned["role"],
                area=cleaned.get("area"),
                organisation=cleaned.get("organisation"),
            )
        if cleaned.get("person") is not None:
            services.person_update(actor=request.user, person=cleaned["person"], user=user)
        user.refresh_from_db()
        return user

    def update_object(self, request, obj, changes, form):
        return services.user_update(actor=request.user, user=obj, **changes)

    def save_inline(self, request, form, formset, change):
        if formset.model is not RoleGrant:
            return super().save_inline(request, form, formset, change)
        formset.save(commit=False)
        for grant in formset.deleted_objects:
            services.role_revoke(actor=request.user, grant=grant)
        for grant in formset.new_objects:
            services.role_grant(
                actor=request.user,
                user=form.instance,
                role=grant.role,
                area=grant.area,
                organisation=grant.organisation,
            )
