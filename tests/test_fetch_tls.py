"""HTTPS against local TLS servers (certificates made by trustme for the tests):
a trusted certificate serves the page, an untrusted one is a `tls` error, and a
handshake that never ends is a `timeout`."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from servers import RawServer

from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher, GuardedTransport

# many TLS records, and more than one read of the connection
BIG = b"<html><body><article><p>" + b"tide " * 100_000 + b"</p></article></body></html>"


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls_server(ca):
    """An HTTP/1.1 keep-alive server over TLS; yields its base URL and the list of
    (client address, path) of the requests it served."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    served: list[tuple] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            served.append((self.client_address, self.path))
            found = self.path == "/big"
            body = BIG if found else b"not here"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


def test_https_through_a_trusted_certificate(ca, tls_server, local_settings):
    """A page over TLS (the test CA trusted), twice on one kept-alive connection."""
    client = ssl.create_default_context()
    ca.configure_trust(client)
    settings = local_settings.replace(obey_robots=False, max_bytes=10_000_000)

    async def run():
        transport = GuardedTransport(allow_private=True, ssl_context=client)
        async with Fetcher(settings, transport=transport) as fetcher:
            first = await fetcher.fetch(base + "/big")
            await asyncio.sleep(0.1)  # whatever the server sends after the answer arrives
            again = await fetcher.fetch(base + "/big")
            return first, again

    base, served = tls_server
    first, again = asyncio.run(run())
    assert first.status_code == again.status_code == 200
    assert first.body == again.body == BIG
    assert len(served) == 2 and served[0][0] == served[1][0]  # one connection, kept


def test_an_untrusted_certificate_is_a_tls_error(tls_server, local_settings):
    async def run():
        async with Fetcher(local_settings) as fetcher:
            with pytest.raises(FetchError) as err:
                await fetcher.fetch(base + "/big")
            return err.value

    base, served = tls_server
    err = asyncio.run(run())
    assert err.kind == "tls" and err.status == "error"
    assert "certificate verify failed" in err.message
    assert served == []  # no request was sent over it


def test_a_tls_handshake_that_never_ends_times_out(local_settings):
    """The server takes the connection and never answers the TLS hello."""
    settings = local_settings.replace(connect_timeout=0.5, obey_robots=False)

    async def run(url):
        async with Fetcher(settings) as fetcher:
            with pytest.raises(FetchError) as err:
                await fetcher.fetch(url)
            return err.value

    with RawServer() as srv:
        started = time.monotonic()
        err = asyncio.run(run(srv.url("/page").replace("http://", "https://")))
        took = time.monotonic() - started
    assert err.kind == "timeout"
    assert took < 3


def test_a_server_that_hangs_up_during_the_handshake_is_a_tls_error(local_settings):
    """It reads the TLS hello and closes: kind `tls`, and no second attempt."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    hellos = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            hellos.append(conn.recv(4096))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    settings = local_settings.replace(retries=2, backoff=0.0, obey_robots=False)

    async def run():
        async with Fetcher(settings) as fetcher:
            with pytest.raises(FetchError) as err:
                await fetcher.fetch(f"https://127.0.0.1:{listener.getsockname()[1]}/page")
            return err.value

    try:
        err = asyncio.run(run())
    finally:
        listener.close()
    assert err.kind == "tls" and err.attempts == 1
    assert "closed the connection during the TLS handshake" in err.message
    assert len(hellos) == 1
