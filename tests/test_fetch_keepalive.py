"""Revalidation stays cheap: 304s and small error answers reuse the connection."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher, GuardedTransport

PAGE = b"<html><body><article><p>Hello from a kept-alive connection.</p></article></body></html>"


@pytest.fixture
def counting_server():
    connections = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            connections.append(self.client_address)
            super().setup()

        def do_GET(self):
            if self.path == "/robots.txt" or self.path == "/missing":
                body = b"not here"
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
            elif self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')  # no Content-Length: none is needed
                self.end_headers()
                return
            else:
                body = PAGE
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", connections
    server.shutdown()
    server.server_close()


def test_304s_and_small_error_bodies_keep_the_connection(counting_server, local_settings):
    base, connections = counting_server

    async def run():
        async with Fetcher(local_settings) as fetcher:
            first = await fetcher.fetch(base + "/page")
            assert first.status_code == 200 and first.body == PAGE
            for _ in range(5):
                again = await fetcher.fetch(base + "/page", etag='"v1"')
                assert again.not_modified
            for _ in range(3):
                with pytest.raises(FetchError) as err:
                    await fetcher.fetch(base + "/missing")
                assert err.value.status == "gone"
            return fetcher.requests

    requests = asyncio.run(run())
    assert requests == 10  # robots.txt, the page, five 304s, three 404s
    assert len(connections) == 1


def test_a_connection_the_server_closed_while_idle_is_not_reused(local_settings):
    """The server says keep-alive but hangs up after each answer: every later
    request goes out on a new connection instead of failing on the dead one."""
    from servers import RawServer, page

    settings = local_settings.replace(retries=0)
    keep_alive = page(PAGE, headers={"Connection": "keep-alive"})

    async def run(url):
        async with Fetcher(settings) as fetcher:
            answers = []
            for _ in range(4):
                answers.append(await fetcher.fetch(url))
                await asyncio.sleep(0.05)  # the server's FIN arrives
            return answers

    with RawServer() as srv:
        srv.route("/page", keep_alive)
        answers = asyncio.run(run(srv.url("/page")))
    assert [a.body for a in answers] == [PAGE] * 4
    assert [a.attempts for a in answers] == [1] * 4


def _counting_servers(hosts):
    """One keep-alive server per host; returns them, a list of (server index,
    client address) per connection each accepted, and the list of the server
    indexes of the connections that ended."""
    connections: list[tuple[int, tuple]] = []
    closed: list[int] = []
    servers = []
    for i, host in enumerate(hosts):

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            index = i

            def setup(self):
                connections.append((self.index, self.client_address))
                super().setup()

            def finish(self):
                super().finish()
                closed.append(self.index)

            def do_GET(self):
                body = b"not here" if self.path == "/robots.txt" else PAGE
                self.send_response(404 if self.path == "/robots.txt" else 200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((host, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers, connections, closed


@pytest.fixture
def three_hosts():
    """(base URLs, connections accepted, server indexes of connections ended)"""
    servers, connections, closed = _counting_servers(["127.0.0.1", "127.0.0.2", "127.0.0.3"])
    yield (
        [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in servers],
        connections,
        closed,
    )
    for server in servers:
        server.shutdown()
        server.server_close()


def test_many_hosts_at_once_reuse_their_connections(three_hosts, local_settings):
    """Concurrent requests to several hosts: each host's connections are reused,
    never more of them than its per-host limit."""
    bases, connections, _ = three_hosts
    settings = local_settings.replace(concurrency=6, per_host_concurrency=2)

    async def run():
        async with Fetcher(settings) as fetcher:
            urls = [f"{bases[n % 3]}/p/{n}" for n in range(90)]
            answers = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
            return answers, fetcher.requests

    answers, requests = asyncio.run(run())
    assert [a.body for a in answers] == [PAGE] * 90
    assert requests == 93  # three robots.txt
    for index in range(3):
        assert 1 <= sum(1 for i, _ in connections if i == index) <= 2


def test_a_full_pool_replaces_an_idle_connection(three_hosts, local_settings):
    """With room for one idle origin, a request to a third origin closes the
    connection of the least recently used idle one; every answer is right."""
    bases, connections, _ = three_hosts
    settings = local_settings.replace(obey_robots=False)

    async def run():
        transport = GuardedTransport(allow_private=True, idle_origins=1)
        async with Fetcher(settings, transport=transport) as fetcher:
            return [await fetcher.fetch(base + "/page") for base in bases + bases[:1]]

    answers = asyncio.run(run())
    assert [a.body for a in answers] == [PAGE] * 4
    # the first host's connection was closed for the third's, then came back
    assert [i for i, _ in connections] == [0, 1, 2, 0]


def test_expired_idle_connections_are_closed(three_hosts, local_settings):
    """An idle connection past its keep-alive time is closed by newsgrab when the
    next request is made, even when that request goes to another host."""
    bases, _, closed = three_hosts
    settings = local_settings.replace(obey_robots=False)

    async def run():
        transport = GuardedTransport(allow_private=True, keepalive_expiry=0.05)
        async with Fetcher(settings, transport=transport) as fetcher:
            await fetcher.fetch(bases[0] + "/page")
            await asyncio.sleep(0.2)
            await fetcher.fetch(bases[1] + "/page")
            await asyncio.sleep(0.2)  # the server sees the end of the closed one
            return list(closed)

    assert asyncio.run(run()) == [0]
