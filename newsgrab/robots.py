"""robots.txt rules, fetched once per origin per run (fetch.py does the fetching).

What a robots.txt answer means (RFC 9309, with newsgrab's choices):
- 2xx: its rules apply (parsed with protego; `Crawl-delay` slows the host down);
- 4xx (except 429): no robots.txt, everything is allowed;
- 5xx and 429: the site is in trouble, nothing is fetched from it in this run;
- unreachable (timeout, connection or DNS failure): every URL of the origin
  fails with that same error in this run, without asking the server again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from newsgrab.errors import BLOCKED, FetchError


@dataclasses.dataclass
class Rules:
    parser: Protego | None = None  # None: no rules
    refuse_all: str | None = None  # reason why nothing may be fetched this run
    crawl_delay: float | None = None

    @classmethod
    def parse(cls, text: str, user_agent: str) -> Rules:
        parser = Protego.parse(text)
        delay = parser.crawl_delay(user_agent)
        return cls(parser=parser, crawl_delay=float(delay) if delay is not None else None)

    def check(self, url: str, user_agent: str, shown_url: str) -> None:
        """Raise FetchError(kind="robots", status="blocked") when `url` is disallowed."""
        if self.refuse_all is not None:
            raise FetchError("robots", self.refuse_all, url=shown_url, status=BLOCKED)
        if self.parser is not None and not self.parser.can_fetch(url, user_agent):
            raise FetchError("robots", "disallowed by robots.txt", url=shown_url, status=BLOCKED)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


class RobotsCache:
    """One load per origin per run, shared by every URL of that origin.

    Each load runs as its own task, bounded by its own deadline: a URL waiting
    for it stops waiting when the URL's own deadline is spent (fetch.py), and
    the load goes on for the other URLs of the origin."""

    def __init__(self) -> None:
        self._loads: dict[str, asyncio.Task[Rules]] = {}

    def load(self, origin: str, load: Callable[[str], Awaitable[Rules]]) -> asyncio.Task[Rules]:
        """The task loading `origin`'s rules, started on first use."""
        task = self._loads.get(origin)
        if task is None:
            task = asyncio.ensure_future(load(origin))
            task.add_done_callback(_retrieve)
            self._loads[origin] = task
        return task

    def result(self, origin: str, task: asyncio.Task[Rules]) -> Rules:
        """The rules of a finished load; its FetchError raised afresh per URL (the
        stored one must not be mutated). A load that was cancelled is forgotten,
        so that the next URL of the origin tries again."""
        if task.cancelled():
            if self._loads.get(origin) is task:
                del self._loads[origin]
            raise asyncio.CancelledError
        exc = task.exception()
        if isinstance(exc, FetchError):
            raise FetchError(
                exc.kind, exc.message, status=exc.status, http_status=exc.http_status
            ) from None
        if exc is not None:
            raise exc
        return task.result()

    async def aclose(self) -> None:
        """Cancel the loads still running (the run is over)."""
        running = [t for t in self._loads.values() if not t.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        self._loads.clear()


def _retrieve(task: asyncio.Task[Rules]) -> None:
    """Mark a load's exception as seen (URLs that stopped waiting never ask)."""
    if not task.cancelled():
        task.exception()
