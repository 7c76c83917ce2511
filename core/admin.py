"""Back office for the job plumbing: the outbox and the periodic-run ledger, read-only."""

from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_paging import LargeTableAdminMixin
from .models import JobRun, OutboxMessage
from .outbox import relay_messages


class ReadOnlyAdmin(admin.ModelAdmin):
    # Written only by enqueue(), the relay and run_once_per_period; editing a row would break their promises.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("no", _("Waiting for the broker")), ("yes", _("Sent"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    list_display = ["id", "task_name", "created_at", "sent_at", "attempts", "short_error"]
    list_filter = [SentFilter, "task_name"]
    search_fields = ["task_name", "=id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    ordering = ["-id"]
    readonly_fields = [
        "task_name",
        "args",
        "kwargs",
        "queue",
        "eta",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    ]
    fields = readonly_fields
    actions = ["relay_now"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)

    def has_relay_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Hand to the broker now"), permissions=["relay"])
    def relay_now(self, request, queryset):
        sent = relay_messages(ids=list(queryset.filter(sent_at__isnull=True).values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d message sent to the broker.", "%(count)d messages sent to the broker.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "period", "started_at", "finished_at", "result"]
    list_filter = ["job"]
    search_fields = ["job", "period"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = ["job", "period", "started_at", "finished_at", "result"]
    fields = readonly_fields
