"""Forms of the accounts pages: sign in with a username or a mobile number, change the password."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class BootstrapFormMixin:
    """Give every widget Bootstrap's classes, and mark the fields that failed validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = (
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else "form-control form-control-lg"
            )
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    """Django's sign-in form, accepting a username or a mobile number (community.backends)."""

    username = forms.CharField(
        label=_("Username or mobile number"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    # One message whether the login is unknown or the password wrong: it must not tell which.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username, mobile number or password is not right. Please check them and try again."
        ),
    }


class PasswordChangeBootstrapForm(BootstrapFormMixin, PasswordChangeForm):
    pass
