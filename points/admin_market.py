"""The back office of the livelihood market: items (offered, changed through points.market) and redemptions (read, cancel).

Scoped like the rest of the back office (core.admin_scoping): community staff see the items and
redemptions of their areas; a redemption is never edited here, only cancelled with a refund.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from core.exceptions import ApplicationError

from . import market
from .models import MarketItem, Redemption, RedemptionTransition


class CommunityInScopeFilter(admin.SimpleListFilter):
    """The communities of the items the user may see (not every community of the district)."""

    title = _("community")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        rows = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list(self._field + "_id", self._field + "__name")
            .distinct()
        )
        return sorted(set(rows), key=lambda row: row[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(**{self._field + "_id": int(self.value())})
        return queryset

    _field = "community"


class RedemptionCommunityFilter(CommunityInScopeFilter):
    _field = "item__community"


@admin.register(MarketItem)
class MarketItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "community",
        "merchant",
        "price",
        "stock",
        "per_person_limit",
        "available_from",
        "available_until",
        "active",
    ]
    list_filter = ["active", CommunityInScopeFilter]
    search_fields = ["name", "merchant__name", "pickup_place"]
    list_select_related = ["community", "merchant"]
    fields = [
        "name",
        "description",
        "merchant",
        "community",
        "price",
        "stock",
        "per_person_limit",
        "available_from",
        "available_until",
        "pickup_place",
        "photo",
        "active",
    ]

    def create_object(self, request, data, form):
        return market.item_create(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        return market.item_update(actor=request.user, item=obj, **changes)


class RedemptionTransitionInline(ScopedInlineMixin, admin.TabularInline):
    model = RedemptionTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "grouped_code",
        "item",
        "user",
        "quantity",
        "points",
        "state",
        "reserved_at",
        "expires_at",
    ]
    list_filter = ["state", RedemptionCommunityFilter]
    search_fields = ["code", "item__name", "user__display_name", "user__username"]
    list_select_related = ["item", "user"]
    date_hierarchy = "reserved_at"
    fields = [
        "item",
        "user",
        "quantity",
        "points",
        "state",
        "grouped_code",
        "reserved_at",
        "expires_at",
        "completed_at",
        "verified_by",
        "closed_at",
        "reserve_transfer",
        "refund_transfer",
    ]
    readonly_fields = fields
    inlines = [RedemptionTransitionInline]
    actions = ["cancel_selected"]

    @admin.display(description=_("redemption code"), ordering="code")
    def grouped_code(self, obj):
        return obj.grouped_code

    def has_cancel_permission(self, request):
        return request.user.has_perm("points.cancel_redemption")

    @admin.action(
        description=_("Cancel the selected redemptions and refund the points"), permissions=["cancel"]
    )
    def cancel_selected(self, request, queryset):
        cancelled, refused = 0, []
        for redemption in queryset.select_related("item"):
            try:
                market.redemption_cancel(
                    actor=request.user, redemption=redemption, note=str(_("Cancelled in the back office"))
                )
                cancelled += 1
            except ApplicationError as exc:
                refused.append(f"{redemption.grouped_code}: {exc.message}")
        if cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)s redemption cancelled and refunded.",
                    "%(count)s redemptions cancelled and refunded.",
                    cancelled,
                )
                % {"count": cancelled},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)
