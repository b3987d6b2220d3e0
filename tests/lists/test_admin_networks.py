from __future__ import annotations

import pytest
from django.test import Client

from lists.models import AllowedNetwork
from tests.lists.factories import AllowedNetworkFactory, MailerFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/lists/allowednetwork/add/"


@pytest.fixture
def admin_client_(client: Client) -> Client:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def mailer_form(mailer, networks: list[str]) -> dict[str, object]:
    """The POST body of the mailer change form with its two inlines."""
    data: dict[str, object] = {
        "name": mailer.name,
        "team": mailer.team_id,
        "accesses-TOTAL_FORMS": 0,
        "accesses-INITIAL_FORMS": 0,
        "networks-TOTAL_FORMS": len(networks),
        "networks-INITIAL_FORMS": 0,
    }
    for index, cidr in enumerate(networks):
        data[f"networks-{index}-cidr"] = cidr
        data[f"networks-{index}-note"] = ""
    return data


def test_host_bits_get_a_did_you_mean_error_and_nothing_is_saved(admin_client_: Client) -> None:
    mailer = MailerFactory.create()

    response = admin_client_.post(ADD_URL, {"mailer": mailer.pk, "cidr": "10.0.0.1/8", "note": ""})

    assert response.status_code == 200
    assert "10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?" in response.content.decode()
    assert not AllowedNetwork.objects.exists()


@pytest.mark.parametrize("cidr", ["example.com", "10.0.0.0/33", "2001:db8::/129"])
def test_text_that_is_no_network_gets_a_clear_error(admin_client_: Client, cidr: str) -> None:
    mailer = MailerFactory.create()

    response = admin_client_.post(ADD_URL, {"mailer": mailer.pk, "cidr": cidr, "note": ""})

    assert response.status_code == 200
    body = response.content.decode()
    assert f"{cidr} is not an IPv4 or IPv6 network in CIDR notation." in body
    assert 'class="errorlist' in body
    assert not AllowedNetwork.objects.exists()


@pytest.mark.parametrize(
    ("cidr", "stored"),
    [("2001:DB8:0::/32", "2001:db8::/32"), ("192.0.2.7", "192.0.2.7/32"), ("0::1", "::1/128")],
)
def test_a_valid_network_is_saved_normalized(admin_client_: Client, cidr: str, stored: str) -> None:
    mailer = MailerFactory.create()

    response = admin_client_.post(ADD_URL, {"mailer": mailer.pk, "cidr": cidr, "note": "office"})

    assert response.status_code == 302
    network = AllowedNetwork.objects.get()
    assert (network.mailer, network.cidr, network.note) == (mailer, stored, "office")


def test_two_spellings_of_one_network_are_refused_as_a_duplicate(admin_client_: Client) -> None:
    network = AllowedNetworkFactory.create(cidr="::1/128")

    response = admin_client_.post(
        ADD_URL, {"mailer": network.mailer_id, "cidr": "0:0::1", "note": ""}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert AllowedNetwork.objects.count() == 1


def test_a_bad_network_in_the_mailer_inline_saves_nothing(admin_client_: Client) -> None:
    mailer = MailerFactory.create(name="Acme")

    response = admin_client_.post(
        f"/admin/lists/mailer/{mailer.pk}/change/",
        {**mailer_form(mailer, ["127.0.0.0/8", "192.0.2.1/24"]), "name": "Acme renamed"},
    )

    assert response.status_code == 200
    assert "did you mean 192.0.2.0/24?" in response.content.decode()
    assert not AllowedNetwork.objects.exists()
    mailer.refresh_from_db()
    assert mailer.name == "Acme"


def test_the_mailer_inline_saves_networks_normalized(admin_client_: Client) -> None:
    mailer = MailerFactory.create()

    response = admin_client_.post(
        f"/admin/lists/mailer/{mailer.pk}/change/", mailer_form(mailer, ["127.0.0.1", "::1"])
    )

    assert response.status_code == 302
    assert sorted(mailer.networks.values_list("cidr", flat=True)) == ["127.0.0.1/32", "::1/128"]


def test_one_network_spelled_twice_in_the_inline_is_refused(admin_client_: Client) -> None:
    mailer = MailerFactory.create()

    response = admin_client_.post(
        f"/admin/lists/mailer/{mailer.pk}/change/", mailer_form(mailer, ["::1", "0::1/128"])
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not AllowedNetwork.objects.exists()
