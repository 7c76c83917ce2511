"""Back office for notices and scheduled reminders: read-mostly, every change through a service."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_paging import LargeTableAdminMixin

from . import services
from .models import EmailStatus, Notice, ScheduledReminder


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notice)
class NoticeAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "email_status"]
    list_filter = [ReadFilter, "email_status", "kind", "created_at"]
    search_fields = ["title", "=dedupe_key", "recipient__username", "recipient__display_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [
        "recipient",
        "kind",
        "title",
        "body",
        "url",
        "dedupe_key",
        "created_at",
        "read_at",
        "email_status",
        "emailed_at",
        "email_error",
    ]
    fields = readonly_fields
    actions = ["retry_email"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # Notices are written by notice_send only; deleting one would free its key for a second send.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_email_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Send failed emails again"), permissions=["retry_email"])
    def retry_email(self, request, queryset):
        count = services.notice_email_retry(
            actor=request.user, notices=queryset.filter(email_status=EmailStatus.FAILED)
        )
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ScheduledReminder)
class ScheduledReminderAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "due_at", "sent_at", "email"]
    list_filter = ["kind", "due_at", "sent_at"]
    search_fields = ["title", "=dedupe_key", "recipient__username", "recipient__display_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "due_at"
    readonly_fields = [
        "recipient",
        "due_at",
        "kind",
        "title",
        "body",
        "url",
        "email",
        "dedupe_key",
        "created_at",
        "sent_at",
        "sent_notice",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # Apps schedule through reminder_schedule; the admin may only cancel what has not been sent.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.sent_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.reminder_cancel(key=obj.dedupe_key)

    def delete_queryset(self, request, queryset):
        for key in queryset.values_list("dedupe_key", flat=True):
            services.reminder_cancel(key=key)
