"""Back office for the ledger and earning: accounts and transfers (read-only), earning rules,
earnings, manual awards and deductions, and the district's allocation of points to communities.

Scoped like every admin (`core.admin_scoping.ScopedAdminMixin`): a community secretary sees the
accounts, transfers and adjustments of their community only. Every write calls a service of
`points.earning`; transfers, accounts and earnings cannot be added, changed or deleted here by
anybody, platform administrators included.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from community.access import scope_for
from community.models import Area, AreaKind, Person, Role
from core.admin_paging import LargeTableAdminMixin
from core.admin_scoping import ScopedAdminMixin, scoped
from core.exceptions import ApplicationError

from . import earning, earning_permissions, selectors  # noqa: F401  (earning_permissions registers the rules)
from .models import Account, Earning, EarningRule, ManualAdjustment, Transfer

STATEMENT_ROWS = 20


def _new_request_id() -> str:
    return uuid.uuid4().hex


# --- Accounts -----------------------------------------------------------------------------------


class AllocationForm(forms.Form):
    community = forms.ModelChoiceField(label=_("community"), queryset=Area.objects.none())
    amount = forms.IntegerField(label=_("points"), min_value=1)
    reason = forms.CharField(label=_("reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
    # Generated with the form: submitting the same form twice allocates once.
    request_id = forms.CharField(widget=forms.HiddenInput, initial=_new_request_id)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user).for_roles(earning.ALLOCATION_ROLES)
        communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
        if not scope.everything:
            q = Q(pk__in=[])
            for area_path in scope.area_paths:
                q |= Q(path__startswith=area_path)
            communities = communities.filter(q)
        self.fields["community"].queryset = communities


@admin.register(Account)
class AccountAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "area", "holder", "points"]
    list_filter = ["kind", ("area", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "user__username", "user__display_name"]
    list_select_related = ["area", "user"]
    ordering = ["kind", "name"]
    show_full_result_count = False
    actions = None
    fields = [
        "name",
        "kind",
        "area",
        "user",
        "organisation",
        "points",
        "till_balances",
        "created_at",
        "expiring",
        "statement",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # Tills are part of their issuing account (ADR 0006): listed with it, not on their own.
        tills = (
            Account.objects.filter(parent=OuterRef("pk"))
            .order_by()
            .values("parent")
            .annotate(total=Sum("balance"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .filter(parent__isnull=True)
            .annotate(points_total=F("balance") + Coalesce(Subquery(tills), 0))
        )

    @admin.display(description=_("holder"), ordering="user__display_name")
    def holder(self, obj):
        return obj.user if obj.user_id else "—"

    @admin.display(description=_("balance"), ordering="points_total")
    def points(self, obj):
        return obj.points_total

    @admin.display(description=_("tills"))
    def till_balances(self, obj):
        if not obj.tills:
            return "—"
        balances = Account.objects.filter(parent=obj).order_by("pk").values_list("balance", flat=True)
        return format_html(
            "{}: {} · {}: {}",
            _("own"),
            obj.balance,
            _("tills"),
            ", ".join(str(b) for b in balances),
        )

    @admin.display(description=_("points expiring"))
    def expiring(self, obj):
        rows = selectors.expiring_points(account=obj)
        if not rows:
            return "—"
        return format_html_join(", ", "{}: {}", ((day.isoformat(), amount) for day, amount in rows))

    @admin.display(description=_("latest transfers"))
    def statement(self, obj):
        rows = list(selectors.statement(account=obj)[:STATEMENT_ROWS])
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    t.created_at.strftime("%Y-%m-%d %H:%M"),
                    t.get_kind_display(),
                    t.counterparty_name,
                    f"{t.signed_amount:+d}",
                    t.memo or t.cause,
                )
                for t in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("time"),
            _("kind"),
            _("counterparty"),
            _("points"),
            _("memo"),
            body,
        )

    # --- Allocation from the district fund to a community -------------------------------------

    def get_urls(self):
        urls = [
            path(
                "allocate/",
                self.admin_site.admin_view(self.allocate_view),
                name="points_account_allocate",
            )
        ]
        return urls + super().get_urls()

    def has_allocate_permission(self, request) -> bool:
        return request.user.has_perm("points.allocate_points")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_allocate": self.has_allocate_permission(request)}
        return super().changelist_view(request, extra_context)

    def allocate_view(self, request):
        if not self.has_allocate_permission(request):
            raise PermissionDenied
        form = AllocationForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                transfer = earning.points_allocate(
                    actor=request.user,
                    community=data["community"],
                    amount=data["amount"],
                    reason=data["reason"],
                    request_key=data["request_id"],
                )
            except ApplicationError as exc:
                form.add_error(None, str(exc.message))
            else:
                self.message_user(
                    request,
                    _("%(amount)s points were allocated to %(community)s.")
                    % {"amount": transfer.amount, "community": data["community"].name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:points_account_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Allocate points to a community"),
            "form": form,
        }
        return TemplateResponse(request, "admin/points/account/allocate.html", context)


# --- Transfers ----------------------------------------------------------------------------------


@admin.register(Transfer)
class TransferAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only for everybody: a transfer is never edited or deleted, a correction is a reversal."""

    list_display = [
        "id",
        "created_at",
        "kind",
        "source",
        "destination",
        "amount",
        "key",
        "cause",
        "created_by",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["=key", "key", "cause"]
    list_select_related = ["source", "destination", "created_by"]
    # No date_hierarchy: its MIN/MAX and distinct years scan millions of rows at district scale
    # (1.9 s + 4.5 s); the created_at filter above picks a period.
    ordering = ["-id"]
    show_full_result_count = False
    actions = None
    fields = [
        "key",
        "kind",
        "source",
        "destination",
        "amount",
        "cause",
        "memo",
        "reverses",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields

    # Explicit, although ScopedAdminMixin already offers no write without a service hook.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Earning rules ------------------------------------------------------------------------------


class RuleScopeFilter(admin.SimpleListFilter):
    title = _("applies to")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("district", _("District default")), ("community", _("Community override"))]

    def queryset(self, request, queryset):
        if self.value() in ("district", "community"):
            return queryset.filter(community__isnull=self.value() == "district")
        return queryset


@admin.register(EarningRule)
class EarningRuleAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "event_type",
        "applies_to",
        "points",
        "unit_label",
        "daily_cap",
        "monthly_cap",
        "active",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["event_type", "active", RuleScopeFilter]
    list_select_related = ["district", "community"]
    search_fields = ["note", "community__name"]
    ordering = ["event_type", "community__path", "-valid_from"]
    actions = None
    base_fields = [
        "event_type",
        "district",
        "community",
        "points",
        "unit_label",
        "daily_cap",
        "monthly_cap",
        "active",
        "valid_from",
        "valid_until",
        "note",
    ]
    # What the rule is about stays; a different event or place is another rule.
    fixed_fields = ["event_type", "district", "community"]

    @admin.display(description=_("applies to"), ordering="community__path")
    def applies_to(self, obj):
        if obj.community_id:
            return obj.community.name
        return format_html("{} <small>({})</small>", obj.district.name, _("district default"))

    def _picks_district(self, request) -> bool:
        scope = scope_for(request.user)
        return scope.everything or Role.DISTRICT_ADMIN in scope.roles

    def get_fields(self, request, obj=None):
        if obj is None and not self._picks_district(request):
            # A secretary's rule is their community's; its district follows from it.
            return [name for name in self.base_fields if name != "district"]
        return list(self.base_fields)

    def get_readonly_fields(self, request, obj=None):
        return list(self.fixed_fields) if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if "district" in form_class.base_fields:
            form_class.base_fields["district"].required = False
            form_class.base_fields["district"].help_text = _(
                "For a district default; a community's rule takes the community's district."
            )
        return form_class

    def create_object(self, request, data, form):
        return earning.earning_rule_save(actor=request.user, **data)

    def update_object(self, request, obj, changes, form):
        return earning.earning_rule_save(actor=request.user, rule=obj, **changes)


# --- Earnings -----------------------------------------------------------------------------------


@admin.register(Earning)
class EarningAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "user",
        "community",
        "quantity",
        "points",
        "capped",
        "transfer_key",
    ]
    list_filter = ["event_type", "created_at"]
    search_fields = ["=transfer__key", "transfer__cause", "user__username", "user__display_name"]
    list_select_related = ["user", "community", "transfer"]
    # No date_hierarchy: its MIN/MAX and distinct years scan millions of rows at district scale
    # (1.9 s + 4.5 s); the created_at filter above picks a period.
    ordering = ["-id"]
    show_full_result_count = False
    actions = None
    fields = [
        "event_type",
        "user",
        "community",
        "rule",
        "quantity",
        "points_per_unit",
        "points",
        "transfer",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("capped"), boolean=True)
    def capped(self, obj):
        return obj.was_capped

    @admin.display(description=_("idempotency key"), ordering="transfer__key")
    def transfer_key(self, obj):
        return obj.transfer.key


# --- Manual awards and deductions -----------------------------------------------------------------


class RecipientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.community.name} · {obj.masked_phone}"


class ManualAdjustmentForm(forms.ModelForm):
    recipient = RecipientChoiceField(label=_("recipient"), queryset=Person.objects.none())
    # Not the model's request_key: a repeated submission is the service's business, not a form error.
    request_id = forms.CharField(widget=forms.HiddenInput, initial=_new_request_id)

    class Meta:
        model = ManualAdjustment
        # The declared fields (recipient, request_id) come on top of these model fields.
        fields = ["direction", "amount", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}


@admin.register(ManualAdjustment)
class ManualAdjustmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The manual award form: adding one calls `points_manual_adjust`; afterwards it is read-only."""

    form = ManualAdjustmentForm
    list_display = [
        "created_at",
        "community",
        "recipient_name",
        "direction",
        "amount",
        "reason",
        "actor",
        "record_link",
    ]
    list_filter = ["direction", ("community", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["reason", "wallet__name", "=transfer__key"]
    list_select_related = ["community", "wallet", "actor", "record"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    show_full_result_count = False
    actions = None
    add_fields = ["recipient", "direction", "amount", "reason", "request_id"]
    view_fields = [
        "community",
        "recipient_name",
        "direction",
        "amount",
        "reason",
        "actor",
        "transfer",
        "record_link",
        "created_at",
    ]

    @admin.display(description=_("recipient"), ordering="wallet__name")
    def recipient_name(self, obj):
        return obj.wallet.name

    @admin.display(description=_("public record entry"))
    def record_link(self, obj):
        if obj.record_id is None:
            return "—"
        return format_html('<a href="{}">#{}</a>', obj.record.get_absolute_url(), obj.record.seq)

    def get_fields(self, request, obj=None):
        return list(self.add_fields) if obj is None else list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else list(self.view_fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form_class
        recipients = Person.objects.filter(user__isnull=False).select_related("community").order_by("name")
        scope = scope_for(request.user).for_roles(earning.MANUAL_ROLES)
        if not scope.everything:
            q = Q(pk__in=[])
            for area_path in scope.area_paths:
                q |= Q(community__path__startswith=area_path)
            recipients = scoped(recipients.filter(q), request.user)
        form_class.base_fields["recipient"].queryset = recipients
        form_class.base_fields["amount"].help_text = self._limits_help(request)
        return form_class

    def _limits_help(self, request) -> str:
        scope = scope_for(request.user).for_roles(earning.MANUAL_ROLES)
        parts = [str(_("At most %(max)s points at a time.") % {"max": earning._manual_max()})]
        if not scope.everything:
            communities = Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=scope.area_paths)
            for community in communities:
                usage = selectors.manual_adjustment_usage(community=community, month=timezone.now())
                parts.append(
                    str(
                        _(
                            "%(community)s this month: %(awards)s points of awards and %(deductions)s of deductions left."
                        )
                        % {
                            "community": community.name,
                            "awards": usage["award_remaining"],
                            "deductions": usage["deduction_remaining"],
                        }
                    )
                )
        return " ".join(parts)

    def create_object(self, request, data, form):
        cleaned = form.cleaned_data
        return earning.points_manual_adjust(
            actor=request.user,
            user=cleaned["recipient"].user,
            amount=cleaned["amount"],
            direction=cleaned["direction"],
            reason=cleaned["reason"],
            request_key=cleaned["request_id"],
        )


# The livelihood market keeps its back office in its own module.
from . import admin_market  # noqa: E402, F401
