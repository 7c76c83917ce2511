"""Forms of the reporting pages. They parse what was typed; volunteers.services.reporting decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Area, AreaKind

from .services.reporting import PLEDGE_BODY_MAX, PLEDGE_TITLE_MAX, SKILLS_MAX
from .workflow import ReportState, ServiceField


def _styled(form: forms.Form, *, large: bool = True) -> None:
    """Bootstrap classes; large fields for a thumb on a phone, plain ones for the registry's filters."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.HiddenInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-lg" if large else "form-select")
        elif not isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-control form-control-lg" if large else "form-control")


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


def _skills_field() -> forms.CharField:
    return forms.CharField(
        label=_("Your skills"),
        max_length=SKILLS_MAX,
        required=False,
        help_text=_("For example: 电工, 法律咨询, 心理疏导, 驾驶"),
    )


def _fields_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Services you can offer"),
        choices=ServiceField.choices,
        required=False,
        # Toggle buttons (Bootstrap's btn-check): a big target for a thumb.
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
    )


class ReportForm(forms.Form):
    """A member reports to their residential community (党员报到)."""

    community = CommunityChoiceField(label=_("Community you report to"), queryset=Area.objects.none())
    skills = _skills_field()
    service_fields = _fields_field()
    note = forms.CharField(
        label=_("Anything the community should know (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: free on weekends."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        _styled(self)


class SkillsForm(forms.Form):
    skills = _skills_field()
    service_fields = _fields_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class MoveForm(forms.Form):
    """Moving: leave the current community and report to another one, in one step."""

    community = CommunityChoiceField(label=_("The community you moved to"), queryset=Area.objects.none())

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        _styled(self)


class GridForm(forms.Form):
    """Accept a report, or move a member to another grid: the grid (the service checks it is the community's)."""

    grid = forms.ModelChoiceField(
        label=_("grid"),
        queryset=Area.objects.filter(kind=AreaKind.GRID),
        required=False,
        empty_label=_("— place later —"),
    )


class DeclineForm(forms.Form):
    # Not required here: the service refuses an empty reason with the message the secretary needs.
    reason = forms.CharField(label=_("Why (the member reads it)"), max_length=300, required=False)


ACTIVE_CHOICES = [("", _("Everyone")), ("yes", _("Served in the last 90 days")), ("no", _("Not lately"))]
STATE_CHOICES = [
    (ReportState.ACCEPTED, _("Reported")),
    (ReportState.LEFT, _("Left the community")),
    ("all", _("Reported or left")),
]


class RegistryFilterForm(forms.Form):
    community = CommunityChoiceField(
        label=_("community"), queryset=Area.objects.none(), required=False, empty_label=_("All communities")
    )
    grid = forms.ModelChoiceField(
        label=_("grid"), queryset=Area.objects.none(), required=False, empty_label=_("All grids")
    )
    skill = forms.CharField(label=_("Skill or service"), max_length=50, required=False)
    active = forms.ChoiceField(label=_("Recent service"), choices=ACTIVE_CHOICES, required=False)
    state = forms.ChoiceField(label=_("state"), choices=STATE_CHOICES, required=False)

    def __init__(self, *args, communities, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["grid"].queryset = grids
        _styled(self, large=False)

    def filters(self) -> dict:
        """The registry selector's keyword arguments (invalid filters are ignored, as for any list)."""
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state") or ReportState.ACCEPTED
        active = {"yes": True, "no": False}.get(data.get("active") or "")
        return {
            "community": data.get("community"),
            "grid": data.get("grid"),
            "skill": data.get("skill") or "",
            "active": active,
            "state": None if state == "all" else state,
        }


class PledgeForm(forms.Form):
    """Publish the year's pledge (锋领十条), or a new version of it."""

    title = forms.CharField(label=_("title"), max_length=PLEDGE_TITLE_MAX)
    body = forms.CharField(
        label=_("text"),
        max_length=PLEDGE_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One pledge a line. Publishing again makes a new version: members are asked to sign it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self, large=False)


class SignForm(forms.Form):
    """The one tap: sign the version that was on the screen (a newer one since is refused by the service)."""

    text = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
