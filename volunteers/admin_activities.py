"""Admin of the activities part: read-only lists scoped to the user's areas, the sign-ups under each
activity (every step goes through volunteers.services.activities, from the pages and the API)."""

from django.contrib import admin

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin

from .models import Activity, Signup


class SignupInline(ReadOnlyInline):
    model = Signup
    fields = ["user", "state", "signed_up_at", "checked_in_at", "hours"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Activity)
class ActivityAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "community", "field", "starts_at", "capacity", "cancelled_at", "closed_at"]
    list_filter = ["field", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community"]
    search_fields = ["title", "place"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "title",
        "community",
        "organiser",
        "field",
        "place",
        "description",
        "starts_at",
        "ends_at",
        "signup_deadline",
        "capacity",
        "open_to_residents",
        "cancelled_at",
        "cancel_reason",
        "closed_at",
        "created_by",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [SignupInline]
    actions = None
    show_full_result_count = False


@admin.register(Signup)
class SignupAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["activity", "user", "state", "signed_up_at", "checked_in_at", "hours"]
    list_filter = ["state"]
    list_select_related = ["activity", "user"]
    search_fields = ["activity__title", "user__display_name", "user__username"]
    readonly_fields = ["activity", "user", "state", "signed_up_at", "checked_in_at", "hours"]
    fields = readonly_fields
    actions = None
    show_full_result_count = False
