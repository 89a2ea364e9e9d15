"""Fetching against real servers on 127.0.0.1: every answer a hostile or broken
server can give, with the status and error kind it must lead to, in bounded time
and memory. Private addresses are allowed only through `local_settings` (the
tests' own servers); test_default_blocks_* check that the default refuses them.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import pytest
from servers import (
    RawServer,
    bomb,
    chunked,
    cookie_check,
    drip,
    page,
    redirect,
    reset,
    response,
    sequence,
    silent,
    slow_page,
    truncated,
)

from newsgrab import netguard
from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher, GuardedBackend, Response

HTML = b"<!doctype html><html><head><title>T</title></head><body><p>Hello</p></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(200)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n" + b"x" * 200


def fetch(settings, url, **kw) -> tuple[Response | FetchError, int]:
    """(the Response or the FetchError, HTTP requests sent)."""

    async def go():
        async with Fetcher(settings) as f:
            try:
                return await f.fetch(url, **kw), f.requests
            except FetchError as err:
                return err, f.requests

    return asyncio.run(go())


def fetch_many(settings, urls) -> list[Response | FetchError]:
    async def one(f, url):
        try:
            return await f.fetch(url)
        except FetchError as err:
            return err

    async def go():
        async with Fetcher(settings) as f:
            return await asyncio.gather(*(one(f, u) for u in urls))

    return asyncio.run(go())


def failed(result, kind: str, status: str = "error") -> FetchError:
    assert isinstance(result, FetchError), result
    assert (result.kind, result.status) == (kind, status), result.message
    assert "\n" not in result.message
    return result


@pytest.fixture
def srv():
    with RawServer() as server:
        server.route("/warm", page(HTML))
        yield server


@pytest.fixture
def settings(local_settings):
    return local_settings.replace(
        deadline=5.0, read_timeout=2.0, connect_timeout=2.0, max_bytes=1_000_000
    )


# ------------------------------------------------------------------ basics


def test_ok_page(web, local_settings):
    web.expect_request("/a").respond_with_data(
        HTML, content_type="text/html; charset=UTF-8", headers={"ETag": '"v1"'}
    )
    resp, requests = fetch(local_settings, web.url_for("/a"))
    assert isinstance(resp, Response)
    assert resp.status_code == 200 and resp.body == HTML
    assert (resp.content_type, resp.charset, resp.etag) == ("text/html", "utf-8", '"v1"')
    assert resp.final_url == resp.url == web.url_for("/a")
    assert resp.redirects == [] and resp.attempts == 1
    assert requests == 2  # robots.txt, then the page


def test_not_modified(web, local_settings):
    web.expect_request("/a", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )
    resp, _ = fetch(local_settings, web.url_for("/a"), etag='"v1"')
    assert resp.not_modified and resp.body == b""


def test_each_request_logged_at_info(srv, settings, caplog):
    srv.route("/a", redirect("/b"))
    srv.route("/b", page(HTML))
    with caplog.at_level(logging.INFO, logger="newsgrab.fetch"):
        fetch(settings, srv.url("/a"))
    lines = [r.getMessage() for r in caplog.records if r.name == "newsgrab.fetch"]
    assert any("/robots.txt" in x for x in lines)
    assert any(x.startswith(f"GET {srv.url('/a')}: 302") for x in lines)
    assert any(x.startswith(f"GET {srv.url('/b')}: 200") for x in lines)


# ---------------------------------------------------------------- failures


def test_connection_refused(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        started = time.monotonic()
        err, _ = fetch(settings.replace(retries=2, backoff=0.01), f"http://127.0.0.1:{port}/a")
    failed(err, "connect")
    assert "refused" in err.message.lower()
    assert time.monotonic() - started < 3


def test_headers_never_sent(srv, settings):
    srv.route("/a", silent())
    started = time.monotonic()
    err, _ = fetch(settings.replace(read_timeout=0.5), srv.url("/a"))
    failed(err, "timeout")
    assert 0.4 < time.monotonic() - started < 3


def test_one_byte_per_second_drip_hits_the_deadline(srv, settings):
    srv.route("/a", drip(HTML * 10, delay=0.2))  # each byte well within read_timeout
    started = time.monotonic()
    err, _ = fetch(settings.replace(deadline=1.5, read_timeout=1.0), srv.url("/a"))
    failed(err, "timeout")
    assert "deadline" in err.message
    assert time.monotonic() - started < 2.5


def test_deadline_covers_retries(srv, settings):
    srv.route("/a", drip(HTML * 10, delay=0.2))
    started = time.monotonic()
    err, _ = fetch(settings.replace(deadline=1.0, retries=5, backoff=0.1), srv.url("/a"))
    failed(err, "timeout")
    assert time.monotonic() - started < 2.0
    assert srv.hits["/a"] == 1


def test_truncated_content_length(srv, settings):
    srv.route("/a", truncated(HTML[:20], claimed=len(HTML)))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "truncated")


def test_truncated_chunked(srv, settings):
    srv.route("/a", chunked([HTML[:20], HTML[20:40]], finish=False))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "truncated")


def test_reset_mid_body(srv, settings):
    srv.route("/a", reset(HTML[:30], claimed=10_000))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "network")


def test_transient_failures_are_retried(srv, settings):
    srv.route("/a", sequence(reset(HTML[:30], claimed=10_000), page(HTML)))
    resp, _ = fetch(settings.replace(retries=2, backoff=0.05), srv.url("/a"))
    assert isinstance(resp, Response) and resp.attempts == 2 and resp.body == HTML


def test_content_length_over_the_cap_is_not_read(srv, settings):
    async def liar(req, w):
        w.write(
            response(200, b"<html>", {"Content-Type": "text/html", "Content-Length": "50000000"})
        )
        await w.drain()
        await asyncio.sleep(10)  # reading the body would hit the read timeout

    srv.route("/a", liar)
    started = time.monotonic()
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "too_large")
    assert "Content-Length" in err.message
    assert time.monotonic() - started < 1.5


def fetch_measured(settings, url, warm_up: str) -> tuple[Response | FetchError, int]:
    """(result, peak bytes allocated during the fetch of `url`; the client's setup and
    lazy imports are done first by fetching `warm_up`)."""

    async def go():
        async with Fetcher(settings) as f:
            await f.fetch(warm_up)
            tracemalloc.start()
            try:
                try:
                    result = await f.fetch(url)
                except FetchError as err:
                    result = err
                return result, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    return asyncio.run(go())


def test_endless_chunked_stream(srv, settings):
    srv.route("/a", chunked([b"<p>" + b"x" * 16_000 + b"</p>"], endless=True))
    started = time.monotonic()
    err, peak = fetch_measured(settings, srv.url("/a"), srv.url("/warm"))
    failed(err, "too_large")
    assert time.monotonic() - started < 5
    assert peak < 4 * settings.max_bytes


@pytest.mark.parametrize(
    "coding,name",
    [("gzip", "gzip"), ("deflate", "deflate"), ("raw-deflate", "deflate"), ("br", "br")],
)
def test_decompression_bomb(srv, settings, coding, name):
    data = bomb(coding, 64 << 20)  # 64 MB of zeros in 100 B to 65 KB
    srv.route("/a", page(data, headers={"Content-Encoding": name}))
    started = time.monotonic()
    err, peak = fetch_measured(settings, srv.url("/a"), srv.url("/warm"))
    failed(err, "too_large")
    assert "decoded" in err.message
    assert time.monotonic() - started < 5
    assert peak < settings.max_bytes / 2, peak  # never held the decoded megabyte


def test_bomb_in_a_redirect_body_is_never_read(srv, settings):
    srv.route(
        "/a", redirect("/b", body=bomb("gzip", 64 << 20), headers={"Content-Encoding": "gzip"})
    )
    srv.route("/b", page(HTML))
    resp, peak = fetch_measured(settings, srv.url("/a"), srv.url("/warm"))
    assert isinstance(resp, Response) and resp.body == HTML
    assert resp.redirects == [{"url": srv.url("/b"), "status": 302}]
    assert peak < settings.max_bytes / 2


@pytest.mark.parametrize(
    "name,encode",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),
        ("br", brotli.compress),
    ],
)
def test_compressed_pages_are_decoded(srv, settings, name, encode):
    srv.route("/a", page(encode(HTML), headers={"Content-Encoding": name}))
    resp, _ = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and resp.body == HTML


def test_stacked_encodings_refused(srv, settings):
    srv.route(
        "/a", page(gzip.compress(gzip.compress(HTML)), headers={"Content-Encoding": "gzip, gzip"})
    )
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "encoding")


def test_corrupt_gzip(srv, settings):
    srv.route("/a", page(b"\x1f\x8b\x08\x00garbage-garbage", headers={"Content-Encoding": "gzip"}))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "encoding")


# --------------------------------------------------------------- redirects


def test_redirect_chain_recorded(srv, settings):
    srv.route("/a", redirect("/b", 301))
    srv.route("/b", redirect(srv.url("/c"), 308))
    srv.route("/c", page(HTML))
    resp, _ = fetch(settings, srv.url("/a"))
    assert resp.final_url == srv.url("/c")
    assert resp.redirects == [
        {"url": srv.url("/b"), "status": 301},
        {"url": srv.url("/c"), "status": 308},
    ]


def test_redirect_loop(srv, settings):
    srv.route("/a", redirect("/b"))
    srv.route("/b", redirect("/a"))
    err, requests = fetch(settings, srv.url("/a"))
    failed(err, "too_many_redirects")
    assert "loop" in err.message
    assert srv.hits["/a"] == 1 and srv.hits["/b"] == 1


def test_ten_hops_ok_eleven_too_many(srv, settings):
    for i in range(12):
        srv.route(f"/r{i}", redirect(f"/r{i + 1}"))
    srv.route("/r11", page(HTML))
    resp, _ = fetch(settings, srv.url("/r1"))  # r1 -> ... -> r11: 10 hops
    assert isinstance(resp, Response) and len(resp.redirects) == 10
    err, _ = fetch(settings, srv.url("/r0"))  # 11 hops
    failed(err, "too_many_redirects")
    assert len(err.redirects) == 11
    assert srv.hits["/r11"] == 1


def test_redirect_to_file_url(srv, settings):
    srv.route("/a", redirect("file:///etc/passwd"))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "bad_redirect")
    assert err.redirects == [{"url": "file:///etc/passwd", "status": 302}]


def test_redirect_credentials_never_recorded(srv, settings, caplog):
    srv.route("/a", redirect(f"http://bob:hunter2@127.0.0.1:{srv.port}/b"))
    srv.route("/b", page(HTML))
    with caplog.at_level(logging.DEBUG, logger="newsgrab"):
        resp, _ = fetch(settings, srv.url("/a").replace("http://", "http://al:s3cret@"))
    assert isinstance(resp, Response)
    assert resp.redirects == [{"url": srv.url("/b"), "status": 302}]
    assert resp.url == srv.url("/a") and resp.final_url == srv.url("/b")
    assert "hunter2" not in caplog.text and "s3cret" not in caplog.text
    # sent to the host they were written for, as HTTP Basic auth
    assert srv.requests[-1].headers.get("authorization", "").startswith("Basic ")


# ----------------------------------------------------------------- retries


def test_429_retry_after_seconds(srv, settings):
    srv.route(
        "/a", sequence(page(b"slow down", "text/plain", 429, {"Retry-After": "1"}), page(HTML))
    )
    started = time.monotonic()
    resp, _ = fetch(settings.replace(retries=2), srv.url("/a"))
    assert isinstance(resp, Response) and resp.attempts == 2
    assert srv.hits["/a"] == 2
    assert time.monotonic() - started >= 0.95


def test_503_retry_after_http_date(srv, settings):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    srv.route("/a", sequence(page(b"down", "text/plain", 503, {"Retry-After": when}), page(HTML)))
    started = time.monotonic()
    resp, _ = fetch(settings.replace(retries=2), srv.url("/a"))
    assert isinstance(resp, Response) and resp.attempts == 2
    assert srv.hits["/a"] == 2
    assert 0.5 < time.monotonic() - started < 4


def test_retry_after_beyond_the_cap_fails_this_run(srv, settings):
    srv.route("/a", page(b"down", "text/plain", 503, {"Retry-After": "120"}))
    err, _ = fetch(settings.replace(retries=2, retry_after_cap=5), srv.url("/a"))
    failed(err, "http_status")
    assert err.http_status == 503 and err.attempts == 1 and srv.hits["/a"] == 1
    assert "cap" in err.message


def test_429_exhausts_retries(srv, settings):
    srv.route("/a", page(b"slow down", "text/plain", 429, {"Retry-After": "0"}))
    err, _ = fetch(settings.replace(retries=2), srv.url("/a"))
    failed(err, "http_status")
    assert err.attempts == 3 and srv.hits["/a"] == 3


def test_500_then_200(srv, settings):
    srv.route("/a", sequence(page(b"oops", "text/plain", 500), page(HTML)))
    resp, _ = fetch(settings.replace(retries=2, backoff=0.05), srv.url("/a"))
    assert isinstance(resp, Response) and resp.attempts == 2 and srv.hits["/a"] == 2


@pytest.mark.parametrize("code", [404, 410])
def test_gone_is_not_retried(srv, settings, code):
    srv.route("/a", page(b"gone", "text/plain", code))
    err, _ = fetch(settings.replace(retries=2, backoff=0.05), srv.url("/a"))
    failed(err, "http_status", "gone")
    assert err.http_status == code and err.attempts == 1 and srv.hits["/a"] == 1


def test_403_is_an_error_not_retried(srv, settings):
    srv.route("/a", page(b"no", "text/plain", 403))
    err, _ = fetch(settings.replace(retries=2, backoff=0.05), srv.url("/a"))
    failed(err, "http_status")
    assert srv.hits["/a"] == 1


# ------------------------------------------------------------------ robots


def test_robots_disallow(srv, settings):
    srv.route("/robots.txt", page(b"User-agent: *\nDisallow: /private\n", "text/plain"))
    srv.route("/private/a", page(HTML))
    srv.route("/public", page(HTML))
    a, b, c = fetch_many(
        settings, [srv.url("/private/a"), srv.url("/public"), srv.url("/private/b")]
    )
    failed(a, "robots", "blocked")
    failed(c, "robots", "blocked")
    assert isinstance(b, Response)
    assert srv.hits["/private/a"] == 0 and srv.hits["/robots.txt"] == 1


def test_robots_for_newsgrab_only(srv, settings):
    srv.route(
        "/robots.txt",
        page(b"User-agent: newsgrab\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "text/plain"),
    )
    srv.route("/a", page(HTML))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "robots", "blocked")
    resp, _ = fetch(settings.replace(obey_robots=False), srv.url("/a"))
    assert isinstance(resp, Response)


def test_robots_404_allows(srv, settings):
    srv.route("/a", page(HTML))  # unknown paths, /robots.txt included, answer 404
    resp, _ = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and srv.hits["/robots.txt"] == 1


def test_robots_500_blocks_the_host_for_the_run(srv, settings):
    srv.route("/robots.txt", page(b"oops", "text/plain", 500))
    srv.route("/a", page(HTML))
    results = fetch_many(settings, [srv.url("/a"), srv.url("/b")])
    for r in results:
        failed(r, "robots", "blocked")
        assert "500" in r.message
    assert srv.hits["/a"] == 0 and srv.hits["/robots.txt"] == 1


def test_robots_unreachable_fails_the_urls_once(srv, settings):
    srv.route("/robots.txt", silent())
    results = fetch_many(settings.replace(read_timeout=0.3), [srv.url("/a"), srv.url("/b")])
    for r in results:
        failed(r, "timeout")
    assert srv.hits["/robots.txt"] == 1 and srv.hits["/a"] == 0


# ----------------------------------------------------------------- content


@pytest.mark.parametrize(
    "body,ctype", [(PDF, "application/pdf"), (PNG, "image/png"), (b'{"a": 1}', "application/json")]
)
def test_not_html_is_unsupported_and_not_read(srv, settings, body, ctype):
    srv.route("/a", page(body, ctype))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "unsupported", "unsupported")
    assert ctype in err.message


@pytest.mark.parametrize(
    "body,ctype", [(PNG, "text/html"), (PDF, "text/html"), (PNG, None), (b"plain words", None)]
)
def test_lying_or_missing_type_with_non_html_bytes(srv, settings, body, ctype):
    srv.route("/a", page(body, ctype))
    err, _ = fetch(settings, srv.url("/a"))
    failed(err, "unsupported", "unsupported")


def test_missing_type_with_html_bytes_is_html(srv, settings):
    srv.route("/a", page(b"\n  " + HTML, None))
    resp, _ = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and resp.content_type == "text/html"


def test_xhtml_accepted(srv, settings):
    srv.route("/a", page(HTML, "application/xhtml+xml"))
    resp, _ = fetch(settings, srv.url("/a"))
    assert isinstance(resp, Response) and resp.content_type == "application/xhtml+xml"


def test_accept_json_for_the_archive_client(srv, settings):
    srv.route("/a", page(b'{"ok": true}', "application/json"))
    resp, _ = fetch(settings, srv.url("/a"), accept=("application/json",))
    assert isinstance(resp, Response) and resp.body == b'{"ok": true}'


# ----------------------------------------------------------------- privacy


def test_cookie_set_then_not_returned(srv, settings):
    handler = cookie_check()
    srv.route("/a", handler)
    srv.route("/b", handler)
    fetch_many(settings, [srv.url("/a")])

    async def two_in_one_run():
        async with Fetcher(settings) as f:
            await f.fetch(srv.url("/a"))
            await f.fetch(srv.url("/b"))

    asyncio.run(two_in_one_run())
    assert handler.received == [None, None, None]


def test_environment_proxy_ignored_and_proxy_setting_used(srv, settings, monkeypatch):
    with RawServer() as proxy:
        target = srv.url("/a")
        srv.route("/a", page(HTML))
        proxy.route(target, page(b"<html><p>via proxy</p></html>"))
        proxy.route(srv.url("/robots.txt"), page(b"", "text/plain", 404))
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        monkeypatch.setenv("ALL_PROXY", proxy.url())
        resp, _ = fetch(settings, target)
        assert resp.body == HTML and not proxy.requests
        resp, _ = fetch(settings.replace(proxy=proxy.url()), target)
        assert b"via proxy" in resp.body and proxy.hits[target] == 1


# ------------------------------------------------------- private addresses

SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0x7f.1",
    "0177.0.1",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::1]",
    "localhost",
    "LOCALHOST",
    "sub.localhost",
    "0.0.0.0",
    "0",
    "10.1.2.3",
    "192.168.1.1",
    "172.16.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[::]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
]


@pytest.mark.parametrize("host", SPELLINGS)
def test_default_blocks_private_spellings(srv, local_settings, host):
    srv.route("/a", page(HTML))
    settings = local_settings.replace(allow_private_networks=False)
    started = time.monotonic()
    err, requests = fetch(settings, f"http://{host}:{srv.port}/a")
    failed(err, "blocked", "blocked")
    assert requests == 0 and not srv.requests
    assert time.monotonic() - started < 1


def _resolves_to_private(name: str) -> bool:
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(netguard.refusal(i[4][0]) for i in infos)


def test_default_blocks_a_name_resolving_to_a_private_address(srv, local_settings):
    """The machine's own name is not caught by its spelling: its resolved address is."""
    name = socket.gethostname()
    if not _resolves_to_private(name) or name.lower() == "localhost":
        pytest.skip(f"{name} does not resolve to a private address here")
    srv.route("/a", page(HTML))
    settings = local_settings.replace(allow_private_networks=False)
    err, _ = fetch(settings, f"http://{name}:{srv.port}/a")
    failed(err, "blocked", "blocked")
    assert "not a public address" in err.message
    assert not srv.requests


def test_network_layer_refuses_resolved_private_addresses(srv):
    """GuardedBackend resolves names itself and refuses before connecting."""

    async def go():
        with pytest.raises(Exception, match="not a public address"):
            await GuardedBackend(allow_private=False).connect_tcp("localhost", srv.port, 2.0)
        stream = await GuardedBackend(allow_private=True).connect_tcp("localhost", srv.port, 2.0)
        await stream.aclose()

    asyncio.run(go())
    time.sleep(0.1)
    assert len(srv.requests) == 0  # the allowed connection sent no request


def test_no_file_descriptor_left_fails_the_url_not_the_run(srv):
    """Out of file descriptors (a run with a low `ulimit -n`): the URL fails with
    kind `connect`, naming the cause, and the process goes on."""
    import subprocess
    import sys

    srv.route("/a", page(HTML))
    script = (
        "import asyncio, resource, socket, sys\n"
        "from newsgrab.config import Settings\n"
        "from newsgrab.errors import FetchError\n"
        "from newsgrab.fetch import Fetcher\n"
        "async def main():\n"
        "    s = Settings(allow_private_networks=True, host_delay=0.0, retries=0,\n"
        "                 obey_robots=False, archive_fallback=False)\n"
        "    async with Fetcher(s) as fetcher:\n"
        "        await fetcher.fetch(sys.argv[1])  # everything imported, the loop running\n"
        "        await asyncio.sleep(0.2)  # (and that connection closed by the server)\n"
        "        hog = []\n"
        "        try:\n"
        "            while True:\n"
        "                hog.append(socket.socket())\n"
        "        except OSError:\n"
        "            pass\n"
        "        try:\n"
        "            await fetcher.fetch(sys.argv[2])  # a new connection\n"
        "        except FetchError as err:\n"
        "            print(err.kind, err.message)\n"
        "        finally:\n"
        "            for sock in hog:\n"
        "                sock.close()\n"
        "    print('went on')\n"
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, srv.url("/a"), "http://127.0.0.2:9/"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    kind, _, rest = proc.stdout.partition(" ")
    assert kind == "connect" and "too many open files" in rest.lower()
    assert proc.stdout.endswith("went on\n")
    assert len(srv.requests) == 1  # the first URL's


def test_a_connection_gone_before_its_address_is_known_is_a_connect_error():
    """A stream with no peer address (the server reset it at once) is a failed
    connection (retried like one), not a refusal."""
    import httpcore

    class Stream(httpcore.AsyncNetworkStream):
        closed = False

        def get_extra_info(self, info):
            return None

        async def aclose(self):
            Stream.closed = True

    class Gone(httpcore.AsyncNetworkBackend):
        async def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            return Stream()

    async def go():
        backend = GuardedBackend(allow_private=False, inner=Gone())
        with pytest.raises(httpcore.ConnectError, match="closed at once"):
            await backend.connect_tcp("93.184.216.34", 80, 1.0)

    asyncio.run(go())
    assert Stream.closed


def test_network_layer_checks_the_peer_address():
    """A connection that ends up at a private peer (here: a backend that connects
    elsewhere than asked, as a rebinding resolver or a redirecting proxy would)."""
    import httpcore

    class Stream(httpcore.AsyncNetworkStream):
        closed = False

        def get_extra_info(self, info):
            return ("10.0.0.7", 80) if info == "server_addr" else None

        async def aclose(self):
            Stream.closed = True

    class Elsewhere(httpcore.AsyncNetworkBackend):
        async def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            return Stream()

    async def go():
        backend = GuardedBackend(allow_private=False, inner=Elsewhere())
        with pytest.raises(Exception, match=r"10\.0\.0\.7 is not a public address"):
            await backend.connect_tcp("93.184.216.34", 80, 1.0)

    asyncio.run(go())
    assert Stream.closed


def test_default_blocks_the_tests_own_servers(web, local_settings):
    web.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    err, _ = fetch(local_settings.replace(allow_private_networks=False), web.url_for("/a"))
    failed(err, "blocked", "blocked")


def test_redirect_to_a_private_address_is_blocked(srv, local_settings):
    """The hop check with private networks refused: the first hop is reached through
    a fixed transport (no private address involved), the second is refused."""
    import httpx

    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": f"http://0x7f000001:{srv.port}/"})

    async def go():
        s = local_settings.replace(allow_private_networks=False, obey_robots=False)
        async with Fetcher(s, transport=httpx.MockTransport(handler)) as f:
            try:
                return await f.fetch("http://news.example/a")
            except FetchError as err:
                return err

    err = asyncio.run(go())
    failed(err, "blocked", "blocked")
    assert seen == ["http://news.example/a"] and not srv.requests
    assert err.redirects == [{"url": f"http://0x7f000001:{srv.port}/", "status": 302}]


# -------------------------------------------------------------- politeness


def test_per_host_concurrency_never_exceeded(srv, settings):
    srv.route("/robots.txt", page(b"", "text/plain", 404))
    for i in range(8):
        srv.route(f"/p{i}", slow_page(HTML, 0.2))
    results = fetch_many(
        settings.replace(per_host_concurrency=2, concurrency=16),
        [srv.url(f"/p{i}") for i in range(8)],
    )
    assert all(isinstance(r, Response) for r in results)
    assert srv.max_active == 2


def test_global_concurrency_across_hosts(settings):
    with RawServer("127.0.0.2") as a, RawServer("127.0.0.3") as b:
        for s in (a, b):
            for i in range(4):
                s.route(f"/p{i}", slow_page(HTML, 0.15))
        urls = [s.url(f"/p{i}") for s in (a, b) for i in range(4)]
        results = fetch_many(
            settings.replace(concurrency=1, per_host_concurrency=4, obey_robots=False), urls
        )
        assert all(isinstance(r, Response) for r in results)
        # one request at a time over both servers: never overlapping
        spans = sorted(r.at for r in a.requests + b.requests)
        assert all(t2 - t1 >= 0.14 for t1, t2 in zip(spans, spans[1:], strict=False))


def test_host_delay_kept(srv, settings):
    for i in range(4):
        srv.route(f"/p{i}", page(HTML))
    results = fetch_many(
        settings.replace(host_delay=0.3, per_host_concurrency=4, obey_robots=False),
        [srv.url(f"/p{i}") for i in range(4)],
    )
    assert all(isinstance(r, Response) for r in results)
    starts = sorted(r.at for r in srv.requests)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # as the server saw them: a loaded machine may read one request late, which
    # narrows the gap after it and widens the one before; the span shrinks only by one late read
    assert len(starts) == 4 and min(gaps) >= 0.2 and starts[-1] - starts[0] >= 0.8, gaps


def test_crawl_delay_slows_the_host(srv, settings):
    srv.route("/robots.txt", page(b"User-agent: *\nCrawl-delay: 0.4\n", "text/plain"))
    for i in range(3):
        srv.route(f"/p{i}", page(HTML))
    fetch_many(settings.replace(per_host_concurrency=4), [srv.url(f"/p{i}") for i in range(3)])
    starts = sorted(r.at for r in srv.requests if r.path != "/robots.txt")
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.28 and starts[-1] - starts[0] >= 0.7, gaps


def test_user_agent_sent(srv, settings):
    srv.route("/a", page(HTML))
    fetch(settings, srv.url("/a"))
    ua = srv.requests[-1].headers["user-agent"]
    assert ua.startswith("newsgrab/") and "(+http" in ua
