from __future__ import annotations

import hashlib

import pytest

from consent.addresses import InvalidAddress, normalize_address, parse_address
from consent.models import Contact
from consent.services import contact_for_address

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  Jane.Doe@Example.COM \n", "jane.doe@example.com"),
        ("<jane@example.com>", "jane@example.com"),
        ("jane+news@example.com", "jane+news@example.com"),
        ("jane@bücher.example", "jane@xn--bcher-kva.example"),
        ("JANE@BÜCHER.EXAMPLE", "jane@xn--bcher-kva.example"),
        ("jane@xn--bcher-kva.example", "jane@xn--bcher-kva.example"),
        ("jane@例え.テスト", "jane@xn--r8jz45g.xn--zckzah"),
        ("jane@example.com.", "jane@example.com"),
    ],
)
def test_addresses_are_trimmed_lowercased_and_punycoded(raw: str, normalized: str) -> None:
    assert normalize_address(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "jane",
        "@example.com",
        "jane@",
        "jane@@example.com",
        "jane doe@example.com",
        "jane@exa mple.com",
        "jane@-example-.com",
        "jane@example..com",
        "a@" + "b" * 64 + ".com",
        "x" * 321 + "@example.com",
        "jane@example.com, john@example.com",
    ],
)
def test_anything_but_one_well_formed_address_is_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        normalize_address(raw)


def test_the_hashes_are_of_the_normalized_address() -> None:
    parsed = parse_address(" Jane@Bücher.Example ")

    assert parsed.normalized == "jane@xn--bcher-kva.example"
    assert parsed.md5 == hashlib.md5(b"jane@xn--bcher-kva.example").hexdigest()  # noqa: S324
    assert parsed.sha256 == hashlib.sha256(b"jane@xn--bcher-kva.example").hexdigest()


def test_the_unicode_and_punycode_spellings_are_one_contact() -> None:
    first = contact_for_address(address="jane@bücher.example")
    second = contact_for_address(address="JANE@xn--bcher-kva.example")

    assert first == second
    assert Contact.objects.count() == 1
    assert first.md5 == hashlib.md5(b"jane@xn--bcher-kva.example").hexdigest()  # noqa: S324


def test_a_profile_key_is_kept_and_never_cleared_by_a_later_call() -> None:
    contact_for_address(address="jane@example.com", profile_key="person-1")
    again = contact_for_address(address="jane@example.com")

    assert again.profile_key == "person-1"
    assert Contact.objects.get().profile_key == "person-1"
