"""`newsgrab fetch`: seeds -> cited URLs -> fetch -> extract -> sidecars.

run_fetch() is the library entry point behind the command. It locks every seed
folder, reads each seed and its sidecar, decides per distinct URL whether it is
fresh (no request), due for revalidation (a conditional request) or new, fetches
what is due concurrently (each URL once, however many seeds cite it), merges each
outcome into the stored state without ever dropping a good article, and writes
each seed's sidecar atomically as soon as all of its URLs are settled.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newsgrab.archive import fetch_archived
from newsgrab.config import Settings
from newsgrab.errors import (
    ERROR,
    GONE,
    CorruptSidecarError,
    ExitCode,
    FetchError,
    NewsgrabError,
    StoreError,
)
from newsgrab.extract import extract
from newsgrab.fetch import Fetcher, Response
from newsgrab.seeds import Citation, find_citations, find_seed_files, read_seed
from newsgrab.store import (
    GENERATOR,
    SCHEMA_VERSION,
    clean_temp_files,
    locked,
    parse_time,
    read_sidecar,
    repair,
    sidecar_path,
    utc_now,
    write_sidecar,
)

log = logging.getLogger(__name__)

OK, PENDING = "ok", "pending"
# A refetched page whose text shrinks below this share of the stored article's
# words (a block page, a paywall teaser) does not replace the stored article.
DEGRADED_RATIO = 0.3
# Statuses a source may stay in until refresh_after has passed; `error` and
# `pending` sources are tried again at every run.
SETTLED = {OK, GONE, "blocked", "unsupported"}
HTML_SEED_SUFFIXES = {".html", ".htm"}


class Interrupted(NewsgrabError):
    """The run was stopped by SIGINT or SIGTERM (sidecars are old or new, never torn)."""

    def __init__(self, signum: int):
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name}; sidecars written so far are complete")
        self.exit_code = ExitCode.INTERRUPTED if signum == signal.SIGINT else ExitCode.TERMINATED


@dataclasses.dataclass
class SeedJob:
    seed: Path
    sidecar: Path
    sha256: str
    citations: list[Citation]
    old: dict | None


@dataclasses.dataclass
class Outcome:
    """What happened to one URL in this run."""

    url: str
    action: str   # fresh, not_modified, unchanged, changed, new, degraded, failed, archived
    state: dict   # the source's new stored state (without url and cited)


@dataclasses.dataclass
class RunReport:
    seeds: int = 0
    written: int = 0
    duration: float = 0.0
    sources: list[dict] = dataclasses.field(default_factory=list)
    store_errors: list[str] = dataclasses.field(default_factory=list)
    requests: int = 0

    @property
    def status_counts(self) -> Counter:
        return Counter(s["status"] for s in self.sources)

    @property
    def action_counts(self) -> Counter:
        return Counter(s["action"] for s in self.sources)

    @property
    def failed(self) -> list[dict]:
        return [s for s in self.sources if s["action"] != "fresh" and s["status"] != OK]

    @property
    def exit_code(self) -> ExitCode:
        if self.store_errors:
            return ExitCode.DATA_ERROR
        if self.failed:
            return ExitCode.SOURCES_FAILED
        return ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "seeds": self.seeds,
            "sidecars_written": self.written,
            "duration_s": round(self.duration, 3),
            "counts": dict(sorted(self.status_counts.items())),
            "actions": dict(sorted(self.action_counts.items())),
            "store_errors": self.store_errors,
            "exit_code": int(self.exit_code),
            "sources": self.sources,
        }


ProgressFn = Callable[[int, int, str], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _pending_state() -> dict:
    return {"status": PENDING, "fetch": None, "error": None, "article": None, "revisions": []}


def _state_of(source: dict) -> dict:
    return {k: copy.deepcopy(source.get(k)) for k in ("status", "fetch", "error", "article")} | {
        "revisions": copy.deepcopy(source.get("revisions") or [])}


def _is_due(state: dict, settings: Settings, force: bool, now: datetime) -> bool:
    if force or state["status"] not in SETTLED or not state.get("fetch"):
        return True
    checked = parse_time(state["fetch"].get("checked_at"))
    if checked is None:
        return True
    return (now - checked).total_seconds() >= settings.refresh_after


def _fetch_facts(resp: Response, when: str) -> dict:
    return {
        "final_url": resp.final_url,
        "http_status": resp.status_code,
        "content_type": resp.content_type,
        "charset": resp.charset,
        "etag": resp.etag,
        "last_modified": resp.last_modified,
        "redirects": resp.redirects,
        "fetched_at": when,
        "checked_at": when,
        "attempts": resp.attempts,
        "consecutive_failures": 0,
        "archived_from": None,
    }


def _error_dict(err: FetchError, when: str) -> dict:
    return err.to_dict() | {"at": when}


def _failure(state: dict, err: FetchError, when: str) -> dict:
    new = copy.deepcopy(state)
    new["status"] = err.status
    new["error"] = _error_dict(err, when)
    fetch = new.get("fetch") or {}
    fetch["consecutive_failures"] = int(fetch.get("consecutive_failures") or 0) + 1
    fetch["attempts"] = err.attempts
    new["fetch"] = fetch
    return new


def _good_article(state: dict) -> dict | None:
    article = state.get("article")
    return article if isinstance(article, dict) and article.get("text") else None


def merge_success(state: dict, resp: Response, article_dict: dict | None, when: str,
                  keep_revisions: int) -> tuple[str, dict]:
    """Fold a successful answer (200 or 304) into the stored state."""
    new = copy.deepcopy(state)
    old_fetch = new.get("fetch") or {}
    if resp.not_modified:
        old_fetch.update(checked_at=when, consecutive_failures=0, attempts=resp.attempts,
                         http_status=304)
        new.update(status=OK, error=None, fetch=old_fetch)
        return "not_modified", new
    assert article_dict is not None
    old_article = _good_article(state)
    fetch = _fetch_facts(resp, when)
    if old_article is not None:
        old_words = int(old_article.get("word_count") or len(old_article["text"].split()))
        if article_dict["word_count"] < old_words * DEGRADED_RATIO:
            err = FetchError("degraded", f"page now extracts to {article_dict['word_count']} "
                             f"words (stored article has {old_words}); kept the stored one",
                             http_status=resp.status_code, attempts=resp.attempts)
            return "degraded", _failure(state, err, when)
        if old_article.get("content_sha256") == article_dict["content_sha256"]:
            new.update(status=OK, error=None, fetch=fetch, article=article_dict)
            return "unchanged", new
        revision = {k: old_article.get(k) for k in ("content_sha256", "title", "text")}
        revision = {"fetched_at": old_fetch.get("fetched_at")} | revision
        new["revisions"] = ([revision] + list(new.get("revisions") or []))[:keep_revisions]
        new.update(status=OK, error=None, fetch=fetch, article=article_dict)
        return "changed", new
    new.update(status=OK, error=None, fetch=fetch, article=article_dict)
    return "new", new


def _extract(resp: Response) -> dict:
    article = extract(resp.body, url=resp.final_url,
                      content_type=resp.headers.get("content-type"))
    resp.charset = article.encoding or resp.charset
    return article.to_dict()


async def settle_url(fetcher: Fetcher, url: str, state: dict, settings: Settings) -> Outcome:
    """Fetch one due URL and return its new state. Never raises FetchError."""
    good = _good_article(state)
    fetch = state.get("fetch") or {}
    when = utc_now()
    try:
        resp = await fetcher.fetch(
            url,
            etag=fetch.get("etag") if good else None,
            last_modified=fetch.get("last_modified") if good else None,
        )
        article = None if resp.not_modified else _extract(resp)
        action, new = merge_success(state, resp, article, when, settings.keep_revisions)
        return Outcome(url, action, new)
    except FetchError as err:
        err.url = err.url or url
        log.info("%s: %s (%s)", url, err.message, err.kind)
        failed = _failure(state, err, when)
        if good is None and settings.archive_fallback and err.status in (ERROR, GONE) \
                and err.kind not in ("blocked", "robots", "unsupported"):
            archived = await _from_archive(fetcher, url, failed, settings, when)
            if archived is not None:
                return Outcome(url, "archived", archived)
        return Outcome(url, "failed", failed)


async def _from_archive(fetcher: Fetcher, url: str, failed: dict, settings: Settings,
                        when: str) -> dict | None:
    try:
        found = await fetch_archived(fetcher, settings.archive_url, url)
    except FetchError as err:
        log.info("%s: archive lookup failed: %s", url, err.message)
        return None
    if found is None:
        return None
    resp, snapshot = found
    article = _extract(resp)
    if not article["text"]:
        return None
    new = copy.deepcopy(failed)
    fetch = new["fetch"]
    fetch.update(archived_from=snapshot, fetched_at=when, charset=resp.charset,
                 content_type=resp.content_type, final_url=resp.final_url)
    new["article"] = article
    return new


def _prepare(seeds: list[Path], settings: Settings, do_repair: bool,
             report: RunReport) -> list[SeedJob]:
    jobs = []
    for seed in seeds:
        raw = read_seed(seed)
        citations = find_citations(raw, html=seed.suffix.lower() in HTML_SEED_SUFFIXES)
        path = sidecar_path(seed)
        try:
            old = read_sidecar(path)
        except CorruptSidecarError as exc:
            if not do_repair:
                report.store_errors.append(str(exc))
                continue
            moved = repair(path)
            log.warning("%s: moved aside to %s; rebuilding", path, moved.name)
            old = None
        except StoreError as exc:
            report.store_errors.append(str(exc))
            continue
        if old is None and not citations:
            continue
        sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        jobs.append(SeedJob(seed, path, sha, citations, old))
    return jobs


def _prior_states(jobs: list[SeedJob]) -> dict[str, dict]:
    """The freshest stored state of every cited URL, across all seeds citing it."""
    best: dict[str, tuple[str, dict]] = {}
    cited = {c.url for job in jobs for c in job.citations}
    for job in jobs:
        for src in (job.old or {}).get("sources", []):
            url = src.get("url")
            if url not in cited or not isinstance(src, dict):
                continue
            stamp = ((src.get("fetch") or {}).get("checked_at") or "")
            if url not in best or stamp > best[url][0]:
                best[url] = (stamp, _state_of(src))
    return {url: state for url, (_, state) in best.items()}


def _sidecar_for(job: SeedJob, states: dict[str, dict]) -> dict:
    sources = []
    for c in job.citations:
        cited = [{"line": p.line, "label": p.label} for p in c.places]
        sources.append({"url": c.url, "cited": cited} | states[c.url])
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "seed": {"path": job.seed.name, "sha256": job.sha256},
        "updated_at": utc_now(),
        "sources": sources,
    }


def _unchanged(job: SeedJob, new: dict) -> bool:
    old = job.old
    return (old is not None and old.get("schema_version") == SCHEMA_VERSION
            and old.get("seed") == new["seed"] and old.get("sources") == new["sources"])


async def _run(jobs: list[SeedJob], settings: Settings, force: bool, report: RunReport,
               progress: ProgressFn | None) -> None:
    now = _now()
    prior = _prior_states(jobs)
    states: dict[str, dict] = {}
    actions: dict[str, str] = {}
    due: list[str] = []
    for job in jobs:
        for c in job.citations:
            if c.url in states or c.url in due:
                continue
            state = prior.get(c.url) or _pending_state()
            if _is_due(state, settings, force, now):
                due.append(c.url)
            else:
                states[c.url] = state
                actions[c.url] = "fresh"
    waiting = {id(job): {c.url for c in job.citations} - set(states) for job in jobs}
    written: set[int] = set()

    def flush_ready() -> None:
        for job in jobs:
            if id(job) in written or waiting[id(job)]:
                continue
            written.add(id(job))
            data = _sidecar_for(job, states)
            for src in data["sources"]:
                report.sources.append({"seed": str(job.seed), "url": src["url"],
                                       "status": src["status"], "action": actions[src["url"]],
                                       "error": src["error"]})
            if not _unchanged(job, data):
                write_sidecar(job.sidecar, data)
                report.written += 1

    flush_ready()
    if not due:
        return
    total, done = len(due), 0
    if progress:
        progress(0, total, "")
    async with Fetcher(settings) as fetcher:
        tasks = [asyncio.ensure_future(settle_url(fetcher, url, prior.get(url) or
                                                  _pending_state(), settings)) for url in due]
        try:
            for next_done in asyncio.as_completed(tasks):
                outcome = await next_done
                states[outcome.url] = outcome.state
                actions[outcome.url] = outcome.action
                for job in jobs:
                    waiting[id(job)].discard(outcome.url)
                done += 1
                if progress:
                    progress(done, total, outcome.url)
                flush_ready()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            report.requests = getattr(fetcher, "requests", 0)


def run_fetch(settings: Settings, paths: list[str] | tuple[str, ...], *, force: bool = False,
              do_repair: bool = False, wait: float | None = None,
              progress: ProgressFn | None = None) -> RunReport:
    """Fetch what is missing or due for the seeds under `paths`; write sidecars."""
    started = time.monotonic()
    report = RunReport()
    seeds = find_seed_files(paths or settings.seeds or ["."], settings.seed_globs)
    report.seeds = len(seeds)
    if not seeds:
        return report
    folders = sorted({seed.parent for seed in seeds})
    with locked(folders, wait):
        for folder in folders:
            clean_temp_files(folder)
        jobs = _prepare(seeds, settings, do_repair, report)
        _run_with_signals(_run(jobs, settings, force, report, progress))
    report.duration = time.monotonic() - started
    return report


def _run_with_signals(coro) -> None:
    """Run the fetch loop; SIGINT/SIGTERM cancel it between sidecar writes."""
    received: list[int] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop, signum)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            await coro
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0]) from None
        raise
