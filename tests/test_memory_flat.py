"""Flat memory: `fetch` and `show` read sidecars one seed at a time, so what they
hold grows with the number of sources by a few small facts each, never by the
stored articles (issue #13). Measured with tracemalloc on collections written
here, 10 and 60 seeds of 4 sources whose articles are 40,000 characters: the
older code, which held every article, grew by more than the 8 MB of articles
the larger collection adds."""

from __future__ import annotations

import dataclasses
import hashlib
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_refresh_support import Site, article_html, by_url, paragraphs, read

from newsgrab import collection, render
from newsgrab.model import Article, CitedPlace, FetchFacts, Source, Status
from newsgrab.pipeline import run_fetch
from newsgrab.store import new_sidecar, sidecar_path, stored_seed_name, write_sidecar

PER_SEED = 4
TEXT = 40_000  # characters of article text per source
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
# what 50 more seeds (200 sources, 8 MB of articles) may add: 10 kB a source
GROWTH = 50 * PER_SEED * 10_000


def _collection(folder: Path, seeds: int) -> Path:
    """`seeds` seed files of PER_SEED URLs each, with sidecars checked just now."""
    folder.mkdir()
    for s in range(seeds):
        seed = folder / f"seed{s:03d}.txt"
        urls = [f"http://h{i % 3}.example/p/{s}-{i}" for i in range(PER_SEED)]
        seed.write_text("".join(f"See {u} here.\n" for u in urls), encoding="utf-8")
        sources = []
        for line, url in enumerate(urls, 1):
            text = f"Story {url}. " + "word " * (TEXT // 5)
            article = Article(
                title=f"Story {s}-{line}",
                text=text,
                word_count=len(text.split()),
                content_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
            fetch = FetchFacts(
                final_url=url, http_status=200, fetched_at=NOW, checked_at=NOW, changed_at=NOW
            )
            sources.append(
                Source(
                    url=url,
                    cited=[CitedPlace(line=line)],
                    status=Status.OK,
                    fetch=fetch,
                    article=article,
                )
            )
        sha = hashlib.sha256(seed.read_bytes()).hexdigest()
        write_sidecar(sidecar_path(seed), new_sidecar(stored_seed_name(seed), sha, sources))
    return folder


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("flat")
    return _collection(base / "small", 10), _collection(base / "large", 60)


def _grows_flat(work: Callable[[Path], object], folders: tuple[Path, Path]) -> None:
    small, large = folders
    work(small)  # imports and caches first, outside the measure
    grew = _peak(lambda: work(large)) - _peak(lambda: work(small))
    assert grew < GROWTH, f"peak grew by {grew:,} bytes for 200 more sources"


def _show(fmt: str) -> Callable[[Path], object]:
    def work(folder: Path) -> None:
        entries = collection.select(collection.Sidecars([folder], ("*.txt",)))
        if fmt == "jsonl":
            chunks = render.json_sources_chunks(entries, lines=True)
        elif fmt == "json":
            chunks = render.json_sources_chunks(entries)
        elif fmt == "csv":
            chunks = render.csv_sources_chunks(entries)
        else:
            chunks = render.table_text_lines(entries, datetime.now(UTC))
        assert sum(len(c) for c in chunks) > 0

    return work


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "text"])
def test_show_holds_one_sidecar_at_a_time(fmt, folders):
    _grows_flat(_show(fmt), folders)


def test_fetch_with_nothing_due_holds_no_article(folders, local_settings):
    def work(folder: Path) -> None:
        report = run_fetch(local_settings, [str(folder)])
        assert report.action_counts == {"fresh": len(report.sources)}
        assert report.written == 0

    _grows_flat(work, folders)


def test_show_streams_the_same_output_it_would_hold(folders):
    """The streamed JSON is the very text of `json_sources` (one string)."""
    small, _ = folders
    entries = collection.load([small], ("*.txt",)).entries
    chunks = render.json_sources_chunks(iter(entries))
    assert "".join(chunks) == render.json_sources(entries)
    assert render.json_sources([]) == "[]\n"


def test_a_copy_kept_only_by_a_seed_that_dropped_it_survives_its_rewrite(
    tmp_path, web, local_settings
):
    """a.txt holds the freshest copy of a URL it no longer cites, b.txt cites it:
    a.txt is rewritten first (without it), and b.txt still gets the article."""
    site = Site(web)
    url = site.article("/p/shared", "Shared story", etag='"s"')
    folder = tmp_path / "seeds"
    folder.mkdir()
    settings = dataclasses.replace(local_settings, refresh_after=3600.0)
    (folder / "b.txt").write_text(f"See {url}\n", encoding="utf-8")
    run_fetch(settings, [str(folder)])
    (folder / "a.txt").write_text(f"See {url}\n", encoding="utf-8")
    run_fetch(settings, [str(folder)], force=True)  # both copies checked now, a.txt's first
    (folder / "a.txt").write_text("no links any more\n", encoding="utf-8")
    report = run_fetch(settings, [str(folder)])
    assert report.internal_errors == [] and report.exit_code == 0
    assert read(folder / "a.txt.sources.json")["sources"] == []
    stored = by_url(read(folder / "b.txt.sources.json"))[url]
    assert stored["status"] == "ok" and stored["article"]["title"] == "Shared story"


def test_due_urls_far_from_seed_order_read_each_sidecar_a_few_times(
    tmp_path, local_settings, monkeypatch
):
    """Seeds each on their own host, more hosts than sidecars cached: the due URLs
    go round the hosts, one URL of each seed in turn. Each sidecar is still read
    a few times in the run (plan, fetch, write), not once per URL."""
    from servers import RawServer, response

    from newsgrab import pipeline

    html = article_html("Harbour storm closes the ferry", paragraphs("harbour storm", 5))
    revalidated = [False]

    async def handler(req, w) -> None:
        if revalidated[0]:
            w.write(response(304, b"", {"ETag": '"e"'}))
        else:
            w.write(response(200, html.encode(), {"Content-Type": "text/html", "ETag": '"e"'}))
        await w.drain()

    hosts, seeds, per_seed = 12, 24, 4
    servers = [RawServer(host=f"127.0.0.{2 + k}") for k in range(hosts)]
    folder = tmp_path / "seeds"
    folder.mkdir()
    try:
        for srv in servers:
            srv.start()
            srv.route("/robots.txt", lambda req, w: w.drain())
            for n in range(seeds * per_seed):
                srv.route(f"/p/{n}", handler)
        for s in range(seeds):
            srv = servers[s % hosts]
            urls = [srv.url(f"/p/{s * per_seed + i}") for i in range(per_seed)]
            (folder / f"s{s:03d}.txt").write_text("".join(f"See {u}\n" for u in urls))
        settings = dataclasses.replace(local_settings, concurrency=4, obey_robots=False)
        assert run_fetch(settings, [str(folder)]).exit_code == 0
        assert hosts > pipeline.Stored.CACHED
        revalidated[0] = True
        reads = Counter()
        real = pipeline.read_sidecar_versioned

        def counted(path):
            reads[path.name] += 1
            return real(path)

        monkeypatch.setattr(pipeline, "read_sidecar_versioned", counted)
        report = run_fetch(settings, [str(folder)], force=True)
    finally:
        for srv in servers:
            srv.stop()
    assert report.exit_code == 0 and report.action_counts == {"not_modified": seeds * per_seed}
    assert len(reads) == seeds and max(reads.values()) <= 3, reads
