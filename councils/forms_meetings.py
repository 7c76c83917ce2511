"""Forms of the convener's meeting and motion pages. They parse what was typed; councils.services decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .forms import _styled
from .services import MAX_OPTIONS
from .voting import Threshold

# A phone's own date and time picker; the value is read in the platform's time zone.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CHECKBOX = {"class": "form-check-input"}


def _datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local"}),
    )


class CouncilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class IssueChoiceMixin:
    def label_from_instance(self, obj) -> str:
        return f"{obj.title} · {obj.compound.name}"


class IssueChoiceField(IssueChoiceMixin, forms.ModelChoiceField):
    pass


class IssuesChoiceField(IssueChoiceMixin, forms.ModelMultipleChoiceField):
    pass


class SeatsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.person.name} · {obj.get_kind_display()}"


class MeetingScheduleForm(forms.Form):
    """A council meeting: when, where, and the big issues awaiting the council on its agenda."""

    council = CouncilChoiceField(label=_("council"), queryset=None, empty_label=None)
    title = forms.CharField(
        label=_("title"),
        max_length=120,
        help_text=_("For example “Third-quarter council meeting”."),
    )
    starts_at = _datetime_field(_("starts at"))
    place = forms.CharField(
        label=_("place"),
        max_length=120,
        required=False,
        help_text=_("Leave it empty for a meeting held only online."),
    )
    online = forms.BooleanField(
        label=_("online (cloud consultation)"), required=False, widget=forms.CheckboxInput(attrs=CHECKBOX)
    )
    agenda = IssuesChoiceField(
        label=_("agenda"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
        help_text=_("Big issues awaiting a council's decision; choose those of the meeting's council."),
    )

    def __init__(self, *args, councils: QuerySet, issues: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = councils
        self.fields["agenda"].queryset = issues
        _styled(self)


class MeetingRecordForm(forms.Form):
    """After the meeting: who attended, the minutes and the decisions."""

    attendees = SeatsChoiceField(
        label=_("attended"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
    )
    minutes = forms.CharField(
        label=_("minutes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6, "maxlength": 10000})
    )
    decisions = forms.CharField(
        label=_("decisions"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
    )

    def __init__(self, *args, seats: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = seats
        _styled(self)


class MeetingApproveForm(forms.Form):
    summary = forms.CharField(
        label=_("public summary"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
        help_text=_("What residents read: what was discussed and decided, without personal details."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class MeetingCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class MotionForm(forms.Form):
    """A motion with its rule, as a draft: the rule can change until voting opens, never after."""

    council = CouncilChoiceField(label=_("council"), queryset=None, empty_label=None)
    issue = IssueChoiceField(
        label=_("issue"), queryset=None, required=False, empty_label=_("— not about one issue —")
    )
    title = forms.CharField(
        label=_("title"),
        max_length=120,
        help_text=_("The question put to the vote, e.g. “Install charging points east of building 3?”."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )
    options = forms.CharField(
        label=_("options"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    quorum = forms.IntegerField(
        label=_("quorum (percentage of the voting seats)"),
        min_value=1,
        max_value=100,
        initial=50,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "style": "max-width: 8rem"}),
        help_text=_("The share of the voting seats that must take part; abstaining counts."),
    )
    threshold = forms.ChoiceField(
        label=_("threshold"),
        choices=Threshold.choices,
        initial=Threshold.SIMPLE,
        widget=forms.RadioSelect(attrs=CHECKBOX),
    )
    secret = forms.BooleanField(
        label=_("secret ballot"), required=False, widget=forms.CheckboxInput(attrs=CHECKBOX)
    )
    changeable = forms.BooleanField(
        label=_("votes may be changed until the close"),
        required=False,
        widget=forms.CheckboxInput(attrs=CHECKBOX),
    )
    opens_at = _datetime_field(_("voting opens"))
    closes_at = _datetime_field(_("voting closes"))

    def __init__(self, *args, councils: QuerySet, issues: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = councils
        self.fields["issue"].queryset = issues
        self.fields["options"].help_text = _(
            "One option per line, from 2 to %(max)s; abstaining is always offered as well."
        ) % {"max": MAX_OPTIONS}
        _styled(self)

    def clean_options(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]
        if not 2 <= len(lines) <= MAX_OPTIONS:
            raise forms.ValidationError(
                _("Write from 2 to %(max)s options, one per line.") % {"max": MAX_OPTIONS}
            )
        return lines

    def clean_quorum(self) -> str:
        """A percentage as typed (50) → the share the service takes ("0.5")."""
        return str(Decimal(self.cleaned_data["quorum"]) / 100)
