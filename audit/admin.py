"""Back-office view of the public record: read-only for everyone, superusers included."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_paging import LargeTableAdminMixin

from .models import Entry


@admin.register(Entry)
class EntryAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["seq", "kind", "subject", "area", "created_at", "short_hash"]
    list_filter = ["kind", "created_at"]
    search_fields = ["subject", "=entry_hash"]
    list_select_related = ["area"]
    ordering = ["-seq"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the record grows without bound; skip the second COUNT(*)
    readonly_fields = ["seq", "kind", "subject", "area", "payload", "created_at", "prev_hash", "entry_hash"]
    fields = readonly_fields
    actions = None

    @admin.display(description=_("hash"), ordering="entry_hash")
    def short_hash(self, obj):
        return f"{obj.entry_hash[:16]}…"

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # The append service is the only writer; the admin never offers a way around it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # The record is public; staff see the part of it in their areas (get_queryset).
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff
