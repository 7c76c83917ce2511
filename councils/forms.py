"""Forms of the council pages. They parse what was typed; councils.services decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Person

from .models import IssueCategory
from .services import TRACK_DAYS
from .voting import ABSTAIN
from .workflow import Track

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-control")


class BuildingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class IssueForm(forms.Form):
    """Raise an issue from a phone; a recorder may name the resident it is for."""

    category = forms.ChoiceField(
        label=_("What is it about?"), choices=IssueCategory.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("title"),
        max_length=80,
        help_text=_("In a few words, e.g. “Corridor light broken in building 1”."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where, since when, who is affected."),
    )
    building = BuildingChoiceField(
        label=_("building"), queryset=None, required=False, empty_label=_("— not about one building —")
    )
    photo = forms.FileField(
        label=_("photo (optional, JPG or PNG, at most 8 MB)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    on_behalf_of = forms.TypedChoiceField(
        label=_("on behalf of a resident"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For a resident without a phone: the issue is theirs, recorded by you."),
    )

    def __init__(self, *args, buildings, people: list[Person] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        self.people = {person.pk: person for person in people or []}
        if people is None:
            del self.fields["on_behalf_of"]
        else:
            self.fields["on_behalf_of"].choices = [
                ("", _("— myself —")),
                *[(p.pk, f"{p.name} ({p.masked_phone})" if p.phone else p.name) for p in people],
            ]
        _styled(self)
        self.fields["description"].widget.attrs.setdefault("maxlength", 2000)

    def clean_on_behalf_of(self) -> Person | None:
        pk = self.cleaned_data.get("on_behalf_of")
        return self.people.get(pk) if pk is not None else None


class TriageForm(forms.Form):
    track = forms.ChoiceField(
        label=_("track"), choices=Track.choices, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    due_on = forms.DateField(
        label=_("to be done by (optional)"),
        required=False,
        widget=DATE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = TRACK_DAYS
        self.fields["due_on"].help_text = _(
            "Left empty: %(micro)s days for a micro matter, %(small)s for a small one, "
            "%(big)s for a big one and %(hard)s for a hard one."
        ) % {
            "micro": days[Track.MICRO],
            "small": days[Track.SMALL],
            "big": days[Track.BIG],
            "hard": days[Track.HARD],
        }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(label=_("merge into"), queryset=None)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets
        _styled(self)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("note (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class VoteForm(forms.Form):
    option = forms.TypedChoiceField(
        label=_("Your vote"), coerce=int, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args, options: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            *enumerate(options),
            (ABSTAIN, _("Abstain")),
        ]
