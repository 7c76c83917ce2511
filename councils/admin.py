"""Back office for councils: lists scoped to the user's areas (steps are taken through the services)."""

from django.contrib import admin

from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin

from .models import Campaign, Council, Issue, IssueEvent, Meeting, Motion, Pledge, Seat


class SeatInline(ReadOnlyInline):
    model = Seat
    fields = ["kind", "person", "voting", "since", "until"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Council)
class CouncilAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "compound", "convener_org"]
    list_select_related = ["compound", "convener_org"]
    search_fields = ["name", "compound__name"]
    readonly_fields = ["name", "compound", "convener_org"]
    fields = readonly_fields
    inlines = [SeatInline]
    actions = None


class EventInline(ReadOnlyInline):
    model = IssueEvent
    fields = ["at", "step", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row is titled with its issue.
        return super().get_queryset(request).select_related("issue", "actor")


@admin.register(Issue)
class IssueAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "compound", "category", "state", "track", "triage_by", "due_on", "created_at"]
    list_filter = ["state", "track", "category", ("compound", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["compound"]
    search_fields = ["title"]
    readonly_fields = [
        "title",
        "council",
        "compound",
        "category",
        "description",
        "building",
        "state",
        "track",
        "triage_by",
        "due_on",
        "reason",
        "merged_into",
        "recorded_by",
        "resolved_at",
    ]
    fields = readonly_fields
    inlines = [EventInline]
    actions = None
    show_full_result_count = False


@admin.register(Motion)
class MotionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "council",
        "state",
        "threshold",
        "quorum",
        "secret",
        "opens_at",
        "closes_at",
        "outcome",
    ]
    list_filter = ["state", "threshold", "secret"]
    list_select_related = ["council"]
    search_fields = ["title"]
    readonly_fields = [
        "title",
        "council",
        "issue",
        "options",
        "quorum",
        "threshold",
        "secret",
        "changeable",
        "opens_at",
        "closes_at",
        "state",
        "rule_hash",
        "result",
        "outcome",
    ]
    fields = readonly_fields
    actions = None


@admin.register(Meeting)
class MeetingAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "council", "starts_at", "state", "approved_at"]
    list_filter = ["state", "online"]
    list_select_related = ["council"]
    search_fields = ["title", "council__name"]
    readonly_fields = [
        "title",
        "council",
        "starts_at",
        "place",
        "online",
        "state",
        "minutes",
        "decisions",
        "summary",
    ]
    fields = readonly_fields
    actions = None
    show_full_result_count = False


class PledgeInline(ReadOnlyInline):
    model = Pledge
    fields = ["kind", "amount", "hours", "what", "organisation", "fulfilled_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row is titled with its campaign.
        return super().get_queryset(request).select_related("campaign", "organisation")


@admin.register(Campaign)
class CampaignAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "council", "money_goal", "hours_goal", "closes_on"]
    list_select_related = ["council"]
    search_fields = ["title"]
    readonly_fields = [
        "title",
        "council",
        "issue",
        "description",
        "money_goal",
        "hours_goal",
        "materials",
        "closes_on",
    ]
    fields = readonly_fields
    inlines = [PledgeInline]
    actions = None
