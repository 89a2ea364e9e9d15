"""Benchmark: what a cron refresh costs compared with the first fetch.

1,000 sources (100 seeds citing 10 each) served by local HTTP servers on four
loopback hosts (127.0.0.1-4) in a separate process. Three runs:

1. first fetch: every page is new;
2. refresh where every page answers 304 (its ETag matches);
3. refresh where 10% of the pages changed.

Each run prints wall time, requests the servers saw, extractor calls and
sidecars written. Targets: run 2 costs under 10% of run 1, and no unchanged
page is parsed (run 2 makes no extractor call, run 3 only for changed pages).

    .venv/bin/python benchmarks/refresh.py [--sources 1000] [--per-seed 10] [--page-kb 120]

The extractor is counted by wrapping `newsgrab.pipeline.extract` in this
process only; the product code has no hook for it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]

_WORDS = (
    "the harbour council said on tuesday that ferries would resume service after "
    "repairs to the pier were finished and inspected by engineers from the port "
    "authority while local shops reported fewer visitors than in any winter since"
)
WORDS = _WORDS.split()


def boilerplate(n: int, k: int) -> str:
    """About 5 KB of what surrounds an article on a real news page: a mega-menu,
    a teaser list and an inline script."""
    menu = "".join(
        f'<div class="menu-col"><h3>Desk {k}-{c}</h3><ul>'
        + "".join(
            f'<li class="menu-item"><a href="/desk/{k}/{c}/{i}">Topic {i}</a></li>'
            for i in range(8)
        )
        + "</ul></div>"
        for c in range(3)
    )
    teasers = "".join(
        f'<li class="teaser"><a href="/p/{(n + k * 7 + i) % 1000}">'
        f'<span class="kicker">More</span> Another story {i}</a></li>'
        for i in range(12)
    )
    script = "window.__cfg=" + "{" + ",".join(f'"k{i}":"v{n % 97}-{i}"' for i in range(60)) + "};"
    return (
        f'<div class="mega-menu" data-k="{k}">{menu}</div>'
        f'<section class="most-read"><ul>{teasers}</ul></section>'
        f"<script>{script}</script>"
    )


def page_html(n: int, version: int, page_kb: int = 0) -> bytes:
    """An article page: head metadata, navigation, a 12-paragraph body, footer
    (about 11 KB), padded with boilerplate up to `page_kb` KB when that is larger
    (real news pages weigh a median of about 120 KB of HTML)."""
    paras = []
    for i in range(12):
        words = [WORDS[(n * 13 + i * 7 + j * 5 + version) % len(WORDS)] for j in range(70)]
        paras.append(f"<p>Story {n}, version {version}, part {i}: {' '.join(words)}.</p>")
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(40))
    related = "".join(f'<li><a href="/p/{(n + k) % 1000}">Related {k}</a></li>' for k in range(15))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Story {n} | Bench Gazette</title>
<meta property="og:title" content="Story {n}"><meta property="og:site_name" content="Bench Gazette">
<meta name="description" content="Story {n} for the refresh benchmark.">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Story {n}",
"datePublished": "2026-11-0{1 + n % 9}T08:00:00Z", "author": {{"name": "Bench Writer"}}}}</script>
<style>{"body{margin:0} " * 200}</style></head><body>
<header><ul>{nav}</ul></header>
<main><article><h1>Story {n}</h1><p class="byline">By Bench Writer</p>
{"".join(paras)}
</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright Bench Gazette. Subscribe to our newsletter.</p>{{pad}}</footer>
</body></html>"""
    pad, k = [], 0
    size = len(page) - 5
    while size < page_kb * 1024:
        block = boilerplate(n, k)
        pad.append(block)
        size += len(block)
        k += 1
    return page.replace("{pad}", "".join(pad)).encode()


def serve(versions, hits, ready, stop, page_kb) -> None:
    """Server process: one threaded HTTP/1.1 server per loopback host."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with hits.get_lock():
                hits.value += 1
            if not self.path.startswith("/p/"):
                return self._send(404, b"", "text/plain", {})
            n = int(self.path[3:])
            etag = f'"{n}-{versions[n]}"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, {"ETag": etag})
            return self._send(
                200, page_html(n, versions[n], page_kb), "text/html; charset=utf-8", {"ETag": etag}
            )

        def _send(self, status, body, ctype, headers):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    servers = []
    for host in HOSTS:
        srv = ThreadingHTTPServer((host, 0), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    ready.put([s.server_address[1] for s in servers])
    stop.wait()
    for srv in servers:
        srv.shutdown()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--per-seed", type=int, default=10)
    ap.add_argument(
        "--page-kb",
        type=int,
        default=120,
        help="pad pages with boilerplate to this size (default 120, about the "
        "median of real news pages; 0 = the bare 11 KB page)",
    )
    ap.add_argument("--dir", help="where to put the seeds (default: a temporary folder)")
    args = ap.parse_args()

    from newsgrab import pipeline
    from newsgrab.config import Settings

    calls = {"n": 0}
    real_extract = pipeline.extract

    def counting_extract(*a, **kw):
        calls["n"] += 1
        return real_extract(*a, **kw)

    pipeline.extract = counting_extract

    ctx = mp.get_context("fork")
    versions = ctx.Array("i", [0] * args.sources, lock=False)
    hits = ctx.Value("l", 0)
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(
        target=serve, args=(versions, hits, ready, stop, args.page_kb), daemon=True
    )
    server.start()
    ports = ready.get(timeout=10)

    base = Path(tempfile.mkdtemp(prefix="newsgrab-bench-", dir=args.dir))
    try:
        urls = [
            f"http://{HOSTS[n % len(HOSTS)]}:{ports[n % len(HOSTS)]}/p/{n}"
            for n in range(args.sources)
        ]
        for s in range(0, args.sources, args.per_seed):
            (base / f"seed{s // args.per_seed:04}.md").write_text(
                "\n".join(f"- [story]({u})" for u in urls[s : s + args.per_seed]) + "\n"
            )
        settings = Settings(
            allow_private_networks=True,
            host_delay=0.0,
            retries=0,
            archive_fallback=False,
            concurrency=16,
            per_host_concurrency=4,
            refresh_after=0,
        )
        rows = []

        def one(name: str, expect_parsed: int | None) -> float:
            hits.value, calls["n"] = 0, 0
            started = time.perf_counter()
            report = pipeline.run_fetch(settings, [str(base)])
            wall = time.perf_counter() - started
            rows.append(
                (name, wall, hits.value, calls["n"], report.written, dict(report.action_counts))
            )
            assert report.exit_code == 0, report.to_dict()["counts"]
            if expect_parsed is not None:
                assert calls["n"] == expect_parsed, (name, calls["n"], expect_parsed)
            return wall

        first = one("first fetch", args.sources)
        all_304 = one("refresh, all 304", 0)
        changed = list(range(0, args.sources, 10))
        for n in changed:
            versions[n] += 1
        one("refresh, 10% changed", len(changed))
    finally:
        stop.set()
        server.join(5)
        shutil.rmtree(base, ignore_errors=True)

    print(
        f"{args.sources} sources, {args.sources // args.per_seed} seeds, "
        f"pages of {len(page_html(1, 0, args.page_kb)) // 1024} KB, "
        f"{len(HOSTS)} local hosts, Python {sys.version.split()[0]}"
    )
    print(f"{'run':<22} {'wall s':>8} {'requests':>9} {'parsed':>7} {'written':>8}  actions")
    for name, wall, reqs, parsed, written, actions in rows:
        print(f"{name:<22} {wall:8.2f} {reqs:9d} {parsed:7d} {written:8d}  {actions}")
    ratio = all_304 / first
    ok = ratio < 0.10
    print(
        f"all-304 refresh / first fetch = {ratio:.1%} (target < 10%: "
        f"{'met' if ok else 'NOT met'}); unchanged pages parsed: 0"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
