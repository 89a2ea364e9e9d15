"""Narrow unit tests of the fetch helpers: address classification, bounded
decoding, Retry-After, content sniffing, credentials. (Behaviour against real
servers is in test_fetch.py.)"""

from __future__ import annotations

import gzip
import ipaddress
import os
import zlib
from datetime import UTC, datetime

import brotli
import pytest
from servers import bomb

from newsgrab import decode, netguard
from newsgrab.fetch import (
    _split_credentials,
    binary_kind,
    looks_like_html,
    parse_content_type,
    parse_retry_after,
)
from newsgrab.robots import Rules, origin_of


@pytest.mark.parametrize(
    "host,ip",
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[fe80::1%25eth0]", "fe80::1"),
    ],
)
def test_parse_ip_spellings(host, ip):
    assert netguard.parse_ip(host) == ipaddress.ip_address(ip)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "1.2.3.4.5",
        "256.1.1.1",
        "0x",
        "08.1.1.1",
        "1.2.3.0x100",
        "4294967296",
        "127.0.0.1a",
        "",
        "::g",
    ],
)
def test_not_ip_literals(host):
    assert netguard.parse_ip(host) is None


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.1",
        "239.255.255.250",
        "0.0.0.0",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.5",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:c0a8:101::1",
        "2001:db8::1",
    ],
)
def test_non_public_addresses_refused(ip):
    assert netguard.refusal(ip) is not None


@pytest.mark.parametrize(
    "ip",
    [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "100.128.0.1",
        "2606:4700:4700::1111",
        "::ffff:93.184.216.34",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_allowed(ip):
    assert netguard.refusal(ip) is None


# ------------------------------------------------------------------ decoding

DATA = os.urandom(30_000) * 3 + b"<p>end</p>"


@pytest.mark.parametrize(
    "coding,encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),
        ("br", brotli.compress),
        (None, lambda b: b),
    ],
)
@pytest.mark.parametrize("chunk", [1, 777, 1 << 20])
def test_decode_round_trip_any_chunking(coding, encode, chunk):
    enc = encode(DATA)
    chunks = [enc[i : i + chunk] for i in range(0, len(enc), chunk)]
    counter = decode.Decoder(coding, len(DATA))
    for c in chunks:
        counter.feed(c)
    counter.finish()
    assert counter.size == len(DATA)
    assert decode.decode(chunks, coding, len(DATA)) == DATA


@pytest.mark.parametrize(
    "coding,name",
    [("gzip", "gzip"), ("deflate", "deflate"), ("raw-deflate", "deflate"), ("br", "br")],
)
def test_bomb_stops_at_the_cap(coding, name):
    data = bomb(coding, 64 << 20)
    counter = decode.Decoder(name, 100_000)
    with pytest.raises(decode.TooLarge):
        counter.feed(data)
    assert counter.size <= 100_000 + 2 * decode.STEP
    with pytest.raises(decode.TooLarge):
        decode.decode([data], name, 100_000)


def test_decode_errors():
    with pytest.raises(decode.DecodeError):
        decode.Decoder("gzip", 1000).feed(b"not gzip at all")
    with pytest.raises(decode.DecodeError):
        decode.Decoder("br", 1000).feed(b"\xff\xff\xff\xff not brotli")
    with pytest.raises(decode.DecodeError):
        decode.Decoder("compress", 1000)


def test_parse_codings():
    assert decode.parse_codings(None) == []
    assert decode.parse_codings("identity") == []
    assert decode.parse_codings(" GZIP ") == ["gzip"]
    assert decode.parse_codings("gzip, br") == ["gzip", "br"]


# -------------------------------------------------------------------- others


def test_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


def test_content_type():
    assert parse_content_type('Text/HTML; Charset="ISO-8859-1"') == ("text/html", "iso-8859-1")
    assert parse_content_type(None) == (None, None)


def test_sniffing():
    assert binary_kind(b"\x89PNG\r\n\x1a\n....") == "a PNG image"
    assert binary_kind(b"%PDF-1.7") == "a PDF document"
    assert binary_kind(b"<html>\x00</html>") == "binary data"
    assert binary_kind("<html>é</html>".encode("utf-16")) is None
    assert binary_kind(b"<html><p>ok</p></html>") is None
    assert looks_like_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>")
    assert not looks_like_html(b"just some words")
    assert not looks_like_html(b'{"json": 1}')


def test_credentials_split():
    plain, auth = _split_credentials("https://al%40x:p%3Ass@example.com/a?b=1")
    assert plain == "https://example.com/a?b=1"
    assert auth == "Basic " + __import__("base64").b64encode(b"al@x:p:ss").decode()
    assert _split_credentials("https://example.com/a") == ("https://example.com/a", None)


def test_robots_rules_and_origin():
    ua = "newsgrab/0.1.0 (+https://github.com/newsgrab/newsgrab)"
    rules = Rules.parse("User-agent: newsgrab\nDisallow: /x\nCrawl-delay: 3\n", ua)
    assert rules.crawl_delay == 3
    with pytest.raises(Exception, match="robots"):
        rules.check("http://h/x/1", ua, "http://h/x/1")
    rules.check("http://h/y", ua, "http://h/y")
    assert origin_of("HTTP://Example.com:80/a") == "http://example.com"
    assert origin_of("https://example.com:8443/a") == "https://example.com:8443"
    assert origin_of("http://[::1]:81/") == "http://[::1]:81"
