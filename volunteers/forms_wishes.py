"""Forms of the micro-wish pages. They parse what was typed; volunteers.services.wishes decides."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Person

from .services.wishes import DESCRIPTION_MAX, DUE_MAX_DAYS, GROUP_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX
from .workflow import WishCategory, WishState

PHOTO_ACCEPT = "image/jpeg,image/png"


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-lg")
        else:
            widget.attrs.setdefault("class", "form-control form-control-lg")


class WishForm(forms.Form):
    """Post a wish from a phone; the staff choose the resident it is for."""

    beneficiary = forms.TypedChoiceField(
        label=_("for the resident"),
        coerce=int,
        empty_value=None,
        help_text=_("A resident without a phone: the wish is theirs, posted by you."),
    )
    category = forms.ChoiceField(
        label=_("What kind of wish?"), choices=WishCategory.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("The wish"),
        max_length=TITLE_MAX,
        help_text=_("In a few words, e.g. “A bag of rice” or “Repair my hearing aid”."),
    )
    description = forms.CharField(
        label=_("Details (optional)"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What exactly, and anything the members should know. No address or phone number here."),
    )
    due_on = forms.DateField(
        label=_("Wanted by"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A day within the next three months."),
    )
    group_size = forms.IntegerField(
        label=_("Members needed"),
        min_value=1,
        max_value=GROUP_MAX,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("1 for a small wish. A big wish (say, painting a stairwell) may need up to 20."),
    )

    def __init__(self, *args, people: list[Person] | None = None, own_person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people or []}
        if people is None:
            del self.fields["beneficiary"]
        else:
            field = self.fields["beneficiary"]
            choices = [(p.pk, f"{p.name} · {p.home.name if p.home else p.community.name}") for p in people]
            if own_person is not None:
                choices = [("", _("— myself —")), *choices]
                field.required = False
            else:
                choices = [("", _("— choose the resident —")), *choices]
            field.choices = choices
        today = timezone.localdate()
        self.fields["due_on"].widget.attrs.update(
            {
                "min": (today + timedelta(days=1)).isoformat(),
                "max": (today + timedelta(days=DUE_MAX_DAYS)).isoformat(),
            }
        )
        _styled(self)
        self.fields["description"].widget.attrs.setdefault("maxlength", DESCRIPTION_MAX)

    def clean_beneficiary(self) -> Person | None:
        pk = self.cleaned_data.get("beneficiary")
        return self.people.get(pk) if pk is not None else None


class FulfilForm(forms.Form):
    note = forms.CharField(
        label=_("How was it fulfilled?"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. “Delivered the rice on Saturday morning.”"),
    )
    photo = forms.FileField(
        label=_("Photo (JPG or PNG, at most 8 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class ConfirmForm(forms.Form):
    note = forms.CharField(
        label=_("A word of thanks (optional)"),
        max_length=300,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why cancel?"),
        max_length=REASON_MAX,
        help_text=_("The members who lit it up read this."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class StaffFilterForm(forms.Form):
    """The staff's list: by state, kind and grid."""

    state = forms.ChoiceField(label=_("state"), required=False)
    category = forms.ChoiceField(label=_("category"), required=False)
    grid = forms.TypedChoiceField(label=_("grid"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.grids = {grid.pk: grid for grid in grids}
        self.fields["state"].choices = [("", _("All states")), *WishState.choices]
        self.fields["category"].choices = [("", _("All kinds")), *WishCategory.choices]
        self.fields["grid"].choices = [
            ("", _("All grids")),
            *[(g.pk, f"{g.parent.name} · {g.name}" if g.parent_id else g.name) for g in grids],
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data.get("state") or None,
            "category": data.get("category") or None,
            "grid": self.grids.get(data.get("grid")) if data.get("grid") is not None else None,
        }
