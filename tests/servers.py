"""Misbehaving HTTP servers for tests: raw asyncio sockets on 127.0.0.1.

HTTP libraries cannot misbehave enough (drip a byte a second, cut a body short,
reset a connection, lie about lengths and types, send a decompression bomb), so
`RawServer` reads the request line and headers itself and lets a *handler*
write whatever bytes it likes. It runs its own event loop in a thread, so it
serves sync code, CliRunner and subprocesses as well as asyncio tests.

    from servers import RawServer, page, redirect, drip   # tests/ is on sys.path

    with RawServer() as srv:
        srv.route("/a", page(b"<html><p>hi</p></html>"))
        srv.route("/old", redirect("/a"))
        srv.route("/slow", drip(b"x" * 100, delay=1.0))
        url = srv.url("/a")          # http://127.0.0.1:<port>/a
        ...
        srv.hits["/a"]               # requests seen per path
        srv.requests                 # every Request (method, path, headers, at)
        srv.max_active               # most requests in progress at once

Unknown paths answer 404 (so /robots.txt means "no rules"). A handler is
`async def handler(req: Request, w: asyncio.StreamWriter) -> None`; it writes a
complete answer (or not) and the connection is closed after it returns. The
factories below build the common ones; `response()` builds raw answer bytes.
`RawServer(host="127.0.0.2")` listens on another loopback address.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable

import brotli

Handler = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]

REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    404: "Not Found",
    408: "Request Timeout",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic() when the headers were read
    peer: str


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: bool = True,
) -> bytes:
    """A complete HTTP/1.1 answer as bytes (Connection: close)."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    hdrs = {"Connection": "close"} | dict(headers or {})
    if content_length and not any(k.lower() == "content-length" for k in hdrs):
        hdrs["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in hdrs.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ------------------------------------------------------------------ handlers


def page(
    body: bytes,
    content_type: str | None = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Handler:
    """A plain answer. content_type=None sends no Content-Type."""
    hdrs = dict(headers or {})
    if content_type is not None:
        hdrs.setdefault("Content-Type", content_type)

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(response(status, body, hdrs))
        await w.drain()

    return handler


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler; the last one repeats."""
    calls = [0]

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        h = handlers[min(calls[0], len(handlers) - 1)]
        calls[0] += 1
        await h(req, w)

    return handler


def redirect(
    location: str, status: int = 302, body: bytes = b"", headers: dict[str, str] | None = None
) -> Handler:
    return page(
        body,
        content_type="text/html",
        status=status,
        headers={"Location": location} | dict(headers or {}),
    )


def silent() -> Handler:
    """Accepts the request and never answers (until the client gives up)."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)

    return handler


def drip(body: bytes, delay: float = 1.0, content_type: str = "text/html") -> Handler:
    """Sends headers at once, then the body one byte every `delay` seconds."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(
            response(200, b"", {"Content-Type": content_type, "Content-Length": str(len(body))})
        )
        await w.drain()
        for i in range(len(body)):
            w.write(body[i : i + 1])
            await w.drain()
            await asyncio.sleep(delay)

    return handler


def truncated(body: bytes, claimed: int, content_type: str = "text/html") -> Handler:
    """Claims Content-Length `claimed` but sends only `body`, then closes."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(response(200, body, {"Content-Type": content_type, "Content-Length": str(claimed)}))
        await w.drain()

    return handler


def chunked(
    chunks: list[bytes],
    *,
    finish: bool = True,
    endless: bool = False,
    content_type: str = "text/html",
    headers: dict[str, str] | None = None,
) -> Handler:
    """A chunked body; finish=False closes without the last chunk; endless=True repeats
    the chunks forever."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(
            response(
                200,
                b"",
                {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
                | dict(headers or {}),
                content_length=False,
            )
        )
        while True:
            for c in chunks:
                w.write(b"%x\r\n%s\r\n" % (len(c), c))
                await w.drain()
            if not endless:
                break
        if finish:
            w.write(b"0\r\n\r\n")
            await w.drain()

    return handler


def reset(body: bytes, claimed: int) -> Handler:
    """Sends part of the body, then resets the connection (RST, not FIN)."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(response(200, body, {"Content-Type": "text/html", "Content-Length": str(claimed)}))
        await w.drain()
        await asyncio.sleep(0.05)
        sock = w.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        w.transport.abort()

    return handler


def cookie_check(name: str = "session", value: str = "secret") -> Handler:
    """Sets a cookie, and records in `received` every Cookie header it is sent."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        handler.received.append(req.headers.get("cookie"))  # type: ignore[attr-defined]
        w.write(
            response(
                200,
                b"<html><p>cookie</p></html>",
                {"Content-Type": "text/html", "Set-Cookie": f"{name}={value}; Path=/"},
            )
        )
        await w.drain()

    handler.received = []  # type: ignore[attr-defined]
    return handler


def slow_page(body: bytes, seconds: float) -> Handler:
    """Waits `seconds` before answering (to hold a slot and measure concurrency)."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(seconds)
        w.write(response(200, body, {"Content-Type": "text/html"}))
        await w.drain()

    return handler


# --------------------------------------------------------------------- bombs


@functools.lru_cache(maxsize=8)
def bomb(coding: str, size: int) -> bytes:
    """`size` zero bytes compressed with `coding` (gzip, deflate, raw-deflate, br)."""
    if coding == "br":
        return brotli.compress(b"\0" * size, quality=5)
    if coding == "gzip":
        out, comp = [], zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    elif coding == "deflate":
        out, comp = [], zlib.compressobj(9)
    elif coding == "raw-deflate":
        out, comp = [], zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    else:
        raise ValueError(coding)
    block = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        out.append(comp.compress(block))
    out.append(comp.compress(b"\0" * (size & ((1 << 20) - 1))))
    out.append(comp.flush())
    return b"".join(out)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


# -------------------------------------------------------------------- server


class RawServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._conns: set[asyncio.Task] = set()

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="RawServer", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("RawServer did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._shutdown)
            self._thread.join(10)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, 0, limit=1 << 16)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()
            loop.run_forever()
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            if self._conns:
                loop.run_until_complete(asyncio.gather(*self._conns, return_exceptions=True))
            loop.run_until_complete(self._server.wait_closed())
        finally:
            loop.close()

    def _shutdown(self) -> None:
        assert self._loop is not None
        self._loop.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        counted = False
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            peer = str(writer.get_extra_info("peername")[0])
            req = Request(method, path, headers, time.monotonic(), peer)
            self.requests.append(req)
            self.hits[path] += 1
            self.active += 1
            counted = True
            self.max_active = max(self.max_active, self.active)
            handler = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
            if handler is None:
                handler = page(b"not found", "text/plain", status=404)
            await handler(req, writer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            IndexError,
        ):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            if counted:
                self.active -= 1
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


def run(coro):
    """asyncio.run for tests that drive a Fetcher directly."""
    return asyncio.run(coro)
