"""Subscriber forms. They only parse; views hand the result to a consent service.

The preference center's form has one switch per category, the optional reason, the action;
the hosted page's form asks for one address; the portal's names a new API key.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.addresses import InvalidAddress, normalize_address
from consent.preference_selectors import PreferenceState
from lists.models import OTHER_REASON, Category
from lists.texts import ReasonText

SAVE = "save"
UNSUBSCRIBE_ALL = "unsubscribe_all"
RESUBSCRIBE_ALL = "resubscribe_all"
REASON_TEXT_MAX = 500


class PreferencesForm(forms.Form):
    # The buttons carry the action; pressing Enter submits the first one, "save".
    action = forms.ChoiceField(
        choices=[
            (SAVE, SAVE),
            (UNSUBSCRIBE_ALL, UNSUBSCRIBE_ALL),
            (RESUBSCRIBE_ALL, RESUBSCRIBE_ALL),
        ],
        required=False,
    )

    def __init__(
        self, *args: Any, state: PreferenceState, reasons: list[ReasonText] | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.state = state
        self.asks_reason = reasons is not None
        self._categories: dict[str, Category] = {}
        for item in state.categories:
            name = f"category_{item.category.pk}"
            self._categories[name] = item.category
            self.fields[name] = forms.BooleanField(
                label=item.name,
                # The template escapes it: a description is the marketer's text.
                help_text=item.description,
                required=False,
                initial=item.subscribed,
            )
        if reasons is not None:
            self.fields["reason"] = forms.ChoiceField(
                label=_("Why are you unsubscribing?"),
                choices=[(reason.slug, reason.label) for reason in reasons]
                + [(OTHER_REASON, _("Other"))],
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields["reason_text"] = forms.CharField(
                label=_("Anything else you would like to tell us?"),
                max_length=REASON_TEXT_MAX,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    # The page writes its own markup for these fields (templates/preferences/center.html):
    # crispy's template pack cost most of the page's rendering time. Each value the markup
    # needs is worked out once here, as plain dicts: a BoundField recomputes its id, value
    # and errors on every lookup, and the template looks each up several times.
    @cached_property
    def category_switches(self) -> list[dict[str, Any]]:
        return [_field_row(self[name]) for name in self._categories]

    @cached_property
    def reason_question(self) -> dict[str, Any] | None:
        """The reason radios and the free-text box, or None when the list does not ask."""
        if not self.asks_reason:
            return None
        reason, text = self["reason"], self["reason_text"]
        current = reason.value()
        question = _field_row(reason)
        question["choices"] = [
            {
                "value": value,
                "label": label,
                "id": f"{question['id']}_{index}",
                "checked": value == current,
            }
            for index, (value, label) in enumerate(self.fields["reason"].choices)  # type: ignore[attr-defined]  # a ChoiceField
        ]
        question["text"] = _field_row(text)
        question["text"]["max_length"] = REASON_TEXT_MAX
        return question

    @property
    def chosen_action(self) -> str:
        return self.cleaned_data.get("action") or SAVE

    @property
    def wanted(self) -> set[Category]:
        return {category for name, category in self._categories.items() if self.cleaned_data[name]}

    @property
    def reason(self) -> tuple[str, str]:
        """(slug, free text): free text alone counts as "other"."""
        if not self.asks_reason:
            return "", ""
        slug = self.cleaned_data.get("reason") or ""
        text = (self.cleaned_data.get("reason_text") or "").strip()
        if text and not slug:
            slug = OTHER_REASON
        return slug, text


def _field_row(field: forms.BoundField) -> dict[str, Any]:
    return {
        "name": field.html_name,
        "id": field.auto_id,
        "value": field.value(),
        "label": field.label,
        "help_text": field.help_text,
        "errors": list(field.errors),
    }


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


class ApiKeyForm(forms.Form):
    """The portal's "new API key" form."""

    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        help_text=_("What the key is for, e.g. “CRM sync” or “nightly suppression download”."),
    )
