"""Back office: the ledger exports, read only (they are asked for and made through dashboards.services)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .areas import may_see_dashboards
from .models import ExportState, LedgerExport
from .services import ledger_exports_visible


@admin.register(LedgerExport)
class LedgerExportAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "area",
        "period_start",
        "period_end",
        "requested_by",
        "state",
        "progress",
        "finished_at",
    ]
    list_filter = ["state", "kind"]
    list_select_related = ["area", "requested_by"]
    search_fields = ["area__name", "requested_by__display_name", "requested_by__username"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "area",
        "period_start",
        "period_end",
        "language",
        "requested_by",
        "state",
        "rows_done",
        "rows_total",
        "download",
        "error",
        "attempts",
        "started_at",
        "heartbeat_at",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields
    actions = None
    show_full_result_count = False

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.percent}% ({obj.rows_done}/{obj.rows_total})"

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj.state != ExportState.DONE:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("dashboards:ledger_download", args=[obj.pk]), _("Download Excel")
        )

    def get_queryset(self, request):
        return ledger_exports_visible(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or may_see_dashboards(user))

    def has_module_permission(self, request):
        return self.has_view_permission(request)
