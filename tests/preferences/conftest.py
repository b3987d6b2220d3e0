from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from lists.keys import issue_api_key
from lists.models import Mailer, MailerAccess, MailerApiKey, MailingList
from tests.lists.factories import AllowedNetworkFactory, MailerAccessFactory


@dataclass
class Partner:
    """A mailer with one key, access to one list, and 127.0.0.0/8 + 2001:db8::/32 allowed."""

    mailer: Mailer
    access: MailerAccess
    mailing_list: MailingList
    api_key: MailerApiKey
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.key}"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Portal users log in with passwords; the production hasher takes a second per hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def partner(db: None) -> Partner:
    access = MailerAccessFactory.create()
    AllowedNetworkFactory.create(mailer=access.mailer, cidr="127.0.0.0/8")
    AllowedNetworkFactory.create(mailer=access.mailer, cidr="2001:db8::/32")
    api_key, key = issue_api_key(mailer=access.mailer, name="CI")
    return Partner(
        mailer=access.mailer,
        access=access,
        mailing_list=access.mailing_list,
        api_key=api_key,
        key=key,
    )


@pytest.fixture
def api(client: Client, partner: Partner) -> Client:
    """The test client, sending the partner's key on every request."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {partner.key}"
    return client
