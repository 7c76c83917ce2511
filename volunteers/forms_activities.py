"""Forms of the activity pages. They parse what was typed; volunteers.services.activities decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .services.activities import CAPACITY_MAX, DESCRIPTION_MAX, PLACE_MAX, REASON_MAX, TITLE_MAX
from .workflow import ServiceField

# A phone's own date and time picker; the value is read in the platform's time zone.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-lg")
        else:
            widget.attrs.setdefault("class", "form-control form-control-lg")


def _datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local"}),
        **kwargs,
    )


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ActivityForm(forms.Form):
    """Publish or edit an activity: what, where, when, how many places, until when one can sign up."""

    community = NamedChoiceField(label=_("community"), queryset=None, empty_label=None)
    title = forms.CharField(
        label=_("title"),
        max_length=TITLE_MAX,
        help_text=_("For example “Waste sorting campaign in the compound”."),
    )
    field = forms.ChoiceField(label=_("service"), choices=ServiceField.choices)
    description = forms.CharField(
        label=_("details"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX}),
        help_text=_("What volunteers will do, what to bring, whom to ask."),
    )
    place = forms.CharField(label=_("place"), max_length=PLACE_MAX)
    starts_at = _datetime_field(_("starts at"))
    ends_at = _datetime_field(_("ends at"))
    signup_deadline = _datetime_field(_("sign up by"), help_text=_("At the latest when the activity starts."))
    capacity = forms.IntegerField(label=_("places"), min_value=1, max_value=CAPACITY_MAX)
    organiser = NamedChoiceField(
        label=_("together with"),
        queryset=None,
        required=False,
        empty_label=_("— the community alone —"),
        help_text=_("A paired unit that runs it with the community, if any."),
    )
    open_to_residents = forms.BooleanField(
        label=_("residents may sign up too"),
        required=False,
        initial=True,
        help_text=_("Untick for an activity only for Party members who reported to the community."),
    )

    def __init__(
        self, *args, communities: QuerySet, organisations: QuerySet, editing: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["organiser"].queryset = organisations
        if editing:
            del self.fields["community"]
        _styled(self)


class ActivityCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("why it is cancelled"),
        max_length=REASON_MAX,
        help_text=_("Everyone signed up reads it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class HoursForm(forms.Form):
    hours = forms.DecimalField(
        label=_("hours"), min_value=Decimal(0), max_value=Decimal(24), max_digits=3, decimal_places=1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours"].widget.attrs.update(
            {"class": "form-control", "step": "0.1", "inputmode": "decimal"}
        )
