from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User
from factory.django import DjangoModelFactory

from lists.models import (
    AllowedNetwork,
    Category,
    CategoryTranslation,
    JourneyIntegration,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailingList,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
    Webhook,
)


class GroupFactory(DjangoModelFactory[Group]):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class MailingListFactory(DjangoModelFactory[MailingList]):
    class Meta:
        model = MailingList

    slug = factory.Sequence(lambda n: f"list-{n}")
    name = factory.Sequence(lambda n: f"List {n}")
    team = factory.SubFactory(GroupFactory)


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category

    mailing_list = factory.SubFactory(MailingListFactory)
    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ListTranslationFactory(DjangoModelFactory[ListTranslation]):
    class Meta:
        model = ListTranslation

    mailing_list = factory.SubFactory(MailingListFactory)
    language = "en"
    thank_you_title = "You are unsubscribed"
    thank_you_text = "You will not receive this list any more."


class MailerFactory(DjangoModelFactory[Mailer]):
    class Meta:
        model = Mailer

    name = factory.Sequence(lambda n: f"Mailer {n}")
    team = factory.SubFactory(GroupFactory)


class MailerAccessFactory(DjangoModelFactory[MailerAccess]):
    class Meta:
        model = MailerAccess

    mailer = factory.SubFactory(MailerFactory)
    mailing_list = factory.SubFactory(MailingListFactory)


class AllowedNetworkFactory(DjangoModelFactory[AllowedNetwork]):
    class Meta:
        model = AllowedNetwork

    mailer = factory.SubFactory(MailerFactory)
    cidr = "127.0.0.0/8"


class CategoryTranslationFactory(DjangoModelFactory[CategoryTranslation]):
    class Meta:
        model = CategoryTranslation

    category = factory.SubFactory(CategoryFactory)
    language = "fr"
    name = factory.Sequence(lambda n: f"Catégorie {n}")
    description = ""


class UnsubscribeReasonFactory(DjangoModelFactory[UnsubscribeReason]):
    class Meta:
        model = UnsubscribeReason

    mailing_list = factory.SubFactory(MailingListFactory)
    slug = factory.Sequence(lambda n: f"reason-{n}")
    label = factory.Sequence(lambda n: f"Reason {n}")
    position = factory.Sequence(lambda n: n)


class UnsubscribeReasonTranslationFactory(DjangoModelFactory[UnsubscribeReasonTranslation]):
    class Meta:
        model = UnsubscribeReasonTranslation

    reason = factory.SubFactory(UnsubscribeReasonFactory)
    language = "fr"
    label = factory.Sequence(lambda n: f"Raison {n}")


class WebhookFactory(DjangoModelFactory[Webhook]):
    class Meta:
        model = Webhook

    name = factory.Sequence(lambda n: f"CRM {n}")
    url = "http://127.0.0.1:9/hooks"
    team = factory.SubFactory(GroupFactory)


class JourneyIntegrationFactory(DjangoModelFactory[JourneyIntegration]):
    class Meta:
        model = JourneyIntegration
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Journey Optimizer {n}")
    team = factory.SubFactory(GroupFactory)
    client_id = "optout-client-id"
    client_secret = "p8e-client-secret-value"
    organization_id = "ABC123@AdobeOrg"

    @factory.post_generation
    def lists(self, create: bool, extracted: list[MailingList] | None, **kwargs: object) -> None:
        if create and extracted:
            self.lists.set(extracted)
