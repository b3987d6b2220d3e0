"""Subscriber forms: plain Django forms, rendered by hand in templates for accessibility."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.addresses import InvalidAddress, normalize_address


class AddressForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "form-control"}),
    )

    def clean_email(self) -> str:
        try:
            return normalize_address(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(exc.text, code=exc.code) from exc
