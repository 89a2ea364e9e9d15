"""HTTP fetching: the only module that imports httpx.

    async with Fetcher(settings) as fetcher:
        response = await fetcher.fetch(url, etag=..., last_modified=...)

`fetch` returns a Response (200 with the body, or 304 with none) or raises
FetchError with a stable `kind` and the source `status` it leads to.

Rules every request follows (see /README "Fetching" for the user's view):
- politeness: at most `concurrency` requests in flight, `per_host_concurrency`
  per host, requests to one host started at least `host_delay` seconds apart
  (longer when robots.txt asks with Crawl-delay or a server with Retry-After),
  robots.txt obeyed (robots.py), an honest User-Agent;
- a total `deadline` per URL over all its attempts, redirects and back-off
  sleeps (time spent queueing for a politeness slot does not count);
- redirects followed here, each hop checked like the first; 3xx bodies unread;
- the body streamed raw and decoded by decode.py in bounded steps, the decoded
  size capped at `max_bytes`;
- addresses checked by netguard.py: the URL host when it is an IP literal, every
  address a name resolves to (newsgrab resolves names itself and connects only to
  a checked address), and the peer address of every new connection;
- no cookie jar, no proxy from the environment, credentials never shown.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import email.utils
import logging
import os
import random
import select
import socket
import ssl
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import unquote, urljoin, urlsplit

import httpcore
import httpx

from newsgrab import netguard
from newsgrab.config import Settings
from newsgrab.decode import (
    BROTLI_BOUNDED,
    DecodeError,
    Decoder,
    TooLarge,
    decode,
    parse_codings,
)
from newsgrab.errors import BLOCKED, GONE, UNSUPPORTED, FetchError
from newsgrab.robots import RobotsCache, Rules, origin_of
from newsgrab.urlutil import redact_url

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Statuses worth another attempt, and failure kinds worth another attempt.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})
RETRY_KINDS = frozenset({"timeout", "connect", "network", "truncated"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_MAX_REDIRECTS = 5
ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI_BOUNDED else "gzip, deflate"
MAX_MESSAGE = 300


@dataclasses.dataclass
class Response:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status_code: int  # 200, or 304 when a conditional request matched
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    content_type: str | None = None  # media type only, lower case
    charset: str | None = None  # from the Content-Type header
    redirects: list[dict] = dataclasses.field(default_factory=list)  # [{"url", "status"}]
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, v = param.partition("=")
        if name.strip().lower() == "charset":
            charset = v.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ------------------------------------------------------------------ sniffing

_BINARY_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "a RIFF (WebP, WAV, AVI) file"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"OggS", "Ogg media"),
    (b"ID3", "an MP3 file"),
    (b"wOFF", "a font"),
    (b"wOF2", "a font"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"BZh", "bzip2 data"),
)
_UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HTML_MARKERS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<title",
    b"<meta",
    b"<p",
    b"<div",
    b"<article",
    b"<!--",
    b"<script",
    b"<h1",
    b"<a ",
)


def binary_kind(body: bytes) -> str | None:
    """What binary thing `body` is (e.g. "a PNG image"), or None when it may be text."""
    head = body[:1024]
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(_UNICODE_BOMS[1:]) or head.startswith(b"\x00\x00\xfe\xff"):
        return None  # UTF-16/32 text has NUL bytes
    if b"\x00" in head:
        return "binary data"
    return None


def looks_like_html(body: bytes) -> bool:
    head = body[:1024]
    for bom in _UNICODE_BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    head = head.lstrip().lower()
    return head.startswith(b"<") and any(m in head for m in _HTML_MARKERS)


# ------------------------------------------------------------ network layer


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc` (wrapped by httpcore and httpx, maybe in a group)."""
    todo: list[BaseException] = [exc]
    for _ in range(20):
        if not todo:
            break
        cur = todo.pop(0)
        if isinstance(cur, OSError) and cur.strerror:
            return cur
        todo.extend(getattr(cur, "exceptions", ()))
        todo.extend(e for e in (cur.__cause__, cur.__context__) if e is not None)
    return None


class _Refused(Exception):
    """The network layer refused an address (private network)."""


class _Unresolvable(Exception):
    """A host name did not resolve."""


# Bytes received and not yet read beyond which a connection stops reading its socket.
READ_BUFFER = 256 * 1024


class _Receiver(asyncio.Protocol):
    """The receiving side of one connection: the bytes that arrived and not yet
    read, whether the peer is done, and whether the socket takes more writes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: Exception | None = None
        self.paused = False  # reading paused: READ_BUFFER bytes wait to be read
        self.waiter: asyncio.Future[None] | None = None  # a read waiting for bytes
        self.drained: asyncio.Future[None] | None = None  # a write waiting for room

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_BUFFER and not self.paused and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def eof_received(self) -> None:
        self.eof = True  # (returns None: the transport closes, nothing is sent after it)
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        if self.drained is None:
            self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Stream(httpcore.AsyncNetworkStream):
    """One connection as httpcore's network stream, on asyncio's own transports.

    (httpcore's anyio backend costs more per request than the rest of a 304
    revalidation: a cancel scope around every read and write, and two epoll
    changes per read, as it pauses the socket while nothing is being read.) The
    socket is read as bytes arrive, up to READ_BUFFER bytes ahead; the poll
    object that tells whether an idle connection was hung up on is built once."""

    def __init__(self, transport: asyncio.Transport, receiver: _Receiver, peer):
        self._transport = transport
        self._receiver = receiver
        self._peer = peer
        # after start_tls, reading is paused and resumed on the TLS transport (and
        # a pause made on the plain one during the handshake moves over to it)
        if (
            receiver.paused
            and receiver.transport is not None
            and receiver.transport is not transport
        ):
            receiver.transport.resume_reading()
            transport.pause_reading()
        receiver.transport = transport
        self._poller = select.poll()
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._poller.register(sock.fileno(), select.POLLIN)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        r = self._receiver
        if not r.buffer and not r.eof:
            r.waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await r.waiter
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data for {timeout:g} s") from None
            finally:
                r.waiter = None
        if r.buffer:
            if len(r.buffer) <= max_bytes:
                data = bytes(r.buffer)
                r.buffer.clear()
            else:
                data = bytes(r.buffer[:max_bytes])
                del r.buffer[:max_bytes]
            if r.paused and len(r.buffer) <= READ_BUFFER // 2 and not r.eof:
                r.paused = False
                self._transport.resume_reading()
            return data
        if r.error is not None:
            raise httpcore.ReadError(_describe(r.error)) from r.error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        r = self._receiver
        if self._transport.is_closing():
            why = _describe(r.error) if r.error is not None else "the connection is closed"
            raise httpcore.WriteError(why)
        self._transport.write(buffer)
        if r.drained is not None:
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(r.drained)
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not send for {timeout:g} s") from None
            if r.error is not None:
                raise httpcore.WriteError(_describe(r.error)) from r.error

    async def aclose(self) -> None:
        # at once: a TLS close would wait (up to half a minute) for the server's
        # close_notify, and the connection may be closed because the server stalls
        self._transport.abort()

    async def start_tls(
        self, ssl_context, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._receiver, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.abort()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout:g} s") from None
        except OSError as exc:
            self._transport.abort()
            _tls_failure(exc)
        if transport is None:
            _tls_failure(ConnectionError("the connection was closed"))
        return _Stream(transport, self._receiver, self._peer)

    def _readable(self) -> bool:
        """Whether the idle connection has something to read (the peer closed it,
        or sent what it should not have): such a connection is not reused. (The
        buffer and end are looked at first: once the end was read, the socket
        is closed and its descriptor may belong to another connection.)"""
        r = self._receiver
        if r.buffer or r.eof or self._transport.is_closing():
            return True
        return bool(self._poller.poll(0))

    def get_extra_info(self, info: str):
        if info == "is_readable":
            return self._readable()
        if info == "server_addr":
            return self._peer
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info in ("socket", "ssl_object"):
            return self._transport.get_extra_info(info)
        return None


def _tls_failure(exc: OSError) -> NoReturn:
    """Raise a failed TLS handshake as httpcore's ConnectError, with an SSLError as
    its context (the pool re-raises it `from None`; the context is what is left to
    tell a TLS failure by). A server that hung up or reset counts as one too."""
    tls_error = (
        exc
        if isinstance(exc, ssl.SSLError)
        else ssl.SSLEOFError(
            f"the server closed the connection during the TLS handshake ({_describe(exc)})"
        )
    )
    try:
        raise tls_error
    except ssl.SSLError as error:
        raise httpcore.ConnectError(_describe(error)) from error


async def _open_tcp(
    ip: str, port: int, timeout: float | None, local_address: str | None, socket_options
) -> _Stream:
    """A TCP connection to `ip` (an address, never a name) as a _Stream."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock: socket.socket | None = None
    try:
        # (inside the try: no descriptor left, or no IPv6 here, fails this URL only)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        for option in socket_options or ():
            sock.setsockopt(*option)
        if local_address:
            sock.bind((local_address, 0))
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (ip, port))
        # the address connected to, for the private-network check (a peer that
        # reset the connection already has none: a failed connection, not a refusal)
        peer = sock.getpeername()
        transport, receiver = await loop.create_connection(_Receiver, sock=sock)
    except BaseException as exc:
        if sock is not None:
            sock.close()
        if isinstance(exc, TimeoutError):
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from None
        if isinstance(exc, OSError):
            raise httpcore.ConnectError(_describe(exc)) from exc
        raise
    return _Stream(transport, receiver, peer)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves names itself, refuses private
    addresses (unless allowed), connects only to a checked address, and checks
    the peer address of the connection it got."""

    def __init__(self, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None):
        self._allow_private = allow_private
        self._inner = inner  # connects instead of asyncio (tests)

    def _check(self, host: str, ip: str) -> None:
        if self._allow_private:
            return
        reason = netguard.refusal(ip)
        if reason is not None:
            shown = ip if host == ip else f"{host} ({ip})"
            raise _Refused(f"refused to connect to {shown}: {reason}")

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        literal = netguard.parse_ip(host)
        if literal is not None:
            return [str(literal)]
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except socket.gaierror as exc:
            raise _Unresolvable(f"cannot resolve {host}: {exc.strerror or exc}") from None
        seen: list[str] = []
        for info in infos:
            ip = str(info[4][0]).split("%", 1)[0]
            if ip not in seen:
                seen.append(ip)
        return seen

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.AsyncNetworkStream:
        started = time.monotonic()
        addresses = await self._resolve(host, port, timeout)
        for ip in addresses:  # every address must be acceptable, not just the first
            self._check(host, ip)
        last: Exception | None = None
        for ip in addresses:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            stream: httpcore.AsyncNetworkStream
            try:
                if self._inner is None:
                    stream = await _open_tcp(ip, port, left, local_address, socket_options)
                else:
                    stream = await self._inner.connect_tcp(
                        ip,
                        port,
                        timeout=left,
                        local_address=local_address,
                        socket_options=socket_options,
                    )
            except httpcore.ConnectTimeout as exc:
                last = exc
                continue
            except httpcore.ConnectError as exc:
                cause = _os_error(exc)
                why = (
                    (os.strerror(cause.errno) if cause.errno else str(cause))
                    if cause
                    else _describe(exc)
                )
                last = httpcore.ConnectError(f"{ip} port {port}: {why.lower()}")
                continue
            peer = stream.get_extra_info("server_addr")
            if not peer:
                await stream.aclose()
                raise httpcore.ConnectError(f"{ip} port {port}: the connection closed at once")
            try:
                self._check(host, str(peer[0]).split("%", 1)[0])
            except _Refused:
                await stream.aclose()
                raise
            return stream
        assert last is not None
        raise last

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise _Refused("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Pool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool with its bookkeeping in linear time.

    The pool re-plans every time a request starts or a response is closed. For
    each idle connection httpcore counts the whole pool again (a list built only
    for its length), so with a few dozen connections a request cost thousands of
    calls. Same decisions, in the same order, counted once; only the check of
    every idle connection's socket is spread out (see SWEEP).

    This reads httpcore 1.0's private pool state; a release that lays it out
    differently gets httpcore's own method."""

    _STATE = ("_connections", "_requests", "_max_connections", "_max_keepalive_connections")

    SWEEP = 1.0

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._linear = all(hasattr(self, name) for name in self._STATE)
        self._next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        if not self._linear:
            return super()._assign_requests_to_connections()
        closing = []
        connections = self._connections
        # Closed and surplus idle connections leave the pool, and so do expired
        # ones (keep-alive time over, or the server hung up while the connection
        # was idle). The pool is swept every SWEEP seconds, and whenever it holds
        # more connections than it keeps alive or is full; in between, a closed or
        # expired connection is never handed a request (one about to be reused is
        # always checked) and only takes a place in the list.
        now = time.monotonic()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + self.SWEEP
        if (
            sweep
            or len(connections) > self._max_keepalive_connections
            or len(connections) >= self._max_connections
        ):
            for connection in list(connections):
                if connection.is_closed():
                    connections.remove(connection)
                elif connection.has_expired() or (
                    len(connections) > self._max_keepalive_connections and connection.is_idle()
                ):
                    connections.remove(connection)
                    closing.append(connection)
        # Queued requests get an available connection to their origin, a new
        # one, or a new one in place of an idle one.
        for pool_request in self._requests:
            if not pool_request.is_queued():
                continue
            origin = pool_request.request.url.origin
            chosen = None
            for connection in list(connections):
                if connection.can_handle_request(origin) and connection.is_available():
                    if not sweep and connection.has_expired():
                        connections.remove(connection)
                        closing.append(connection)
                        continue
                    chosen = connection
                    break
            if chosen is None:
                if len(connections) >= self._max_connections:
                    idle = next((c for c in connections if c.is_idle()), None)
                    if idle is None:
                        continue  # waits until a connection is released
                    connections.remove(idle)
                    closing.append(idle)
                chosen = self.create_connection(origin)
                connections.append(chosen)
            pool_request.assign_to_connection(chosen)
        return closing


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on GuardedBackend."""

    def __init__(self, settings: Settings):
        limits = httpx.Limits(
            max_connections=settings.concurrency + 8, max_keepalive_connections=settings.concurrency
        )
        # one SSL context (loading the CA bundle costs tens of milliseconds),
        # handed to httpx so that it does not build a second one
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False, retries=0)
        self._pool = _Pool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(settings.allow_private_networks),
        )


# ------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _has_cause(exc: BaseException, kind: type[BaseException]) -> bool:
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, kind):
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return _one_line(text) if text else type(exc).__name__


def _as_fetch_error(exc: Exception, shown: str, settings: Settings) -> FetchError:
    """One httpx (or network layer) failure as a FetchError with a stable kind."""
    if isinstance(exc, _Refused):
        return FetchError(
            "blocked",
            _describe(exc) + " (allow_private_networks is off)",
            url=shown,
            status=BLOCKED,
        )
    if isinstance(exc, _Unresolvable):
        return FetchError("dns", _describe(exc), url=shown)
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError(
            "timeout", f"no connection within {settings.connect_timeout:g} s", url=shown
        )
    if isinstance(exc, httpx.ReadTimeout):
        return FetchError("timeout", f"no data for {settings.read_timeout:g} s", url=shown)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("timeout", f"timed out: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.ProxyError):
        return FetchError("proxy", f"proxy failed: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.ConnectError):
        if _has_cause(exc, ssl.SSLError):
            return FetchError("tls", f"TLS failed: {_describe(exc)}", url=shown)
        return FetchError("connect", f"cannot connect: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return FetchError("network", f"connection lost: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.RemoteProtocolError):
        text = _describe(exc)
        if "without sending a response" in text or "disconnected" in text.lower():
            return FetchError("network", f"connection lost: {text}", url=shown)
        if "complete message body" in text or "incomplete chunked read" in text:
            return FetchError("truncated", f"body cut short: {text}", url=shown)
        return FetchError("protocol", f"invalid HTTP answer: {text}", url=shown)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError("bad_url", f"invalid URL: {_describe(exc)}", url=shown)
    return FetchError("protocol", _describe(exc), url=shown)


def _split_credentials(url: str) -> tuple[str, str | None]:
    """(the URL without `user:pass@`, a Basic Authorization value or None)."""
    if "@" not in url:
        return url, None
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url, None
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return redact_url(url), f"Basic {token}"


class _Budget:
    """The time left of a URL's deadline; only the time spent working counts."""

    def __init__(self, total: float):
        self.total = total
        self.spent = 0.0

    @property
    def left(self) -> float:
        return self.total - self.spent

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            async with asyncio.timeout(max(self.left, 0.0)):
                yield
        finally:
            self.spent += time.monotonic() - started


class _Host:
    def __init__(self, slots: int, delay: float):
        self.slots = asyncio.Semaphore(slots)
        self.lock = asyncio.Lock()
        self.delay = delay
        self.next_start = 0.0


@dataclasses.dataclass
class _Redirect:
    location: str
    status: int


# ------------------------------------------------------------------- Fetcher


class Fetcher:
    """One run's HTTP client with its politeness and safety rules."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._transport = transport
        self._sender: httpx.AsyncBaseTransport | None = None
        self._headers = {
            "User-Agent": settings.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Connection": "keep-alive",
        }
        self._timeouts = httpx.Timeout(
            settings.read_timeout, connect=settings.connect_timeout, pool=None
        ).as_dict()
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._robots = RobotsCache()
        self._random = random.Random()
        self.requests = 0  # HTTP requests sent (robots.txt, redirects and retries included)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        transport = self._transport
        if transport is None:
            if s.proxy:
                transport = httpx.AsyncHTTPTransport(proxy=s.proxy, trust_env=False)
            else:
                transport = _GuardedTransport(s)
        self._sender = transport
        return self

    async def __aexit__(self, *exc) -> None:
        if self._sender is not None:
            await self._sender.aclose()

    # ---------------------------------------------------------------- public

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
    ) -> Response:
        """GET `url` under every rule above. `accept=None` takes any media type."""
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1" if accept else "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._with_retries(
            url, headers, accept, self.settings.max_bytes, self.settings.max_redirects, robots=True
        )

    # ------------------------------------------------------------- attempts

    async def _with_retries(
        self,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        max_redirects: int,
        robots: bool,
    ) -> Response:
        s = self.settings
        budget = _Budget(s.deadline)
        shown = redact_url(url)
        attempt = 0
        while True:
            attempt += 1
            retry_after: list[float] = []
            try:
                resp = await self._follow(
                    url, headers, accept, max_bytes, max_redirects, robots, budget, retry_after
                )
                resp.attempts = attempt
                return resp
            except FetchError as err:
                err.url = shown
                err.attempts = attempt
                delay = self._retry_delay(err, attempt, retry_after)
                if delay is None:
                    raise
                if delay > budget.left:
                    err.message = _one_line(
                        f"{err.message}; no time left for another try "
                        f"within the {s.deadline:g} s deadline"
                    )
                    raise
                log.info(
                    "%s: %s; attempt %d of %d in %.1f s",
                    shown,
                    err.message,
                    attempt + 1,
                    s.retries + 1,
                    delay,
                )
                await asyncio.sleep(delay)
                budget.spent += delay

    def _retry_delay(self, err: FetchError, attempt: int, retry_after: list[float]) -> float | None:
        """Seconds to wait before the next attempt, or None when there is none."""
        s = self.settings
        transient = err.kind in RETRY_KINDS or (
            err.kind == "http_status" and err.http_status in RETRY_STATUSES
        )
        if not transient or attempt > s.retries:
            return None
        if retry_after:
            if retry_after[0] > s.retry_after_cap:
                err.message = _one_line(
                    f"{err.message}; server asked to retry after {retry_after[0]:.0f} s, "
                    f"over the retry_after_cap of {s.retry_after_cap:g} s"
                )
                return None
            return retry_after[0]
        base = s.backoff * 2 ** (attempt - 1)
        return base / 2 + self._random.random() * base / 2

    # ------------------------------------------------------------ redirects

    def _check_url(self, url: str, shown: str, first: bool) -> str:
        """The host to talk to; raises FetchError for a URL newsgrab must not request."""
        kind = "bad_url" if first else "bad_redirect"
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError as exc:
            raise FetchError(kind, _one_line(f"invalid URL {shown}: {exc}"), url=shown) from None
        what = "URL" if first else "redirect to"
        if parts.scheme not in ("http", "https"):
            raise FetchError(kind, f"not an http(s) {what} {_one_line(shown)}", url=shown)
        if not host:
            raise FetchError(kind, f"no host in {what} {_one_line(shown)}", url=shown)
        if not self.settings.allow_private_networks:
            reason = None
            if host == "localhost" or host.endswith(".localhost"):
                reason = f"{host} is a loopback name"
            else:
                ip = netguard.parse_ip(host)
                if ip is not None:
                    reason = netguard.refusal(ip)
            if reason is not None:
                where = "" if first else f" redirect to {_one_line(shown)}"
                raise FetchError(
                    "blocked",
                    f"refused{where}: {reason} (allow_private_networks is off)",
                    url=shown,
                    status=BLOCKED,
                )
        return host

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        max_redirects: int,
        robots: bool,
        budget: _Budget,
        retry_after: list[float],
    ) -> Response:
        redirects: list[dict] = []
        seen = {url}
        current = url
        while True:
            shown = redact_url(current)
            try:
                host = self._check_url(current, shown, first=not redirects)
                if robots and self.settings.obey_robots:
                    await self._robots_check(current, shown)
                async with self._slot(host):
                    try:
                        async with budget.running():
                            answer = await self._exchange(
                                current, shown, headers, accept, max_bytes, retry_after
                            )
                    except TimeoutError:
                        raise FetchError(
                            "timeout",
                            f"no complete answer within the {self.settings.deadline:g} s deadline",
                            url=shown,
                        ) from None
                    finally:
                        if retry_after and retry_after[0] <= self.settings.retry_after_cap:
                            # the server asked for a pause: every URL of the host waits
                            h = self._hosts[host]
                            h.next_start = max(h.next_start, time.monotonic() + retry_after[0])
            except FetchError as err:
                err.redirects = redirects
                raise
            if isinstance(answer, Response):
                answer.url = redact_url(url)
                answer.redirects = redirects
                return answer
            target = urljoin(current, answer.location.strip())
            target = target.split("#", 1)[0]
            redirects.append({"url": redact_url(target), "status": answer.status})
            if target in seen:
                raise FetchError(
                    "too_many_redirects",
                    f"redirect loop back to {_one_line(redact_url(target))}",
                    url=shown,
                    redirects=redirects,
                )
            if len(redirects) > max_redirects:
                raise FetchError(
                    "too_many_redirects",
                    f"more than {max_redirects} redirects",
                    url=shown,
                    redirects=redirects,
                )
            seen.add(target)
            current = target

    # ------------------------------------------------------------ politeness

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """A per-host slot (started host_delay after the previous one), then a global one."""
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host(
                self.settings.per_host_concurrency, self.settings.host_delay
            )
        async with h.slots:
            async with h.lock:
                wait = h.next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                h.next_start = time.monotonic() + h.delay
            async with self._global:
                yield

    async def _robots_check(self, url: str, shown: str) -> None:
        rules = await self._robots.get(origin_of(url), self._load_robots)
        rules.check(url, self.settings.user_agent, shown)

    async def _load_robots(self, origin: str) -> Rules:
        url = origin + "/robots.txt"
        try:
            resp = await self._with_retries(
                url,
                {"Accept": "text/plain, */*"},
                None,
                ROBOTS_MAX_BYTES,
                ROBOTS_MAX_REDIRECTS,
                robots=False,
            )
        except FetchError as err:
            code = err.http_status
            if code is not None and (code >= 500 or code == 429):
                log.info("%s: HTTP %d; nothing fetched from %s in this run", url, code, origin)
                return Rules(
                    refuse_all=f"robots.txt answered HTTP {code}: nothing is "
                    "fetched from this site in this run"
                )
            if code is not None and 400 <= code < 500:
                return Rules()
            if err.kind in RETRY_KINDS or err.kind in ("dns", "tls", "blocked", "proxy"):
                # the site is unreachable (or refused): its URLs fail the same way
                raise
            log.info("%s: unusable (%s); treating as absent", url, err.message)
            return Rules()
        if resp.not_modified:
            return Rules()
        rules = Rules.parse(resp.body.decode("utf-8", "replace"), self.settings.user_agent)
        if rules.crawl_delay:
            h = self._hosts.get(urlsplit(origin).hostname or "")
            if h is not None:
                h.delay = max(h.delay, min(rules.crawl_delay, self.settings.retry_after_cap))
        return rules

    # --------------------------------------------------------- one exchange

    async def _exchange(
        self,
        url: str,
        shown: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        retry_after: list[float],
    ) -> Response | _Redirect:
        """Send one GET and read its answer (the body only when it will be used)."""
        assert self._sender is not None, "use Fetcher as an async context manager"
        self.requests += 1
        started = time.monotonic()
        plain, auth = _split_credentials(url)
        if auth is not None:  # httpx (and its logs) never see the credentials
            headers = headers | {"Authorization": auth}
        try:
            # straight to the transport: redirects, cookies and authentication are
            # newsgrab's own business (none of httpx.AsyncClient's layers is wanted)
            request = httpx.Request(
                "GET",
                plain,
                headers=self._headers | headers,
                extensions={"timeout": self._timeouts},
            )
            r = await self._sender.handle_async_request(request)
            try:
                answer = await self._answer(r, url, shown, headers, accept, max_bytes, retry_after)
            finally:
                await r.aclose()
        except FetchError as err:
            log.info("GET %s: %s (%s)", shown, err.message, err.kind)
            raise
        except (httpx.HTTPError, _Refused, _Unresolvable) as exc:
            failure = _as_fetch_error(exc, shown, self.settings)
            log.info("GET %s: %s (%s)", shown, failure.message, failure.kind)
            raise failure from None
        took = time.monotonic() - started
        if isinstance(answer, _Redirect):
            log.info(
                "GET %s: %d -> %s (%.2f s)", shown, answer.status, redact_url(answer.location), took
            )
        else:
            log.info(
                "GET %s: %d %s, %d bytes (%.2f s)",
                shown,
                answer.status_code,
                answer.content_type or "-",
                len(answer.body),
                took,
            )
        return answer

    async def _answer(
        self,
        r: httpx.Response,
        url: str,
        shown: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        retry_after: list[float],
    ) -> Response | _Redirect:
        code = r.status_code
        if code in REDIRECT_STATUSES:
            location = r.headers.get("location")
            if not location:
                raise FetchError(
                    "protocol",
                    f"HTTP {code} without a Location header",
                    url=shown,
                    http_status=code,
                )
            return _Redirect(location, code)  # the body is never read
        if code in (404, 410):
            await _drain(r)
            raise FetchError(
                "http_status", f"HTTP {code}: page gone", url=shown, status=GONE, http_status=code
            )
        if code in RETRY_STATUSES:
            await _drain(r)
            wait = parse_retry_after(r.headers.get("retry-after"))
            if wait is not None:
                retry_after.append(wait)
            raise FetchError("http_status", f"HTTP {code}", url=shown, http_status=code)
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        lowered = {k.lower(): v for k, v in r.headers.items()}
        if code == 304 and conditional:
            await _drain(r)  # a 304 has no body; reading its end keeps the connection
            return Response(url=url, final_url=shown, status_code=304, headers=lowered)
        if code not in (200, 203):
            await _drain(r)
            raise FetchError("http_status", f"HTTP {code}", url=shown, http_status=code)
        media, charset = parse_content_type(r.headers.get("content-type"))
        if accept is not None and media is not None and media not in accept:
            raise FetchError(
                "unsupported", f"not HTML: {media}", url=shown, status=UNSUPPORTED, http_status=code
            )
        body = await self._read_body(r, shown, max_bytes)
        if accept is not None:
            what = binary_kind(body)
            if what is not None:
                raise FetchError(
                    "unsupported",
                    f"{what}, served as {media or 'no type'}",
                    url=shown,
                    status=UNSUPPORTED,
                    http_status=code,
                )
            if media is None:
                if "text/html" in accept and looks_like_html(body):
                    media = "text/html"
                else:
                    raise FetchError(
                        "unsupported",
                        "no Content-Type and not HTML",
                        url=shown,
                        status=UNSUPPORTED,
                        http_status=code,
                    )
        return Response(
            url=url,
            final_url=shown,
            status_code=code,
            headers=lowered,
            body=body,
            content_type=media,
            charset=charset,
        )

    async def _read_body(self, r: httpx.Response, shown: str, max_bytes: int) -> bytes:
        codings = parse_codings(r.headers.get("content-encoding"))
        if len(codings) > 1:
            raise FetchError(
                "encoding",
                f"stacked content codings ({', '.join(codings)}) are not accepted",
                url=shown,
                http_status=r.status_code,
            )
        coding = codings[0] if codings else None
        length = r.headers.get("content-length", "").strip()
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(
                "too_large",
                f"Content-Length {length} is over the size cap of {max_bytes} bytes",
                url=shown,
                http_status=r.status_code,
            )
        try:
            decoder = Decoder(coding, max_bytes)
            chunks: list[bytes] = []
            received = 0
            async for chunk in r.aiter_raw():
                received += len(chunk)
                if received > max_bytes:
                    raise TooLarge(max_bytes)
                decoder.feed(chunk)  # counts the decoded size, keeps nothing
                chunks.append(chunk)
            decoder.finish()
            return decode(chunks, coding, max_bytes)
        except TooLarge:
            what = f"{coding}-decoded body" if coding else "body"
            raise FetchError(
                "too_large",
                f"{what} over the size cap of {max_bytes} bytes",
                url=shown,
                http_status=r.status_code,
            ) from None
        except DecodeError as exc:
            raise FetchError(
                "encoding", _one_line(str(exc)), url=shown, http_status=r.status_code
            ) from None


DRAIN_LIMIT = 64 * 1024


async def _drain(r: httpx.Response) -> None:
    """Read a small unused body to its end, so its connection goes back to the pool
    (a response closed before its end closes the connection). A body that may be
    larger than DRAIN_LIMIT is left unread: closing costs a reconnect, not memory."""
    length = r.headers.get("content-length", "").strip()
    if r.status_code != 304 and (not length.isdigit() or int(length) > DRAIN_LIMIT):
        return  # (HTTP gives a 304 no body, whatever its headers say)
    received = 0
    async for chunk in r.aiter_raw():
        received += len(chunk)
        if received > DRAIN_LIMIT:
            return


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
