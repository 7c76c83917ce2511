"""Admin of the wishes part: read-only lists scoped to the user's areas (steps call volunteers.services).

Who sees them: platform administrators and the staff of volunteering (the community's secretary and
social workers, the street's and district's administrators), each within their areas. Nobody adds,
changes or deletes a wish here: every step is a service, taken on the wish's page or through the API.
"""

from django.contrib import admin

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin

from .models import Wish, WishClaim, WishEvent


class WishClaimInline(ReadOnlyInline):
    model = WishClaim
    fields = ["user", "claimed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row is titled with its user and wish.
        return super().get_queryset(request).select_related("user", "wish")


class WishEventInline(ReadOnlyInline):
    model = WishEvent
    fields = ["created_at", "step", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Wish)
class WishAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "community", "grid", "category", "state", "due_on", "group_size", "created_at"]
    list_filter = ["state", "category", ("grid", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community", "grid"]
    search_fields = ["title"]
    readonly_fields = [
        "title",
        "description",
        "category",
        "community",
        "grid",
        "beneficiary",
        "posted_by",
        "due_on",
        "group_size",
        "state",
        "fulfil_note",
        "fulfil_photo",
        "fulfilled_at",
        "confirmed_at",
        "cancel_reason",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [WishClaimInline, WishEventInline]
    actions = None
    show_full_result_count = False
    date_hierarchy = None
