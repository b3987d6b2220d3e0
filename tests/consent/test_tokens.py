from __future__ import annotations

import pytest
from django.db.models import Model
from django.test import override_settings

from consent.models import Contact
from consent.tokens import SUBSCRIBER_SALT, CompactSigner, make_token, read_token, unsign_ids
from lists.models import Mailer, MailingList
from lists.selectors import may_have_webhooks
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    MailerAccessFactory,
    MailerFactory,
    MailingListFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

OLD_KEY = "old-key-" + "o" * 50
NEW_KEY = "new-key-" + "n" * 50


def test_a_token_resolves_to_its_contact_list_and_mailer() -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()

    claim = read_token(
        make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)
    )

    assert claim is not None
    assert (claim.contact, claim.mailing_list, claim.mailer) == (
        contact,
        access.mailing_list,
        access.mailer,
    )


def test_a_token_carries_no_address_and_fits_a_header() -> None:
    contact = ContactFactory.create(address="jane.doe@example.com")
    newsletter = MailingListFactory.create()
    mailer = MailerFactory.create()

    token = make_token(contact=contact, mailing_list=newsletter, mailer=mailer)

    assert "jane" not in token
    assert "example" not in token
    assert len(token) <= 48
    assert token == token.lower()
    assert set(token) <= set("0123456789abcdefghijklmnopqrstuvwxyz-.")


def test_a_token_survives_case_folding_and_whitespace() -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    claim = read_token(f"  {token.upper()}\n")

    assert claim is not None
    assert claim.contact == contact


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("a" if token[-1] != "a" else "b"),
        lambda token: token[:-5],
        lambda token: token.split(".")[0],
        lambda token: token.split(".")[0] + ".",
        lambda token: "." + token.split(".")[1],
        lambda token: "zz-" + token,
        lambda token: "",
        lambda token: "é" * 40,
    ],
    ids=[
        "forged",
        "truncated",
        "unsigned",
        "empty-signature",
        "no-ids",
        "prefixed",
        "empty",
        "utf8",
    ],
)
def test_a_forged_or_truncated_token_resolves_to_nothing(mangle) -> None:
    token = make_token(contact=ContactFactory.create(), mailing_list=MailingListFactory.create())

    assert read_token(mangle(token)) is None


def test_a_token_of_another_list_is_foreign() -> None:
    contact = ContactFactory.create()
    newsletter, offers = MailingListFactory.create_batch(2)
    token = make_token(contact=contact, mailing_list=offers)

    assert read_token(token, list_uuid=newsletter.uuid) is None
    assert read_token(token, list_uuid=offers.uuid) is not None


def test_ids_signed_with_another_salt_are_refused() -> None:
    ids = "1-2"  # the shape of a real token's ids
    other_purpose = CompactSigner(sep=".", salt="optout.other.purpose").sign(ids)
    genuine = CompactSigner(sep=".", salt=SUBSCRIBER_SALT).sign(ids)

    assert unsign_ids(other_purpose) is None
    assert unsign_ids(genuine) is not None


def test_a_token_stays_valid_after_a_key_rotation_through_the_fallbacks() -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        token = make_token(contact=contact, mailing_list=newsletter)

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        rotated = read_token(token)
        fresh = make_token(contact=contact, mailing_list=newsletter)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        retired = read_token(token)

    assert rotated is not None
    assert rotated.contact == contact
    assert fresh != token  # new tokens are signed with the new key
    assert retired is None  # once the old key leaves the fallbacks, its tokens die


def test_a_token_signed_with_a_foreign_key_is_refused() -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    with override_settings(SECRET_KEY="someone-elses-key-" + "x" * 40):
        token = make_token(contact=contact, mailing_list=newsletter)

    assert read_token(token) is None


def test_a_token_of_a_deleted_list_or_contact_resolves_to_nothing() -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    newsletter.delete()

    assert read_token(token) is None


def test_a_mailer_that_lost_its_access_is_dropped_from_the_claim() -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)
    access.delete()

    claim = read_token(token)

    assert claim is not None
    assert (claim.mailing_list, claim.mailer) == (access.mailing_list, None)


def test_reading_a_token_takes_one_query(django_assert_num_queries) -> None:
    access = MailerAccessFactory.create()
    token = make_token(
        contact=ContactFactory.create(), mailing_list=access.mailing_list, mailer=access.mailer
    )

    with django_assert_num_queries(1):
        claim = read_token(token)

    assert claim is not None
    assert (claim.mailing_list, claim.mailer) == (access.mailing_list, access.mailer)


def test_the_claim_holds_the_same_values_an_orm_read_gives() -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create(profile_key="P-1")

    claim = read_token(
        make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)
    )

    assert claim is not None
    assert claim.mailer is not None
    pairs: list[tuple[Model, type[Model]]] = [
        (claim.contact, Contact),
        (claim.mailing_list, MailingList),
        (claim.mailer, Mailer),
    ]
    for read, model in pairs:
        fresh = model._default_manager.get(pk=read.pk)
        for field in model._meta.concrete_fields:
            assert getattr(read, field.attname) == getattr(fresh, field.attname), field.name
            assert type(getattr(read, field.attname)) is type(getattr(fresh, field.attname))


def test_the_claim_says_whether_the_team_has_an_active_webhook_endpoint() -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    claim = read_token(token)
    assert claim is not None
    assert may_have_webhooks(claim.mailing_list) is False

    endpoint = WebhookFactory.create(team=newsletter.team)
    claim = read_token(token)
    assert claim is not None
    assert may_have_webhooks(claim.mailing_list) is True

    endpoint.active = False
    endpoint.save()
    claim = read_token(token)
    assert claim is not None
    assert may_have_webhooks(claim.mailing_list) is False
