"""Shared helpers for the refresh, store, lock, signal and cron tests (no tests here).

`Site` is a real HTTP server (pytest-httpserver on 127.0.0.1) whose pages the
tests change between runs. It counts the requests for each path, records the
conditional headers it received, answers 304 when a validator matches, and can
play a Wayback-style archive (`/wayback/available` plus `/web/<time>id_/<url>`,
which redirects a request for another time to the capture it has).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from werkzeug import Request, Response

_WORDS = (
    "harbour ferry council library storm station market river bridge school "
    "winter summer island village museum garden tower street square mayor"
)
WORDS = _WORDS.split()


def paragraphs(tag: str, n: int = 4, words: int = 30) -> list[str]:
    """`n` distinct paragraphs of `words` words, all mentioning `tag`."""
    out = []
    for i in range(n):
        body = " ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(words))
        out.append(f"Paragraph {i + 1} of {tag}: {body}.")
    return out


def article_html(title: str, paras: list[str]) -> str:
    ps = "\n".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{title}</title></head><body><nav><a href="/">Home</a></nav>'
        f"<article><h1>{title}</h1>\n{ps}\n</article></body></html>"
    )


class Page:
    def __init__(
        self,
        html: str = "",
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str = "text/html; charset=utf-8",
        delay: float = 0.0,
    ):
        self.html = html
        self.status = status
        self.etag = etag
        self.last_modified = last_modified
        self.content_type = content_type
        self.delay = delay


class Site:
    """Pages the test changes between runs, with request counting."""

    def __init__(self, server):
        self.server = server
        self.pages: dict[str, Page] = {}
        self.hits: Counter = Counter()
        self.requests: list[tuple[str, dict]] = []
        self.release = threading.Event()  # set to let held requests go
        self.held: set[str] = set()  # paths whose answer waits for `release`
        self.archive: dict[str, tuple[str, str]] = {}  # url -> (timestamp, html)
        # the availability API answers nothing (as it sometimes does) / fails
        self.availability_empty = False
        self.availability_status = 200
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/(?!robots\.txt$).*")).respond_with_handler(self.handle)

    # -- pages
    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def article(self, path: str, title: str, paras: list[str] | None = None, **kw) -> str:
        self.pages[path] = Page(article_html(title, paras or paragraphs(title)), **kw)
        return self.url(path)

    def archive_url(self) -> str:
        return self.url("/wayback/available")

    def archive_web_url(self) -> str:
        return self.url("/web/")

    def page_hits(self, prefix: str = "/p") -> int:
        return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    # -- serving
    def handle(self, request: Request) -> Response:
        path = request.path
        with self._lock:
            self.hits[path] += 1
            self.requests.append((path, {k.lower(): v for k, v in request.headers.items()}))
        if path == "/wayback/available":
            if self.availability_status != 200:
                return Response("busy", status=self.availability_status)
            if self.availability_empty:
                return Response('{"archived_snapshots": {}}', content_type="application/json")
            return self._availability(request.args.get("url", ""))
        m = re.match(r"^/web/(\d{14})id_/(.+)$", request.full_path.rstrip("?"))
        if m:
            stamp, html = self.archive.get(m.group(2), ("", ""))
            if not html:
                return Response("no capture", status=404)
            if m.group(1) != stamp:  # the redirect form: to the closest capture
                return Response(status=302, headers={"Location": f"/web/{stamp}id_/{m.group(2)}"})
            return Response(html, content_type="text/html; charset=utf-8")
        if path in self.held:
            self.release.wait(20)
        page = self.pages.get(path)
        if page is None:
            return Response("not here", status=404, content_type="text/plain")
        if page.delay:
            time.sleep(page.delay)
        headers = {}
        if page.etag:
            headers["ETag"] = page.etag
        if page.last_modified:
            headers["Last-Modified"] = page.last_modified
        if page.status == 200:
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if (page.etag and inm == page.etag) or (
                page.last_modified and not inm and ims == page.last_modified
            ):
                return Response(status=304, headers=headers)
        return Response(
            page.html, status=page.status, headers=headers, content_type=page.content_type
        )

    def _availability(self, url: str) -> Response:
        if url in self.archive:
            stamp, _ = self.archive[url]
            closest = {
                "available": True,
                "status": "200",
                "timestamp": stamp,
                "url": self.url(f"/web/{stamp}/{url}"),
            }
            body = {"url": url, "archived_snapshots": {"closest": closest}}
        else:
            body = {"url": url, "archived_snapshots": {}}
        return Response(json.dumps(body), content_type="application/json")


# ---------------------------------------------------------------- sidecars


def start_fetch(*args) -> subprocess.Popen:
    """`python -m newsgrab fetch ARGS` as a real process, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "newsgrab", "fetch", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def by_url(sidecar: dict) -> dict[str, dict]:
    return {s["url"]: s for s in sidecar["sources"]}


LONG_AGO = "2020-01-01T00:00:00Z"


def age(path: Path, when: str = LONG_AGO) -> dict:
    """Pretend every source of a sidecar was fetched and checked at `when`."""
    data = read(path)
    for src in data["sources"]:
        if src.get("fetch"):
            src["fetch"]["fetched_at"] = when
            src["fetch"]["checked_at"] = when
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return copy.deepcopy(data)
