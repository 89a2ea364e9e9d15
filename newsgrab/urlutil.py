"""URL helpers shared by every stage, and the one parser that turns a URL from a
document (or a server) into a validated, canonical value.

    parse_url(text) -> WebURL     raises BadURL(reason) for anything newsgrab cannot fetch

A `WebURL` is always safe to hand to httpx and to print: it is ASCII, has an
http(s) scheme, a host that is a valid DNS name in IDNA (punycode) form or an IP
literal, a port in 1-65535 (or none), and is at most MAX_URL_LENGTH characters.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import unicodedata
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import idna  # the IDNA 2008 codec httpx uses for hosts

from newsgrab.netguard import parse_ipv4_loose

MAX_URL_LENGTH = 8192  # characters of the canonical URL; longer ones are refused
MAX_HOST_LENGTH = 253  # a DNS name, without its final dot (RFC 1035)
MAX_LABEL_LENGTH = 63

DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters kept as they are in a path, query or userinfo; anything else is %-encoded.
_URL_SAFE = "!$&'()*+,;=:@/?%-._~[]"
_USERINFO_SAFE = "!$&'()*+,;=:%-._~"  # no brackets: they would look like an IPv6 host
_PLAIN = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@/?\-._~\[\]]*")  # _URL_SAFE without "%"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_PORT = re.compile(r"[0-9]*")
_ZONE = re.compile(r"[A-Za-z0-9._~-]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadURL(ValueError):
    """A text that cannot be a URL newsgrab fetches; `reason` says why, in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class WebURL:
    """A validated http(s) URL in canonical form (see parse_url). `str()` gives it."""

    scheme: Literal["http", "https"]
    host: str  # ASCII: a lowercase DNS name, a dotted-quad IPv4, or "[IPv6]"
    port: int | None  # None: the scheme's default port
    userinfo: str  # "" or the %-encoded "user:password" (needed to fetch, never printed)
    path: str  # starts with "/", ASCII
    query: str  # without "?", ASCII; "" when there is none

    def __str__(self) -> str:
        netloc = self.host if self.port is None else f"{self.host}:{self.port}"
        if self.userinfo:
            netloc = f"{self.userinfo}@{netloc}"
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{netloc}{self.path}{query}"


def _encode(part: str, safe: str = _URL_SAFE) -> str:
    """%-encode what a URL cannot hold (non-ASCII as UTF-8); keep valid escapes,
    encode a "%" that does not start one."""
    if safe is _URL_SAFE and _PLAIN.fullmatch(part):  # the common case: nothing to do
        return part
    return quote(_BAD_PERCENT.sub("%25", part), safe=safe)


def _invisible(text: str) -> str | None:
    for ch in text:
        if unicodedata.category(ch) == "Cf" or ch in "\u00ad\u115f\u1160\u3164\uffa0":
            return f"U+{ord(ch):04X}"
    return None


def _ipv6_host(inner: str) -> str:
    if inner[:1] in ("v", "V"):
        raise BadURL("IPvFuture addresses are not supported")
    addr, pct, zone = inner.partition("%")
    if pct and not (zone.startswith("25") and _ZONE.fullmatch(zone[2:])):
        raise BadURL("invalid IPv6 zone identifier")
    try:
        ipaddress.IPv6Address(addr)
    except ValueError:
        raise BadURL("invalid IPv6 address") from None
    return f"[{addr.lower()}{pct}{zone}]"


def _dns_host(host: str) -> str:
    if not host.isascii():
        mark = _invisible(host)
        if mark:
            raise BadURL(f"invisible character {mark} in the host")
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise BadURL(f"invalid international domain name ({exc})") from None
    host = host.lower()
    if host.endswith("."):  # a fully qualified name: the same host
        host = host[:-1]
    if not host:
        raise BadURL("no host")
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):  # then it must be an IPv4 address
        ip = parse_ipv4_loose(host)
        if ip is None:
            raise BadURL("invalid IPv4 address")
        return str(ip)
    if len(host) > MAX_HOST_LENGTH:
        raise BadURL(f"host longer than {MAX_HOST_LENGTH} characters")
    for label in labels:
        if not label:
            raise BadURL("empty label in the host")
        if len(label) > MAX_LABEL_LENGTH:
            raise BadURL(f"host label longer than {MAX_LABEL_LENGTH} characters")
        if not _LABEL.fullmatch(label):
            bad = next((c for c in label if not (c.isalnum() or c in "-_")), None)
            raise BadURL(
                f"invalid character {bad!r} in the host"
                if bad
                else "host label starts or ends with a hyphen"
            )
        if label.startswith("xn--"):
            try:
                again = idna.encode(idna.decode(label)).decode("ascii")
            except (idna.IDNAError, UnicodeError, ValueError):
                raise BadURL(f"invalid punycode label {label!r}") from None
            if again != label:
                raise BadURL(f"non-canonical punycode label {label!r}")
    if "xn--" in host:  # shown (and decoded by httpx) as Unicode: all of it must be IDNA
        try:
            idna.decode(host)
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise BadURL(f"invalid international domain name ({exc})") from None
    return host


def _split_hostport(hostport: str) -> tuple[str, str | None]:
    """(host, port text or None); an IPv6 literal keeps its brackets."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise BadURL("unclosed '[' in the host")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise BadURL("text after the IPv6 address")
        return host, rest[1:] if rest else None
    if "[" in hostport or "]" in hostport:
        raise BadURL("bracket in the host")
    host, colon, port = hostport.partition(":")
    return host, port if colon else None


def _port(text: str | None, scheme: str) -> int | None:
    if text is None or text == "":  # "http://host:/" is the default port
        return None
    if not _PORT.fullmatch(text) or len(text) > 5:
        raise BadURL(f"invalid port {text[:20]!r}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise BadURL(f"port {port} out of range 1-65535")
    return None if port == DEFAULT_PORTS[scheme] else port


def parse_url(text: str) -> WebURL:
    """The canonical `WebURL` of an absolute http(s) URL; BadURL if it cannot be one.

    Lowercases scheme and host, writes an international host in punycode (IDNA 2008
    with UTS 46 mapping) and an IPv4 host in dotted-quad form (`0x7f.1` is
    `127.0.0.1`), drops a default port and the fragment, %-encodes characters not
    allowed in a URL (non-ASCII as UTF-8, a stray `%` as `%25`) and keeps valid
    %-escapes and everything else as written; an empty path becomes "/".
    Tabs and newlines are removed, as browsers do.
    """
    if not isinstance(text, str):
        raise BadURL("not text")
    if len(text) > 4 * MAX_URL_LENGTH:  # cheap bound before any work
        raise BadURL(f"longer than {MAX_URL_LENGTH} characters")
    url = _TAB_NEWLINE.sub("", text.strip(" \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"))
    if _SURROGATE.search(url):
        raise BadURL("not valid Unicode (lone surrogate)")
    m = _SCHEME.match(url)
    if not m:
        raise BadURL("no scheme")
    scheme = m.group(1).lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(f"not an http(s) URL ({scheme[:20]}:)")
    rest = url[m.end() :]
    if not rest.startswith("//"):
        raise BadURL(f"no '//' after '{scheme}:'")
    rest = rest[2:]
    rest, _, _fragment = rest.partition("#")
    cut = len(rest)
    for sep in "/?":
        i = rest.find(sep)
        if 0 <= i < cut:
            cut = i
    authority, rest = rest[:cut], rest[cut:]
    path, qmark, query = rest.partition("?")
    if "\\" in authority:  # browsers read it as "/": the host would not be the one shown
        raise BadURL("backslash in the host part")
    userinfo, at, hostport = authority.rpartition("@")
    host_text, port_text = _split_hostport(hostport)
    if not host_text:
        raise BadURL("no host")
    port = _port(port_text, scheme)
    bracketed = host_text.startswith("[")
    host = _ipv6_host(host_text[1:-1]) if bracketed else _dns_host(host_text)
    value = WebURL(
        scheme,  # type: ignore[arg-type]
        host,
        port,
        _encode(userinfo, _USERINFO_SAFE) if at else "",
        _encode(path) or "/",
        _encode(query) if qmark else "",
    )
    parts_length = len(value.path) + len(value.query) + len(value.userinfo)
    if parts_length > MAX_URL_LENGTH - 300 and len(str(value)) > MAX_URL_LENGTH:
        raise BadURL(f"longer than {MAX_URL_LENGTH} characters")
    return value


def redact_url(url: str) -> str:
    """The URL without credentials: never print, log or store `user:pass@`."""
    if "@" not in url:  # no userinfo possible (this runs several times per request)
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
