"""Admin of the orders part: a read-only list of service orders scoped to the user's areas, with each
order's timeline; the one action (open to grab) calls volunteers.services.orders."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin
from core.exceptions import ApplicationError

from .models import OrderEvent, ServiceOrder
from .services.orders import order_to_pool


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "step", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(ServiceOrder)
class ServiceOrderAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "community",
        "grid",
        "field",
        "state",
        "member",
        "window_start",
        "accept_by",
        "created_at",
    ]
    list_filter = ["state", "field", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community", "grid", "member"]
    search_fields = ["description"]
    date_hierarchy = "created_at"
    # The address and phone are left out: the dispatch board shows them to those who must call.
    readonly_fields = [
        "community",
        "grid",
        "field",
        "description",
        "window_start",
        "window_end",
        "state",
        "member",
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
        "ordered_by",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [OrderEventInline]
    actions = ["open_to_grab"]
    show_full_result_count = False

    def has_dispatch_permission(self, request):
        return request.user.has_perm("volunteers.view_serviceorder")

    @admin.action(description=_("Open the selected orders to grab (随时抢单)"), permissions=["dispatch"])
    def open_to_grab(self, request, queryset):
        done, refused = 0, []
        for order in queryset.select_related("community"):
            try:
                order_to_pool(actor=request.user, order=order)
            except ApplicationError as exc:
                refused.append(f"{order}: {exc.message}")
                continue
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d order is open to grab.", "%(count)d orders are open to grab.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)
