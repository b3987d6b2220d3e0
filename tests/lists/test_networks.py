from __future__ import annotations

import ipaddress

import pytest
from django.test import RequestFactory
from django.test.utils import override_settings

from lists.errors import InvalidNetwork
from lists.networks import address_in, anonymize_ip, client_ip, normalize_network, parse_network


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("192.0.2.0/24", "192.0.2.0/24"),
        ("  10.0.0.0/8 ", "10.0.0.0/8"),
        ("203.0.113.7", "203.0.113.7/32"),
        ("2001:DB8:0:0::/32", "2001:db8::/32"),
        ("0:0:0:0:0:0:0:1", "::1/128"),
        ("::1/128", "::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_networks_are_stored_in_one_canonical_spelling(given: str, stored: str) -> None:
    assert normalize_network(given) == stored


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("10.0.0.1/8", "10.0.0.0/8"),
        ("192.0.2.77/24", "192.0.2.0/24"),
        ("2001:db8::1/32", "2001:db8::/32"),
    ],
)
def test_host_bits_are_refused_with_the_network_that_was_probably_meant(
    given: str, meant: str
) -> None:
    with pytest.raises(InvalidNetwork) as caught:
        parse_network(given)

    assert caught.value.text == f"{given} has host bits set; did you mean {meant}?"
    assert caught.value.code == "invalid_network"


@pytest.mark.parametrize(
    "given", ["", "example.com", "10.0.0.0/33", "256.1.1.1", "::1/129", "10.0.0/8x"]
)
def test_garbage_is_not_a_network(given: str) -> None:
    with pytest.raises(InvalidNetwork) as caught:
        parse_network(given)

    assert "is not an IPv4 or IPv6 network in CIDR notation" in caught.value.text


def test_an_address_matches_only_networks_of_its_own_version() -> None:
    networks = ["10.0.0.0/8", "::/0"]

    assert address_in(ipaddress.ip_address("10.1.2.3"), networks)
    assert address_in(ipaddress.ip_address("2001:db8::1"), networks)
    assert not address_in(ipaddress.ip_address("192.0.2.1"), networks)


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@override_settings(OPTOUT_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_socket_address_wins_over_any_header() -> None:
    request = request_from("198.51.100.4", forwarded="203.0.113.9")

    assert client_ip(request) == "198.51.100.4"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_used() -> None:
    request = request_from("10.0.0.5", forwarded="203.0.113.9")

    assert client_ip(request) == "203.0.113.9"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_spoofed_forwarded_for_cannot_choose_the_address() -> None:
    # The client wrote "1.2.3.4" itself; the proxy appended the address it really saw.
    request = request_from("10.0.0.5", forwarded="1.2.3.4, 203.0.113.9")

    assert client_ip(request) == "203.0.113.9"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    request = request_from("10.0.0.5", forwarded="1.2.3.4, 203.0.113.9, 10.0.0.7")

    assert client_ip(request) == "203.0.113.9"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    request = request_from("198.51.100.4", forwarded="10.0.0.7, 203.0.113.9")

    assert client_ip(request) == "198.51.100.4"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_malformed_hop_stops_the_walk_at_the_last_trusted_proxy() -> None:
    request = request_from("10.0.0.5", forwarded="203.0.113.9, not-an-ip, 10.0.0.7")

    assert client_ip(request) == "10.0.0.7"


@override_settings(OPTOUT_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_trusted_proxy_without_a_header_is_the_client() -> None:
    assert client_ip(request_from("10.0.0.5")) == "10.0.0.5"


def test_an_ipv4_mapped_ipv6_socket_address_is_the_ipv4_address() -> None:
    assert client_ip(request_from("::ffff:192.0.2.1")) == "192.0.2.1"


def test_a_missing_socket_address_is_a_fixed_placeholder() -> None:
    assert client_ip(request_from("")) == "0.0.0.0"  # noqa: S104  # compared, never bound


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("192.0.2.77", "192.0.2.0"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::"),
        ("not-an-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_anonymized_addresses_keep_the_network_only(given: str | None, stored: str | None) -> None:
    assert anonymize_ip(given) == stored
