"""Contacts imported from an MD5 list have no address and no SHA-256 until someone gives one."""

from __future__ import annotations

import pytest

from consent.addresses import hash_address
from consent.models import Contact, Source, Suppression
from consent.origins import Origin
from consent.services import report_opt_outs, scrub
from tests.lists.factories import MailingListFactory

pytestmark = pytest.mark.django_db


def _hash_only(address: str) -> Contact:
    return Contact.objects.create(address=None, md5=hash_address(address).md5, sha256=None)


def test_scrub_by_address_matches_a_contact_known_only_by_its_md5() -> None:
    newsletter = MailingListFactory.create()
    imported = _hash_only("old.subscriber@example.com")
    Suppression.objects.create(contact=imported, mailing_list=newsletter)

    result = scrub(mailing_list=newsletter, values=["Old.Subscriber@example.com", "new@x.org"])

    assert result.suppressed == ["Old.Subscriber@example.com"]


def test_a_report_completes_the_hash_only_contact_instead_of_losing_the_address() -> None:
    newsletter = MailingListFactory.create()
    imported = _hash_only("old.subscriber@example.com")

    result = report_opt_outs(
        mailing_list=newsletter,
        addresses=["old.subscriber@example.com"],
        origin=Origin(source=Source.S2S),
    )

    imported.refresh_from_db()
    assert result.newly_suppressed == 1
    assert imported.address == "old.subscriber@example.com"
    assert imported.sha256 == hash_address("old.subscriber@example.com").sha256
    assert Contact.objects.count() == 1
    assert Suppression.objects.get().contact == imported
