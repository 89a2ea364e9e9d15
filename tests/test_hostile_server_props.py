"""Property-based: whatever a server puts in Retry-After, ETag, Last-Modified,
Location and Content-Type, `newsgrab fetch` run twice (the second run sends the
stored validators back) never exits 70, never shows a traceback, writes a valid
sidecar and exits 0 or 1 (issue #11).

One raw socket server (tests/servers.py) serves every example: it sends the
header bytes hypothesis chose, byte for byte (unicode, controls, CR and LF
included), so whatever h11 lets through reaches newsgrab's parsers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from servers import RawServer, Request

from newsgrab.cli import cli

ARTICLE = (
    "<!doctype html><html><head><title>Harbour closed</title></head><body><article>"
    + "<p>The storm closed the harbour of Port Ellen on Tuesday, stranding two "
    "ferries and their passengers overnight.</p>" * 4 + "</article></body></html>"
).encode()

SENDABLE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
SCHEMA = Path(__file__).parent.parent / "newsgrab" / "sidecar.schema.json"

INTERESTING = [
    b"",
    b" ",
    b"\r\n",
    b"\r\nX-Injected: 1",
    b"\x00",
    b"\x7f",
    b"\xff\xfe",
    b'W/"v1"',
    b'"v1"',
    b"30",
    b"-1",
    b"9" * 300,
    "\uff13\uff10".encode(),
    "\u0663".encode(),
    "\u00b2".encode(),
    b"Tue, 01 Dec 2026 10:00:00 GMT",
    b"Fri, 31 Dec 99999 23:59:59 GMT",
    b"Mon, 00 Foo 0000 99:99:99 +9999",
    b"text/html; charset=utf-8",
    b'text/html; charset="\xe2\x80\xaeutf-8"',
    b"text/html;;charset=;charset",
    b"\xe2\x80\x8b/html",
    b"/page",
    b"http://[::1",
    b"http://a\xe2\x80\x8bb.example/",
    b"http://xn--a.example/",
    b"javascript:alert(1)",
    b"//127.0.0.1:1/x",
    b"http://" + b"a" * 9000,
]

header_bytes = st.one_of(
    st.sampled_from(INTERESTING),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(st.characters(max_codepoint=255), max_size=40).map(lambda t: t.encode("latin-1")),
    st.binary(max_size=40),
)

HEADERS = st.fixed_dictionaries(
    {
        "etag": header_bytes,
        "last_modified": header_bytes,
        "content_type": header_bytes,
        "retry_after": header_bytes,
        "location": header_bytes,
    }
)


class Site:
    """The values of the current example, served by one RawServer."""

    def __init__(self, srv: RawServer):
        self.srv = srv
        self.values: dict[str, bytes] = {}
        page = [
            ("ETag", "etag"),
            ("Last-Modified", "last_modified"),
            ("Content-Type", "content_type"),
        ]
        srv.route("/page", self._handler(200, page, ARTICLE))
        srv.route("/busy", self._handler(503, [("Retry-After", "retry_after")], b""))
        srv.route("/moved", self._handler(302, [("Location", "location")], b""))

    def _handler(self, status: int, fields: list[tuple[str, str]], body: bytes):
        async def handler(req: Request, w: asyncio.StreamWriter) -> None:
            head = b"HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %d\r\n" % (
                status,
                len(body),
            )
            for name, key in fields:
                head += name.encode() + b": " + self.values.get(key, b"") + b"\r\n"
            w.write(head + b"\r\n" + body)
            await w.drain()

        return handler


@pytest.fixture(scope="module")
def site():
    with RawServer() as srv:
        yield Site(srv)


@pytest.fixture
def env(local_env, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_RETRIES", "1")
    monkeypatch.setenv("NEWSGRAB_BACKOFF", "0s")
    monkeypatch.setenv("NEWSGRAB_RETRY_AFTER_CAP", "0.1s")
    monkeypatch.setenv("NEWSGRAB_DEADLINE", "5s")
    return local_env


def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=HEADERS)
def test_any_header_values_over_two_runs(site, env, tmp_path, values):
    site.values = values
    folder = tmp_path / f"ex{next(COUNTER)}"
    folder.mkdir()
    urls = [site.srv.url(p) for p in ("/page", "/busy", "/moved")]
    (folder / "doc.md").write_text("".join(f"- <{u}>\n" for u in urls), encoding="utf-8")
    first = len(site.srv.requests)
    for _ in range(2):
        result = CliRunner().invoke(cli, ["fetch", "--refresh-after", "0s", str(folder)])
        assert result.exit_code in (0, 1), (result.exit_code, result.output)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        (path,) = folder.glob("*.sources.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in _validator().iter_errors(data)]
        assert not errors, errors
        assert len(data["sources"]) == 3
        for source in data["sources"]:
            fetch = source["fetch"] or {}
            for key in ("etag", "last_modified"):  # what is stored can be sent back
                assert fetch.get(key) is None or SENDABLE.fullmatch(fetch[key]), fetch
            if source["error"]:
                assert source["error"]["kind"] != "internal", source["error"]
    for req in site.srv.requests[first:]:  # what was sent back was sendable
        for name in ("if-none-match", "if-modified-since"):
            if name in req.headers:
                assert SENDABLE.fullmatch(req.headers[name]), req.headers
    shown = CliRunner().invoke(cli, ["show", "--format", "json", str(folder)])
    assert shown.exit_code == 0, shown.output


COUNTER = itertools.count()
