from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from consent.addresses import hash_address
from consent.models import Contact, Suppression
from tests.lists.factories import MailingListFactory


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    address = factory.Sequence(lambda n: f"person{n}@example.com")
    md5 = factory.LazyAttribute(lambda o: hash_address(o.address).md5)
    sha256 = factory.LazyAttribute(lambda o: hash_address(o.address).sha256)
    profile_key = ""


class SuppressionFactory(DjangoModelFactory[Suppression]):
    class Meta:
        model = Suppression

    contact = factory.SubFactory(ContactFactory)
    mailing_list = factory.SubFactory(MailingListFactory)
    category = None
