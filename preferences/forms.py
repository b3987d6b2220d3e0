"""Forms of the mailer portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        help_text=_("What the key is for, e.g. “CRM sync” or “nightly suppression download”."),
    )
