"""Back office for contracts: read-only lists scoped to the user's areas (steps are taken through the services)."""

from django.contrib import admin

from core.admin_scoping import ScopedAdminMixin

from .models import (
    Contract,
    ContractEvent,
    ContractVersion,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    Signature,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(ReadOnlyInline):
    model = PairingContact
    fields = ["side", "user", "title", "can_sign"]
    readonly_fields = fields


@admin.register(Pairing)
class PairingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["community_org", "unit_org", "community", "since", "active"]
    list_filter = ["active", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community_org", "unit_org", "community"]
    search_fields = ["community_org__name", "unit_org__name"]
    readonly_fields = ["community", "community_org", "unit_org", "since", "ended_on", "active"]
    fields = readonly_fields
    inlines = [ContactInline]
    actions = None


class VersionInline(ReadOnlyInline):
    model = ContractVersion
    fields = ["number", "note", "text_hash", "created_by", "created_at"]
    readonly_fields = fields


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = ["side", "organisation", "signer", "signed_at", "text_hash", "voided_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = ContractEvent
    fields = ["at", "step", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields


@admin.register(Contract)
class ContractAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "pairing", "term_start", "term_end", "state"]
    list_filter = ["state", ("pairing__community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["pairing__community_org", "pairing__unit_org"]
    search_fields = ["title", "pairing__unit_org__name", "pairing__community_org__name"]
    readonly_fields = [
        "title",
        "pairing",
        "term_start",
        "term_end",
        "state",
        "signing_order",
        "frozen_version",
        "sign_by",
        "signed_at",
        "published_at",
        "terminated_at",
        "termination_reason",
    ]
    fields = readonly_fields
    inlines = [VersionInline, SignatureInline, EventInline]
    actions = None
    show_full_result_count = False


@admin.register(MenuOffer)
class MenuOfferAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "organisation", "area", "estimated_value", "active"]
    list_filter = ["kind", "active", ("area", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organisation", "area"]
    search_fields = ["title", "organisation__name"]
    readonly_fields = [
        "organisation",
        "area",
        "kind",
        "title",
        "description",
        "quantity",
        "unit",
        "estimated_value",
        "active",
    ]
    fields = readonly_fields
    actions = None


@admin.register(Need)
class NeedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "community", "open", "created_at"]
    list_filter = ["kind", "open", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community"]
    search_fields = ["title"]
    readonly_fields = ["community", "kind", "title", "description", "open"]
    fields = readonly_fields
    actions = None
