"""`newsgrab fetch --reextract`: the current extractor over the stored captures.

Each source whose sidecar records a WARC capture (`fetch.capture`, written by
`fetch --warc-file`) is read back from its WARC file (warc.read_record_at) and
extracted again: no request is sent. A sidecar whose articles changed is
rewritten through the store's usual path (the folder locked, written
atomically); nothing else in it changes. A source without a capture is
counted as skipped; a capture that cannot be read (the WARC file missing, cut
short, an offset that holds no response record, or one of another page) is
one error line naming the seed, the URL and the file, and the source keeps
its stored article.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import msgspec

from newsgrab.config import Settings
from newsgrab.errors import CorruptSidecarError, ExitCode, StoreError, WriteError
from newsgrab.model import Article, Source, WarcCapture
from newsgrab.pipeline import Stop
from newsgrab.seeds import display_path, find_seed_files
from newsgrab.store import locked, read_sidecar, sidecar_path, utc_now, write_sidecar
from newsgrab.urlutil import redact_url
from newsgrab.warc import Capture, FileError, read_record_at
from newsgrab.workers import ExtractFailed, ExtractorPool, bug_message

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ReextractReport:
    seeds: int = 0
    written: int = 0
    # per source: {"seed", "url", "action": changed|unchanged|skipped|failed, "error"}
    sources: list[dict] = dataclasses.field(default_factory=list)
    store_errors: list[str] = dataclasses.field(default_factory=list)
    write_errors: list[str] = dataclasses.field(default_factory=list)
    internal_errors: list[str] = dataclasses.field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(s["action"] == action for s in self.sources)

    @property
    def failed(self) -> list[dict]:
        return [s for s in self.sources if s["action"] == "failed"]

    @property
    def exit_code(self) -> ExitCode:
        if self.internal_errors:
            return ExitCode.INTERNAL
        if self.store_errors:
            return ExitCode.DATA_ERROR
        if self.failed or self.write_errors:
            return ExitCode.SOURCES_FAILED
        return ExitCode.OK

    def summary(self) -> str:
        return (
            f"re-extracted from WARC captures: {self.count('changed')} changed, "
            f"{self.count('unchanged')} unchanged, {self.count('failed')} failed, "
            f"{self.count('skipped')} without a capture; {self.written} sidecars written"
        )

    def to_dict(self) -> dict:
        return {
            "seeds": self.seeds,
            "sidecars_written": self.written,
            "counts": {a: self.count(a) for a in ("changed", "unchanged", "failed", "skipped")},
            "store_errors": self.store_errors,
            "write_errors": self.write_errors,
            "internal_errors": self.internal_errors,
            "exit_code": int(self.exit_code),
            "sources": self.sources,
        }


class Unreadable(Exception):
    """A capture that cannot be read back as an HTML response."""


def warc_path(capture: WarcCapture, sidecar: Path) -> Path:
    """The capture's WARC file: as stored when absolute, else beside the sidecar."""
    path = Path(capture.warc)
    return path if path.is_absolute() else sidecar.parent / path


def read_capture(capture: WarcCapture, sidecar: Path, max_bytes: int) -> Capture:
    """The response record a capture points to, its body decoded; Unreadable
    (with the reason and the file) otherwise."""
    path = warc_path(capture, sidecar)
    shown = display_path(path)
    if not path.is_file():
        raise Unreadable(f"WARC file {shown} not found")
    try:
        item = read_record_at(path, capture.offset, max_bytes)
    except FileError as exc:
        raise Unreadable(str(exc)) from None
    if not isinstance(item, Capture):
        what = getattr(item, "message", None) or f"not an HTML page ({item.kind})"
        raise Unreadable(f"{shown} at offset {capture.offset}: {what}")
    if item.length != capture.length:
        raise Unreadable(
            f"{shown} at offset {capture.offset}: a record of {item.length} bytes, "
            f"not the {capture.length} recorded"
        )
    return item


async def _reextract_seed(
    seed: Path, settings: Settings, pool: ExtractorPool, report: ReextractReport, cache: dict
) -> None:
    path = sidecar_path(seed)
    try:
        sidecar = read_sidecar(path)
    except StoreError as exc:
        report.store_errors.append(str(exc))
        return
    if sidecar is None:
        return
    sources: list[Source] = []
    changed = False
    for src in sidecar.sources:
        capture = src.fetch.capture if src.fetch else None
        entry = {"seed": str(seed), "url": src.url, "action": "skipped", "error": None}
        report.sources.append(entry)
        if capture is None:
            sources.append(src)
            continue
        key = (str(warc_path(capture, path)), capture.offset, capture.length)
        if key not in cache:
            cache[key] = await _extract(capture, path, settings, pool)
        url, article = cache[key]
        if url is not None and not _same_page(url, src):
            article = (
                f"{display_path(warc_path(capture, path))} at offset {capture.offset}: "
                f"a record of {url}, not of this source"
            )
        if isinstance(article, str):
            entry["action"], entry["error"] = "failed", article
            sources.append(src)
            continue
        if article == src.article:
            entry["action"] = "unchanged"
            sources.append(src)
            continue
        entry["action"] = "changed"
        changed = True
        sources.append(msgspec.structs.replace(src, article=article))
    if not changed:
        return
    new = msgspec.structs.replace(sidecar, sources=sources, updated_at=utc_now())
    try:
        await asyncio.get_running_loop().run_in_executor(None, write_sidecar, path, new)
    except WriteError as exc:
        report.write_errors.append(str(exc))
        return
    report.written += 1


def _same_page(record_url: str, src: Source) -> bool:
    """Whether a response record is of this source: its URL is the source's, or
    the one the source's last fetch ended at (after redirects, or an archived
    copy's). A capture that points at another page's record (a WARC file
    replaced or rewritten, a hand-edited sidecar) must not give its article."""
    final = src.fetch.final_url if src.fetch else None
    return redact_url(record_url) in {redact_url(src.url), final and redact_url(final)}


async def _extract(
    capture: WarcCapture, sidecar: Path, settings: Settings, pool: ExtractorPool
) -> tuple[str | None, Article | str]:
    """The record's URL and the article of one capture, or the one-line reason
    it has none."""
    loop = asyncio.get_running_loop()
    try:
        page = await loop.run_in_executor(None, read_capture, capture, sidecar, settings.max_bytes)
    except Unreadable as exc:
        return None, str(exc)
    try:
        extracted, _ = await pool.extract(page.url, page.content_type, page.body)
    except ExtractFailed as exc:
        return page.url, f"{page.url}: {exc.message}"
    return page.url, Article.from_extracted(extracted)


def run_reextract(
    settings: Settings,
    paths: list[str] | tuple[str, ...],
    *,
    wait: float | None = None,
    stop: Stop | None = None,
) -> ReextractReport:
    """Re-extract every source of the seeds under `paths` from its WARC capture and
    rewrite the sidecars whose articles changed. LockedError when another run holds
    a folder (after `wait` seconds); Stopped when `stop` is requested (a sidecar
    write in hand completes, each atomic)."""
    report = ReextractReport()
    seeds = find_seed_files(paths or settings.seeds or ["."], settings.seed_globs)
    report.seeds = len(seeds)
    if not seeds:
        return report
    folders = sorted({seed.parent for seed in seeds})
    with locked(folders, wait) as refused:
        skipped = {exc.path.parent for exc in refused}
        report.write_errors.extend(str(exc) for exc in refused)

        async def main() -> None:
            cache: dict = {}
            async with ExtractorPool(settings.jobs, settings.extract_timeout) as pool:
                for seed in seeds:
                    if seed.parent in skipped:
                        continue
                    try:
                        await _reextract_seed(seed, settings, pool, report, cache)
                    except CorruptSidecarError as exc:
                        report.store_errors.append(str(exc))
                    except Exception as exc:  # a bug: this seed only
                        log.debug("%s: internal error", seed, exc_info=True)
                        report.internal_errors.append(
                            f"{seed}: {bug_message(f'{type(exc).__name__}: {exc}')}"
                        )

        (stop or Stop()).run(main())
    return report


def error_line(entry: dict) -> str:
    """One failed source as its error line."""
    return f"error: {display_path(entry['seed'])}: {entry['url']}: {entry['error']}"
