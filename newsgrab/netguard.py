"""Which network addresses newsgrab may talk to.

URLs come from documents newsgrab did not write, so by default it refuses any
host that is, or resolves to, an address inside the user's own networks:
loopback, private (RFC 1918, unique local), link-local, shared/CGNAT
(100.64.0.0/10), multicast, reserved, unspecified and documentation ranges,
for IPv4, IPv6 and IPv4 addresses embedded in IPv6 (IPv4-mapped, 6to4, NAT64).

Hosts are read the way C's `inet_aton` reads them, because that is how many
resolvers and browsers treat them: `2130706433`, `0x7f000001`, `0177.0.0.1` and
`127.1` all mean 127.0.0.1.

Everything here is pure (no I/O): fetch.py resolves names itself, checks every
address with `refusal()`, connects only to a checked address and checks the
peer address of the connection again.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def _ipv4_part(text: str) -> int | None:
    """One dotted part in C notation: decimal, 0-prefixed octal or 0x hex."""
    if not text:
        return None
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16) if text[2:] else None
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        if text.isdigit():
            return int(text, 10)
    except ValueError:
        return None
    return None


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address `host` denotes in inet_aton notation, or None.

    >>> str(parse_ipv4_loose("0177.1"))
    '127.0.0.1'
    """
    host = host.rstrip(".") if host.count(".") <= 4 else host
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_ipv4_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    nums: list[int] = values  # type: ignore[assignment]
    # a.b.c.d / a.b.(16 bits) / a.(24 bits) / (32 bits)
    last_bits = 8 * (5 - len(nums))
    if any(v > 255 for v in nums[:-1]) or nums[-1] >= 1 << last_bits:
        return None
    value = 0
    for v in nums[:-1]:
        value = value << 8 | v
    value = value << last_bits | nums[-1]
    return ipaddress.IPv4Address(value)


def parse_ip(host: str) -> IPAddress | None:
    """The address a URL host denotes when it is an IP literal in any spelling."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4_loose(host)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """A short name for why `ip` is not a public address, or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = classify(inner)
            return f"{reason}, embedded in IPv6" if reason else None
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if not ip.is_global:
        return "non-public"
    return None


def refusal(ip: IPAddress | str) -> str | None:
    """None when newsgrab may connect to `ip`, else a one-line reason."""
    if isinstance(ip, str):
        parsed = parse_ip(ip)
        if parsed is None:
            return f"{ip!r} is not an IP address"
        ip = parsed
    reason = classify(ip)
    return f"{ip} is not a public address ({reason})" if reason else None
