"""Our own encrypted ?params=…&pid=… for a brand's landing page, and the decrypt answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from consent.linkcrypto import (
    InvalidCampaignFields,
    InvalidLinkParams,
    decrypt_link_pair,
    encrypt_link_params,
    landing_page_url,
)
from lists.models import ConsentLevel
from lists.services import service_links
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerFactory, MailingListFactory

pytestmark = pytest.mark.django_db

DOCUMENTED_FIELDS = {
    "profileNameSpace",
    "profileId",
    "emailAddress",
    "emailNameSpace",
    "sandboxId",
    "optOutLevel",
    "channelType",
    "timestamp",
}


def test_a_pair_round_trips_to_the_platform_decrypt_shape_with_the_campaign_fields() -> None:
    contact = ContactFactory.create(address="jane.doe@example.com", profile_key="CRM-7")
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    mailer = MailerFactory.create(name="Acme Mailing")
    pair = encrypt_link_params(
        contact=contact, mailing_list=newsletter, mailer=mailer, campaign={"campaignId": "c-1"}
    )

    answer = decrypt_link_pair(params=pair.params, pid=pair.pid)

    assert set(answer) >= DOCUMENTED_FIELDS
    assert answer["emailAddress"] == "jane.doe@example.com"
    assert (answer["profileId"], answer["profileNameSpace"]) == ("CRM-7", "CRMID")
    assert (answer["optOutLevel"], answer["channelType"]) == ("channel", "email")
    assert answer["campaignId"] == "c-1"
    assert answer["mailer"] == "Acme Mailing"
    assert answer["listId"] == str(newsletter.uuid)
    for value in (pair.params, pid := pair.pid):
        assert "jane" not in value.lower()
        assert "example" not in value.lower()
    assert pid != pair.params


def test_a_contact_without_profile_key_is_identified_by_its_hash_at_identity_level() -> None:
    contact = ContactFactory.create()
    pair = encrypt_link_params(contact=contact, mailing_list=MailingListFactory.create())

    answer = decrypt_link_pair(params=pair.params, pid=pair.pid)

    assert (answer["profileNameSpace"], answer["profileId"]) == ("Email_LC_SHA256", contact.sha256)
    assert answer["optOutLevel"] == "identity"


def test_a_rotated_key_still_reads_old_links_and_new_links_use_the_new_key(settings) -> None:
    contact, newsletter = ContactFactory.create(), MailingListFactory.create()
    settings.OPTOUT_LINK_KEYS = ["old-secret"]
    old = encrypt_link_params(contact=contact, mailing_list=newsletter)

    settings.OPTOUT_LINK_KEYS = ["new-secret", "old-secret"]
    assert decrypt_link_pair(params=old.params, pid=old.pid)["emailAddress"] == contact.address
    new = encrypt_link_params(contact=contact, mailing_list=newsletter)

    settings.OPTOUT_LINK_KEYS = ["new-secret"]
    assert decrypt_link_pair(params=new.params, pid=new.pid)["emailAddress"] == contact.address
    with pytest.raises(InvalidLinkParams):
        decrypt_link_pair(params=old.params, pid=old.pid)


def test_by_default_keys_follow_secret_key_and_its_fallbacks(settings) -> None:
    contact, newsletter = ContactFactory.create(), MailingListFactory.create()
    settings.OPTOUT_LINK_KEYS = []
    settings.SECRET_KEY = "first-secret-key"
    pair = encrypt_link_params(contact=contact, mailing_list=newsletter)

    settings.SECRET_KEY = "second-secret-key"
    with pytest.raises(InvalidLinkParams):
        decrypt_link_pair(params=pair.params, pid=pair.pid)
    settings.SECRET_KEY_FALLBACKS = ["first-secret-key"]
    assert decrypt_link_pair(params=pair.params, pid=pair.pid)["emailAddress"] == contact.address


def test_forged_swapped_mixed_or_foreign_pairs_are_refused_alike() -> None:
    contact = ContactFactory.create()
    newsletter, offers = MailingListFactory.create_batch(2)
    pair = encrypt_link_params(contact=contact, mailing_list=newsletter)
    other = encrypt_link_params(contact=contact, mailing_list=offers)
    tampered = pair.params[:-6] + ("A" if pair.params[-6] != "A" else "B") + pair.params[-5:]

    for params, pid in [
        (tampered, pair.pid),
        (pair.pid, pair.params),  # swapped
        (pair.params, other.pid),  # two lists
        ("not-encrypted", "at-all"),
        ("", ""),
    ]:
        with pytest.raises(InvalidLinkParams) as caught:
            decrypt_link_pair(params=params, pid=pid)
        assert caught.value.text == "params and pid are not a valid pair."
    with pytest.raises(InvalidLinkParams):
        decrypt_link_pair(params=pair.params, pid=pair.pid, allowed_lists=[offers.pk])
    assert decrypt_link_pair(params=pair.params, pid=pair.pid, allowed_lists=[newsletter.pk])


def test_links_expire_when_a_maximum_age_is_set(settings) -> None:
    settings.OPTOUT_LINK_MAX_AGE_DAYS = 30
    pair = encrypt_link_params(
        contact=ContactFactory.create(), mailing_list=MailingListFactory.create()
    )

    with time_machine.travel(timezone.now() + timedelta(days=31)), pytest.raises(InvalidLinkParams):
        decrypt_link_pair(params=pair.params, pid=pair.pid)


def test_campaign_fields_are_bounded() -> None:
    with pytest.raises(InvalidCampaignFields):
        encrypt_link_params(
            contact=ContactFactory.create(),
            mailing_list=MailingListFactory.create(),
            campaign={f"k{n}": "v" for n in range(11)},
        )


def test_a_list_with_a_landing_page_links_there_with_params_and_pid() -> None:
    newsletter = MailingListFactory.create(landing_page_url="https://brand.example/unsub?lang=fr")
    contact = ContactFactory.create()

    url = landing_page_url(contact=contact, mailing_list=newsletter, campaign={"ci": "c-9"})

    assert url is not None
    assert url.startswith("https://brand.example/unsub?lang=fr&params=")
    assert "&pid=" in url
    assert landing_page_url(contact=contact, mailing_list=MailingListFactory.create()) is None
    values = {str(link.label): link.value for link in service_links(mailing_list=newsletter)}
    assert values["Landing page link template"] == (
        "https://brand.example/unsub?lang=fr&params={params}&pid={pid}"
    )
