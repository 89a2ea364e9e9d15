"""The Python API: fetch URLs into articles, and read a collection back.

    >>> import newsgrab
    >>> for result in newsgrab.fetch_articles(["https://example.org/news/1"]):
    ...     print(result.url, result.article.title if result.ok else result.error)

`fetch_articles` follows the rules of `newsgrab fetch` (politeness, robots.txt,
the private-address guard, size caps, retries, the archive fallback for dead
links): it is `newsgrab.fetch.Fetcher` plus `newsgrab.extract.extract`, with one
`Settings`. It writes nothing. `read_collection` reads the sidecars that
`newsgrab fetch` wrote, as `newsgrab show` does.

This module imports neither httpx nor bs4 until a function needs them, so that
`from newsgrab import Result` stays cheap.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsgrab.config import DEFAULT_SEED_GLOBS, Settings
from newsgrab.errors import GONE, FetchError, StoreError

if TYPE_CHECKING:
    from newsgrab.extract.article import Article
    from newsgrab.fetch import Fetcher, Response

__all__ = [
    "Collection",
    "Result",
    "Source",
    "fetch_articles",
    "fetch_articles_async",
    "read_collection",
]

# Failure kinds after which a page with no good copy is looked up in the archive
# (as `newsgrab fetch` does, README "Dead links: archive fallback"): the page is
# gone (404/410) or its server is unreachable.
UNREACHABLE = frozenset({"dns", "connect", "timeout", "tls"})


@dataclasses.dataclass(frozen=True)
class Result:
    """What one URL gave: an article, or the error that stopped it."""

    url: str  # as asked for
    article: Article | None = None
    error: FetchError | None = None  # `.kind`, `.message`, `.status`, `.http_status`
    final_url: str | None = None  # after redirects (the archive's capture URL if archived)
    http_status: int | None = None
    archived_from: dict[str, Any] | None = None  # {"url", "timestamp"} of an archived copy

    @property
    def ok(self) -> bool:
        return self.article is not None


def _extract(resp: Response) -> Article:
    from newsgrab.extract import extract

    try:
        return extract(resp.body, url=resp.final_url, content_type=resp.headers.get("content-type"))
    except Exception as exc:  # a page that breaks the extractor fails alone, not the batch
        raise FetchError(
            "extract",
            f"the extractor failed on this page ({type(exc).__name__}: {exc})",
            url=resp.url,
            http_status=resp.status_code,
            attempts=resp.attempts,
        ) from None  # a kept Result holds no traceback (nor the page it points to)


async def _archived(fetcher: Fetcher, url: str, settings: Settings) -> Result | None:
    from newsgrab.archive import fetch_archived

    try:
        found = await fetch_archived(fetcher, settings.archive_url, url, settings.archive_web_url)
    except FetchError:
        return None
    if found is None:
        return None
    resp, snapshot = found
    try:
        article = await asyncio.to_thread(_extract, resp)
    except FetchError:
        return None
    if not article.text:
        return None
    return Result(url, article, None, resp.final_url, resp.status_code, snapshot)


async def _one(fetcher: Fetcher, url: str, settings: Settings) -> Result:
    try:
        resp = await fetcher.fetch(url)
    except FetchError as err:
        err.url = err.url or url
        if settings.archive_fallback and (err.status == GONE or err.kind in UNREACHABLE):
            archived = await _archived(fetcher, url, settings)
            if archived is not None:
                return dataclasses.replace(archived, error=err)
        return Result(url, error=err, http_status=err.http_status)
    try:
        # extraction is CPU work: off the event loop, so other downloads go on
        article = await asyncio.to_thread(_extract, resp)
    except FetchError as err:
        return Result(url, error=err, final_url=resp.final_url, http_status=resp.status_code)
    return Result(url, article, None, resp.final_url, resp.status_code)


def _url_list(urls: Iterable[str]) -> list[str]:
    if isinstance(urls, str | bytes):
        raise TypeError("urls: expected a list of URLs, got one string")
    return list(urls)


async def fetch_articles_async(
    urls: Iterable[str], settings: Settings | None = None
) -> list[Result]:
    """Fetch `urls` and extract their articles, under the rules of `newsgrab fetch`.

    One Result per URL, in the order given; a URL given twice is fetched once.
    A URL that fails gives a Result with `error` set (a FetchError); nothing is
    raised for it. `settings` defaults to `Settings()` (no config file, no
    environment; `newsgrab.load_settings()` reads them as the CLI does)."""
    from newsgrab.fetch import Fetcher

    wanted = _url_list(urls)
    settings = Settings() if settings is None else settings
    unique = list(dict.fromkeys(wanted))
    async with Fetcher(settings) as fetcher, asyncio.TaskGroup() as group:
        tasks = {url: group.create_task(_one(fetcher, url, settings)) for url in unique}
    return [tasks[url].result() for url in wanted]


def fetch_articles(urls: Iterable[str], settings: Settings | None = None) -> list[Result]:
    """`fetch_articles_async` for code that is not async (it runs its own event loop)."""
    wanted = _url_list(urls)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(fetch_articles_async(wanted, settings))
    raise RuntimeError(
        "fetch_articles() cannot run inside a running event loop: "
        "use `await newsgrab.fetch_articles_async(...)` there"
    )


# ------------------------------------------------------------------ reading


@dataclasses.dataclass(frozen=True)
class Source:
    """One source as stored in a seed's sidecar."""

    url: str
    status: str  # ok, error, gone, blocked, unsupported, pending
    seed: Path  # the seed file that cites it (it may no longer exist)
    sidecar: Path  # the file it was read from
    article: Article | None  # the last good article (kept when a refresh failed)
    final_url: str | None
    fetched_at: str | None  # ISO 8601 UTC, when the article was fetched
    checked_at: str | None  # ISO 8601 UTC, when the URL was last checked
    error: str | None  # the last failure's message, when status is not ok
    data: Mapping[str, Any]  # the source object as stored (README "The sidecar")


@dataclasses.dataclass(frozen=True)
class Collection:
    """The sources stored next to the seeds, and what could not be read."""

    sources: list[Source]
    errors: list[StoreError]  # sidecars left unread (corrupt, foreign, newer schema)
    unfetched: list[Path]  # seeds with no sidecar yet

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _stored_article(data: object) -> Article | None:
    """The Article a sidecar stores (fields of the wrong type are left at their default)."""
    from newsgrab.extract.article import Article

    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Article):
        name = field.name
        value = data.get(name)
        if name == "encoding" or value is None:
            continue
        if name in ("authors", "tags"):
            values[name] = _strings(value)
        elif name == "free_access":
            if isinstance(value, bool):
                values[name] = value
        elif isinstance(value, str):
            values[name] = value
    return Article(**values)


def read_collection(
    paths: str | Path | Iterable[str | Path] = ".",
    *,
    seed_globs: Iterable[str] = DEFAULT_SEED_GLOBS,
) -> Collection:
    """Every source stored next to the seed files under `paths` (seed files,
    folders searched recursively, or sidecars named directly). Reads only."""
    import msgspec

    from newsgrab.collection import load

    given = [paths] if isinstance(paths, str | Path) else list(paths)
    found = load(given, tuple(seed_globs))
    sources = []
    for entry in found.entries:
        stored = entry.source  # the model's Source (newsgrab/model.py)
        data = msgspec.to_builtins(stored)
        fetch = stored.fetch
        sources.append(
            Source(
                url=entry.url,
                status=str(entry.status),
                seed=entry.seed,
                sidecar=entry.sidecar,
                article=_stored_article(data.get("article")),
                final_url=fetch.final_url if fetch else None,
                fetched_at=fetch.fetched_at if fetch else None,
                checked_at=fetch.checked_at if fetch else None,
                error=stored.error.message if stored.error else None,
                data=data,
            )
        )
    return Collection(sources, list(found.errors), list(found.unfetched))
