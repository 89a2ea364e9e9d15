"""WARC and ARC files for the tests, written with warcio (and by hand for ARC)."""

from __future__ import annotations

import gzip
import io
import uuid
import zlib
from pathlib import Path

import brotli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def page(i: int, paragraphs: int = 6) -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>Harbour report {i}</title>"
        f"<meta name='author' content='Ann Lindqvist'></head><body><article>"
        f"<h1>Harbour report {i}</h1>"
        + "".join(
            f"<p>Paragraph {j} of report {i}: the boats came back to the harbour late "
            f"on Tuesday after the storm, and the crews unloaded what was left.</p>"
            for j in range(paragraphs)
        )
        + "</article></body></html>"
    )


def response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
    *,
    status: str = "200 OK",
    payload_type: str | None = None,
) -> None:
    http = StatusAndHeaders(status, headers or [], protocol="HTTP/1.1")
    warc_headers = {"WARC-Identified-Payload-Type": payload_type} if payload_type else None
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(record)


def raw_response(f, url: str, block: bytes, *, gz: bool = True) -> None:
    """A response record whose block (HTTP head and body) is `block` as it is,
    written by hand: warcio's writer would parse the head."""
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Target-URI: {url}\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    record = head + block + b"\r\n\r\n"
    f.write(gzip.compress(record) if gz else record)


HTML = [("Content-Type", "text/html; charset=utf-8")]


def write_pages(path: Path, n: int, *, start: int = 0, gz: bool = True, paragraphs: int = 6):
    """A WARC of `n` plain HTML pages (example.org/<i>)."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz)
        for i in range(start, start + n):
            response(writer, f"https://example.org/{i}", page(i, paragraphs).encode(), HTML)
    return path


def write_mixed(path: Path, *, gz: bool = True) -> dict[str, str]:
    """A WARC with every kind of record; returns {url: what newsgrab makes of it}."""
    expect: dict[str, str] = {}
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz)
        writer.write_record(writer.create_warcinfo_record("mixed.warc", {"software": "tests"}))
        # HTML with and without the payload-type header (Common Crawl's, often missing)
        response(
            writer, "https://a.example/typed", page(1).encode(), HTML, payload_type="text/html"
        )
        expect["https://a.example/typed"] = "row"
        response(writer, "https://a.example/untyped", page(2).encode(), HTML)
        expect["https://a.example/untyped"] = "row"
        # no Content-Type at all: sniffed as fetch does
        response(writer, "https://a.example/sniffed", page(3).encode(), [])
        expect["https://a.example/sniffed"] = "row"
        # content codings
        for coding, data in (
            ("gzip", gzip.compress(page(4).encode())),
            ("deflate", zlib.compress(page(5).encode())),
            ("br", brotli.compress(page(6).encode())),
        ):
            url = f"https://a.example/{coding}"
            response(writer, url, data, [*HTML, ("Content-Encoding", coding)])
            expect[url] = "row"
        # chunked as received
        body = page(7).encode()
        chunked = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500])
            for i in range(0, len(body), 500)
        )
        response(
            writer,
            "https://a.example/chunked",
            chunked + b"0\r\n\r\n",
            [*HTML, ("Transfer-Encoding", "chunked")],
        )
        expect["https://a.example/chunked"] = "row"
        # not HTML
        response(writer, "https://a.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), [])
        expect["https://a.example/logo.png"] = "not_html"
        response(
            writer,
            "https://a.example/data.json",
            b'{"a": 1}',
            [("Content-Type", "application/json")],
            payload_type="application/json",
        )
        expect["https://a.example/data.json"] = "not_html"
        response(writer, "https://a.example/fake.html", b"\x89PNG\r\n\x1a\n" + bytes(64), HTML)
        expect["https://a.example/fake.html"] = "not_html"
        # statuses fetch does not extract
        response(
            writer, "https://a.example/missing", page(8).encode(), HTML, status="404 Not Found"
        )
        expect["https://a.example/missing"] = "status"
        # a request record and a revisit
        req = writer.create_warc_record(
            "https://a.example/typed",
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                "GET /typed HTTP/1.1", [("Host", "a.example")], is_http_request=True
            ),
        )
        writer.write_record(req)
        revisit = writer.create_revisit_record(
            "https://a.example/again",
            digest="sha1:OMVJKCXW3TFJAXSICV62E5DROSDANGI4",
            refers_to_uri="https://a.example/typed",
            refers_to_date="2026-01-01T00:00:00Z",
            http_headers=StatusAndHeaders("200 OK", HTML, protocol="HTTP/1.1"),
        )
        writer.write_record(revisit)
        expect["https://a.example/again"] = "revisit"
        # an HTML page after all of them is still read
        response(writer, "https://a.example/last", page(9).encode(), HTML)
        expect["https://a.example/last"] = "row"
    return expect


def write_arc(path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """An ARC (version 1) file, the Internet Archive's format before WARC."""
    desc = b"1 0 newsgrab-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    out = bytearray(b"filedesc://test.arc 0.0.0.0 20260101000000 text/plain %d\n" % len(desc))
    out += desc + b"\n"
    for url, body in pages:
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
        out += b"%s 127.0.0.1 20260101000000 text/html %d\n" % (url.encode(), len(block))
        out += block + b"\n"
    path.write_bytes(bytes(out))
    return path
