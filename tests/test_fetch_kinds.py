"""Error kinds of broken answers, told apart by what failed and when (never by the
wording of a library's message): a connection closed before the answer's head
is `network` (retried), one closed inside the body is `truncated` (retried), an
answer that is not HTTP is `protocol` (not retried)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from servers import RawServer

from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher


def _fetch(settings, url, transport=None):
    async def go():
        async with Fetcher(settings, transport=transport) as fetcher:
            with pytest.raises(FetchError) as err:
                await fetcher.fetch(url)
            return err.value

    return asyncio.run(go())


def raw(data: bytes):
    async def handler(req, w):
        w.write(data)
        await w.drain()

    return handler


CASES = {
    "closed before the head": (b"", "network", 3),
    "closed inside the head": (b"HTTP/1.1 200 OK\r\nContent-Ty", "network", 3),
    "closed inside a chunk": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"40\r\n<html>",
        "truncated",
        3,
    ),
    "not a status line": (b"HELLO THERE\r\n\r\n", "protocol", 1),
    "a bad chunk size": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n<html>\r\n0\r\n\r\n",
        "protocol",
        1,
    ),
}


@pytest.mark.parametrize("data, kind, attempts", CASES.values(), ids=CASES.keys())
def test_broken_answers(data, kind, attempts, local_settings):
    settings = local_settings.replace(obey_robots=False, retries=2, backoff=0.0)
    with RawServer() as srv:
        srv.route("/a", raw(data))
        err = _fetch(settings, srv.url("/a"))
    assert (err.kind, err.status) == (kind, "error"), err.message
    assert err.attempts == attempts
    assert "\n" not in err.message


class _Broken(httpx.AsyncByteStream):
    async def __aiter__(self):
        yield b"<html><p>part"
        raise httpx.RemoteProtocolError("the peer went away")


def _breaking(in_body: bool):
    def handler(request):
        if in_body:
            return httpx.Response(200, headers={"Content-Type": "text/html"}, stream=_Broken())
        raise httpx.RemoteProtocolError("the peer went away")

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("in_body, kind", [(False, "network"), (True, "truncated")])
def test_another_transports_protocol_errors_by_phase(in_body, kind, local_settings):
    """Through a transport other than newsgrab's own (a proxy's), a protocol
    error before the head is a lost connection, after it a cut-short body."""
    settings = local_settings.replace(obey_robots=False)
    err = _fetch(settings, "http://news.example/a", transport=_breaking(in_body))
    assert err.kind == kind
