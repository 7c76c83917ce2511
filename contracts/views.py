"""Public pages: the 亮约 board (no login) and each published contract's page with its QR code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView

from community.access import get_visible_or_404
from community.models import Area, AreaKind
from core.exceptions import ApplicationError
from core.qr import qr_svg

from . import selectors, services, workflow
from .forms import (
    CommentForm,
    ContractForm,
    ItemFormSet,
    MeetingForm,
    NeedForm,
    OfferForm,
    RateForm,
    ReasonForm,
    RecordForm,
    RevisionFormSet,
    RevisionNoteForm,
    SignForm,
    filled_items,
)
from .models import Contract, MenuKind, MenuOffer, Need, Side
from .workflow import PUBLIC_STATES


class BoardView(ListView):
    """亮约: every published contract, by community; anyone may read it."""

    template_name = "contracts/board.html"
    context_object_name = "contracts"
    paginate_by = 30

    def get_queryset(self):
        queryset = selectors.public_contracts()
        self.community = None
        raw = self.request.GET.get("community", "")
        if raw.isascii() and raw.isdigit():
            self.community = Area.objects.filter(pk=int(raw), kind=AreaKind.COMMUNITY).first()
            if self.community is not None:
                queryset = queryset.filter(pairing__community=self.community)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["community"] = self.community
        context["communities"] = (
            Area.objects.filter(kind=AreaKind.COMMUNITY, pairings__contracts__state__in=PUBLIC_STATES)
            .distinct()
            .order_by("path")
        )
        return context


class PublicContractView(DetailView):
    template_name = "contracts/public_detail.html"
    context_object_name = "contract"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.public_contracts(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        items = contract.frozen_version.items if contract.frozen_version else []
        progress = selectors.progress_by_item(contract)
        milestones = selectors.milestones_by_item(contract, items, timezone.localdate())
        rows = [
            {**item, "progress": progress.get(index), "milestone_rows": milestones.get(index)}
            for index, item in enumerate(items)
        ]
        context["overall"] = selectors.overall_progress(items, progress, milestones)
        context["side_ratings"] = selectors.side_ratings(contract) if contract.state == "evaluated" else []
        context["ranking"] = selectors.ranking(contract)
        context["unit_items"] = [row for row in rows if row["side"] == Side.UNIT]
        context["community_items"] = [row for row in rows if row["side"] == Side.COMMUNITY]
        context["entry"] = selectors.publication_entry(contract)
        context["rate_form"] = RateForm()
        context["qr"] = qr_svg(
            self.request.build_absolute_uri(reverse("contracts:public", args=[contract.pk]))
        )
        return context


# --- The parties' workspace (secretaries and unit contacts) -------------------------------------


class MyContractsView(LoginRequiredMixin, ListView):
    """The contracts of the pairings the user works on, newest term first."""

    template_name = "contracts/mine.html"
    context_object_name = "contracts"
    paginate_by = 30

    def get_queryset(self):
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related("pairing__community_org", "pairing__unit_org", "pairing__community")
            .order_by("-term_start", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_draft"] = selectors.party_pairings(self.request.user).exists()
        return context


class ContractCreateView(LoginRequiredMixin, View):
    """Draft a contract; `?offers=1&offers=2` starts its items from offers chosen on the menus."""

    template_name = "contracts/draft_form.html"

    def get(self, request):
        pairings = selectors.party_pairings(request.user)
        offers = selectors.offers_chosen(request.GET.getlist("offers"))
        initial = {}
        pairing = selectors.pairing_for_offers(pairings, offers)
        if pairing is not None:
            initial["pairing"] = pairing
        form = ContractForm(pairings=pairings, initial=initial)
        items = ItemFormSet(
            prefix="items", initial=[services.item_from_offer(offer) for offer in offers] or None
        )
        return render(request, self.template_name, {"form": form, "items": items, "offers": offers})

    def post(self, request):
        form = ContractForm(request.POST, pairings=selectors.party_pairings(request.user))
        items = ItemFormSet(request.POST, prefix="items")
        if form.is_valid() and items.is_valid():
            rows = filled_items(items)
            try:
                contract = services.contract_create(actor=request.user, items=rows, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request, _("The draft is saved as version 1. The other side can now see it.")
                )
                return redirect("contracts:workspace", contract.pk)
        return render(request, self.template_name, {"form": form, "items": items}, status=400)


STEPS = {
    "agree": lambda request, contract, data: services.contract_agree(
        actor=request.user, contract=contract, version=int(data.get("version") or 0)
    ),
    "publish": lambda request, contract, data: services.contract_publish(
        actor=request.user, contract=contract
    ),
    "open_evaluation": lambda request, contract, data: services.contract_open_evaluation(
        actor=request.user, contract=contract
    ),
    "close_evaluation": lambda request, contract, data: services.contract_close_evaluation(
        actor=request.user, contract=contract
    ),
}


class WorkspaceView(LoginRequiredMixin, View):
    """One contract for the parties: its text, versions, signatures, records, and the next steps as buttons."""

    template_name = "contracts/workspace.html"

    def _contract(self, request, pk: int) -> Contract:
        return get_visible_or_404(
            Contract.objects.select_related(
                "pairing__community_org", "pairing__unit_org", "pairing__community", "frozen_version"
            ),
            request.user,
            pk=pk,
        )

    def _context(self, request, contract: Contract, **forms_) -> dict:
        versions = list(contract.versions.order_by("-number"))
        text = contract.frozen_version or (versions[0] if versions else None)
        items = text.items if text else []
        progress = selectors.progress_by_item(contract)
        milestones = selectors.milestones_by_item(contract, items, timezone.localdate())
        sides = services.sides_of(request.user, contract.pairing)
        signer = contract.pairing.contacts.filter(user=request.user, can_sign=True).exists()
        return {
            "contract": contract,
            "versions": versions,
            "text": text,
            "items": [
                {**item, "progress": progress.get(index), "milestone_rows": milestones.get(index)}
                for index, item in enumerate(items)
            ],
            "overall": selectors.overall_progress(items, progress, milestones),
            "signatures": contract.signatures.filter(voided_at__isnull=True).select_related("organisation"),
            "events": contract.events.select_related("actor").order_by("-at", "-id")[:20],
            "records": contract.records.order_by("-done_on", "-id")[:20],
            "sides": sides,
            "is_signer": signer,
            "is_secretary": Side.COMMUNITY in sides,
            "sign_form": forms_.get("sign_form") or SignForm(),
            "reason_form": forms_.get("reason_form") or ReasonForm(),
            "record_form": forms_.get("record_form") or RecordForm(items=items, pairing=contract.pairing),
            "rate_form": forms_.get("rate_form") or RateForm(criteria=bool(sides)),
            "meetings": contract.meetings.order_by("-held_on", "-id"),
            "comments": contract.comments.select_related("author").order_by("-created_at", "-id")[:30],
            "meeting_form": forms_.get("meeting_form") or MeetingForm(),
            "comment_form": forms_.get("comment_form") or CommentForm(items=items),
            "negotiating": contract.state in services.NEGOTIATING_STATES,
            "can_end": bool(sides)
            and contract.state in workflow.TRANSITIONS[workflow.ContractStep.TERMINATE][0],
            "can_renew": bool(sides)
            and contract.state in services.RENEWABLE_STATES
            and not Contract.objects.filter(renewed_from=contract).exists(),
        }

    def get(self, request, pk: int):
        contract = self._contract(request, pk)
        return render(request, self.template_name, self._context(request, contract))

    def post(self, request, pk: int):
        contract = self._contract(request, pk)
        step = request.POST.get("step", "")
        forms_ = {}
        try:
            if step in STEPS:
                STEPS[step](request, contract, request.POST)
            elif step == "sign":
                forms_["sign_form"] = form = SignForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.contract_sign(
                    actor=request.user,
                    contract=contract,
                    version=int(request.POST.get("version") or 0),
                    password=form.cleaned_data["password"],
                    ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            elif step == "request_change":
                forms_["reason_form"] = form = ReasonForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.contract_request_change(
                    actor=request.user, contract=contract, reason=form.cleaned_data["reason"]
                )
            elif step == "record":
                items = contract.frozen_version.items if contract.frozen_version else []
                forms_["record_form"] = form = RecordForm(
                    request.POST, request.FILES, items=items, pairing=contract.pairing
                )
                if not form.is_valid():
                    raise _Invalid
                services.contract_record(actor=request.user, contract=contract, **form.cleaned_data)
            elif step == "meeting":
                forms_["meeting_form"] = form = MeetingForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.meeting_record(actor=request.user, contract=contract, **form.cleaned_data)
            elif step == "comment":
                latest = contract.versions.order_by("-number").first()
                forms_["comment_form"] = form = CommentForm(
                    request.POST, items=latest.items if latest else []
                )
                if not form.is_valid():
                    raise _Invalid
                services.comment_add(
                    actor=request.user,
                    contract=contract,
                    version=latest.number if latest else 0,
                    **form.cleaned_data,
                )
            elif step == "terminate_by_agreement":
                forms_["reason_form"] = form = ReasonForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.contract_terminate_by_agreement(
                    actor=request.user, contract=contract, reason=form.cleaned_data["reason"]
                )
            elif step == "renew":
                renewed = services.contract_renew(actor=request.user, contract=contract)
                messages.success(request, _("Next year's draft is ready: check and change its items."))
                return redirect("contracts:workspace", renewed.pk)
            elif step == "rate":
                sides = services.sides_of(request.user, contract.pairing)
                forms_["rate_form"] = form = RateForm(request.POST, criteria=bool(sides))
                if not form.is_valid():
                    raise _Invalid
                services.contract_rate(actor=request.user, contract=contract, **form.rating())
            else:
                raise _Invalid
        except _Invalid:
            messages.error(request, _("Please correct what is marked below. Nothing was changed."))
            return render(request, self.template_name, self._context(request, contract, **forms_), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request,
                self.template_name,
                self._context(request, contract, **forms_),
                status=exc.status_code,
            )
        messages.success(request, _("Done: %(step)s.") % {"step": STEP_LABELS.get(step, step)})
        return redirect("contracts:workspace", contract.pk)


class MenusView(LoginRequiredMixin, View):
    """The four menus (四类菜单) and the communities' needs: browse, match, choose offers for a draft, add."""

    template_name = "contracts/menus.html"
    PAGE = 30

    def _context(self, request, **forms_) -> dict:
        user = request.user
        kind = request.GET.get("kind", "")
        kind = kind if kind in MenuKind.values else ""
        need = None
        raw = request.GET.get("need", "")
        if raw.isascii() and raw.isdigit():
            need = Need.objects.visible_to(user).select_related("community").filter(pk=int(raw)).first()
        if need is not None:
            offers = selectors.offers_for_need(need)
        else:
            offers = (
                MenuOffer.objects.visible_to(user).filter(active=True).select_related("organisation", "area")
            )
            if kind:
                offers = offers.filter(kind=kind)
            offers = offers.order_by("kind", "title", "pk")
        needs = Need.objects.visible_to(user).filter(open=True).select_related("community")
        if kind:
            needs = needs.filter(kind=kind)
        organisations = selectors.menu_organisations(user)
        communities = selectors.need_communities(user)
        return {
            "kinds": MenuKind.choices,
            "kind": kind,
            "need": need,
            "offers": list(offers[: self.PAGE]),
            "needs": list(needs.order_by("-created_at", "pk")[: self.PAGE]),
            "can_draft": selectors.party_pairings(user).exists(),
            "offer_form": forms_.get("offer_form")
            or (OfferForm(organisations=organisations) if organisations.exists() else None),
            "need_form": forms_.get("need_form")
            or (NeedForm(communities=communities) if communities.exists() else None),
        }

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        action = request.POST.get("action", "")
        if action == "offer":
            form = OfferForm(request.POST, organisations=selectors.menu_organisations(request.user))
            forms_ = {"offer_form": form}
            create = services.menu_offer_create
            done = _("The offer is on the menu.")
        elif action == "need":
            form = NeedForm(request.POST, communities=selectors.need_communities(request.user))
            forms_ = {"need_form": form}
            create = services.need_post
            done = _("The need is posted; matching offers are listed with it.")
        else:
            return redirect("contracts:menus")
        if not form.is_valid():
            messages.error(request, _("Please correct what is marked below. Nothing was changed."))
            return render(request, self.template_name, self._context(request, **forms_), status=400)
        try:
            create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, **forms_), status=exc.status_code
            )
        messages.success(request, done)
        return redirect("contracts:menus")


class ReviseView(LoginRequiredMixin, View):
    """Change a draft's items: the latest version's items in a form; saving makes a new version."""

    template_name = "contracts/revise_form.html"

    def _contract(self, request, pk: int) -> Contract:
        return get_visible_or_404(
            Contract.objects.select_related("pairing__community_org", "pairing__unit_org"),
            request.user,
            pk=pk,
        )

    def _render(self, request, contract, items, note, status=200):
        return render(
            request,
            self.template_name,
            {"contract": contract, "items": items, "note_form": note},
            status=status,
        )

    def get(self, request, pk: int):
        contract = self._contract(request, pk)
        latest = contract.versions.order_by("-number").first()
        items = RevisionFormSet(prefix="items", initial=latest.items if latest else None)
        return self._render(request, contract, items, RevisionNoteForm())

    def post(self, request, pk: int):
        contract = self._contract(request, pk)
        items = RevisionFormSet(request.POST, prefix="items")
        note = RevisionNoteForm(request.POST)
        if not (items.is_valid() and note.is_valid()):
            messages.error(request, _("Please correct what is marked below. Nothing was changed."))
            return self._render(request, contract, items, note, status=400)
        try:
            version = services.contract_revise(
                actor=request.user,
                contract=contract,
                items=filled_items(items),
                note=note.cleaned_data["note"],
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return self._render(request, contract, items, note, status=exc.status_code)
        messages.success(
            request,
            _("Saved as version %(n)s. Both sides agree again to this version.") % {"n": version.number},
        )
        return redirect("contracts:workspace", contract.pk)


class _Invalid(Exception):
    pass


STEP_LABELS = {
    "agree": _("agreed to this version"),
    "sign": _("signed"),
    "request_change": _("asked for a change"),
    "publish": _("published"),
    "open_evaluation": _("evaluation opened"),
    "close_evaluation": _("evaluation closed"),
    "record": _("fulfilment recorded"),
    "rate": _("rating saved"),
    "meeting": _("meeting minutes saved"),
    "comment": _("comment saved"),
    "terminate_by_agreement": _("termination by agreement recorded"),
}


class CompareView(LoginRequiredMixin, View):
    """Two versions side by side, the differences marked (default: the one before the latest, and the latest)."""

    template_name = "contracts/compare.html"

    def get(self, request, pk: int):
        contract = get_visible_or_404(
            Contract.objects.select_related("pairing__community_org", "pairing__unit_org"),
            request.user,
            pk=pk,
        )
        versions = {v.number: v for v in contract.versions.all()}
        latest = max(versions) if versions else 0

        def number(name: str, default: int) -> int:
            raw = request.GET.get(name, "")
            return int(raw) if raw.isascii() and raw.isdigit() and int(raw) in versions else default

        b = number("b", latest)
        a = number("a", max(1, b - 1))
        rows = selectors.compare_versions(versions[a].items, versions[b].items) if versions else []
        return render(
            request,
            self.template_name,
            {
                "contract": contract,
                "a": versions.get(a),
                "b": versions.get(b),
                "rows": rows,
                "numbers": sorted(versions),
            },
        )


class PublicRateView(LoginRequiredMixin, View):
    """A resident rates a contract under evaluation from its public page."""

    def post(self, request, pk: int):
        contract = get_object_or_404(selectors.public_contracts(), pk=pk)
        form = RateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a score from 1 to 5."))
        else:
            try:
                services.contract_rate(actor=request.user, contract=contract, **form.cleaned_data)
            except ApplicationError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Thank you: your rating is saved."))
        return redirect("contracts:public", contract.pk)


class CertificateView(LoginRequiredMixin, View):
    """The signing certificate (and print view): the document hash, every signing event, the record's hashes."""

    template_name = "contracts/certificate.html"

    def get(self, request, pk: int):
        contract = get_visible_or_404(
            Contract.objects.select_related("pairing__community_org", "pairing__unit_org", "frozen_version"),
            request.user,
            pk=pk,
        )
        if contract.frozen_version is None:
            raise Http404
        return render(
            request,
            self.template_name,
            {
                "contract": contract,
                "signatures": selectors.certificate_signatures(contract),
                "entries": selectors.record_entries(contract),
            },
        )
