"""Dead-link fallback: the closest archived copy of a URL.

Asks a Wayback-Machine-style availability API (`archive_url?url=<url>`) for
the closest snapshot, then fetches the raw capture (the `id_` form of the
snapshot URL, without the archive's own banner) through the same fetcher, so
every safety rule applies to archive traffic too. The availability API is
rate-limited and sometimes answers nothing for an archived page: then, or when
it fails, the archive's redirect form (`archive_web_url<now>id_/<url>`) is
asked, and the archive redirects to the closest capture (a 404: none).

The availability answer is validated into typed values before it is used: at
most ARCHIVE_REPLY_MAX_BYTES, JSON of the expected shape and types (anything
else, nesting 100,000 deep included, is "the archive answered badly"), and a
snapshot URL that is a valid http(s) URL (urlutil.parse_url). Every failure is a
FetchError of kind `archive` for that one source; the fallback never ends a run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import msgspec

from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher, Response, internal_error
from newsgrab.urlutil import BadURL, parse_url, redact_url

ARCHIVE_REPLY_MAX_BYTES = 256 * 1024  # a real availability answer is a few hundred bytes

_SNAPSHOT = re.compile(r"/web/(\d{4,14})(?:[a-z]{2}_)?/")
_TIMESTAMP = re.compile(r"[0-9]{4,14}")


class _Closest(msgspec.Struct):
    available: bool = False
    url: str | None = None
    timestamp: str | None = None
    status: str | int | None = None


class _Snapshots(msgspec.Struct):
    closest: _Closest | None = None


class _Reply(msgspec.Struct):
    archived_snapshots: _Snapshots


def raw_capture_url(snapshot_url: str) -> str:
    """http://…/web/20240101000000/http://x/ -> http://…/web/20240101000000id_/http://x/"""
    return _SNAPSHOT.sub(lambda m: f"/web/{m.group(1)}id_/", snapshot_url, count=1)


def _iso(timestamp: str | None) -> str | None:
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        return None
    try:
        return datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    except ValueError:
        return None


def parse_reply(body: bytes) -> _Closest | None:
    """The closest snapshot of an availability answer; None when there is none.
    ValueError (with a short reason) when the answer is not of the expected shape."""
    try:
        reply = msgspec.json.decode(body, type=_Reply)
    except msgspec.ValidationError as exc:
        raise ValueError(f"unexpected shape ({str(exc)[:120]})") from None
    except msgspec.DecodeError:
        raise ValueError("not JSON") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    closest = reply.archived_snapshots.closest
    if closest is None or not closest.available or closest.url is None:
        return None
    if str(closest.status if closest.status is not None else "200") != "200":
        return None
    return closest


async def fetch_archived(
    fetcher: Fetcher, archive_url: str, url: str, web_url: str | None = None
) -> tuple[Response, dict] | None:
    """(raw capture response, {"url", "timestamp"}) or None when nothing is archived.

    `web_url`: the archive's redirect form, asked when the availability API
    answers nothing or fails (None: not asked). Raises FetchError (kind
    `archive` unless the archive's own fetch failed) when the archive cannot be
    reached or answers badly."""
    shown = redact_url(url)
    try:
        failure: FetchError | None = None
        try:
            found = await _fetch_archived(fetcher, archive_url, url, shown)
        except FetchError as err:
            if web_url is None:
                raise
            found, failure = None, err
        if found is not None or web_url is None:
            return found
        try:
            return await _by_redirect(fetcher, web_url, url, shown)
        except FetchError:
            if failure is not None:  # both failed: the first failure says why
                raise failure from None
            raise
    except FetchError:
        raise
    except Exception as exc:  # a bug: this source's fallback fails, the run goes on
        raise internal_error(exc, shown) from None


async def _by_redirect(
    fetcher: Fetcher, web_url: str, url: str, shown: str
) -> tuple[Response, dict] | None:
    """The capture closest to now, through the archive's redirect form."""
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    asked = f"{web_url.rstrip('/')}/{now}id_/{url}"
    try:
        response = await fetcher.fetch(asked)
    except FetchError as err:
        if err.http_status == 404:
            return None  # nothing archived
        raise FetchError(
            "archive",
            f"archive's closest capture of {shown} not fetched: {err.message}",
            http_status=err.http_status,
        ) from None
    found = _SNAPSHOT.search(urlsplit(response.final_url).path)
    timestamp = found.group(1) if found else None
    snapshot = _SNAPSHOT.sub(lambda m: f"/web/{m.group(1)}/", response.final_url, count=1)
    return response, {"url": redact_url(snapshot), "timestamp": _iso(timestamp)}


async def _fetch_archived(
    fetcher: Fetcher, archive_url: str, url: str, shown: str
) -> tuple[Response, dict] | None:
    sep = "&" if "?" in archive_url else "?"
    query = await fetcher.fetch(
        f"{archive_url}{sep}{urlencode({'url': url})}",
        accept=("application/json", "text/json", "text/javascript", "text/plain"),
        max_bytes=ARCHIVE_REPLY_MAX_BYTES,
    )
    try:
        closest = parse_reply(query.body)
    except ValueError as exc:
        raise FetchError("archive", f"archive answered badly for {shown}: {exc}") from None
    if closest is None or closest.url is None:
        return None
    try:
        snapshot = str(parse_url(closest.url))
    except BadURL as exc:
        raise FetchError(
            "archive",
            f"archive gave an unusable snapshot URL for {shown}: {exc.reason}",
        ) from None
    try:
        response = await fetcher.fetch(raw_capture_url(snapshot))
    except FetchError as err:
        raise FetchError(
            "archive",
            f"archived copy {redact_url(snapshot)} of {shown} not fetched: {err.message}",
            http_status=err.http_status,
        ) from None
    return response, {"url": redact_url(snapshot), "timestamp": _iso(closest.timestamp)}
