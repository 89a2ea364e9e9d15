"""Bytes a server sends after the end of an answer are never read as the answer
to the next request on the same kept-alive connection.

Two real-world shapes: a server that counts Content-Length in characters on a
UTF-8 page (so more bytes follow than it announced), and one that sends a whole
extra answer right after the real one. Either way the next URL on that host
gets its own answer (and article), on the same connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import pytest
from click.testing import CliRunner

from newsgrab.cli import cli
from newsgrab.fetch import Fetcher


def article(title: str) -> str:
    """A page with non-ASCII text: more UTF-8 bytes than characters."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>"
        + "<p>À Zürich, le café était fermé ; les élèves ont attendu le débat.</p>" * 6
        + "</article></body></html>"
    )


PAGES = {"/one": article("Première histoire"), "/two": article("Deuxième histoire")}
IMPOSTOR = b"<html><head><title>Impostor</title></head><body><p>Not yours.</p></body></html>"


def answer(body: bytes, length: int | None = None) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


def characters_counted(path: str) -> bytes:
    """Content-Length in characters, the UTF-8 bytes of the page sent in full."""
    text = PAGES[path]
    return answer(text.encode(), length=len(text))


def extra_answer(path: str) -> bytes:
    """The page, then a whole second answer nobody asked for."""
    return answer(PAGES[path].encode()) + answer(IMPOSTOR)


def expected(shape, path: str) -> bytes:
    """The body the server announced for `path` (what a client must take)."""
    text = PAGES[path]
    if shape is characters_counted:
        return text.encode()[: len(text)]
    return text.encode()


class KeepAliveServer:
    """HTTP/1.1 on 127.0.0.1 that keeps connections open and answers each GET with
    `make(path)` written in one piece (unknown paths: 404). Counts connections."""

    def __init__(self, make):
        self.make = make
        self.connections = 0
        self.paths: list[str] = []
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> KeepAliveServer:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _shutdown(self) -> None:
        """Close the listener and every connection, and end their tasks (nothing
        is left for the garbage collector to warn about in a later test)."""
        self._server.close()
        for writer in self._writers:
            writer.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _run(self) -> None:
        loop = self._loop
        self._server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                self.paths.append(path)
                if path in PAGES:
                    writer.write(self.make(path))
                else:
                    writer.write(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                        b"Connection: keep-alive\r\n\r\n"
                    )
                await writer.drain()
        writer.close()


SHAPES = [characters_counted, extra_answer]


@pytest.mark.parametrize("shape", SHAPES, ids=["chars-as-length", "extra-answer"])
def test_the_next_url_on_the_connection_gets_its_own_answer(shape, local_settings):
    settings = local_settings.replace(obey_robots=False)

    async def run():
        async with Fetcher(settings) as fetcher:
            first = await fetcher.fetch(srv.url("/one"))
            await asyncio.sleep(0.05)  # (everything the server sent has arrived)
            second = await fetcher.fetch(srv.url("/two"))
            third = await fetcher.fetch(srv.url("/one"))
            return first, second, third

    with KeepAliveServer(shape) as srv:
        first, second, third = asyncio.run(run())
    assert first.body == expected(shape, "/one")
    assert second.body == expected(shape, "/two")
    assert third.body == expected(shape, "/one")
    assert srv.paths == ["/one", "/two", "/one"]
    assert srv.connections == 1  # the connection was kept and reused


@pytest.mark.parametrize("shape", SHAPES, ids=["chars-as-length", "extra-answer"])
def test_each_source_gets_its_own_article(shape, tmp_path, local_env, monkeypatch):
    """End to end: two URLs of the host in one run, one at a time on one
    connection, each stored with its own title."""
    monkeypatch.setenv("NEWSGRAB_PER_HOST_CONCURRENCY", "1")
    folder = tmp_path / "notes"
    folder.mkdir()
    with KeepAliveServer(shape) as srv:
        urls = [srv.url("/one"), srv.url("/two")]
        (folder / "doc.md").write_text("".join(f"- <{u}>\n" for u in urls))
        result = CliRunner().invoke(cli, ["fetch", str(folder)])
    assert result.exit_code == 0, result.output
    (sidecar_file,) = folder.glob("*.sources.json")
    sidecar = json.loads(sidecar_file.read_text())
    titles = {s["url"]: (s["status"], s["article"]["title"]) for s in sidecar["sources"]}
    assert titles == {
        urls[0]: ("ok", "Première histoire"),
        urls[1]: ("ok", "Deuxième histoire"),
    }
    assert srv.connections == 1
