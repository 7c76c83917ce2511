"""Back office for contracts: lists scoped to the user's areas, and buttons for the steps, each calling its service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from community.access import has_role
from community.models import OrgKind, Role
from core.admin_scoping import ReadOnlyInline, ScopedAdminMixin, ScopedInlineMixin
from core.exceptions import ApplicationError

from . import services, workflow
from .models import (
    Contract,
    ContractEvent,
    ContractVersion,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    Signature,
)


class ContactInline(ScopedInlineMixin, admin.TabularInline):
    """Each side's contacts and authorised signers: rows there are read-only, new ones go through pairing_contact_add."""

    model = PairingContact
    fields = ["side", "user", "title", "can_sign"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("contacts and authorised signers")

    def get_queryset(self, request):
        # Each row is titled with its user.
        return super().get_queryset(request).select_related("user")


@admin.register(Pairing)
class PairingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["community_org", "unit_org", "community", "since", "active"]
    list_filter = ["active", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community_org", "unit_org", "community"]
    search_fields = ["community_org__name", "unit_org__name"]
    inlines = [ContactInline]
    actions = None

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["community_org", "unit_org", "since"]
        return ["community", "community_org", "unit_org", "since", "ended_on", "active"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "community_org" and field is not None:
            field.queryset = field.queryset.filter(kind=OrgKind.COMMUNITY_PARTY)
        elif db_field.name == "unit_org" and field is not None:
            field.queryset = field.queryset.filter(kind=OrgKind.UNIT_PARTY)
        return field

    def create_object(self, request, data, form):
        return services.pairing_create(
            actor=request.user,
            community_org=data["community_org"],
            unit_org=data["unit_org"],
            since=data["since"],
        )

    def update_object(self, request, obj, changes, form):
        # The pairing's own fields are read-only here; saving the page adds the new contacts below.
        return obj

    def save_inline(self, request, form, formset, change):
        formset.save(commit=False)
        for contact in formset.new_objects:
            services.pairing_contact_add(
                actor=request.user,
                pairing=form.instance,
                user=contact.user,
                side=contact.side,
                title=contact.title,
                can_sign=contact.can_sign,
            )


class VersionInline(ReadOnlyInline):
    model = ContractVersion
    fields = ["number", "note", "text_hash", "created_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row is titled with its contract; the columns name people and organisations.
        return super().get_queryset(request).select_related("contract", "created_by")


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = ["side", "organisation", "signer", "signed_at", "text_hash", "voided_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contract", "organisation", "signer")


class EventInline(ReadOnlyInline):
    model = ContractEvent
    fields = ["at", "step", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contract", "actor")


@admin.register(Contract)
class ContractAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "pairing", "term_start", "term_end", "state"]
    list_filter = ["state", ("pairing__community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["pairing__community_org", "pairing__unit_org"]
    search_fields = ["title", "pairing__unit_org__name", "pairing__community_org__name"]
    readonly_fields = [
        "title",
        "pairing",
        "term_start",
        "term_end",
        "state",
        "signing_order",
        "frozen_version",
        "sign_by",
        "signed_at",
        "published_at",
        "terminated_at",
        "termination_reason",
    ]
    fields = readonly_fields
    inlines = [VersionInline, SignatureInline, EventInline]
    actions = None
    show_full_result_count = False
    change_form_template = "admin/contracts/contract/change_form.html"

    # --- Steps: a POST to <pk>/step/<step>/ calls the step's service as the signed-in user ------

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/step/<str:step>/",
                self.admin_site.admin_view(require_POST(self.step_view)),
                name="contracts_contract_step",
            )
        ]
        # Before the admin's own URLs, whose "<path:object_id>/" would swallow this one.
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.steps_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def steps_context(self, request, contract: Contract) -> dict:
        """The buttons the contract's state offers, and links to its workspace and public page."""
        offered = [
            {
                "name": name,
                "label": step.label,
                "url": reverse("admin:contracts_contract_step", args=[contract.pk, name]),
                "form": TerminationForm(auto_id=f"id_{name}_%s") if step.needs_reason else None,
                "danger": step.needs_reason,
            }
            for name, step in CONTRACT_STEPS.items()
            if step.offered(request.user, contract)
        ]
        public = contract.state in workflow.PUBLIC_STATES
        return {
            "contract_steps": offered,
            "workspace_url": reverse("contracts:workspace", args=[contract.pk]),
            "public_url": reverse("contracts:public", args=[contract.pk]) if public else "",
        }

    def step_view(self, request, object_id, step):
        contract = self.get_object(request, unquote(object_id))
        if contract is None or step not in CONTRACT_STEPS:
            raise Http404(_("Not found."))
        if not self.has_view_permission(request, contract):
            raise PermissionDenied
        back = reverse("admin:contracts_contract_change", args=[contract.pk])
        spec = CONTRACT_STEPS[step]
        reason = ""
        if spec.needs_reason:
            form = TerminationForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("reason", []):
                    messages.error(request, error)
                return HttpResponseRedirect(back)
            reason = form.cleaned_data["reason"]
        try:
            result = spec.run(request.user, contract, reason)
        except ApplicationError as exc:
            # The service's transaction has been rolled back: nothing changed.
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(back)
        messages.success(request, spec.done)
        if spec.opens_result:
            return HttpResponseRedirect(reverse("admin:contracts_contract_change", args=[result.pk]))
        return HttpResponseRedirect(back)


class TerminationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for termination"),
        max_length=200,
        error_messages={"required": _("Give the reason for terminating the contract.")},
    )


@dataclass(frozen=True)
class AdminStep:
    """A button on the contract's change page: when it is offered, and the service it calls."""

    label: str
    done: str
    # Whether to show the button (the service still decides whether the step may be taken).
    offered: Callable[[object, Contract], bool]
    # (actor, contract, reason) -> the contract changed, or the one created.
    run: Callable[[object, Contract, str], Contract]
    needs_reason: bool = False
    # Afterwards, show the contract the service returned (a renewal's new draft) instead of this one.
    opens_result: bool = False


def _state_allows(step: str) -> Callable[[object, Contract], bool]:
    return lambda user, contract: workflow.can(step, contract.state)


def _renewable(user, contract: Contract) -> bool:
    return (
        contract.state in services.RENEWABLE_STATES
        and not Contract.objects.filter(renewed_from=contract).exists()
    )


def _terminable(user, contract: Contract) -> bool:
    return has_role(user, Role.DISTRICT_ADMIN) and workflow.can(
        workflow.ContractStep.TERMINATE, contract.state
    )


CONTRACT_STEPS: dict[str, AdminStep] = {
    "publish": AdminStep(
        label=_("Publish (亮约)"),
        done=_("The contract is published on the public board."),
        offered=_state_allows(workflow.ContractStep.PUBLISH),
        run=lambda actor, contract, reason: services.contract_publish(actor=actor, contract=contract),
    ),
    "open_evaluation": AdminStep(
        label=_("Open evaluation (评约)"),
        done=_("The evaluation is open: residents and both sides can now rate the contract."),
        offered=_state_allows(workflow.ContractStep.OPEN_EVALUATION),
        run=lambda actor, contract, reason: services.contract_open_evaluation(actor=actor, contract=contract),
    ),
    "close_evaluation": AdminStep(
        label=_("Close evaluation"),
        done=_("The evaluation is closed and the score is recorded."),
        offered=_state_allows(workflow.ContractStep.CLOSE_EVALUATION),
        run=lambda actor, contract, reason: services.contract_close_evaluation(
            actor=actor, contract=contract
        ),
    ),
    "renew": AdminStep(
        label=_("Start next year's draft (续约)"),
        done=_("Next year's draft is ready: check and change its items in the workspace."),
        offered=_renewable,
        run=lambda actor, contract, reason: services.contract_renew(actor=actor, contract=contract),
        opens_result=True,
    ),
    "terminate": AdminStep(
        label=_("Terminate"),
        done=_("The contract is terminated."),
        offered=_terminable,
        run=lambda actor, contract, reason: services.contract_terminate(
            actor=actor, contract=contract, reason=reason
        ),
        needs_reason=True,
    ),
}


@admin.register(MenuOffer)
class MenuOfferAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "organisation", "area", "estimated_value", "active"]
    list_filter = ["kind", "active", ("area", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organisation", "area"]
    search_fields = ["title", "organisation__name"]
    readonly_fields = [
        "organisation",
        "area",
        "kind",
        "title",
        "description",
        "quantity",
        "unit",
        "estimated_value",
        "active",
    ]
    fields = readonly_fields
    actions = None


@admin.register(Need)
class NeedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "community", "open", "created_at"]
    list_filter = ["kind", "open", ("community", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["community"]
    search_fields = ["title"]
    readonly_fields = ["community", "kind", "title", "description", "open"]
    fields = readonly_fields
    actions = None
