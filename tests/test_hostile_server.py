"""A hostile server costs one source, never the run (issue #11, server side).

Regression tests, one per kind of defect: response headers newsgrab cannot use
(Retry-After, ETag, Last-Modified, Content-Type, Content-Length) are ignored and
noted under -v; what is stored can be sent back; redirect targets are validated;
an unexpected exception inside the fetcher becomes error kind `internal` for that
URL only. The headers are sent as raw bytes by RawServer (tests/servers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import RawServer, Request, page

from newsgrab.cli import cli
from newsgrab.errors import FetchError
from newsgrab.fetch import (
    ISSUES_URL,
    Fetcher,
    Response,
    parse_content_length,
    parse_content_type,
    parse_last_modified,
    parse_retry_after,
    sendable,
)

ARTICLE = (
    "<!doctype html><html><head><title>Harbour closed</title></head><body><article>"
    "<h1>Harbour closed</h1>"
    + "<p>The storm closed the harbour of Port Ellen on Tuesday, stranding two "
    "ferries and their passengers overnight.</p>" * 5 + "</article></body></html>"
).encode()


def raw_answer(status: int, head: bytes, body: bytes = b"") -> bytes:
    """An answer whose extra header lines `head` are sent byte for byte."""
    start = b"HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %d\r\n" % (status, len(body))
    return start + head + (b"\r\n" if head else b"") + b"\r\n" + body


def raw(status: int, head: bytes, body: bytes = b""):
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(raw_answer(status, head, body))
        await w.drain()

    return handler


def fetch(settings, url: str, **kw) -> Response | FetchError:
    async def go():
        async with Fetcher(settings) as f:
            try:
                return await f.fetch(url, **kw)
            except FetchError as err:
                return err

    return asyncio.run(go())


@pytest.fixture
def srv():
    with RawServer() as s:
        yield s


@pytest.fixture
def settings(local_settings):
    return local_settings.replace(obey_robots=False)


def sidecar(folder: Path) -> dict:
    (path,) = folder.glob("*.sources.json")
    return json.loads(path.read_text(encoding="utf-8"))


def seed(tmp_path: Path, *urls: str) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir(exist_ok=True)
    (folder / "doc.md").write_text("".join(f"- <{u}>\n" for u in urls), encoding="utf-8")
    return folder


# ------------------------------------------------------------ header parsing


@pytest.mark.parametrize(
    "value",
    ["３０", "٣", "²", "-5", "+5", "5.5", "1e3", "0x10", "Fri, 31 Dec 99999 23:59:59 GMT",
     "Mon, 32 Foo 2026", "\x00", "", "  ", "soon", "Thu, 01 Jan 2026 12:00:30 +9999"],
)  # fmt: skip
def test_retry_after_that_is_not_a_delay_is_ignored(value):
    assert parse_retry_after(value) is None


def test_retry_after_huge_is_longer_than_any_cap():
    assert parse_retry_after("9" * 5000) >= 1e12
    assert parse_retry_after("0000030") == 30
    assert parse_retry_after("Sat, 01 Jan 0001 00:00:00 GMT") == 0


@pytest.mark.parametrize(
    "value",
    ['"\u00e9t\u00e9"', '"a\r\nX-Injected: 1"', '"a\x00"', '"a\x7f"', '"' + "a" * 2000 + '"',
     "", " "],
)  # fmt: skip
def test_etag_that_cannot_be_sent_back_is_not_kept(value):
    assert sendable(value) is None
    assert Response("u", "u", 200, {"etag": value}).etag is None


def test_usable_validators_are_kept_as_sent():
    assert sendable(' W/"v1" ') == 'W/"v1"'
    stamp = "Tue, 01 Dec 2026 10:00:00 GMT"
    assert parse_last_modified(stamp) == stamp
    assert parse_last_modified("yesterday") is None
    assert parse_last_modified("Tue, 01 Dec 99999 10:00:00 GMT") is None
    assert parse_last_modified("Tue, 01 Dec 2026 10:00:00 GMT\u00e9") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html; charset=UTF-8", ("text/html", "utf-8")),
        ('text/html; charset="\u202eutf-8"', ("text/html", None)),
        ("text/html; charset=" + "x" * 500, ("text/html", None)),
        ("text/html; charset=utf-8; charset", ("text/html", "utf-8")),
        ("text/html;;;=;charset=;", ("text/html", None)),
        ("t\u00e9xt/html", (None, None)),
        ("text/html/x", (None, None)),
        ("html", (None, None)),
        ("/", (None, None)),
        ("text/html\x00", (None, None)),
    ],
)
def test_content_type_parsed_defensively(value, expected):
    assert parse_content_type(value) == expected


@pytest.mark.parametrize("value", ["\u00b2", "\uff13", "-1", "1 2", "1e3", "", "9" * 40])
def test_content_length_garbage_ignored(value):
    assert parse_content_length(value) is None


# ------------------------------------------------- validators over two runs


@pytest.mark.parametrize(
    "head",
    [
        b'ETag: "\xc3\xa9t\xc3\xa9"\r\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT \xe9',
        b'ETag: "\xff\xfe"\r\nLast-Modified: Mon, 99 Foo 99999 99:99:99 GMT',
        b'ETag: "' + b"v" * 3000 + b'"\r\nLast-Modified: ' + b"x" * 3000,
    ],
)
def test_unsendable_validators_are_not_stored_and_next_run_works(srv, tmp_path, local_env, head):
    srv.route("/a", raw(200, b"Content-Type: text/html\r\n" + head, ARTICLE))
    folder = seed(tmp_path, srv.url("/a"))
    for _ in range(2):
        result = CliRunner().invoke(cli, ["fetch", "-v", "--refresh-after", "0s", str(folder)])
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        (source,) = sidecar(folder)["sources"]
        assert source["status"] == "ok"
        assert source["fetch"]["etag"] is None and source["fetch"]["last_modified"] is None
    assert srv.hits["/a"] == 2
    assert "if-none-match" not in srv.requests[-1].headers
    assert "if-modified-since" not in srv.requests[-1].headers
    assert "cannot be sent back; not kept" in result.stderr  # noted under -v
    assert "not a sendable date; not kept" in result.stderr


def test_usable_validators_are_sent_back(srv, tmp_path, local_env):
    stamp = "Tue, 01 Dec 2026 10:00:00 GMT"
    head = b'ETag: W/"v1"\r\nLast-Modified: ' + stamp.encode()
    srv.route("/a", raw(200, b"Content-Type: text/html\r\n" + head, ARTICLE))
    folder = seed(tmp_path, srv.url("/a"))
    for _ in range(2):
        result = CliRunner().invoke(cli, ["fetch", "--refresh-after", "0s", str(folder)])
        assert result.exit_code == 0, result.output
    assert srv.requests[-1].headers["if-none-match"] == 'W/"v1"'
    assert srv.requests[-1].headers["if-modified-since"] == stamp


def test_unsendable_validators_from_an_old_sidecar_are_not_sent(srv, settings, caplog):
    """Sidecars written before this fix may hold such values: never a crash."""
    srv.route("/a", page(ARTICLE))
    with caplog.at_level(logging.INFO, logger="newsgrab"):
        resp = fetch(settings, srv.url("/a"), etag='"\u00e9"', last_modified="x\r\nX-A: 1")
    assert isinstance(resp, Response) and resp.status_code == 200
    assert "if-none-match" not in srv.requests[-1].headers
    assert "if-modified-since" not in srv.requests[-1].headers
    assert "stored ETag" in caplog.text


@pytest.mark.parametrize(
    "value", [b"\xef\xbc\x93\xef\xbc\x90", b"\xd9\xa3", b"\xc2\xb2", b"9" * 400, b"-3",
              b"Fri, 31 Dec 99999 23:59:59 GMT", b"\xff\xfe\xfd"],
)  # fmt: skip
def test_odd_retry_after_costs_one_source(srv, settings, value, caplog):
    srv.route("/busy", raw(503, b"Retry-After: " + value))
    with caplog.at_level(logging.INFO, logger="newsgrab"):
        err = fetch(settings.replace(retries=1), srv.url("/busy"))
    assert isinstance(err, FetchError) and err.kind == "http_status" and err.http_status == 503
    if not value.isdigit():  # ignored, and noted under -v
        assert "unusable Retry-After" in caplog.text
    else:  # 400 digits: far over retry_after_cap, the URL fails for this run
        assert "over the retry_after_cap" in err.message


def test_odd_content_type_charset_is_ignored(srv, settings):
    srv.route("/a", raw(200, b'Content-Type: text/html; charset="\xe2\x80\xae\x01utf8"', ARTICLE))
    srv.route("/b", raw(200, b"Content-Type: \xff\xfe/html", ARTICLE))
    a = fetch(settings, srv.url("/a"))
    assert isinstance(a, Response) and (a.content_type, a.charset) == ("text/html", None)
    b = fetch(settings, srv.url("/b"))  # no usable type: sniffed as HTML
    assert isinstance(b, Response) and b.content_type == "text/html"


@pytest.mark.parametrize(
    "value",
    [b"gzip;q=1", b"\xff\xfe", "\uff47zip".encode(), b"br, br", b"compress", b"a" * 5000],
)
def test_odd_content_encoding_is_kind_encoding(srv, settings, value):
    srv.route("/a", raw(200, b"Content-Type: text/html\r\nContent-Encoding: " + value, ARTICLE))
    err = fetch(settings, srv.url("/a"))
    assert isinstance(err, FetchError) and err.kind == "encoding", err
    assert len(err.message) <= 300


# ---------------------------------------------------------------- redirects

BAD_LOCATIONS = [
    "http://a\u200bb.example/".encode(),  # zero-width space in the host
    "http://ex\u00e4mple..com/".encode(),  # bad IDNA (empty label)
    b"http://xn--a.example/",  # invalid punycode
    b"http://[::1",  # broken bracketed host
    b"http://[::1]x/",
    b"http://" + b"a" * 70_000,  # 70 kB
    b"http://example.com:99999/",
    b"javascript:alert(1)",
    b"ftp://example.com/f",
    b"data:text/html,hi",
    b"https://",  # no host
]


@pytest.mark.parametrize("location", BAD_LOCATIONS)
def test_bad_redirect_targets_are_bad_redirect(srv, settings, location):
    srv.route("/a", raw(302, b"Location: " + location))
    err = fetch(settings, srv.url("/a"))
    assert isinstance(err, FetchError), err
    assert err.kind == "bad_redirect", (err.kind, err.message)
    assert len(err.message) <= 300 and err.message.isprintable()
    assert all(len(r["url"]) < 10_000 for r in err.redirects)


def test_bad_redirect_costs_one_source_in_a_run(srv, tmp_path, local_env):
    srv.route("/ok", page(ARTICLE))
    srv.route("/bad", raw(302, "Location: http://a\u200bb.example/".encode()))
    folder = seed(tmp_path, srv.url("/bad"), srv.url("/ok"))
    result = CliRunner().invoke(cli, ["fetch", str(folder)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    by_url = {s["url"]: s for s in sidecar(folder)["sources"]}
    assert by_url[srv.url("/ok")]["status"] == "ok"
    assert by_url[srv.url("/bad")]["error"]["kind"] == "bad_redirect"


def test_utf8_location_is_read_as_utf8_whatever_the_other_headers(srv, settings):
    """Another header's Latin-1 byte must not turn the UTF-8 Location into mojibake."""
    srv.route("/a", raw(302, "Location: /caf\u00e9".encode() + b"\r\nX-Note: \xe9"))
    srv.route("/caf%C3%A9", page(ARTICLE))
    resp = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and resp.status_code == 200, resp
    assert srv.requests[-1].path == "/caf%C3%A9"


def test_redirect_target_is_fetched_in_canonical_form(srv, settings):
    srv.route("/a", raw(302, "Location: /caf\u00e9?q=\u00e9#frag".encode()))
    srv.route("/caf%C3%A9", page(ARTICLE))
    resp = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and resp.status_code == 200
    assert srv.requests[-1].path == "/caf%C3%A9?q=%C3%A9"


# ------------------------------------------------------------ internal errors


def test_unexpected_exception_is_kind_internal(srv, settings, monkeypatch, caplog):
    def boom(value):
        raise ZeroDivisionError("boom")

    srv.route("/a", page(ARTICLE))
    monkeypatch.setattr("newsgrab.fetch.parse_content_type", boom)
    with caplog.at_level(logging.DEBUG, logger="newsgrab"):
        err = fetch(settings, srv.url("/a"))
    assert isinstance(err, FetchError) and err.kind == "internal"
    assert ISSUES_URL in err.message and "bug" in err.message
    assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text


def test_unexpected_exception_costs_one_source_in_a_run(srv, tmp_path, local_env, monkeypatch):
    from newsgrab import fetch as fetch_module

    real = fetch_module.parse_content_type

    def boom_on_b(value):
        if value and "boom" in value:
            raise ZeroDivisionError("boom")
        return real(value)

    monkeypatch.setattr("newsgrab.fetch.parse_content_type", boom_on_b)
    srv.route("/a", page(ARTICLE))
    srv.route("/b", page(ARTICLE, "text/html; boom"))
    folder = seed(tmp_path, srv.url("/b"), srv.url("/a"))
    result = CliRunner().invoke(cli, ["fetch", str(folder)])
    assert result.exit_code in (1, 70), result.output
    assert "Traceback" not in result.output
    by_url = {s["url"]: s for s in sidecar(folder)["sources"]}
    assert by_url[srv.url("/a")]["status"] == "ok"
    assert by_url[srv.url("/b")]["error"]["kind"] == "internal"


# ------------------------------------------------------------------ archive

GOOD_CLOSEST = {"available": True, "timestamp": "20260101120000", "status": "200"}
BAD_REPLIES = {
    "deep": b'{"archived_snapshots": {"closest": {"x": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b', "available": true, "url": "http://a.example/"}}}',
    "deep-top": b"[" * 100_000 + b"]" * 100_000,
    "list": b"[]",
    "not-json": b"<html>maintenance</html>",
    "not-utf8": b'{"archived_snapshots": {"closest": {"url": "\xff"}}}',
    "wrong-type": b'{"archived_snapshots": {"closest": {"available": "yes", "url": 5}}}',
    "snapshots-null": b'{"archived_snapshots": null}',
    "huge-number": b'{"archived_snapshots": {"closest": {"status": ' + b"9" * 5000 + b"}}}",
    "huge": b'{"archived_snapshots": {}, "pad": "' + b"x" * 400_000 + b'"}',
}


def archive_lookup(settings, archive_url: str, url: str, transport=None):
    from newsgrab.archive import fetch_archived

    async def go():
        async with Fetcher(settings, transport=transport) as f:
            try:
                return await fetch_archived(f, archive_url, url)
            except FetchError as err:
                return err

    return asyncio.run(go())


@pytest.mark.parametrize("name", sorted(BAD_REPLIES))
def test_bad_archive_reply_fails_that_source_only(srv, settings, name):
    srv.route("/wayback", page(BAD_REPLIES[name], "application/json"))
    err = archive_lookup(settings, srv.url("/wayback"), "http://dead.example/a")
    assert isinstance(err, FetchError), err
    assert err.kind in ("archive", "too_large"), (err.kind, err.message)
    assert err.kind != "internal"


@pytest.mark.parametrize(
    "snapshot",
    ["javascript:alert(1)", "file:///etc/passwd", "http://a\u200bb.example/", "http://[::1", 7],
)
def test_unusable_snapshot_url_fails_with_a_clear_message(srv, settings, snapshot):
    reply = {"archived_snapshots": {"closest": GOOD_CLOSEST | {"url": snapshot}}}
    srv.route("/wayback", page(json.dumps(reply).encode(), "application/json"))
    err = archive_lookup(settings, srv.url("/wayback"), "http://dead.example/a")
    assert isinstance(err, FetchError) and err.kind == "archive", err
    assert "archive" in err.message


def test_private_snapshot_url_is_refused(local_settings):
    import httpx

    seen = []

    def handler(request):
        seen.append(str(request.url))
        closest = GOOD_CLOSEST | {"url": "http://127.0.0.1/web/20260101120000/http://x/"}
        body = json.dumps({"archived_snapshots": {"closest": closest}}).encode()
        return httpx.Response(
            200, headers={"Content-Type": "application/json"}, stream=httpx.ByteStream(body)
        )

    settings = local_settings.replace(allow_private_networks=False, obey_robots=False)
    err = archive_lookup(
        settings,
        "http://archive.example/wayback",
        "http://dead.example/a",
        httpx.MockTransport(handler),
    )
    assert isinstance(err, FetchError) and err.kind == "archive", err
    assert "127.0.0.1" in err.message and "allow_private_networks is off" in err.message
    assert len(seen) == 1  # the snapshot itself was never requested


def test_hostile_archive_costs_one_source_in_a_run(srv, tmp_path, local_env, monkeypatch):
    srv.route("/ok", page(ARTICLE))
    srv.route("/gone", page(b"gone", "text/plain", 404))
    srv.route("/wayback", page(BAD_REPLIES["deep"], "application/json"))
    monkeypatch.setenv("NEWSGRAB_ARCHIVE_FALLBACK", "true")
    monkeypatch.setenv("NEWSGRAB_ARCHIVE_URL", srv.url("/wayback"))
    folder = seed(tmp_path, srv.url("/gone"), srv.url("/ok"))
    result = CliRunner().invoke(cli, ["fetch", "-v", str(folder)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "archive answered badly" in result.stderr
    by_url = {s["url"]: s for s in sidecar(folder)["sources"]}
    assert by_url[srv.url("/ok")]["status"] == "ok"
    assert by_url[srv.url("/gone")]["status"] == "gone"


# ------------------------------------------------------- robots.txt in deadline


def test_robots_txt_along_redirects_counts_within_the_deadline(local_settings):
    """Each hop is another origin whose robots.txt drips in just under the
    deadline: the URL as a whole still ends within its deadline (plus slack)."""
    from servers import drip, redirect

    robots = b"User-agent: *\n"  # 14 bytes, one every 0.1 s: 1.4 s per robots.txt
    with contextlib.ExitStack() as stack:
        hops = [stack.enter_context(RawServer()) for _ in range(4)]
        for i, hop in enumerate(hops):
            hop.route("/robots.txt", drip(robots, delay=0.1, content_type="text/plain"))
            target = hops[i + 1].url("/a") if i + 1 < len(hops) else None
            hop.route("/a", redirect(target) if target else page(ARTICLE))
        settings = local_settings.replace(deadline=2.0, obey_robots=True)
        started = time.monotonic()
        err = fetch(settings, hops[0].url("/a"))
        took = time.monotonic() - started
    assert isinstance(err, FetchError) and err.kind == "timeout", err
    assert "robots.txt" in err.message
    assert took <= 2.0 + 1.0, took
    assert hops[-1].hits["/a"] == 0


def test_robots_txt_in_time_lets_the_chain_finish(local_settings):
    from servers import drip, redirect

    with RawServer() as a, RawServer() as b:
        for srv in (a, b):
            srv.route(
                "/robots.txt", drip(b"User-agent: *\n", delay=0.02, content_type="text/plain")
            )
        a.route("/a", redirect(b.url("/b")))
        b.route("/b", page(ARTICLE))
        resp = fetch(local_settings.replace(deadline=3.0, obey_robots=True), a.url("/a"))
    assert isinstance(resp, Response) and resp.status_code == 200
    assert len(resp.redirects) == 1


def test_robots_txt_queueing_for_a_politeness_slot_does_not_count(local_settings):
    """Two origins on one host share its politeness slots: the robots.txt load of
    the second queues behind a slow page of the first. That queueing does not
    count within the second URL's deadline, as for its own requests."""
    from servers import slow_page

    with RawServer() as a, RawServer() as b:
        a.route("/slow", slow_page(ARTICLE, 1.6))
        b.route("/robots.txt", slow_page(b"User-agent: *\n", 0.6))
        b.route("/page", slow_page(ARTICLE, 0.6))
        settings = local_settings.replace(deadline=2.0, obey_robots=True, per_host_concurrency=1)

        async def go():
            async with Fetcher(settings) as f:

                async def one(url: str, after: float):
                    await asyncio.sleep(after)
                    try:
                        return await f.fetch(url)
                    except FetchError as err:
                        return err

                return await asyncio.gather(one(a.url("/slow"), 0), one(b.url("/page"), 0.3))

        slow, other = asyncio.run(go())
    assert isinstance(slow, Response), slow
    # queued about 1.3 s, then 0.6 s of robots.txt and 0.6 s of page: 1.2 s counted
    assert isinstance(other, Response), other
