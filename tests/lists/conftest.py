from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission, User

from lists.models import (
    AllowedNetwork,
    Category,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailingList,
)
from tests.lists.factories import (
    AllowedNetworkFactory,
    CategoryFactory,
    GroupFactory,
    ListTranslationFactory,
    MailerAccessFactory,
    MailerFactory,
    MailingListFactory,
    UserFactory,
)


@dataclass
class Team:
    group: Group
    marketer: User
    mailing_list: MailingList
    mailer: Mailer
    category: Category
    translation: ListTranslation
    access: MailerAccess
    network: AllowedNetwork


def make_team(name: str) -> Team:
    group = GroupFactory.create(name=name)
    marketer = UserFactory.create(username=f"{name}-marketer", is_staff=True)
    marketer.groups.add(group)
    marketer.user_permissions.set(Permission.objects.filter(content_type__app_label="lists"))
    mailing_list = MailingListFactory.create(team=group, name=f"{name} list", slug=f"{name}-list")
    mailer = MailerFactory.create(team=group, name=f"{name} mailer")
    return Team(
        group=group,
        marketer=marketer,
        mailing_list=mailing_list,
        mailer=mailer,
        category=CategoryFactory.create(mailing_list=mailing_list, name=f"{name} category"),
        translation=ListTranslationFactory.create(
            mailing_list=mailing_list, thank_you_title=f"{name} thanks"
        ),
        access=MailerAccessFactory.create(mailer=mailer, mailing_list=mailing_list),
        network=AllowedNetworkFactory.create(
            mailer=mailer, cidr="192.0.2.0/24", note=f"{name} office"
        ),
    )


@pytest.fixture
def red(db: None) -> Team:
    return make_team("red")


@pytest.fixture
def blue(db: None) -> Team:
    return make_team("blue")
