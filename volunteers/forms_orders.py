"""Forms of the service-order pages. They parse what was typed; volunteers.services.orders decides."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from community.models import Person

from .services.orders import COMMENT_MAX, DESCRIPTION_MAX, MAX_PHOTOS, NOTE_MAX, REASON_MAX
from .workflow import OrderState, ServiceField

DATETIME = {"type": "datetime-local", "class": "form-control"}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class OrderForm(forms.Form):
    """群众点单 from a phone; a social worker or the secretary may order for a resident."""

    field = forms.ChoiceField(
        label=_("Which service?"), choices=ServiceField.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What is needed"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: “The kitchen tap drips and will not close.”"),
    )
    window_start = forms.DateTimeField(
        label=_("From"), input_formats=DATETIME_FORMATS, widget=forms.DateTimeInput(attrs=DATETIME)
    )
    window_end = forms.DateTimeField(
        label=_("Until"), input_formats=DATETIME_FORMATS, widget=forms.DateTimeInput(attrs=DATETIME)
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Only the member who takes the order sees it in full."),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone (optional)"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Left empty: your registered number."),
    )
    for_person = forms.TypedChoiceField(
        label=_("For a resident"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For a resident without a phone: the order is theirs, placed by you."),
    )

    def __init__(self, *args, people: list[Person] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people or []}
        if people is None:
            del self.fields["for_person"]
        else:
            self.fields["for_person"].choices = [
                ("", _("— myself —")),
                *[(p.pk, f"{p.name} ({p.masked_phone})" if p.phone else p.name) for p in people],
            ]
        _styled(self)
        self.fields["description"].widget.attrs.setdefault("maxlength", DESCRIPTION_MAX)

    def clean_for_person(self) -> Person | None:
        pk = self.cleaned_data.get("for_person")
        return self.people.get(pk) if pk is not None else None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("window_start"), cleaned.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", _("The time window must end after it starts."))
        return cleaned


class DispatchForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Dispatch to"), coerce=int)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("— choose a member —")), *member_choices(candidates)]
        _styled(self)


def member_choices(candidates) -> list[tuple[int, str]]:
    """A reported member as a choice: name · grid · skills · services offered."""
    choices = []
    for report in candidates:
        parts = [report.member.person.name]
        if report.grid_id:
            parts.append(report.grid.name)
        if report.skills:
            parts.append(report.skills)
        labels = report.service_field_labels()
        if labels:
            parts.append("、".join(labels))
        choices.append((report.member.person.user_id, " · ".join(parts)))
    return choices


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class FinishForm(forms.Form):
    """实时晒单: photos of the service done and a note."""

    photos = MultipleFileField(
        label=lazy(
            lambda: _("Photos (1 to %(max)s, JPG or PNG, at most 8 MB each)") % {"max": MAX_PHOTOS}, str
        )(),
        required=False,
    )
    note = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["photos"].widget.attrs["multiple"] = True


STARS = [(n, f"{n} ★") for n in range(5, 0, -1)]


class RateForm(forms.Form):
    """服务评单: 1 to 5 stars and a comment."""

    stars = forms.TypedChoiceField(
        label=_("How was the service?"), coerce=int, choices=STARS, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


BOARD_STATES = [
    ("open", _("Open orders")),
    ("overdue", _("Overdue")),
    ("", _("All")),
    *OrderState.choices,
]


class BoardFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=BOARD_STATES, required=False)
    field = forms.ChoiceField(
        label=_("Kind of service"), choices=[("", _("All")), *ServiceField.choices], required=False
    )
    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.grids = {grid.pk: grid for grid in grids}
        self.fields["grid"].choices = [("", _("All")), *[(g.pk, g.name) for g in grids]]
        _styled(self)

    def clean_grid(self):
        pk = self.cleaned_data.get("grid")
        return self.grids.get(pk) if pk is not None else None
