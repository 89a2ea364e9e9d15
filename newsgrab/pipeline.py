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
import dataclasses
import hashlib
import itertools
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from newsgrab.archive import fetch_archived
from newsgrab.config import Settings
from newsgrab.errors import (
    CorruptSidecarError,
    ExitCode,
    FetchError,
    NewsgrabError,
    SeedError,
    StoreError,
)
from newsgrab.extract import extract
from newsgrab.fetch import Fetcher, Response
from newsgrab.model import (
    EMPTY_FETCH,
    SCHEMA_VERSION,
    Answer,
    ArchivedCopy,
    Article,
    CitedPlace,
    Failure,
    Redirect,
    Sidecar,
    Source,
    Status,
    freshest,
    is_due,
    merge_archived,
    merge_failure,
    merge_success,
    pending_source,
    to_builtins,
    with_citations,
)
from newsgrab.seeds import Citation, find_citations, find_seed_files, read_seed
from newsgrab.store import (
    clean_temp_files,
    locked,
    new_sidecar,
    read_sidecar_versioned,
    repair,
    sidecar_path,
    utc_now,
    write_sidecar,
)
from newsgrab.urlutil import host_of, redact_url

log = logging.getLogger(__name__)

HTML_SEED_SUFFIXES = {".html", ".htm"}
# Threads writing sidecars while the fetching goes on (their fsync waits overlap).
WRITERS = 4


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
    old: Sidecar | None
    stored_version: int | None = None  # schema_version on disk (older ones migrate)


@dataclasses.dataclass
class Outcome:
    """What happened to one URL in this run."""

    url: str
    action: str  # fresh, not_modified, unchanged, changed, new, degraded, failed, archived
    state: Source  # the source's new stored state (url and cited as stored before)


@dataclasses.dataclass
class RunReport:
    started_at: str = ""
    seeds: int = 0
    written: int = 0
    duration: float = 0.0
    sources: list[dict] = dataclasses.field(default_factory=list)
    store_errors: list[str] = dataclasses.field(default_factory=list)
    seed_errors: list[str] = dataclasses.field(default_factory=list)
    repaired: list[str] = dataclasses.field(default_factory=list)
    requests: int = 0

    @property
    def status_counts(self) -> Counter:
        return Counter(s["status"] for s in self.sources)

    @property
    def action_counts(self) -> Counter:
        return Counter(s["action"] for s in self.sources)

    @property
    def failed(self) -> list[dict]:
        return [s for s in self.sources if s["action"] != "fresh" and s["status"] != Status.OK]

    @property
    def exit_code(self) -> ExitCode:
        if self.store_errors:
            return ExitCode.DATA_ERROR
        if self.seed_errors:
            return ExitCode.USAGE
        if self.failed:
            return ExitCode.SOURCES_FAILED
        return ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "seeds": self.seeds,
            "sidecars_written": self.written,
            "duration_s": round(self.duration, 3),
            "counts": dict(sorted(self.status_counts.items())),
            "actions": dict(sorted(self.action_counts.items())),
            "requests": self.requests,
            "store_errors": self.store_errors,
            "seed_errors": self.seed_errors,
            "repaired": self.repaired,
            "exit_code": int(self.exit_code),
            "sources": self.sources,
        }


ProgressFn = Callable[[int, int, str], None]


def _failure_of(err: FetchError) -> Failure:
    return Failure(
        kind=err.kind,
        message=err.message,
        status=Status(err.status),
        http_status=err.http_status,
        attempts=err.attempts,
    )


def _answer_of(resp: Response) -> Answer:
    return Answer(
        final_url=resp.final_url,
        http_status=resp.status_code,
        content_type=resp.content_type,
        charset=resp.charset,
        etag=resp.etag,
        last_modified=resp.last_modified,
        redirects=[Redirect(url=r["url"], status=r["status"]) for r in resp.redirects],
        attempts=resp.attempts,
    )


def _extract(resp: Response) -> Article:
    try:
        article = extract(
            resp.body, url=resp.final_url, content_type=resp.headers.get("content-type")
        )
    except Exception as exc:  # a page that breaks the extractor fails alone, not the run
        log.warning(
            "%s: the extractor failed: %s: %s",
            redact_url(resp.url),
            type(exc).__name__,
            exc,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        raise FetchError(
            "extract",
            f"the extractor failed on this page ({type(exc).__name__})",
            http_status=resp.status_code,
            attempts=resp.attempts,
        ) from None
    resp.charset = article.encoding or resp.charset
    return Article.from_extracted(article.to_dict())


# FetchError kinds after which a source with no good copy yet is looked up in the
# archive: the page is gone (404/410, status `gone`) or its server is unreachable.
UNREACHABLE = {"dns", "connect", "timeout", "tls"}


def _wants_archive(err: FetchError, state: Source, settings: Settings) -> bool:
    if not settings.archive_fallback or state.good_article is not None:
        return False
    return err.status == Status.GONE or err.kind in UNREACHABLE


async def settle_url(fetcher: Fetcher, url: str, state: Source, settings: Settings) -> Outcome:
    """Fetch one due URL and return its new state. Never raises FetchError."""
    good = state.good_article is not None
    fetch = state.fetch or EMPTY_FETCH
    when = utc_now()
    shown = redact_url(url)  # credentials are never logged, stored or sent to the archive
    try:
        resp = await fetcher.fetch(
            url,
            etag=fetch.etag if good else None,
            last_modified=fetch.last_modified if good else None,
        )
    except FetchError as err:
        err.url = err.url or url
        log.info("GET %s -> %s: %s", shown, err.kind, err.message)
        failed = merge_failure(state, _failure_of(err), when)
        if _wants_archive(err, state, settings):
            archived = await _from_archive(fetcher, shown, failed, settings, when)
            if archived is not None:
                return Outcome(url, "archived", archived)
        return Outcome(url, "failed", failed)
    log.info(
        "GET %s -> %s%s", shown, resp.status_code, " (not modified)" if resp.not_modified else ""
    )
    try:
        article = None if resp.not_modified else _extract(resp)
    except FetchError as err:
        return Outcome(url, "failed", merge_failure(state, _failure_of(err), when))
    action, new = merge_success(state, _answer_of(resp), article, when, settings.keep_revisions)
    return Outcome(url, action, new)


async def _from_archive(
    fetcher: Fetcher, url: str, failed: Source, settings: Settings, when: str
) -> Source | None:
    try:
        found = await fetch_archived(fetcher, settings.archive_url, url)
    except FetchError as err:
        log.info("%s: archive lookup failed: %s", url, err.message)
        return None
    if found is None:
        log.info("%s: no archived copy", url)
        return None
    resp, snapshot = found
    try:
        article = _extract(resp)
    except FetchError:
        return None
    if not article.text:
        log.info("%s: the archived copy %s has no article text", url, snapshot["url"])
        return None
    log.info("%s: using the archived copy %s", url, snapshot["url"])
    copy = ArchivedCopy(url=snapshot["url"], timestamp=snapshot.get("timestamp"))
    return merge_archived(failed, _answer_of(resp), article, copy, when)


def _prepare(
    seeds: list[Path], settings: Settings, do_repair: bool, report: RunReport
) -> list[SeedJob]:
    jobs = []
    for seed in seeds:
        try:
            raw = read_seed(seed)
            seed_bytes = seed.read_bytes()
        except SeedError as exc:  # one unreadable seed does not stop the others
            report.seed_errors.append(str(exc))
            continue
        except OSError as exc:
            report.seed_errors.append(f"{seed}: cannot read: {exc.strerror or exc}")
            continue
        citations = find_citations(raw, html=seed.suffix.lower() in HTML_SEED_SUFFIXES)
        path = sidecar_path(seed)
        try:
            old, version = read_sidecar_versioned(path)
        except CorruptSidecarError as exc:
            if not do_repair:
                report.store_errors.append(str(exc))
                continue
            moved = repair(path)
            log.warning("%s: moved aside to %s; rebuilding it", path, moved.name)
            report.repaired.append(str(moved))
            old, version = None, None
        except StoreError as exc:
            report.store_errors.append(str(exc))
            continue
        if old is None and not citations:
            continue
        sha = hashlib.sha256(seed_bytes).hexdigest()
        jobs.append(SeedJob(seed, path, sha, citations, old, version))
    return jobs


def _prior_states(jobs: list[SeedJob]) -> dict[str, Source]:
    """The freshest stored state of every cited URL, across all seeds citing it.

    Keyed by the stored (credential-free) form of the URL."""
    copies: dict[str, list[Source]] = {}
    cited = {redact_url(c.url) for job in jobs for c in job.citations}
    for job in jobs:
        for src in job.old.sources if job.old else []:
            if src.url in cited:
                copies.setdefault(src.url, []).append(src)
    return {url: freshest(found) for url, found in copies.items()}


def _sidecar_for(job: SeedJob, states: dict[str, Source]) -> Sidecar:
    sources = []
    for c in job.citations:
        cited = [CitedPlace(line=p.line, label=p.label) for p in c.places]
        sources.append(with_citations(states[c.url], redact_url(c.url), cited))
    return new_sidecar(job.seed.name, job.sha256, sources)


def _unchanged(job: SeedJob, new: Sidecar) -> bool:
    old = job.old
    return (
        old is not None
        and job.stored_version == SCHEMA_VERSION
        and old.seed == new.seed
        and old.sources == new.sources
    )


async def _run(
    jobs: list[SeedJob],
    settings: Settings,
    force: bool,
    report: RunReport,
    progress: ProgressFn | None,
) -> None:
    now = time.time()
    prior = _prior_states(jobs)
    states: dict[str, Source] = {}
    actions: dict[str, str] = {}
    due: dict[str, None] = {}  # ordered set: first citation first
    citing: dict[str, list[SeedJob]] = {}
    for job in jobs:
        for c in job.citations:
            citing.setdefault(c.url, []).append(job)
            if c.url in states or c.url in due:
                continue
            state = prior.get(redact_url(c.url)) or pending_source(redact_url(c.url))
            if is_due(state, settings.refresh_after, now, force):
                due[c.url] = None
            else:
                states[c.url] = state
                actions[c.url] = "fresh"
    waiting = {id(job): {c.url for c in job.citations} - set(states) for job in jobs}
    # How many seeds still need each URL's state; at 0 it is dropped.
    needed = {url: len(jobs_) for url, jobs_ in citing.items()}
    # Sidecars are written by a few threads while fetching goes on. A write handed
    # to them always completes, even when the run is stopped: the executor is shut
    # down with wait=True below, and each write is atomic anyway.
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="newsgrab-write")
    writes: set[asyncio.Future] = set()
    failed_writes: list[asyncio.Future] = []

    def write_done(future: asyncio.Future) -> None:
        writes.discard(future)
        if future.cancelled() or future.exception() is not None:
            failed_writes.append(future)

    def write(job: SeedJob) -> None:
        data = _sidecar_for(job, states)
        seed = str(job.seed)
        for c, src in zip(job.citations, data.sources, strict=True):
            report.sources.append(
                {
                    "seed": seed,
                    "url": src.url,
                    "status": str(src.status),
                    "action": actions[c.url],
                    "error": to_builtins(src.error),
                }
            )
        if not _unchanged(job, data):
            future = loop.run_in_executor(executor, write_sidecar, job.sidecar, data)
            writes.add(future)
            future.add_done_callback(write_done)
            report.written += 1
        # What only this seed needed goes, so that memory holds the sources of
        # the seeds not written yet, however long the run.
        for c in job.citations:
            needed[c.url] -= 1
            if not needed[c.url]:
                for table in (states, actions, citing, needed):
                    table.pop(c.url, None)
                prior.pop(redact_url(c.url), None)
        waiting.pop(id(job), None)
        job.old = None
        job.citations = []

    try:
        for job in jobs:
            if not waiting[id(job)]:
                write(job)
        if due:
            await _fetch_due(
                interleave_hosts(list(due)),
                prior,
                settings,
                states,
                actions,
                waiting,
                citing,
                write,
                report,
                progress,
            )
        await asyncio.gather(*writes)
        for future in failed_writes:
            future.result()  # raise the first failed write
    finally:
        executor.shutdown(wait=True)


def interleave_hosts(urls: list[str]) -> list[str]:
    """Round-robin over hosts (each host's URLs in their order), so the bounded
    worker pool is not tied up behind one host's politeness limits."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(host_of(url), []).append(url)
    columns = list(by_host.values())
    return [url for row in itertools.zip_longest(*columns) for url in row if url is not None]


async def _fetch_due(
    due: list[str],
    prior: dict[str, Source],
    settings: Settings,
    states: dict[str, Source],
    actions: dict[str, str],
    waiting: dict[int, set[str]],
    citing: dict[str, list[SeedJob]],
    write: Callable[[SeedJob], None],
    report: RunReport,
    progress: ProgressFn | None,
) -> None:
    """Settle every due URL with a bounded pool of workers (URLs in citation order)."""
    total, done = len(due), 0
    if progress:
        progress(0, total, "")
    queue = iter(due)

    async def worker(fetcher: Fetcher) -> None:
        nonlocal done
        for url in queue:  # one shared iterator: each URL is taken by one worker
            state = prior.get(redact_url(url)) or pending_source(redact_url(url))
            outcome = await settle_url(fetcher, url, state, settings)
            states[url] = outcome.state
            actions[url] = outcome.action
            done += 1
            if progress:
                progress(done, total, redact_url(url))
            # Each seed's sidecar is written as soon as its last URL is settled,
            # so a run stopped at any point keeps everything finished so far.
            for job in citing[url]:
                pending = waiting.get(id(job))
                if pending is not None and url in pending:
                    pending.discard(url)
                    if not pending:
                        write(job)

    async with Fetcher(settings) as fetcher:
        # More workers than requests allowed in flight, so that per-host limits
        # and delays on one host do not starve the others.
        count = min(total, max(4, settings.concurrency * 4))
        workers = [asyncio.ensure_future(worker(fetcher)) for _ in range(count)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            report.requests = getattr(fetcher, "requests", 0)


def run_fetch(
    settings: Settings,
    paths: list[str] | tuple[str, ...],
    *,
    force: bool = False,
    do_repair: bool = False,
    wait: float | None = None,
    progress: ProgressFn | None = None,
) -> RunReport:
    """Fetch what is missing or due for the seeds under `paths`; write sidecars.

    Raises LockedError when another run holds a seed folder (after `wait` seconds;
    None: at once) and Interrupted on SIGINT/SIGTERM (every sidecar is then its
    old or its new version)."""
    started = time.monotonic()
    report = RunReport(started_at=utc_now())
    seeds = find_seed_files(paths or settings.seeds or ["."], settings.seed_globs)
    report.seeds = len(seeds)
    if not seeds:
        return report
    folders = sorted({seed.parent for seed in seeds})
    with _StopOnSignal() as stopper, locked(folders, wait):
        for folder in folders:
            for tmp in clean_temp_files(folder):
                log.info("%s: removed a temporary file left by an interrupted run", tmp)
        jobs = _prepare(seeds, settings, do_repair, report)
        stopper.run(_run(jobs, settings, force, report, progress))
    report.duration = time.monotonic() - started
    return report


class _StopOnSignal:
    """SIGINT and SIGTERM stop the run without tearing a sidecar.

    Outside the event loop (locking, reading seeds) the handler raises
    Interrupted at once: nothing has been written yet. Inside it, the handler
    cancels the fetch task, which stops at its next `await`; sidecar writes
    are synchronous, so the one in hand always completes (and each one is
    atomic anyway). Handlers are only installed from the main thread."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        else:
            raise Interrupted(signum)

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def run(self, coro) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            try:
                await coro
            finally:
                self._loop = self._task = None

        if self.received is not None:
            coro.close()
            raise Interrupted(self.received)
        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            if self.received is not None:
                raise Interrupted(self.received) from None
            raise
        if self.received is not None:  # arrived after the last await
            raise Interrupted(self.received)
