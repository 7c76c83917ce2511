"""Forms of a project's part of the issue page: discussion, rating, crowdfunding and tasks.

They parse what was typed; councils.services decides. Several of them appear on one page (one per
post, campaign or task), so each gets its own `auto_id` while the field names stay plain.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Organisation

from .forms import _styled
from .models import PledgeKind, Satisfaction

NUMBER = {"inputmode": "numeric", "min": 1}
# A date picker's value is always ISO, whatever the language's date format (an initial date shows).
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("Your view"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        help_text=_("At most 1000 characters. Be kind; the convener may hide a post, with a reason."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "post_%s")
        super().__init__(*args, **kwargs)
        _styled(self)


class HideForm(forms.Form):
    reason = forms.CharField(label=_("why hide it"), max_length=200)

    def __init__(self, *args, post_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"hide{post_id}_%s")
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["reason"].widget.attrs["maxlength"] = 200


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=_("rating"), choices=Satisfaction.choices)


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=120)
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    money_goal = forms.IntegerField(
        label=_("money goal (yuan)"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    hours_goal = forms.IntegerField(
        label=_("labour goal (hours)"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    materials = forms.CharField(
        label=_("materials needed"),
        max_length=300,
        required=False,
        help_text=_("Ask for at least one: money, hours of labour or materials."),
    )
    closes_on = forms.DateField(label=_("pledges close on"), widget=DATE)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "campaign_%s")
        kwargs.setdefault("initial", {"closes_on": timezone.localdate() + timedelta(days=14)})
        super().__init__(*args, **kwargs)
        _styled(self)


class PledgeForm(forms.Form):
    """Money (yuan), labour (hours) or materials (what); a unit's contact may pledge for their unit."""

    kind = forms.ChoiceField(label=_("I give"), choices=PledgeKind.choices, widget=forms.RadioSelect)
    amount = forms.IntegerField(
        label=_("amount (yuan)"), required=False, min_value=1, widget=forms.NumberInput(attrs=NUMBER)
    )
    hours = forms.IntegerField(
        label=_("hours"), required=False, min_value=1, widget=forms.NumberInput(attrs=NUMBER)
    )
    what = forms.CharField(
        label=_("what"),
        max_length=200,
        required=False,
        help_text=_("For materials: what you give, e.g. “10 planks of treated wood”."),
    )
    organisation = forms.TypedChoiceField(
        label=_("for my unit (optional)"), required=False, coerce=int, empty_value=None
    )

    # Which figure each kind needs, so that a missing one is marked on its field.
    NEEDS = {
        PledgeKind.MONEY: ("amount", _("Say how much, in yuan.")),
        PledgeKind.LABOUR: ("hours", _("Say how many hours.")),
        PledgeKind.MATERIALS: ("what", _("Say what you give.")),
    }

    def __init__(self, *args, campaign_id: int, units: list[Organisation] | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"pledge{campaign_id}_%s")
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units or []}
        if self.units:
            self.fields["organisation"].choices = [
                ("", _("— myself —")),
                *[(unit.pk, unit.name) for unit in units],
            ]
        else:
            del self.fields["organisation"]
        _styled(self)
        self.fields["kind"].widget.attrs["class"] = "btn-check"

    def clean_organisation(self) -> Organisation | None:
        pk = self.cleaned_data.get("organisation")
        if pk is None:
            return None
        if pk not in self.units:
            raise forms.ValidationError(_("Choose one of your units."))
        return self.units[pk]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in self.NEEDS:
            field, message = self.NEEDS[kind]
            if data.get(field) in (None, "") and field not in self.errors:
                self.add_error(field, message)
        return data


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=120)
    owner = forms.CharField(
        label=_("carried out by"), max_length=60, help_text=_("A person, a unit or a team.")
    )
    due_on = forms.DateField(label=_("to be done by"), widget=DATE)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "task_%s")
        super().__init__(*args, **kwargs)
        _styled(self)


class ReportForm(forms.Form):
    note = forms.CharField(
        label=_("progress"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500})
    )
    photo = forms.FileField(
        label=_("photo (optional, JPG or PNG, at most 8 MB)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    done = forms.BooleanField(
        label=_("The task is done"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, task_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"report{task_id}_%s")
        super().__init__(*args, **kwargs)
        _styled(self)
