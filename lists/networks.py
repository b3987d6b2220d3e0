"""IP addresses and networks: CIDR parsing for allowlists and the one trusted client address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from lists.errors import InvalidNetwork

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(value: str) -> IPNetwork:
    """Parse `value` as a network; a bare address is a /32 or /128.

    Host bits must be zero ("10.0.0.1/8" is refused): a typo there would silently widen or
    narrow an allowlist, so the marketer is told the network it would have meant.
    """
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise InvalidNetwork(value=value) from exc
        raise InvalidNetwork(
            "%(value)s has host bits set; did you mean %(network)s?",
            value=value,
            network=str(loose),
        ) from exc


def normalize_network(value: str) -> str:
    """The canonical text of a network, as stored: compressed IPv6, explicit prefix."""
    return str(parse_network(value))


# Cached: every public request parses its client's address, and mail providers call from a
# few networks again and again. Addresses are immutable, so sharing them is safe.
@lru_cache(maxsize=4096)
def parse_address(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_in(address: IPAddress, networks: Iterable[IPNetwork | str]) -> bool:
    for network in networks:
        net = parse_network(network) if isinstance(network, str) else network
        if address.version == net.version and address in net:
            return True
    return False


@lru_cache(maxsize=8)
def _trusted_proxies(configured: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(parse_network(value) for value in configured)


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, unless that is a trusted proxy.

    Behind trusted proxies, X-Forwarded-For is read from the right and the first address
    that is not itself a trusted proxy wins; anything a client wrote further left is ignored,
    so a spoofed header cannot choose the address.
    """
    remote = parse_address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:  # no socket address (a test client, a misconfigured server)
        return "0.0.0.0"  # noqa: S104  # a value to log and match, never bound to

    proxies = _trusted_proxies(tuple(settings.OPTOUT_TRUSTED_PROXIES))
    if not proxies or not address_in(remote, proxies):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        address = parse_address(hop)
        if address is None:
            # A malformed hop means the chain cannot be trusted past this point.
            break
        if not address_in(address, proxies):
            return str(address)
        remote = address
    return str(remote)


@lru_cache(maxsize=4096)
def anonymize_ip(value: str | None) -> str | None:
    """Keep the network, drop the host: IPv4 to its /24, IPv6 to its /48."""
    if not value:
        return None
    address = parse_address(value)
    if address is None:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
