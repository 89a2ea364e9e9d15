"""HTTP fetching: the only module that imports httpx.

    async with Fetcher(settings) as fetcher:
        response = await fetcher.fetch(url, etag=..., last_modified=...)

`fetch` returns a Response (200 with the body, or 304 with none) or raises
FetchError with a stable `kind` and the source `status` it leads to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from urllib.parse import urljoin, urlsplit

import httpx

from newsgrab.config import Settings
from newsgrab.errors import GONE, UNSUPPORTED, FetchError

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclasses.dataclass
class Response:
    url: str                    # the URL asked for
    final_url: str              # after redirects
    status_code: int            # 200, or 304 when a conditional request matched
    headers: dict[str, str]     # lower-cased names
    body: bytes = b""
    content_type: str | None = None   # media type only, lower case
    charset: str | None = None        # from the Content-Type header
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


class Fetcher:
    """One run's HTTP client with its politeness and safety rules."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(settings.concurrency)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            headers={"User-Agent": s.user_agent},
            follow_redirects=False,
            trust_env=False,
            proxy=s.proxy,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] = HTML_TYPES,
    ) -> Response:
        async with self._global:
            try:
                return await asyncio.wait_for(
                    self._fetch(url, etag, last_modified, accept), self.settings.deadline
                )
            except TimeoutError:
                raise FetchError("timeout", f"no answer within {self.settings.deadline:g} s",
                                 url=url) from None

    async def _fetch(self, url, etag, last_modified, accept) -> Response:
        assert self._client is not None
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[dict] = []
        current = url
        for _ in range(self.settings.max_redirects + 1):
            try:
                async with self._client.stream("GET", current, headers=headers) as r:
                    if r.is_redirect:
                        target = urljoin(current, r.headers["location"])
                        redirects.append({"url": target, "status": r.status_code})
                        current = target
                        continue
                    if r.status_code in (404, 410):
                        raise FetchError("http_status", f"HTTP {r.status_code}", url=url,
                                         status=GONE, http_status=r.status_code)
                    if r.status_code != 304 and r.status_code >= 400:
                        raise FetchError("http_status", f"HTTP {r.status_code}", url=url,
                                         http_status=r.status_code)
                    media, charset = parse_content_type(r.headers.get("content-type"))
                    if r.status_code != 304 and media not in accept:
                        raise FetchError("unsupported", f"not HTML: {media}", url=url,
                                         status=UNSUPPORTED, http_status=r.status_code)
                    body = b""
                    if r.status_code != 304:
                        chunks, size = [], 0
                        async for chunk in r.aiter_bytes():
                            size += len(chunk)
                            if size > self.settings.max_bytes:
                                raise FetchError("too_large", "body over the size cap", url=url)
                            chunks.append(chunk)
                        body = b"".join(chunks)
                    return Response(url=url, final_url=current, status_code=r.status_code,
                                    headers={k.lower(): v for k, v in r.headers.items()},
                                    body=body, content_type=media, charset=charset,
                                    redirects=redirects)
            except httpx.TimeoutException as exc:
                raise FetchError("timeout", f"timed out: {exc}", url=url) from exc
            except httpx.ConnectError as exc:
                raise FetchError("connect", f"cannot connect: {exc}", url=url) from exc
            except httpx.HTTPError as exc:
                raise FetchError("protocol", str(exc) or type(exc).__name__, url=url) from exc
        raise FetchError("too_many_redirects", "too many redirects", url=url,
                         redirects=redirects)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
