"""Public pages of the record: the latest entries, and the check of one entry by its hash."""

from __future__ import annotations

import json

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from .chain import canonical_json
from .models import Entry
from .selectors import entry_check, entry_list, record_head


class EntryListView(ListView):
    """Anyone may read the record: no login, no scoping, payloads carry no personal data."""

    template_name = "audit/entry_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        return entry_list(
            kind=self.request.GET.get("kind", "").strip(), subject=self.request.GET.get("subject", "").strip()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["head"] = record_head()
        context["kind"] = self.request.GET.get("kind", "").strip()
        context["subject"] = self.request.GET.get("subject", "").strip()
        return context


class EntryVerifyView(View):
    template_name = "audit/entry_verify.html"

    def get(self, request):
        raw = request.GET.get("hash", "").strip()
        context = {"hash_input": raw}
        if not raw:
            return render(request, self.template_name, context)
        check = entry_check(raw)
        if check is None:
            context["error"] = _(
                "This is not a record hash: a hash is 64 characters, each 0–9 or a–f. Please check what you typed."
            )
            return render(request, self.template_name, context, status=400)
        context["check"] = check
        if not check.found:
            context["error"] = _("There is no entry with this hash in the record.")
            return render(request, self.template_name, context, status=404)
        entry: Entry = check.entry
        # Shown so anyone can recompute the hash themselves: SHA-256 of exactly these UTF-8 bytes.
        context["hashed_text"] = canonical_json(entry.hashed_content()).decode("utf-8")
        context["payload_text"] = json.dumps(entry.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return render(request, self.template_name, context)
