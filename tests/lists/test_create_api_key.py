from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lists.models import AllowedNetwork, Mailer, MailerAccess, MailerApiKey
from tests.lists.factories import MailerFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_working_key_once() -> None:
    mailing_list = MailingListFactory.create(slug="news")
    out = StringIO()

    call_command(
        "create_api_key",
        "--mailer=Acme",
        "--create-mailer=partners",
        "--grant=news",
        "--allow=127.0.0.0/8",
        "--name=ci",
        stdout=out,
        stderr=StringIO(),
    )

    clear = out.getvalue().strip()
    mailer = Mailer.objects.get(name="Acme")
    api_key = MailerApiKey.objects.get(mailer=mailer)
    assert api_key.name == "ci"
    assert api_key.is_valid(clear)
    assert MailerAccess.objects.get(mailer=mailer).mailing_list == mailing_list
    assert list(AllowedNetwork.objects.values_list("cidr", flat=True)) == ["127.0.0.0/8"]


def test_create_api_key_twice_adds_a_key_and_nothing_else() -> None:
    MailingListFactory.create(slug="news")
    args = ["create_api_key", "--mailer=Acme", "--create-mailer=p", "--grant=news", "--allow=::1"]
    call_command(*args, stdout=StringIO(), stderr=StringIO())
    call_command(*args, stdout=StringIO(), stderr=StringIO())

    assert MailerApiKey.objects.count() == 2
    assert (MailerAccess.objects.count(), AllowedNetwork.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mailer=Nobody"], "No mailer named 'Nobody'"),
        (["--mailer=Acme", "--grant=missing"], "no list with the slug 'missing'"),
        (["--mailer=Acme", "--allow=10.0.0.1/8"], "did you mean 10.0.0.0/8"),
    ],
)
def test_create_api_key_says_what_to_fix(args: list[str], message: str) -> None:
    MailerFactory.create(name="Acme")

    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args, stdout=StringIO(), stderr=StringIO())
    assert not MailerApiKey.objects.exists()
