"""Dead-link fallback: the closest archived copy of a URL.

Asks a Wayback-Machine-style availability API (`archive_url?url=<url>`) for
the closest snapshot, then fetches the raw capture (the `id_` form of the
snapshot URL, without the archive's own banner) through the same fetcher, so
every safety rule applies to archive traffic too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urlencode

from newsgrab.errors import FetchError
from newsgrab.fetch import Fetcher, Response

_SNAPSHOT = re.compile(r"/web/(\d{4,14})(?:[a-z]{2}_)?/")


def raw_capture_url(snapshot_url: str) -> str:
    """http://…/web/20240101000000/http://x/ -> http://…/web/20240101000000id_/http://x/"""
    return _SNAPSHOT.sub(lambda m: f"/web/{m.group(1)}id_/", snapshot_url, count=1)


def _iso(timestamp: str) -> str | None:
    try:
        return datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    except ValueError:
        return None


async def fetch_archived(
    fetcher: Fetcher, archive_url: str, url: str
) -> tuple[Response, dict] | None:
    """(raw capture response, {"url", "timestamp"}) or None when nothing is archived.

    Raises FetchError when the archive itself cannot be reached or answers badly."""
    sep = "&" if "?" in archive_url else "?"
    query = await fetcher.fetch(
        f"{archive_url}{sep}{urlencode({'url': url})}",
        accept=("application/json", "text/json", "text/javascript", "text/plain"),
    )
    try:
        data = json.loads(query.body.decode("utf-8"))
        closest = data["archived_snapshots"].get("closest") or {}
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise FetchError("archive", f"archive answered badly for {url}") from None
    snapshot = closest.get("url")
    if (
        not closest.get("available")
        or not isinstance(snapshot, str)
        or str(closest.get("status", "200")) != "200"
    ):
        return None
    response = await fetcher.fetch(raw_capture_url(snapshot))
    return response, {"url": snapshot, "timestamp": _iso(str(closest.get("timestamp", "")))}
