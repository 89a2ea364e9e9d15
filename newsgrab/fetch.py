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
- a total `deadline` per URL over all its attempts, redirects, back-off
  sleeps and the waits for robots.txt on every hop (time spent queueing for a
  politeness slot does not count, the robots.txt load's own queueing included);
- redirects followed here, each hop checked like the first, every Location
  validated with urlutil.parse_url (else kind `bad_redirect`); 3xx bodies unread;
- every response header parsed defensively (the "header values" section): what
  cannot be parsed is ignored and noted at INFO; an ETag or Last-Modified is
  kept only when it can be sent back as it is;
- any unexpected exception while fetching one URL is a FetchError of kind
  `internal` for that URL (a bug, reported with ISSUES_URL), never the run's end;
- the body streamed raw and decoded by decode.py in bounded steps, the decoded
  size capped at `max_bytes`;
- addresses checked by netguard.py: the URL host when it is an IP literal, every
  address a name resolves to (newsgrab resolves names itself and connects only to
  a checked address), and the peer address of every new connection;
- bytes a server sends after the end of an answer are dropped, never read as
  the answer to the next request on the connection (FramedStream);
- no cookie jar, no proxy from the environment, credentials never shown.

The network layer is built on httpx's and httpcore's extension points only
(see "network layer" below); no underscore name of a dependency is used.
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
import re
import socket
import ssl
import time
import typing
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin, urlsplit

import h11
import httpcore
import httpx

from newsgrab import ISSUES_URL, __version__, netguard, warcout
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
from newsgrab.model import WarcCapture
from newsgrab.robots import RobotsCache, Rules, origin_of
from newsgrab.urlutil import MAX_URL_LENGTH, BadURL, parse_url, redact_url

log = logging.getLogger(__name__)

E = typing.TypeVar("E", bound=BaseException)

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
    capture: WarcCapture | None = None  # its WARC record (fetch --warc-file)

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304

    @property
    def etag(self) -> str | None:
        """The ETag, when it can be sent back in If-None-Match as it is."""
        return sendable(self.headers.get("etag"))

    @property
    def last_modified(self) -> str | None:
        """The Last-Modified date, when it can be sent back in If-Modified-Since."""
        return parse_last_modified(self.headers.get("last-modified"))


# ------------------------------------------------------------ header values
#
# Every response header newsgrab uses is parsed here, defensively: a value that
# cannot be parsed is ignored (None), and the caller notes it at INFO (-v). A
# validator (ETag, Last-Modified) is kept only when it can be sent back as it is
# in a later conditional request: visible ASCII, at most MAX_VALIDATOR characters.

MAX_VALIDATOR = 1024
MAX_MEDIA_TYPE = 127
MAX_CHARSET = 40
MAX_DELAY_DIGITS = 12  # a Retry-After of more digits is "longer than any cap"
_SENDABLE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_DIGITS = re.compile(r"[0-9]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_DATE_ERRORS = (TypeError, ValueError, IndexError, OverflowError, AttributeError)


def sendable(value: str | None) -> str | None:
    """`value` when it can be sent in a request header as it is, else None."""
    if value is None:
        return None
    value = value.strip(" \t")
    if len(value) > MAX_VALIDATOR or not _SENDABLE.fullmatch(value):
        return None
    return value


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (or any RFC 5322 date) as an aware datetime; None when it is not one."""
    if not value or len(value) > 100 or not value.isascii():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except _DATE_ERRORS:
        return None
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_last_modified(value: str | None) -> str | None:
    """A Last-Modified worth storing: a date that can be sent back as it is."""
    value = sendable(value)
    return value if value is not None and parse_http_date(value) is not None else None


def parse_content_length(value: str | None) -> int | None:
    """A Content-Length of ASCII digits, or None."""
    value = (value or "").strip(" \t")
    if not _DIGITS.fullmatch(value) or len(value) > 19:
        return None
    return int(value)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset), lower case; each None when absent or not a valid token."""
    if not value:
        return None, None
    media_text, _, params = value.partition(";")
    media: str | None = media_text.strip(" \t").lower()
    kind, slash, sub = (media or "").partition("/")
    if (
        not slash
        or len(media_text) > MAX_MEDIA_TYPE
        or not _TOKEN.fullmatch(kind)
        or not _TOKEN.fullmatch(sub)
    ):
        media = None
    charset = None
    for param in params.split(";"):
        name, _, v = param.partition("=")
        if name.strip(" \t").lower() == "charset":
            v = v.strip(" \t").strip("\"'")
            if v and len(v) <= MAX_CHARSET and _TOKEN.fullmatch(v):
                charset = v.lower()
    return media, charset


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP-date);
    None when it is neither (non-ASCII digits, negative, a date past the calendar)."""
    if not value:
        return None
    value = value.strip(" \t")
    if _DIGITS.fullmatch(value):
        digits = value.lstrip("0") or "0"
        return float(int(digits)) if len(digits) <= MAX_DELAY_DIGITS else 10.0**MAX_DELAY_DIGITS
    when = parse_http_date(value)
    if when is None:
        return None
    try:
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    except OverflowError:
        return None


def _shown(value: str, limit: int = 80) -> str:
    """A header value as it may appear in a message or log: short, escaped."""
    text = ascii(value[:limit])[1:-1]
    return text + ("…" if len(value) > limit else "")


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
#
# Built on the extension points httpx and httpcore document, nothing else:
#
#   Fetcher ─► GuardedTransport (an httpx.AsyncBaseTransport)
#                 └► one httpcore.AsyncConnectionPool(network_backend=...) per origin
#                       └► GuardedBackend (an httpcore.AsyncNetworkBackend): resolves,
#                          checks every address, connects through httpcore's own
#                          AnyIOBackend, checks the peer, and wraps the stream in
#                          FramedStream (an httpcore.AsyncNetworkStream), which
#                          hands httpcore only the bytes of the answer it waits for.


class Refused(httpcore.ConnectError):
    """The guard refused an address (a private network)."""


class Unresolvable(httpcore.ConnectError):
    """A host name did not resolve."""


class TLSFailed(httpcore.ConnectError):
    """The TLS handshake failed, or the server hung up during it."""


class ConnectionLost(httpcore.ReadError):
    """The server closed the connection before the answer's headers were complete."""


class BodyCutShort(httpcore.ReadError):
    """The server closed the connection before the end of the body it announced."""


class BadAnswer(httpcore.RemoteProtocolError):
    """What the server sent is not a valid HTTP/1.1 answer."""


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc` (wrapped by httpcore and anyio, maybe in a group)."""
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


# Largest answer head (status line and headers) the framing parser accepts: the
# same as httpcore's HTTP/1.1 connection, so that both judge an answer alike.
MAX_HEAD = 100 * 1024
_REQUESTS = {"GET": h11.Request(method="GET", target="/", headers=[("Host", "-")])}


class FramedStream(httpcore.AsyncNetworkStream):
    """A connection that hands httpcore only the bytes of the answer it waits for.

    A server may send bytes after the end of an answer: a Content-Length counted
    in characters on a UTF-8 page, or a whole second answer. On a kept-alive
    connection httpcore would read them as the answer to the next request. This
    stream follows the framing of every answer with its own h11 connection (h11's
    public API: the request is a GET or HEAD with no body, and newsgrab never
    pipelines), returns the bytes up to the end of the answer, and drops the rest:
    bytes received before a request was sent can never be its answer. What is
    still in the socket when a connection is reused makes httpcore drop it.

    Its own failures are exception types the fetcher can tell apart without
    reading messages: ConnectionLost (closed before the answer's head),
    BodyCutShort (closed before the end of the body), BadAnswer (not HTTP) and
    TLSFailed."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, peer: str | None = None):
        self._inner = inner
        self._framing: h11.Connection | None = self._new_framing()
        self.discarded = 0  # bytes dropped after the end of an answer
        self.peer = peer  # the address connected to (for the WARC records)

    @staticmethod
    def _new_framing() -> h11.Connection:
        return h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        framing = self._framing
        if buffer and framing is not None and framing.our_state is not h11.SEND_BODY:
            self._expect_answer(framing, buffer)
        exchange = warcout.CURRENT.get()
        if exchange is not None:  # fetch --warc-file: the bytes as sent
            exchange.sent(buffer, self.peer)
        await self._inner.write(buffer, timeout)

    def _expect_answer(self, framing: h11.Connection, request: bytes) -> None:
        """A new request starts with `request`: frame the answer it will get."""
        try:
            if framing.our_state is h11.DONE and framing.their_state is h11.DONE:
                if framing.trailing_data[0]:  # bytes after the last answer: dropped
                    framing = self._framing = self._new_framing()
                else:
                    framing.start_next_cycle()
            if framing.our_state is not h11.IDLE:
                self._framing = None  # not a request/answer exchange this follows
                return
            method = request[: request.find(b" ")].decode("ascii", "replace")
            event = _REQUESTS.get(method)
            if event is None:
                event = h11.Request(method=method, target="/", headers=[("Host", "-")])
            framing.send(event)
            framing.send(h11.EndOfMessage())
        except h11.ProtocolError:
            self._framing = None  # (a request h11 cannot model: passed on unframed)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        exchange = warcout.CURRENT.get()
        if exchange is None:
            return self._framed(data)
        try:
            data = self._framed(data, exchange)
        except BadAnswer:  # not HTTP: kept as it came, all the same
            exchange.head_done = True
            exchange.received(data)
            raise
        exchange.received(data)  # fetch --warc-file: the bytes of the answer as received
        return data

    def _framed(self, data: bytes, exchange: warcout.Exchange | None = None) -> bytes:
        """`data` up to the end of the answer; `exchange` learns how far it got."""
        framing = self._framing
        if framing is None or framing.their_state not in (h11.SEND_RESPONSE, h11.SEND_BODY):
            if exchange is not None and framing is None:  # unframed: as it comes
                exchange.head_done = exchange.head_done or bool(data)
            return data
        head = framing.their_state is h11.SEND_RESPONSE
        if not data and head:
            raise ConnectionLost("the server closed the connection without answering")
        try:
            framing.receive_data(data)
            while True:
                event = framing.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                if type(event) is h11.Response:
                    head = False
                    if exchange is not None:
                        exchange.head_done = True
                elif type(event) is h11.EndOfMessage:
                    if exchange is not None:
                        exchange.complete = True
                    surplus = len(framing.trailing_data[0])
                    if surplus:
                        self.discarded += surplus
                        log.debug("dropped %d bytes sent after the end of an answer", surplus)
                        return data[: len(data) - surplus]
                    break
                elif type(event) is h11.ConnectionClosed:
                    break
        except h11.RemoteProtocolError as exc:
            self._framing = None
            if not data and not head:
                raise BodyCutShort(
                    "the server closed the connection before the end of the body"
                ) from None
            if not data:
                raise ConnectionLost("the server closed the connection without answering") from None
            raise BadAnswer(_describe(exc)) from None
        return data

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        except (httpcore.NetworkError, OSError) as exc:
            # whatever failed during the handshake is a TLS failure (not retried):
            # a certificate or protocol error, or a server that hung up
            with contextlib.suppress(httpcore.NetworkError, OSError):
                await self._inner.aclose()
            raise TLSFailed(_tls_reason(exc)) from exc
        return FramedStream(inner, self.peer)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


def _tls_reason(exc: BaseException) -> str:
    """Why a TLS handshake failed, from the SSLError behind `exc` (if any)."""
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            break
        if isinstance(cur, ssl.SSLError) and not isinstance(
            cur, ssl.SSLEOFError | ssl.SSLZeroReturnError
        ):
            return _describe(cur)
        cur = cur.__cause__ or cur.__context__
    return f"the server closed the connection during the TLS handshake ({_describe(exc)})"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves names itself, refuses private
    addresses (unless allowed), connects only to a checked address (through
    `inner`, by default httpcore's own AnyIOBackend), checks the peer address of
    the connection it got, and returns it as a FramedStream."""

    def __init__(self, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None):
        self._allow_private = allow_private
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    def _check(self, host: str, ip: str) -> None:
        if self._allow_private:
            return
        reason = netguard.refusal(ip)
        if reason is not None:
            shown = ip if host == ip else f"{host} ({ip})"
            raise Refused(f"refused to connect to {shown}: {reason}")

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
            raise Unresolvable(f"cannot resolve {host}: {exc.strerror or exc}") from None
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
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        started = time.monotonic()
        addresses = await self._resolve(host, port, timeout)
        for ip in addresses:  # every address must be acceptable, not just the first
            self._check(host, ip)
        last: Exception | None = None
        for ip in addresses:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            try:
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
            # the address connected to, for the private-network check (a peer that
            # reset the connection already has none: a failed connection, not a refusal)
            peer = stream.get_extra_info("server_addr")
            if not peer:
                await stream.aclose()
                raise httpcore.ConnectError(f"{ip} port {port}: the connection closed at once")
            address = str(peer[0]).split("%", 1)[0]
            try:
                self._check(host, address)
            except Refused:
                await stream.aclose()
                raise
            return FramedStream(stream, address)
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# httpcore's exceptions and the httpx ones a transport raises in their place
# (most specific first)
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """httpcore's exceptions raised as httpx's (the original kept as the cause)."""
    try:
        yield
    except Exception as exc:
        for core, ours in _HTTPX_ERRORS:
            if isinstance(exc, core):
                raise ours(_describe(exc), request=request) from exc
        raise


class _OriginPool:
    """httpcore's connection pool for one origin, and the answers it has open."""

    def __init__(self, pool: httpcore.AsyncConnectionPool):
        self.pool = pool
        self.active = 0  # requests sent whose answers are not closed yet
        self.idle_since = 0.0


class _PoolBody(httpx.AsyncByteStream):
    """The body of an httpcore answer as an httpx response stream."""

    def __init__(self, answer: httpcore.Response, request: httpx.Request, origin: _OriginPool):
        self._answer = answer
        self._request = request
        self._origin: _OriginPool | None = origin

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for part in self._answer.aiter_stream():
                yield part

    async def aclose(self) -> None:
        origin, self._origin = self._origin, None
        try:
            with _as_httpx_errors(self._request):
                await self._answer.aclose()
        finally:
            if origin is not None:
                origin.active -= 1
                origin.idle_since = time.monotonic()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport on httpcore's connection pools, whose connections are
    made by GuardedBackend. Answers are streamed.

    One httpcore.AsyncConnectionPool per origin (scheme, host, port), of at most
    `connections_per_origin` connections: httpcore's pool looks at every one of
    its connections (a system call each) whenever a request starts or ends, so a
    single pool for a run's dozens of connections cost more than the rest of a
    request. The pools of origins with nothing in flight are closed, least
    recently used first, beyond `idle_origins` of them or after `keepalive_expiry`
    (checked when a request starts)."""

    def __init__(
        self,
        allow_private: bool,
        *,
        connections_per_origin: int = 2,
        idle_origins: int = 16,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ):
        # one SSL context (loading the CA bundle costs tens of milliseconds):
        # httpx's default, certifi's CA bundle, no SSL settings from the environment
        if ssl_context is None:
            ssl_context = httpx.create_ssl_context(trust_env=False)
        self._ssl_context = ssl_context
        self._backend = network_backend or GuardedBackend(allow_private)
        self._per_origin = connections_per_origin
        self._idle_origins = idle_origins
        self._keepalive_expiry = keepalive_expiry
        # least recently used first
        self._origins: dict[tuple[bytes, bytes, int | None], _OriginPool] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> GuardedTransport:
        return cls(
            settings.allow_private_networks,
            connections_per_origin=settings.per_host_concurrency,
            idle_origins=settings.concurrency,
        )

    def _pool_for(self, key: tuple[bytes, bytes, int | None]) -> _OriginPool:
        """The origin's pool (made the most recently used), counted as in use."""
        origin = self._origins.pop(key, None)
        if origin is None:
            origin = _OriginPool(
                httpcore.AsyncConnectionPool(
                    ssl_context=self._ssl_context,
                    max_connections=self._per_origin,
                    max_keepalive_connections=self._per_origin,
                    keepalive_expiry=self._keepalive_expiry,
                    http1=True,
                    http2=False,
                    network_backend=self._backend,
                )
            )
        self._origins[key] = origin
        origin.active += 1
        return origin

    async def _close_idle(self) -> None:
        """Close the pools of idle origins: expired ones, and the least recently
        used beyond `idle_origins`."""
        origins = self._origins
        idle = sum(1 for o in origins.values() if not o.active)
        if not idle:
            return
        expired_before = time.monotonic() - self._keepalive_expiry
        for key, origin in list(origins.items()):
            if origin.active or origins.get(key) is not origin:
                continue
            if idle > self._idle_origins or origin.idle_since < expired_before:
                del origins[key]
                idle -= 1
                await origin.pool.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        origin = self._pool_for(key)
        try:
            await self._close_idle()
            with _as_httpx_errors(request):
                answer = await origin.pool.handle_async_request(core_request)
        except BaseException:
            origin.active -= 1
            origin.idle_since = time.monotonic()
            raise
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_PoolBody(answer, request, origin),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        origins, self._origins = self._origins, {}
        for origin in origins.values():
            await origin.pool.aclose()


# ------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return _one_line(text) if text else type(exc).__name__


def _in_chain(exc: BaseException, kind: type[E]) -> E | None:
    """The first exception of type `kind` in the cause/context chain of `exc`."""
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            return None
        if isinstance(cur, kind):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


def _as_fetch_error(exc: Exception, shown: str, settings: Settings, *, body: bool) -> FetchError:
    """One transport failure as a FetchError with a stable kind, from the types of
    the exceptions (the guard's own first) and, where they do not tell, from the
    phase: `body` is true once the answer's headers were received."""
    if _in_chain(exc, Refused) is not None:
        return FetchError(
            "blocked",
            _describe(exc) + " (allow_private_networks is off)",
            url=shown,
            status=BLOCKED,
        )
    if _in_chain(exc, Unresolvable) is not None:
        return FetchError("dns", _describe(exc), url=shown)
    if _in_chain(exc, TLSFailed) is not None:
        return FetchError("tls", f"TLS failed: {_describe(exc)}", url=shown)
    if _in_chain(exc, ConnectionLost) is not None:
        return FetchError("network", f"connection lost: {_describe(exc)}", url=shown)
    if _in_chain(exc, BodyCutShort) is not None:
        return FetchError("truncated", f"body cut short: {_describe(exc)}", url=shown)
    if _in_chain(exc, BadAnswer) is not None:
        return FetchError("protocol", f"invalid HTTP answer: {_describe(exc)}", url=shown)
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
        if _in_chain(exc, ssl.SSLError) is not None:
            return FetchError("tls", f"TLS failed: {_describe(exc)}", url=shown)
        return FetchError("connect", f"cannot connect: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return FetchError("network", f"connection lost: {_describe(exc)}", url=shown)
    if isinstance(exc, httpx.RemoteProtocolError):
        # (through a transport other than GuardedTransport, e.g. a proxy's)
        if body:
            return FetchError("truncated", f"body cut short: {_describe(exc)}", url=shown)
        return FetchError("network", f"connection lost: {_describe(exc)}", url=shown)
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
    """The time left of a URL's deadline; only the time spent working counts
    (not the time queueing for a politeness slot, which `queued()` tells)."""

    def __init__(self, total: float):
        self.total = total
        self.spent = 0.0
        self.queued_total = 0.0
        self.queue_since: float | None = None

    def queued(self) -> float:
        """Seconds spent queueing for politeness slots so far (a wait in progress included)."""
        since = self.queue_since
        return self.queued_total + (time.monotonic() - since if since is not None else 0.0)

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
        self._robots_budgets: dict[str, _Budget] = {}  # of each origin's robots.txt load
        self._random = random.Random()
        self.requests = 0  # HTTP requests sent (robots.txt, redirects and retries included)
        self.warc: warcout.WarcWriter | None = None  # fetch --warc-file

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self.warc = warcout.open_writer(s)
        transport = self._transport
        if transport is None:
            if s.proxy:
                transport = httpx.AsyncHTTPTransport(proxy=s.proxy, trust_env=False)
            else:
                transport = GuardedTransport.for_settings(s)
        self._sender = transport
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self._robots.aclose()
        finally:
            try:
                if self._sender is not None:
                    await self._sender.aclose()
            finally:
                if self.warc is not None:
                    await self.warc.aclose()

    # ---------------------------------------------------------------- public

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
        max_bytes: int | None = None,
        previous: WarcCapture | None = None,
    ) -> Response:
        """GET `url` under every rule above. `accept=None` takes any media type;
        `max_bytes` (at most the max_bytes setting) caps this answer's body;
        `previous`, the source's last WARC capture (an unchanged body is written
        as a revisit of it)."""
        warcout.PREVIOUS.set(previous)  # (this call's context: fetch runs in its own task)
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1" if accept else "*/*"}
        shown = redact_url(url)
        if etag:  # a stored value newsgrab cannot send (an old sidecar's) is left out
            tag = sendable(etag)
            if tag is not None:
                headers["If-None-Match"] = tag
            else:
                log.info("%s: stored ETag '%s' cannot be sent back; not sent", shown, _shown(etag))
        if last_modified:
            date = parse_last_modified(last_modified)
            if date is not None:
                headers["If-Modified-Since"] = date
            else:
                log.info(
                    "%s: stored Last-Modified '%s' is not a sendable date; not sent",
                    shown,
                    _shown(last_modified),
                )
        try:
            return await self._with_retries(
                url,
                headers,
                accept,
                min(max_bytes or self.settings.max_bytes, self.settings.max_bytes),
                self.settings.max_redirects,
                robots=True,
            )
        except FetchError:
            raise
        except Exception as exc:  # a bug: this URL fails alone, the run goes on
            raise internal_error(exc, shown) from None

    # ------------------------------------------------------------- attempts

    async def _with_retries(
        self,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        max_redirects: int,
        robots: bool,
        budget: _Budget | None = None,
    ) -> Response:
        s = self.settings
        if budget is None:
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

    def _redirect_target(
        self, current: str, location: str, status: int, shown: str, redirects: list[dict]
    ) -> str:
        """The canonical URL a Location header points to (resolved against `current`),
        recorded in `redirects`; FetchError `bad_redirect` when it cannot be a URL
        newsgrab fetches (a target that is not even printable is not recorded)."""
        location = location.strip(" \t")
        try:
            if len(location) > MAX_URL_LENGTH:
                raise BadURL(f"longer than {MAX_URL_LENGTH} characters")
            joined = urljoin(current, location).split("#", 1)[0]
        except (BadURL, ValueError) as exc:
            why = exc.reason if isinstance(exc, BadURL) else _describe(exc)
            raise FetchError(
                "bad_redirect",
                _one_line(f"invalid redirect to {_shown(location)}: {why}"),
                url=shown,
                redirects=redirects,
            ) from None
        if joined.isprintable():
            redirects.append({"url": redact_url(joined), "status": status})
        scheme = _SCHEME.match(joined)
        if scheme and scheme.group(1).lower() not in ("http", "https"):
            raise FetchError(
                "bad_redirect",
                f"not an http(s) redirect to {_shown(redact_url(joined))}",
                url=shown,
                redirects=redirects,
            )
        try:
            return str(parse_url(joined))
        except BadURL as exc:
            raise FetchError(
                "bad_redirect",
                _one_line(f"invalid redirect to {_shown(redact_url(joined))}: {exc.reason}"),
                url=shown,
                redirects=redirects,
            ) from None

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
                    await self._robots_check(current, shown, budget)
                async with self._slot(host, budget):
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
            target = self._redirect_target(
                current, answer.location, answer.status, shown, redirects
            )
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
    async def _slot(self, host: str, budget: _Budget) -> AsyncIterator[None]:
        """A per-host slot (started host_delay after the previous one), then a global
        one; the time queueing for them is recorded in `budget` (it does not count)."""
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host(
                self.settings.per_host_concurrency, self.settings.host_delay
            )
        started = budget.queue_since = time.monotonic()
        try:
            async with h.slots:
                async with h.lock:
                    wait = h.next_start - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    h.next_start = time.monotonic() + h.delay
                async with self._global:
                    budget.queue_since = None
                    budget.queued_total += time.monotonic() - started
                    yield
        finally:
            if budget.queue_since is not None:
                budget.queue_since = None
                budget.queued_total += time.monotonic() - started

    async def _robots_check(self, url: str, shown: str, budget: _Budget) -> None:
        """Raise FetchError when robots.txt refuses `url`. The time waiting for the
        origin's robots.txt counts within the URL's deadline (`budget`), except the
        load's own queueing for a politeness slot."""
        origin = origin_of(url)
        task = self._robots.load(origin, self._start_robots)
        if not task.done():
            load_budget = self._robots_budgets[origin]
            started, queued = time.monotonic(), load_budget.queued()

            def counted() -> float:
                return time.monotonic() - started - (load_budget.queued() - queued)

            try:
                while not task.done():
                    left = budget.left - counted()
                    if left <= 0:
                        raise FetchError(
                            "timeout",
                            f"robots.txt of {origin} not read within the "
                            f"{self.settings.deadline:g} s deadline",
                            url=shown,
                        )
                    await asyncio.wait({task}, timeout=left)
            finally:
                budget.spent += max(0.0, counted())
        rules = self._robots.result(origin, task)
        rules.check(url, self.settings.user_agent, shown)

    def _start_robots(self, origin: str) -> typing.Awaitable[Rules]:
        """The load of `origin`'s robots.txt, with its own deadline (kept, so that
        the URLs waiting for it can tell how long it queued for a slot)."""
        budget = self._robots_budgets[origin] = _Budget(self.settings.deadline)
        return self._load_robots(origin, budget)

    async def _load_robots(self, origin: str, budget: _Budget) -> Rules:
        url = origin + "/robots.txt"
        try:
            resp = await self._with_retries(
                url,
                {"Accept": "text/plain, */*"},
                None,
                ROBOTS_MAX_BYTES,
                ROBOTS_MAX_REDIRECTS,
                robots=False,
                budget=budget,
            )
        except FetchError as err:
            if err.kind == "internal":
                raise
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
        except Exception as exc:  # a bug: the origin's URLs fail with it in this run
            raise internal_error(exc, redact_url(url)) from None
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
        """One GET and its answer; with --warc-file, written as WARC records."""
        if self.warc is None:
            return await self._one_get(url, shown, headers, accept, max_bytes, retry_after)
        exchange = warcout.Exchange(_split_credentials(url)[0], max_bytes)
        token = warcout.CURRENT.set(exchange)
        try:
            answer = await self._one_get(url, shown, headers, accept, max_bytes, retry_after)
        except FetchError as err:
            exchange.failed(err.kind)
            warcout.CURRENT.reset(token)
            await self.warc.write(exchange)
            raise
        except BaseException:  # cancelled, or out of time: what came is written
            exchange.failed("timeout")
            self.warc.write_later(exchange)
            raise
        finally:
            if warcout.CURRENT.get() is exchange:
                warcout.CURRENT.reset(token)
        capture = await self.warc.write(exchange)
        if isinstance(answer, Response):
            answer.capture = capture
        return answer

    async def _one_get(
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
        body = False  # whether the answer's headers were received
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
            body = True
            try:
                answer = await self._answer(r, url, shown, headers, accept, max_bytes, retry_after)
            finally:
                await r.aclose()
        except FetchError as err:
            log.info("GET %s: %s (%s)", shown, err.message, err.kind)
            raise
        except httpx.HTTPError as exc:
            failure = _as_fetch_error(exc, shown, self.settings, body=body)
            log.info("GET %s: %s (%s)", shown, failure.message, failure.kind)
            raise failure from None
        took = time.monotonic() - started
        if isinstance(answer, _Redirect):
            log.info(
                "GET %s: %d -> %s (%.2f s)",
                shown,
                answer.status,
                _shown(redact_url(answer.location), 200),
                took,
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
            location = _location(r.headers)
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
            value = r.headers.get("retry-after")
            wait = parse_retry_after(value)
            if wait is not None:
                retry_after.append(wait)
            elif value:
                log.info("%s: unusable Retry-After '%s' ignored", shown, _shown(value))
            raise FetchError("http_status", f"HTTP {code}", url=shown, http_status=code)
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        lowered = {k.lower(): v for k, v in r.headers.items()}
        _note_unusable(lowered, shown)
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
        length = parse_content_length(r.headers.get("content-length"))
        if length is not None and length > max_bytes:
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
    length = parse_content_length(r.headers.get("content-length"))
    if r.status_code != 304 and (length is None or length > DRAIN_LIMIT):
        return  # (HTTP gives a 304 no body, whatever its headers say)
    received = 0
    async for chunk in r.aiter_raw():
        received += len(chunk)
        if received > DRAIN_LIMIT:
            return


def internal_error(exc: BaseException, shown: str) -> FetchError:
    """A FetchError of kind `internal` for an unexpected exception while fetching
    `shown` (a bug in newsgrab); the traceback is logged at DEBUG."""
    log.debug("%s: internal error", shown, exc_info=exc)
    log.info("%s: internal error: %s: %s", shown, type(exc).__name__, _describe(exc))
    return FetchError(
        "internal",
        f"internal error ({type(exc).__name__}) while fetching; this is a bug in "
        f"newsgrab {__version__}, please report it at {ISSUES_URL} "
        "(run with -vv for the traceback)",
        url=shown,
    )


def _location(headers: httpx.Headers) -> str | None:
    """The first Location header, its bytes read as UTF-8 (as browsers do) when they
    are UTF-8, else as Latin-1 (httpx decodes all of an answer's headers alike)."""
    for name, value in headers.raw:
        if name.lower() == b"location":
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value.decode("latin-1")
    return None


def _note_unusable(headers: dict[str, str], shown: str) -> None:
    """Note at INFO the headers of an answer that are ignored as unusable."""
    etag = headers.get("etag")
    if etag is not None and sendable(etag) is None:
        log.info("%s: ETag '%s' cannot be sent back; not kept", shown, _shown(etag))
    modified = headers.get("last-modified")
    if modified is not None and parse_last_modified(modified) is None:
        log.info("%s: Last-Modified '%s' is not a sendable date; not kept", shown, _shown(modified))
    ctype = headers.get("content-type")
    if ctype is not None:
        media, charset = parse_content_type(ctype)
        if media is None or (charset is None and "charset" in ctype.lower()):
            log.info("%s: Content-Type '%s' not understood in part; ignored", shown, _shown(ctype))
    length = headers.get("content-length")
    if length is not None and parse_content_length(length) is None:
        log.info("%s: Content-Length '%s' ignored", shown, _shown(length))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
