from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lists.branding import WHITE, contrast, parse_hex, theme_for
from lists.models import OTHER_REASON, MailingList, UnsubscribeReason
from tests.lists.factories import CategoryTranslationFactory, MailingListFactory


@pytest.mark.parametrize(
    "accent", ["#0b5ed7", "#ffcc00", "#7c3aed", "#ffffff", "#000000", "#22c55e"]
)
def test_every_accent_gives_readable_buttons_and_links(accent: str) -> None:
    theme = theme_for(accent)

    assert contrast(parse_hex(theme.accent), parse_hex(theme.on_accent)) >= 4.5
    assert contrast(parse_hex(theme.accent_hover), parse_hex(theme.on_accent)) >= 4.5
    assert contrast(parse_hex(theme.accent_text), WHITE) >= 4.5


def test_a_dark_accent_is_kept_as_it_is_with_white_text() -> None:
    theme = theme_for("#0B5ED7")

    assert (theme.accent, theme.on_accent, theme.accent_text) == ("#0b5ed7", "#ffffff", "#0b5ed7")
    assert "--optout-accent: #0b5ed7;" in theme.css()


def test_a_light_accent_gets_black_text_and_darker_links() -> None:
    theme = theme_for("#ffcc00")

    assert (theme.accent, theme.on_accent) == ("#ffcc00", "#000000")
    assert theme.accent_text != "#ffcc00"
    assert "fill='%23000000'" in theme.css()  # the switch knob shows on the light fill


@pytest.mark.parametrize("value", ["0b5ed7", "#fff", "#12345g", "red", "#0b5ed7;}"])
def test_a_colour_that_is_not_rrggbb_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="rrggbb"):
        theme_for(value)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["#fff", "blue", "#12345g"])
def test_the_accent_colour_is_validated_in_forms_and_by_the_database(value: str) -> None:
    newsletter = MailingListFactory.create()
    newsletter.accent_color = value

    with pytest.raises(ValidationError) as error:
        newsletter.full_clean()
    assert "accent_color" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        MailingList.objects.filter(pk=newsletter.pk).update(accent_color=value)


@pytest.mark.django_db
def test_the_logo_must_be_an_https_url() -> None:
    newsletter = MailingListFactory.create(logo_url="http://cdn.example/logo.png")

    with pytest.raises(ValidationError) as error:
        newsletter.full_clean()
    assert "logo_url" in error.value.message_dict


@pytest.mark.django_db
def test_the_built_in_other_reason_cannot_be_taken_by_a_list_reason() -> None:
    reason = UnsubscribeReason(
        mailing_list=MailingListFactory.create(), slug=OTHER_REASON, label="Other"
    )

    with pytest.raises(ValidationError):
        reason.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        reason.save()


@pytest.mark.django_db
def test_a_category_has_one_translation_per_language() -> None:
    translation = CategoryTranslationFactory.create(language="de")

    with pytest.raises(IntegrityError), transaction.atomic():
        CategoryTranslationFactory.create(category=translation.category, language="de")
