"""Forms of the contract pages. They parse what was typed; the services decide."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.models import Area, Organisation, User

from .models import Criterion, MenuKind, Pairing, Side
from .services import criteria_weights

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-control")


class ContractForm(forms.Form):
    pairing = forms.ModelChoiceField(label=_("pairing"), queryset=Pairing.objects.none())
    title = forms.CharField(label=_("title"), max_length=120)
    term_start = forms.DateField(label=_("term starts"), widget=DATE)
    term_end = forms.DateField(label=_("term ends"), widget=DATE)

    def __init__(self, *args, pairings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pairing"].queryset = pairings
        _styled(self)


def parse_milestones(text: str) -> list[dict[str, str]]:
    """Milestones typed one per line, a date then what is due: "2026-03-31 第一次义诊"."""
    milestones = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _sep, what = line.replace("\u3000", " ").partition(" ")
        try:
            due = date.fromisoformat(day.replace("/", "-").replace(".", "-"))
        except ValueError:
            raise forms.ValidationError(
                _("Line %(n)s: start with a date such as 2026-03-31, then what is due.") % {"n": number}
            ) from None
        if not what.strip():
            raise forms.ValidationError(_("Line %(n)s: after the date, say what is due.") % {"n": number})
        milestones.append({"due": due.isoformat(), "what": what.strip()})
    return milestones


def milestones_text(milestones) -> str:
    return "\n".join(f"{m['due']} {m['what']}" for m in milestones or [])


class ItemForm(forms.Form):
    # An empty first choice, so that an untouched row counts as empty and is skipped.
    side = forms.ChoiceField(label=_("provided by"), choices=[("", "—"), *Side.choices])
    kind = forms.ChoiceField(label=_("menu"), choices=[("", "—"), *MenuKind.choices])
    title = forms.CharField(label=_("title"), max_length=120)
    deliverable = forms.CharField(label=_("what is delivered"), max_length=500, required=False)
    quantity = forms.IntegerField(label=_("quantity"), min_value=0, required=False)
    unit = forms.CharField(label=_("unit"), max_length=20, required=False)
    schedule = forms.CharField(label=_("schedule"), max_length=120, required=False)
    budget = forms.IntegerField(label=_("budget (yuan)"), min_value=0, required=False)
    milestones = forms.CharField(
        label=_("milestones"),
        help_text=_("One per line: a date, then what is due. Example: 2026-03-31 第一次义诊"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        initial = kwargs.get("initial")
        if initial and isinstance(initial.get("milestones"), list):
            kwargs["initial"] = {**initial, "milestones": milestones_text(initial["milestones"])}
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_milestones(self):
        return parse_milestones(self.cleaned_data.get("milestones", ""))


ItemFormSet = forms.formset_factory(ItemForm, extra=3, min_num=1, validate_min=True, can_delete=True)
# Revising a draft: its items as they are, and one empty row for another.
RevisionFormSet = forms.formset_factory(ItemForm, extra=1, min_num=1, validate_min=True, can_delete=True)


def filled_items(formset) -> list[dict]:
    """The rows typed in and not marked for removal."""
    return [
        {k: v for k, v in row.items() if k != "DELETE"}
        for row in formset.cleaned_data
        if row and not row.get("DELETE")
    ]


class RevisionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("What changed (for the other side)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class SignForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to sign"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("What should change"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class RecordForm(forms.Form):
    item_index = forms.TypedChoiceField(label=_("contract item"), coerce=int)
    done_on = forms.DateField(label=_("date"), widget=DATE)
    description = forms.CharField(
        label=_("what was done"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    people_served = forms.IntegerField(label=_("people served"), min_value=0, initial=0)
    hours = forms.DecimalField(label=_("hours"), min_value=0, max_digits=6, decimal_places=1, initial=0)
    evidence = forms.FileField(label=_("evidence (photo or PDF, at most 10 MB)"), required=False)
    served_by = forms.ModelMultipleChoiceField(
        label=_("Party members who served (they earn points)"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    milestone = forms.ChoiceField(label=_("this reaches the milestone"), required=False)

    def __init__(self, *args, items, pairing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_index"].choices = [(index, item["title"]) for index, item in enumerate(items)]
        self.fields["milestone"].choices = [
            ("", _("no milestone")),
            *[
                (f"{index}:{number}", f"{item['title']} · {m['due']} {m['what']}")
                for index, item in enumerate(items)
                for number, m in enumerate(item.get("milestones") or [])
            ],
        ]
        if pairing is not None:
            # The Party members of the community, and those of the unit.
            self.fields["served_by"].queryset = (
                User.objects.filter(person__party_member__isnull=False)
                .filter(
                    Q(person__community=pairing.community_id)
                    | Q(person__party_member__party_organisation=pairing.unit_org_id)
                )
                .order_by("display_name", "pk")
            )
        _styled(self)

    def clean(self):
        data = super().clean()
        raw = data.get("milestone") or ""
        data["milestone"] = None
        if raw and "item_index" in data:
            index, _sep, number = raw.partition(":")
            if int(index) != data["item_index"]:
                self.add_error("milestone", _("This milestone belongs to another item."))
            else:
                data["milestone"] = int(number)
        return data


def _stars(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect
    )


class RateForm(forms.Form):
    """One overall score (residents), or one score per configured criterion (`criteria=True`: the two sides)."""

    score = _stars(_("Your score"))
    comment = forms.CharField(
        label=_("comment"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, criteria: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria_weights()) if criteria else []
        if self.criteria:
            del self.fields["score"]
            comment = self.fields.pop("comment")
            for code in self.criteria:
                self.fields[f"c_{code}"] = _stars(Criterion(code).label)
            self.fields["comment"] = comment

    def stars(self):
        """The radio groups, for the template."""
        return [field for field in self if field.name != "comment"]

    def rating(self) -> dict:
        """What to pass to services.contract_rate."""
        data = {"comment": self.cleaned_data.get("comment", "")}
        if self.criteria:
            data["scores"] = {code: self.cleaned_data[f"c_{code}"] for code in self.criteria}
        else:
            data["score"] = self.cleaned_data["score"]
        return data


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("held on"), widget=DATE)
    place = forms.CharField(label=_("place"), max_length=120)
    attendees = forms.CharField(label=_("attendees"), max_length=500)
    minutes = forms.CharField(label=_("minutes"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(
        label=_("decisions"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class CommentForm(forms.Form):
    item_index = forms.TypedChoiceField(label=_("on"), coerce=int, required=False, empty_value=None)
    body = forms.CharField(label=_("comment"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_index"].choices = [
            ("", _("the whole version")),
            *[(i, item["title"]) for i, item in enumerate(items)],
        ]
        _styled(self)


class OfferForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("offered by"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("menu"), choices=MenuKind.choices)
    title = forms.CharField(label=_("title"), max_length=120)
    description = forms.CharField(label=_("description"), max_length=500, required=False)
    quantity = forms.IntegerField(label=_("quantity"), min_value=0, required=False)
    unit = forms.CharField(label=_("unit"), max_length=20, required=False)
    estimated_value = forms.IntegerField(label=_("estimated value (yuan)"), min_value=0, required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        _styled(self)


class NeedForm(forms.Form):
    community = forms.ModelChoiceField(label=_("community"), queryset=Area.objects.none())
    kind = forms.ChoiceField(label=_("menu"), choices=MenuKind.choices)
    title = forms.CharField(label=_("title"), max_length=120)
    description = forms.CharField(label=_("description"), max_length=500, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        _styled(self)
