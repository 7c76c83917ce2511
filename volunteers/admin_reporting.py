"""Admin of the reporting part (read-only lists; steps call volunteers.services).

Who may see these lists: volunteers/rules.py. Nobody adds, changes or deletes a row here; the
"accept" action calls the service, which checks the actor again for each report.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin
from core.exceptions import ApplicationError

from .models import PledgeSignature, PledgeText, Report
from .services import reporting as services


@admin.register(Report)
class ReportAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["member", "community", "grid", "state", "skills", "reported_at", "decided_at"]
    list_filter = ["state", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["member__person", "community", "grid"]
    search_fields = ["member__person__name", "skills"]
    readonly_fields = [
        "member",
        "community",
        "grid",
        "skills",
        "service_fields",
        "state",
        "note",
        "reported_at",
        "decided_at",
        "decided_by",
        "left_at",
    ]
    fields = readonly_fields
    actions = ["accept"]
    show_full_result_count = False

    @admin.action(description=_("Accept the selected reports (place them in a grid later)"))
    def accept(self, request, queryset):
        accepted, refused = 0, []
        for report in queryset.select_related("member__person"):
            try:
                services.report_accept(actor=request.user, report=report, grid=None)
            except ApplicationError as exc:
                refused.append(f"{report.member.person.name}: {exc.message}")
            else:
                accepted += 1
        if accepted:
            self.message_user(
                request,
                ngettext("%(count)d report accepted.", "%(count)d reports accepted.", accepted)
                % {"count": accepted},
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


class SignatureInline(ReadOnlyInline):
    model = PledgeSignature
    fields = ["member", "signed_at", "record_hash"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__person")


@admin.register(PledgeText)
class PledgeTextAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "community", "year", "version", "published_at", "published_by"]
    list_filter = ["year", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community", "published_by"]
    search_fields = ["title", "community__name"]
    readonly_fields = [
        "community",
        "year",
        "version",
        "title",
        "body",
        "text_hash",
        "published_at",
        "published_by",
    ]
    fields = readonly_fields
    inlines = [SignatureInline]
    actions = None


@admin.register(PledgeSignature)
class PledgeSignatureAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["member", "text", "signed_at", "record_hash"]
    list_filter = [("text__community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["member__person", "text"]
    search_fields = ["member__person__name"]
    readonly_fields = ["text", "member", "signed_at", "record_hash"]
    fields = readonly_fields
    actions = None
    show_full_result_count = False
