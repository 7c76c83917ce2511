"""Forms of the points pages: redeem, verify a code, choose a leaderboard. They parse; services decide."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .market import MAX_QUANTITY, normalise_code


class RedeemForm(forms.Form):
    quantity = forms.TypedChoiceField(label=_("How many"), coerce=int, initial=1)

    def __init__(self, *args, most: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        most = max(1, min(most, MAX_QUANTITY))
        self.fields["quantity"].choices = [(n, str(n)) for n in range(1, most + 1)]
        self.fields["quantity"].widget.attrs.update({"class": "form-select form-select-lg"})


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Redemption code"),
        max_length=20,
        help_text=_("The 8 digits under the holder's QR code, with or without the space."),
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg points-code-input",
                "inputmode": "numeric",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "placeholder": "1234 5678",
                "enterkeyhint": "search",
            }
        ),
    )
    # The secret a scanned QR code carries; typed codes have none.
    t = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("A redemption code has 8 digits."), code="invalid_code")
        return code


def recent_months(count: int = 12, today: date | None = None) -> list[tuple[str, str]]:
    """("2026-11", "2026年11月"), newest first."""
    today = today or timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        first = date(year, month, 1)
        months.append((first.strftime("%Y-%m"), date_format(first, "YEAR_MONTH_FORMAT")))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


class LeaderboardForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["month"].choices = recent_months()
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def clean_month(self) -> date:
        year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
        return date(year, month, 1)
