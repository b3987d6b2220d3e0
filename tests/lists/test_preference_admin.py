from __future__ import annotations

import pytest
from django.test import Client

from tests.lists.factories import (
    CategoryFactory,
    CategoryTranslationFactory,
    UnsubscribeReasonFactory,
    UnsubscribeReasonTranslationFactory,
)

pytestmark = pytest.mark.django_db


def test_a_category_page_edits_its_translations(admin_client: Client) -> None:
    translation = CategoryTranslationFactory.create(language="fr", name="Nouveautés")

    response = admin_client.get(f"/admin/lists/category/{translation.category.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Category translations" in body
    assert 'value="Nouveautés"' in body


def test_a_reason_page_edits_its_translations(admin_client: Client) -> None:
    translation = UnsubscribeReasonTranslationFactory.create(language="de", label="Zu viele")

    response = admin_client.get(f"/admin/lists/unsubscribereason/{translation.reason.pk}/change/")

    assert response.status_code == 200
    assert 'value="Zu viele"' in response.content.decode()


def test_the_changelists_filter_by_list(admin_client: Client) -> None:
    category = CategoryFactory.create(name="Weekly digest")
    UnsubscribeReasonFactory.create(mailing_list=category.mailing_list, label="Too many")

    categories = admin_client.get(
        f"/admin/lists/category/?mailing_list__id__exact={category.mailing_list.pk}"
    )
    reasons = admin_client.get("/admin/lists/unsubscribereason/")

    assert "Weekly digest" in categories.content.decode()
    assert "Too many" in reasons.content.decode()
