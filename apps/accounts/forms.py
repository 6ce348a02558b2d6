from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group

from apps.accounts import throttling


class ThrottledAuthenticationForm(AuthenticationForm):
    """The log-in form, refusing without checking the password while the
    username or the client address is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = throttling.client_ip(self.request)
        if throttling.login_locked(username=username, ip=ip):
            raise forms.ValidationError(throttling.lockout_message(), code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttling.login_failure_record(username=username, ip=ip)
            raise
        throttling.login_success_record(username=username)
        return cleaned


class ServiceAccountForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.@+-]{3,150}$",
        help_text="3-150 letters, digits and @/./+/-/_ (e.g. reporting-bot).",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    roles = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        to_field_name="name",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The key acts with these roles. No role: it may look, but runs no tool.",
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses the key, e.g. nightly-export.")
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional. Leave empty for a key that lasts until revoked.",
    )
