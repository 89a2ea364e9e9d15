"""`newsgrab fetch`: seeds -> cited URLs -> fetch -> extract -> sidecars.

run_fetch() is the library entry point behind the command. It locks every seed
folder and reads each seed and its sidecar, then works in three parts:

- plan (`make_plan`, pure): per distinct URL (keyed by its stored,
  credential-free spelling), whether it is fresh (no request), due for
  revalidation (a conditional request) or new, and which seeds wait on it;
- execute (`Executor.outcomes`, an async iterator): fetches what is due
  concurrently, each URL once however many seeds cite it, and yields each
  outcome (the merge functions of model.py never drop a good article);
- write (`Writer`): writes each seed's sidecar atomically as soon as the last of
  its URLs is settled.

The library installs no signal handler: a caller stops a run with a `Stop`
(the CLI requests it from its SIGINT/SIGTERM handlers).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from newsgrab.config import Settings
from newsgrab.errors import (
    CorruptSidecarError,
    ExitCode,
    FetchError,
    NewsgrabError,
    SeedError,
    StoreError,
    WriteError,
)
from newsgrab.model import (
    CHANGES,
    EMPTY_FETCH,
    SCHEMA_VERSION,
    Answer,
    ArchivedCopy,
    Article,
    CitedPlace,
    Failure,
    FetchFacts,
    Redirect,
    Sidecar,
    Source,
    Status,
    change_of,
    freshest,
    is_due,
    merge_archived,
    merge_failure,
    merge_success,
    pending_source,
    to_builtins,
    with_citations,
)
from newsgrab.seeds import (
    Citation,
    display_path,
    find_seed_files,
    is_seed_name,
    read_seed,
    scan_citations,
)
from newsgrab.store import (
    clean_temp_files,
    legacy_sidecar,
    locked,
    new_sidecar,
    read_sidecar_versioned,
    repair,
    sidecar_path,
    stored_seed_name,
    take_over,
    utc_now,
    write_sidecar,
)
from newsgrab.urlutil import host_of, redact_url

if TYPE_CHECKING:
    import asyncio

    from newsgrab.fetch import Fetcher, Response
    from newsgrab.workers import ExtractorPool

# asyncio, the fetcher (httpx), the archive lookup and the extraction workers
# are imported when a run has seeds to work on (the fetcher only when it has URLs
# to fetch): a cron run on an empty folder never pays for them.


def bug_message(where: str) -> str:
    from newsgrab.workers import bug_message

    return bug_message(where)


log = logging.getLogger(__name__)

HTML_SEED_SUFFIXES = {".html", ".htm"}
# Threads writing sidecars while the fetching goes on (their fsync waits overlap).
WRITERS = 4


@dataclasses.dataclass
class SeedJob:
    seed: Path
    sidecar: Path
    sha256: str
    citations: list[Citation]
    old: Sidecar | None
    stored_version: int | None = None  # schema_version on disk (older ones migrate)
    legacy: Path | None = None  # an old `<stem>.sources.json` to rename to `sidecar`
    # `old` holds slim sources only (see `slim_source`): the full ones are read
    # back from the file when needed, so a run never holds the whole collection
    slim: bool = False
    # writing this seed from its own stored copies gives back its sidecar as it is
    # (so a seed whose URLs are all fresh, and freshest here, is not read again)
    fresh_same: bool = False


@dataclasses.dataclass
class Outcome:
    """What happened to one URL in this run."""

    key: str  # the URL as stored (without credentials)
    action: str  # fresh, not_modified, unchanged, changed, new, degraded, failed, archived
    state: Source  # the source's new stored state (url and cited as stored before)
    # its stored state could not be read back: the seeds citing it are not written
    partial: bool = False
    store_error: str | None = None  # why, when its sidecar changed under the run


# The changes `--quiet` prints (see RunReport.state_changes).
STATE_CHANGES = frozenset({"new", "changed", "recovered", "archived", "newly_failing"})


@dataclasses.dataclass
class RunReport:
    started_at: str = ""
    seeds: int = 0
    written: int = 0
    duration: float = 0.0
    sources: list[dict] = dataclasses.field(default_factory=list)
    store_errors: list[str] = dataclasses.field(default_factory=list)
    seed_errors: list[str] = dataclasses.field(default_factory=list)
    # disk errors (full, read-only, no permission) and refused lock files: exit 1
    write_errors: list[str] = dataclasses.field(default_factory=list)
    repaired: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    # citations that look like URLs but cannot be (seeds.Rejected): reported, not
    # fetched, and no change to the exit code
    rejected: list[dict] = dataclasses.field(default_factory=list)
    requests: int = 0
    # bugs met for one seed (the run went on without it); see also `internal`
    internal_errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def status_counts(self) -> Counter:
        return Counter(s["status"] for s in self.sources)

    @property
    def action_counts(self) -> Counter:
        return Counter(s["action"] for s in self.sources)

    @property
    def change_counts(self) -> Counter:
        """How many URLs (each once, however many seeds cite it) had each change."""
        return Counter({s["url"]: s["change"] for s in self.sources}.values())

    @property
    def urls(self) -> int:
        return len({s["url"] for s in self.sources})

    @property
    def state_changes(self) -> list[dict]:
        """Sources whose state changed (what `--quiet` prints): a new or changed
        article, an archived copy, a source that started or stopped failing;
        each URL once, at its first seed."""
        seen: set[str] = set()
        out = []
        for s in self.sources:
            if s["change"] in STATE_CHANGES and s["url"] not in seen:
                seen.add(s["url"])
                out.append(s)
        return out

    @property
    def failed(self) -> list[dict]:
        return [
            s
            for s in self.sources
            if s["action"] != "fresh" and (s["status"] != Status.OK or s["action"] == "internal")
        ]

    @property
    def internal(self) -> list[dict]:
        """Sources this run failed with kind `internal` (a bug, or a dead worker)."""
        return [
            s
            for s in self.sources
            if s["action"] == "internal"
            or (s["action"] != "fresh" and (s["error"] or {}).get("kind") == "internal")
        ]

    @property
    def exit_code(self) -> ExitCode:
        # a bug met for one source or seed: everything else was done and written
        if self.internal_errors or self.internal:
            return ExitCode.INTERNAL
        if self.store_errors:
            return ExitCode.DATA_ERROR
        if self.seed_errors:
            return ExitCode.USAGE
        if self.failed or self.write_errors:
            return ExitCode.SOURCES_FAILED
        return ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "seeds": self.seeds,
            "sidecars_written": self.written,
            "duration_s": round(self.duration, 3),
            "urls": self.urls,
            "changes": {c: self.change_counts.get(c, 0) for c in CHANGES},
            "counts": dict(sorted(self.status_counts.items())),
            "actions": dict(sorted(self.action_counts.items())),
            "requests": self.requests,
            "store_errors": self.store_errors,
            "seed_errors": self.seed_errors,
            "write_errors": self.write_errors,
            "internal_errors": self.internal_errors,
            "repaired": self.repaired,
            "warnings": self.warnings,
            "rejected": self.rejected,
            "exit_code": int(self.exit_code),
            "sources": self.sources,
        }


class Progress(Protocol):
    """What `run_fetch` tells a progress display (newsgrab.progress.FetchProgress):
    `start` once with the number of due URLs and a function returning the URLs
    in flight (and since when, time.monotonic()); `update` as each URL settles."""

    def start(self, total: int, in_flight: Callable[[], Mapping[str, float]]) -> None: ...

    def update(self, done: int, ok: int, failed: int) -> None: ...


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
        capture=resp.capture,
    )


async def _extract(pool: ExtractorPool, resp: Response) -> Article:
    """The page's article, extracted off the event loop (see workers.py)."""
    from newsgrab.workers import ExtractFailed

    try:
        extracted, encoding = await pool.extract(
            resp.final_url, resp.headers.get("content-type"), resp.body
        )
    except ExtractFailed as exc:  # this page fails alone, not the run
        log.warning("%s: %s", redact_url(resp.url), exc.message)
        raise FetchError(
            exc.kind, exc.message, http_status=resp.status_code, attempts=resp.attempts
        ) from None
    resp.charset = encoding or resp.charset
    return Article.from_extracted(extracted)


# FetchError kinds after which a source with no good copy yet is looked up in the
# archive: the page is gone (404/410, status `gone`) or its server is unreachable.
UNREACHABLE = {"dns", "connect", "timeout", "tls"}


def _wants_archive(err: FetchError, state: Source, settings: Settings) -> bool:
    if not settings.archive_fallback or state.good_article is not None:
        return False
    return err.status == Status.GONE or err.kind in UNREACHABLE


async def settle_url(
    fetcher: Fetcher, url: str, state: Source, settings: Settings, pool: ExtractorPool
) -> Outcome:
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
            previous=fetch.capture if good else None,
        )
    except FetchError as err:
        err.url = err.url or url
        log.info("GET %s -> %s: %s", shown, err.kind, err.message)
        failed = merge_failure(state, _failure_of(err), when)
        if _wants_archive(err, state, settings):
            archived = await _from_archive(fetcher, shown, failed, settings, when, pool)
            if archived is not None:
                return Outcome(shown, "archived", archived)
        return Outcome(shown, "failed", failed)
    log.info(
        "GET %s -> %s%s", shown, resp.status_code, " (not modified)" if resp.not_modified else ""
    )
    try:
        article = None if resp.not_modified else await _extract(pool, resp)
    except FetchError as err:
        return Outcome(shown, "failed", merge_failure(state, _failure_of(err), when))
    action, new = merge_success(state, _answer_of(resp), article, when, settings.keep_revisions)
    return Outcome(shown, action, new)


async def _from_archive(
    fetcher: Fetcher, url: str, failed: Source, settings: Settings, when: str, pool: ExtractorPool
) -> Source | None:
    from newsgrab.archive import fetch_archived

    try:
        found = await fetch_archived(fetcher, settings.archive_url, url, settings.archive_web_url)
    except FetchError as err:
        log.info("%s: archive lookup failed: %s", url, err.message)
        return None
    if found is None:
        log.info("%s: no archived copy", url)
        return None
    resp, snapshot = found
    try:
        article = await _extract(pool, resp)
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
    stems = _Stems(seeds, settings.seed_globs)
    for seed in seeds:
        shown = display_path(seed)
        try:
            raw = read_seed(seed)
            seed_bytes = seed.read_bytes()
        except SeedError as exc:  # one unreadable seed does not stop the others
            report.seed_errors.append(str(exc))
            continue
        except OSError as exc:
            report.seed_errors.append(f"{shown}: cannot read: {exc.strerror or exc}")
            continue
        citations, rejected = scan_citations(raw, html=seed.suffix.lower() in HTML_SEED_SUFFIXES)
        for bad in rejected:
            report.rejected.append(  # exact, as `sources[].seed`; printed escaped
                {"seed": str(seed), "line": bad.line, "text": bad.text, "reason": bad.reason}
            )
        path = sidecar_path(seed)
        legacy = None
        try:
            old, version = read_sidecar_versioned(path)
            if old is None:
                legacy, old, version = _legacy(seed, stems, report)
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
        job = SeedJob(seed, path, sha, citations, old, version, legacy)
        if old is not None:
            job.fresh_same = _same_from_own(job)
            job.old = slim_sidecar(old)
            job.slim = True
        jobs.append(job)
    return jobs


def slim_source(src: Source) -> Source:
    """What planning and the run report need of a stored source: its URL,
    status, error and when it was checked (no article, revisions or citations).
    The run reads the full source back from its sidecar when it fetches or
    writes it."""
    fetch = src.fetch
    if fetch is not None:
        fetch = FetchFacts(
            checked_at=fetch.checked_at, consecutive_failures=fetch.consecutive_failures
        )
    return Source(url=src.url, status=src.status, fetch=fetch, error=src.error)


def slim_sidecar(sidecar: Sidecar) -> Sidecar:
    return msgspec.structs.replace(sidecar, sources=[slim_source(s) for s in sidecar.sources])


def _own_states(sidecar: Sidecar) -> dict[str, Source]:
    """URL -> the freshest of a sidecar's own copies of it."""
    copies: dict[str, list[Source]] = {}
    for src in sidecar.sources:
        copies.setdefault(src.url, []).append(src)
    return {url: freshest(found) for url, found in copies.items()}


def _same_from_own(job: SeedJob) -> bool:
    """Whether the seed's sidecar, written from its own stored copies, is the
    one on disk (then a run where all its URLs are fresh need not read it again)."""
    assert job.old is not None
    own = _own_states(job.old)
    keys = tuple(redact_url(c.url) for c in job.citations)
    if any(key not in own for key in keys):
        return False
    return _unchanged(job, sidecar_for(job, keys, own))


class _Stems:
    """Which seeds of a folder share a stem (`report.md`, `report.txt`): the seed
    files the folder holds (by `seed_globs`) and the seeds of this run."""

    def __init__(self, seeds: list[Path], globs: Sequence[str]):
        self.globs = tuple(globs)
        self.named: dict[Path, set[str]] = {}
        for seed in seeds:
            self.named.setdefault(seed.parent, set()).add(seed.name)
        self.listed: dict[Path, set[str]] = {}

    def sharing(self, seed: Path) -> list[str]:
        folder = seed.parent
        if folder not in self.listed:
            names = set(self.named.get(folder, ()))
            try:
                with os.scandir(folder) as entries:
                    names.update(e.name for e in entries if is_seed_name(e.name, self.globs))
            except OSError:
                pass
            self.listed[folder] = names
        return sorted(n for n in self.listed[folder] if Path(n).stem == seed.stem)


def _legacy(
    seed: Path, stems: _Stems, report: RunReport
) -> tuple[Path | None, Sidecar | None, int | None]:
    """An old `<stem>.sources.json` this seed takes over: (its path, its sidecar, its
    schema_version), or Nones. Taken over only when it names this seed in
    `seed.path` and no other seed in the folder has the same stem; a file two
    seeds could claim is left alone, with one warning. One that cannot be read
    raises its StoreError (the seed is skipped and the file left untouched, as
    before the rename)."""
    legacy = legacy_sidecar(seed)
    if legacy is None:
        return None, None, None
    sharing = stems.sharing(seed)
    if len(sharing) > 1:
        if seed.name == sharing[0]:  # one warning per file, not one per seed
            names = ", ".join(display_path(n) for n in sharing)
            report.warnings.append(
                f"{display_path(legacy)}: old sidecar name shared by {names}; "
                "neither takes it over, left as it is"
            )
        return None, None, None
    old, version = read_sidecar_versioned(legacy)  # a StoreError: this seed's, as before
    if old is None or old.seed.path != stored_seed_name(seed):
        return None, None, None
    return legacy, old, version


# ------------------------------------------------------------------ plan (pure)


@dataclasses.dataclass(frozen=True, slots=True)  # one per due URL
class Work:
    """One due URL: its key (the stored, credential-free URL), the URL to request
    (as cited, credentials included) and its stored state."""

    key: str
    url: str
    state: Source


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run will do, decided before any request from the seeds' citations and
    their stored sidecars. Every table is keyed by one spelling of a URL: the
    stored, credential-free form (`redact_url`)."""

    jobs: tuple[SeedJob, ...]
    keys: tuple[tuple[str, ...], ...]  # per job: the key of each citation, in order
    states: Mapping[str, Source]  # key -> the freshest stored state (or pending)
    due: tuple[Work, ...]  # to fetch, hosts interleaved, first citation first
    waiting: tuple[frozenset[str], ...]  # per job: the due keys it waits on
    # key -> the job whose stored copy is `states[key]` (none for a pending one)
    where: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @property
    def fresh(self) -> frozenset[str]:
        return frozenset(self.states) - {w.key for w in self.due}


def make_plan(
    jobs: list[SeedJob],
    refresh_after: float,
    now: float,
    force: bool,
    *,
    allow_private_networks: bool = False,
    obey_robots: bool = True,
) -> Plan:
    """Which URLs are due and which fresh (no request), and which seeds wait on
    which due URL. Pure: `now` is seconds since the epoch; the two settings say
    which `blocked` sources are retried at once (see model.is_due)."""
    best: dict[str, tuple[Source, int]] = {}  # url -> freshest copy, and its job
    for i, job in enumerate(jobs):
        for src in job.old.sources if job.old else []:
            found = best.get(src.url)
            if found is None or freshest([found[0], src]) is not found[0]:
                best[src.url] = (src, i)
    keys = tuple(tuple(redact_url(c.url) for c in job.citations) for job in jobs)
    states: dict[str, Source] = {}
    where: dict[str, int] = {}
    due: dict[str, Work] = {}  # ordered: first citation first
    for job, job_keys in zip(jobs, keys, strict=True):
        for c, key in zip(job.citations, job_keys, strict=True):
            if key in states:
                continue
            stored = best.get(key)
            if stored is None:
                state = pending_source(key)
            else:
                state, where[key] = stored
            states[key] = state
            if is_due(
                state,
                refresh_after,
                now,
                force,
                allow_private_networks=allow_private_networks,
                obey_robots=obey_robots,
            ):
                due[key] = Work(key, c.url, state)
    ordered = interleave_hosts(list(due))
    return Plan(
        jobs=tuple(jobs),
        keys=keys,
        states=states,
        due=tuple(due[key] for key in ordered),
        waiting=tuple(frozenset(k for k in job_keys if k in due) for job_keys in keys),
        where=where,
    )


def interleave_hosts(urls: list[str]) -> list[str]:
    """Round-robin over hosts (each host's URLs in their order), so the bounded
    worker pool is not tied up behind one host's politeness limits."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(host_of(url), []).append(url)
    columns = list(by_host.values())
    return [url for row in itertools.zip_longest(*columns) for url in row if url is not None]


def sidecar_for(job: SeedJob, keys: tuple[str, ...], states: Mapping[str, Source]) -> Sidecar:
    """The seed's sidecar from the settled state of each of its URLs."""
    sources = []
    for c, key in zip(job.citations, keys, strict=True):
        cited = [CitedPlace(line=p.line, label=p.label) for p in c.places]
        sources.append(with_citations(states[key], key, cited))
    return new_sidecar(stored_seed_name(job.seed), job.sha256, sources)


def _unchanged(job: SeedJob, new: Sidecar) -> bool:
    old = job.old
    return (
        old is not None
        and job.legacy is None
        and job.stored_version == SCHEMA_VERSION
        and old.seed == new.seed
        and old.sources == new.sources
    )


# ------------------------------------------------------------------ execute


# Never-fetched URLs from which a run starts its extraction workers at once
# rather than when the first page needs one (a few pages, perhaps all failing,
# are not worth a process start).
WARM_START = 16


class Executor:
    """Fetches due URLs with a bounded pool of workers and yields each outcome as
    it settles (`outcomes`, an async iterator). Leaving the iteration early, or
    cancelling the task iterating, cancels the workers."""

    def __init__(self, settings: Settings, load: Callable[[Work], Source] | None = None):
        self.settings = settings
        self.requests = 0  # HTTP requests sent, once the run is over
        self.in_flight: dict[str, float] = {}  # due URL -> when its work started
        self.pool: ExtractorPool | None = None  # the run's extraction workers
        # the full stored state of a due URL (read back when its work starts)
        self.load = load or (lambda work: work.state)

    async def outcomes(self, due: Sequence[Work]) -> AsyncIterator[Outcome]:
        if not due:
            return
        import asyncio

        from newsgrab.fetch import Fetcher
        from newsgrab.workers import ExtractorPool

        queue: asyncio.Queue[Outcome | BaseException] = asyncio.Queue()
        todo = iter(due)  # one shared iterator: each URL is taken by one worker
        pool = ExtractorPool(self.settings.jobs, self.settings.extract_timeout)
        self.pool = pool
        async with Fetcher(self.settings) as fetcher, pool:
            if sum(work.state.fetch is None for work in due) >= WARM_START:
                # many pages never fetched will need the extractor: its workers
                # start (import it) while the first requests are in flight
                pool.warm()
            # More workers than requests allowed in flight, so that per-host limits
            # and delays on one host do not starve the others.
            count = min(len(due), max(4, self.settings.concurrency * 4))
            workers = [
                asyncio.ensure_future(self._worker(fetcher, pool, todo, queue))
                for _ in range(count)
            ]
            try:
                for _ in range(len(due)):
                    item = await queue.get()
                    if isinstance(item, BaseException):
                        raise item
                    yield item
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                self.requests = getattr(fetcher, "requests", 0)

    async def _worker(
        self, fetcher: Fetcher, pool: ExtractorPool, todo: Iterator[Work], queue: asyncio.Queue
    ) -> None:
        try:
            for work in todo:
                self.in_flight[work.key] = time.monotonic()
                try:
                    state = self.load(work)
                except StoreError as exc:  # its sidecar changed or went away under the run
                    self.in_flight.pop(work.key, None)
                    queue.put_nowait(
                        Outcome(work.key, "failed", work.state, partial=True, store_error=str(exc))
                    )
                    continue
                except Exception as exc:  # a bug reading the stored state back
                    self.in_flight.pop(work.key, None)
                    failed = internal_outcome(work, exc)
                    queue.put_nowait(Outcome(work.key, failed.action, failed.state, partial=True))
                    continue
                try:
                    outcome = await settle_url(fetcher, work.url, state, self.settings, pool)
                except Exception as exc:  # a bug, confined to this URL (see internal_outcome)
                    outcome = internal_outcome(dataclasses.replace(work, state=state), exc)
                finally:
                    self.in_flight.pop(work.key, None)
                queue.put_nowait(Outcome(work.key, outcome.action, outcome.state))
        except Exception as exc:  # a bug outside any one URL: the consumer raises it
            queue.put_nowait(exc)


def internal_outcome(work: Work, exc: Exception) -> Outcome:
    """A bug met while settling one URL: that source fails with kind `internal`
    (its good copy kept) and the run goes on; the run exits 70 at its end."""
    where = f"{type(exc).__name__}: {exc}"
    log.error("%s: internal error: %s", work.key, where, exc_info=log.isEnabledFor(logging.DEBUG))
    failure = Failure(kind="internal", message=bug_message(where)[:2000])
    try:
        state = merge_failure(work.state, failure, utc_now())
    except Exception:  # the merge itself is at fault: the stored state stays as it was
        state = work.state
    return Outcome(work.key, "internal", state)


# ------------------------------------------------------------------ write


def _write_job(path: Path, sidecar: Sidecar, legacy: Path | None) -> None:
    """Write one seed's sidecar, first renaming the old-style file it takes over."""
    if legacy is not None:
        take_over(legacy, path)
    write_sidecar(path, sidecar)


class Stored:
    """The full stored state of a URL, read back from the sidecar of the seed
    whose copy the plan took (`Plan.where`) when the run needs it: to fetch it,
    or to write a seed citing it. The last few sidecars read are kept, so the
    URLs of one seed cost one read; and a sidecar read for one due URL gives the
    full states of its other due URLs at once (`ahead`, at most AHEAD of them),
    so that due URLs taken in an order far from the seeds' (hosts interleaved)
    do not read each sidecar once per URL."""

    CACHED = 8
    AHEAD = 2048

    def __init__(self, jobs: Sequence[SeedJob], where: Mapping[str, int], due: Iterable[str] = ()):
        self.jobs = jobs
        self.where = where
        self.cache: OrderedDict[int, Sidecar] = OrderedDict()
        self.pinned: dict[str, Source] = {}  # kept in memory (see Writer._pin)
        self.due = set(due)  # due keys whose full state was not read yet
        self.ahead: dict[str, Source] = {}  # due key -> its full state, read ahead

    def sidecar(self, i: int) -> Sidecar:
        """Job i's stored sidecar (its new one, once written: the fresh copies
        in it are the same)."""
        found = self.cache.get(i)
        if found is not None:
            self.cache.move_to_end(i)
            return found
        job = self.jobs[i]
        found = read_sidecar_versioned(job.sidecar)[0]
        if found is None and job.legacy is not None:
            found = read_sidecar_versioned(job.legacy)[0]
        if found is None:
            raise StoreError(job.sidecar, "vanished during the run")
        self.cache[i] = found
        if len(self.cache) > self.CACHED:
            self.cache.popitem(last=False)
        return found

    def state(self, key: str, slim: Source) -> Source:
        """The full stored state of `key`, whose slim state is `slim`."""
        if key in self.pinned:
            return self.pinned[key]
        found = self.ahead.pop(key, None)
        if found is not None:
            return found
        i = self.where.get(key)
        if i is None or not self.jobs[i].slim:
            return slim  # pending, or a plan made from full sidecars
        sidecar = self.sidecar(i)
        if key in self.due:
            self.due.discard(key)
            self._read_ahead(i, sidecar)
        copies = [s for s in sidecar.sources if s.url == key]
        if not copies:
            raise StoreError(self.jobs[i].sidecar, f"{key}: no longer stored there")
        return freshest(copies)

    def _read_ahead(self, i: int, sidecar: Sidecar) -> None:
        """Keep the full states of the other due URLs whose copy is job i's."""
        copies: dict[str, list[Source]] = {}
        for src in sidecar.sources:
            if src.url in self.due and self.where.get(src.url) == i:
                copies.setdefault(src.url, []).append(src)
        for key, found in copies.items():
            if len(self.ahead) >= self.AHEAD:
                break
            self.ahead[key] = freshest(found)
            self.due.discard(key)

    def forget(self, i: int) -> None:
        self.cache.pop(i, None)


class Writer:
    """Writes each seed's sidecar as soon as the last of its URLs is settled (so a
    run stopped at any point keeps everything finished so far), on a few threads
    while the fetching goes on, and records every source in the run report.

    It owns the run's changing state: the settled state of each URL until the
    last seed citing it is written (then it is dropped, so memory holds only the
    sources of seeds not written yet)."""

    def __init__(
        self,
        plan: Plan,
        report: RunReport,
        loop: asyncio.AbstractEventLoop,
        stored: Stored | None = None,
    ):
        self.report = report
        self.loop = loop
        self.jobs = dict(enumerate(plan.jobs))
        self.keys = dict(enumerate(plan.keys))
        self.states = dict(plan.states)  # slim until settled (see Stored)
        self.stored = stored or Stored(plan.jobs, plan.where)
        self.where = dict(plan.where)
        self.partial: set[str] = set()  # settled keys whose stored state was unreadable
        # job -> the keys whose stored copy is in its sidecar but that it no
        # longer cites: kept in memory before its sidecar is rewritten
        self.elsewhere: dict[int, list[str]] = {}
        for key, i in plan.where.items():
            if key not in plan.keys[i]:
                self.elsewhere.setdefault(i, []).append(key)
        self.actions = dict.fromkeys(plan.fresh, "fresh")
        self.changes = dict.fromkeys(plan.fresh, "fresh")  # key -> one of model.CHANGES
        self.waiting = {i: set(w) for i, w in enumerate(plan.waiting) if w}
        self.citing: dict[str, list[int]] = {}  # due key -> the seeds waiting on it
        for i, waits in self.waiting.items():
            for key in waits:
                self.citing.setdefault(key, []).append(i)
        self.needed = Counter(key for keys in plan.keys for key in keys)
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="newsgrab-write")
        self.writes: set[asyncio.Future] = set()
        self.failed: list[asyncio.Future] = []

    def write_ready(self) -> None:
        """Write every seed that waits on no URL."""
        for i in [i for i in self.jobs if i not in self.waiting]:
            self._write(i)

    def settle(self, outcome: Outcome) -> None:
        """Record one URL's outcome; write the seeds it was the last one for."""
        before = self.states[outcome.key]
        self.states[outcome.key] = outcome.state
        self.actions[outcome.key] = outcome.action
        if outcome.partial:
            self.partial.add(outcome.key)
        if outcome.store_error:
            self.report.store_errors.append(outcome.store_error)
        self.changes[outcome.key] = change_of(before, outcome.action, outcome.state)
        for i in self.citing.pop(outcome.key, []):
            pending = self.waiting[i]
            pending.discard(outcome.key)
            if not pending:
                del self.waiting[i]
                self._write(i)

    def _write(self, i: int) -> None:
        job, keys = self.jobs.pop(i), self.keys.pop(i)
        try:
            self._pin(i)
            self._record_and_write(i, job, keys)
        except StoreError as exc:  # a sidecar changed under the run: this seed only
            self.report.store_errors.append(f"{exc}; {job.sidecar.name} not written in this run")
        except Exception as exc:  # a bug, confined to this seed: the run goes on
            self._bug(job.seed, exc)
        finally:
            self.stored.forget(i)
            for key in keys:
                self.needed[key] -= 1
                if not self.needed[key]:
                    del self.needed[key]
                    self.states.pop(key, None)
                    self.actions.pop(key, None)
                    self.changes.pop(key, None)
                    self.stored.pinned.pop(key, None)
                    self.partial.discard(key)

    def _pin(self, i: int) -> None:
        """Before job i's sidecar is rewritten, keep in memory the stored copies
        in it that other seeds still need and that it no longer cites."""
        for key in self.elsewhere.pop(i, []):
            if key in self.needed and key not in self.stored.pinned:
                self.stored.pinned[key] = self.stored.state(key, self.states[key])

    def _full_states(self, i: int, job: SeedJob, keys: tuple[str, ...]) -> Mapping[str, Source]:
        """The state of each of the seed's URLs to write: settled in this run,
        or else its stored copy read back."""
        out = {}
        for key in keys:
            if key in self.partial:
                raise StoreError(job.sidecar, f"{key}: its stored state could not be read back")
            state = self.states[key]
            out[key] = self.stored.state(key, state) if self.actions[key] == "fresh" else state
        return out

    def _record_and_write(self, i: int, job: SeedJob, keys: tuple[str, ...]) -> None:
        seed = str(job.seed)
        if job.fresh_same and all(
            self.actions[key] == "fresh" and self.where.get(key) == i for key in keys
        ):
            # nothing to write: the report needs only what the slim states hold
            for key in keys:
                src = self.states[key]
                self.report.sources.append(
                    {
                        "seed": seed,
                        "url": key,
                        "status": str(src.status),
                        "action": "fresh",
                        "change": "fresh",
                        "error": to_builtins(src.error),
                    }
                )
            return
        sidecar = sidecar_for(job, keys, self._full_states(i, job, keys))
        if job.slim:
            job = dataclasses.replace(job, old=self.stored.sidecar(i))
        for key, src in zip(keys, sidecar.sources, strict=True):
            self.report.sources.append(
                {
                    "seed": seed,
                    "url": src.url,
                    "status": str(src.status),
                    "action": self.actions[key],
                    "change": self.changes[key],
                    "error": to_builtins(src.error),
                }
            )
        if not _unchanged(job, sidecar):
            future = self.loop.run_in_executor(
                self.pool, _write_job, job.sidecar, sidecar, job.legacy
            )
            self.writes.add(future)
            future.add_done_callback(functools.partial(self._done, job.seed))
            self.report.written += 1

    def _bug(self, seed: Path, exc: BaseException) -> None:
        log.debug("%s: internal error", seed, exc_info=exc)
        self.report.internal_errors.append(f"{seed}: {bug_message(f'{type(exc).__name__}: {exc}')}")

    def _done(self, seed: Path, future: asyncio.Future) -> None:
        self.writes.discard(future)
        if future.cancelled():
            self.failed.append(future)
            return
        exc = future.exception()
        if isinstance(exc, WriteError):  # a full or read-only disk: this seed only
            self.report.write_errors.append(str(exc))
            self.report.written -= 1
        elif isinstance(exc, Exception):  # a bug writing this seed's sidecar: it only
            self.report.written -= 1
            self._bug(seed, exc)
        elif exc is not None:
            self.failed.append(future)

    async def finish(self) -> None:
        """Wait for the writes in hand; raise the first that failed."""
        import asyncio

        await asyncio.gather(*self.writes, return_exceptions=True)
        for future in self.failed:
            future.result()

    def close(self) -> None:
        """A write handed to the threads always completes, even when the run is
        stopped (and each one is atomic anyway)."""
        self.pool.shutdown(wait=True)


async def _run(
    plan: Plan, settings: Settings, report: RunReport, progress: Progress | None
) -> None:
    import asyncio

    writer = Writer(plan, report, asyncio.get_running_loop())
    stored = writer.stored
    stored.due = {work.key for work in plan.due}
    executor = Executor(settings, lambda work: stored.state(work.key, work.state))
    due = plan.due
    del plan  # the writer holds what is still needed, and lets it go as it writes
    try:
        writer.write_ready()
        if due:
            done = ok = 0
            if progress:
                progress.start(len(due), lambda: executor.in_flight)
            try:
                async for outcome in executor.outcomes(due):
                    writer.settle(outcome)
                    done += 1
                    ok += outcome.state.status == Status.OK
                    if progress:
                        progress.update(done, ok, done - ok)
            finally:
                report.requests = executor.requests
        await writer.finish()
    finally:
        writer.close()


# ------------------------------------------------------------------ run


class Stopped(NewsgrabError):
    """The run was asked to stop (see `Stop`); sidecars are old or new, never torn."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self) -> None:
        super().__init__("stopped; sidecars written so far are complete")


class Stop:
    """A way to stop a running `run_fetch` from outside it: a signal handler or
    another thread calls `request()`. The run stops at its next `await` (sidecar
    writes in hand complete) and raises Stopped. The library installs no signal
    handler: the CLI does, and calls `request()` from it."""

    def __init__(self) -> None:
        self.requested = False
        self._cancel: Callable[[], object] | None = None

    def request(self) -> bool:
        """Ask the run to stop. True when a run's event loop is running and will
        stop; False when none is (the caller stops the process its own way)."""
        self.requested = True
        cancel = self._cancel
        if cancel is None:
            return False
        cancel()
        return True

    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on a new event loop, stoppable by `request()`."""
        import asyncio

        async def main() -> None:
            loop, task = asyncio.get_running_loop(), asyncio.current_task()
            assert task is not None
            self._cancel = lambda: loop.call_soon_threadsafe(task.cancel)
            try:
                await coro
            finally:
                self._cancel = None

        if self.requested:
            coro.close()
            raise Stopped()
        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            if self.requested:
                raise Stopped() from None
            raise
        if self.requested:  # arrived after the last await
            raise Stopped()


def _seed_files(settings: Settings, paths: Sequence[str]) -> list[Path]:
    """The seed files under `paths`, but the files the run's WARC output writes."""
    seeds = find_seed_files(paths or settings.seeds or ["."], settings.seed_globs)
    if settings.warc_file:
        from newsgrab.warcout import is_output

        prefix = settings.warc_file
        seeds = [seed for seed in seeds if not is_output(seed, prefix)]
    return seeds


def run_fetch(
    settings: Settings,
    paths: list[str] | tuple[str, ...],
    *,
    force: bool = False,
    do_repair: bool = False,
    wait: float | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """Fetch what is missing or due for the seeds under `paths`; write sidecars.

    Raises LockedError when another run holds a seed folder (after `wait` seconds;
    None: at once) and Stopped when `stop` is requested (every sidecar is then its
    old or its new version)."""
    stop = stop or Stop()
    started = time.monotonic()
    report = RunReport(started_at=utc_now())
    seeds = _seed_files(settings, paths)
    report.seeds = len(seeds)
    if not seeds:
        return report
    folders = sorted({seed.parent for seed in seeds})
    with locked(folders, wait) as refused:
        skipped = {exc.path.parent for exc in refused}
        report.write_errors.extend(str(exc) for exc in refused)
        folders = [folder for folder in folders if folder not in skipped]
        seeds = [seed for seed in seeds if seed.parent not in skipped]
        for folder in folders:
            for tmp in clean_temp_files(folder):
                log.info("%s: removed a temporary file left by an interrupted run", tmp)
        jobs = []
        for seed in seeds:  # one seed at a time, so that a bug costs only that seed
            try:
                jobs += _prepare([seed], settings, do_repair, report)
            except Exception as exc:
                log.debug("%s: internal error", seed, exc_info=True)
                report.internal_errors.append(
                    f"{seed}: {bug_message(f'{type(exc).__name__}: {exc}')}"
                )
        plan = make_plan(
            jobs,
            settings.refresh_after,
            time.time(),
            force,
            allow_private_networks=settings.allow_private_networks,
            obey_robots=settings.obey_robots,
        )
        del jobs
        stop.run(_run(plan, settings, report, progress))
    report.duration = time.monotonic() - started
    return report


# ------------------------------------------------------------------ dry run
# Added for `fetch --dry-run` (#14), a minimal addition: the first steps of
# run_fetch (find the seeds, read them and their sidecars, plan) without the
# lock, the network or any write (no --repair, no temporary file clean-up).


def plan_only(
    settings: Settings, paths: list[str] | tuple[str, ...], *, force: bool = False
) -> tuple[Plan, RunReport]:
    """The plan `run_fetch` would make now, and the report of what reading the
    seeds and sidecars found (seed_errors, store_errors, rejected, warnings)."""
    report = RunReport(started_at=utc_now())
    seeds = _seed_files(settings, paths)
    report.seeds = len(seeds)
    jobs = []
    for seed in seeds:
        try:
            jobs += _prepare([seed], settings, False, report)
        except Exception as exc:
            report.internal_errors.append(f"{seed}: {bug_message(f'{type(exc).__name__}: {exc}')}")
    plan = make_plan(
        jobs,
        settings.refresh_after,
        time.time(),
        force,
        allow_private_networks=settings.allow_private_networks,
        obey_robots=settings.obey_robots,
    )
    return plan, report
