"""`newsgrab export --sqlite FILE`: the collection as one SQLite database.

Tables (every one with an integer primary key `id`, children pointing at their
parent with a declared foreign key, so Datasette links them and sqlite-utils
reads them as they are):

    seeds      one row per seed file with a sidecar
    sources    one row per source per seed (as the sidecar stores it)
    articles   the stored article of a source (source_id), when there is one
    revisions  earlier texts of a source, newest first (position 0)
    citations  every line of the seed that cites a source, with its label

Lists (authors, tags, redirects) are JSON text. The sidecars are read one at a
time and each seed's rows are inserted before the next is read, so memory does
not grow with the collection. The database is built in a temporary file next
to FILE and renamed over it at the end: a reader sees the old export or the new
one. An existing FILE is replaced only when it is an earlier newsgrab export
(its `application_id`); any other file is refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsgrab.errors import ConfigError, StoreError, WriteError
from newsgrab.model import ArchivedCopy, Sidecar, to_builtins
from newsgrab.seeds import SIDECAR_SUFFIX, display_path, find_seed_files
from newsgrab.store import legacy_sidecar, read_sidecar, sidecar_path, stored_seed_name

# PRAGMA application_id of a newsgrab export ("NGRB"), so that a re-export can
# tell its own file from somebody else's database.
APPLICATION_ID = 0x4E475242
TABLES = ("seeds", "sources", "articles", "revisions", "citations")

SCHEMA = """
CREATE TABLE seeds (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sidecar TEXT NOT NULL UNIQUE,
    seed_sha256 TEXT,
    generator TEXT,
    updated_at TEXT
);
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    seed_id INTEGER NOT NULL REFERENCES seeds(id),
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    final_url TEXT,
    http_status INTEGER,
    content_type TEXT,
    charset TEXT,
    etag TEXT,
    last_modified TEXT,
    redirects TEXT,
    fetched_at TEXT,
    checked_at TEXT,
    attempts INTEGER,
    consecutive_failures INTEGER,
    archived_url TEXT,
    archived_timestamp TEXT,
    error_kind TEXT,
    error_message TEXT,
    error_http_status INTEGER,
    error_at TEXT,
    UNIQUE (seed_id, url)
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL UNIQUE REFERENCES sources(id),
    title TEXT,
    authors TEXT,
    published_at TEXT,
    modified_at TEXT,
    language TEXT,
    site_name TEXT,
    description TEXT,
    image TEXT,
    canonical_url TEXT,
    tags TEXT,
    free_access INTEGER,
    text TEXT,
    word_count INTEGER,
    content_sha256 TEXT,
    extractor TEXT
);
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    position INTEGER NOT NULL,
    fetched_at TEXT,
    content_sha256 TEXT,
    title TEXT,
    text TEXT
);
CREATE TABLE citations (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    line INTEGER NOT NULL,
    label TEXT
);
CREATE INDEX sources_seed_id ON sources(seed_id);
CREATE INDEX sources_url ON sources(url);
CREATE INDEX revisions_source_id ON revisions(source_id);
CREATE INDEX citations_source_id ON citations(source_id);
"""


@dataclasses.dataclass
class ExportReport:
    counts: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    errors: list[StoreError] = dataclasses.field(default_factory=list)
    unfetched: list[Path] = dataclasses.field(default_factory=list)


def _json(value: object) -> str:
    return json.dumps(to_builtins(value), ensure_ascii=False)


def _text(value: object) -> object:
    """A value SQLite can store: text that is not valid Unicode (a file name's
    undecodable bytes, a lone surrogate) with those characters escaped as
    `\\xff` or `\\udc80`; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _path(path: Path) -> str:
    """A path as stored: bytes of the name that are not UTF-8 as `\\xff`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _execute(db: sqlite3.Connection, sql: str, params: tuple) -> sqlite3.Cursor:
    return db.execute(sql, tuple(_text(p) for p in params))


def iter_sidecars(
    paths: Iterable[str | Path], globs: Iterable[str], report: ExportReport
) -> Iterator[tuple[Path, Path, Sidecar]]:
    """(seed, sidecar path, sidecar) for each seed under `paths` that has one,
    read one at a time (as `show` finds them: sidecars named directly, the new
    name, then an old-style `<stem>.sources.json` that names the seed). An
    unreadable sidecar goes to `report.errors`; a seed without one to
    `report.unfetched`."""
    given = [Path(p) for p in paths]
    direct = [p for p in given if p.name.endswith(SIDECAR_SUFFIX) and p.is_file()]
    others = [p for p in given if p not in direct]
    seen: set[Path] = set()
    for found in direct + (find_seed_files(others, globs) if others else []):
        if found.name.endswith(SIDECAR_SUFFIX):
            seed, path = found.with_name(found.name[: -len(SIDECAR_SUFFIX)]), found
        else:
            seed, path = found, sidecar_path(found)
        if path in seen:
            continue
        seen.add(path)
        try:
            data = read_sidecar(path)
            if data is None and found == seed:
                legacy = legacy_sidecar(seed)
                if legacy is not None and legacy not in seen:
                    old = read_sidecar(legacy)
                    if old is not None and old.seed.path == stored_seed_name(seed):
                        seen.add(legacy)
                        path, data = legacy, old
        except StoreError as exc:
            report.errors.append(exc)
            continue
        if data is None:
            report.unfetched.append(seed)
            continue
        if found == path and data.seed.path:
            seed = path.with_name(Path(data.seed.path).name)
        yield seed, path, data


def _insert_sidecar(db: sqlite3.Connection, seed: Path, path: Path, data: Sidecar) -> dict:
    counts = dict.fromkeys(TABLES, 0)
    cur = _execute(
        db,
        "INSERT INTO seeds (path, sidecar, seed_sha256, generator, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (_path(seed), _path(path), data.seed.sha256, data.generator, data.updated_at),
    )
    seed_id = cur.lastrowid
    counts["seeds"] += 1
    for src in data.sources:
        f = src.fetch
        err = src.error
        archived = f.archived_from if f else None
        archived_url: str | None
        archived_ts: str | None
        if isinstance(archived, ArchivedCopy):
            archived_url, archived_ts = archived.url, archived.timestamp
        else:
            archived_url, archived_ts = archived, None
        cur = _execute(
            db,
            "INSERT OR IGNORE INTO sources (seed_id, url, status, final_url, http_status, "
            "content_type, charset, etag, last_modified, redirects, fetched_at, checked_at, "
            "attempts, consecutive_failures, archived_url, archived_timestamp, error_kind, "
            "error_message, error_http_status, error_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seed_id,
                src.url,
                str(src.status),
                f.final_url if f else None,
                f.http_status if f else None,
                f.content_type if f else None,
                f.charset if f else None,
                f.etag if f else None,
                f.last_modified if f else None,
                _json(f.redirects if f else []),
                f.fetched_at if f else None,
                f.checked_at if f else None,
                f.attempts if f else 0,
                f.consecutive_failures if f else 0,
                archived_url,
                archived_ts,
                err.kind if err else None,
                err.message if err else None,
                err.http_status if err else None,
                err.at if err else None,
            ),
        )
        if not cur.rowcount:  # the same URL twice in one sidecar: the first wins
            continue
        source_id = cur.lastrowid
        counts["sources"] += 1
        a = src.article
        if a is not None:
            _execute(
                db,
                "INSERT INTO articles (source_id, title, authors, published_at, modified_at, "
                "language, site_name, description, image, canonical_url, tags, free_access, "
                "text, word_count, content_sha256, extractor) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    a.title,
                    _json(a.authors),
                    a.published_at,
                    a.modified_at,
                    a.language,
                    a.site_name,
                    a.description,
                    a.image,
                    a.canonical_url,
                    _json(a.tags),
                    None if a.free_access is None else int(a.free_access),
                    a.text,
                    a.word_count,
                    a.content_sha256,
                    a.extractor,
                ),
            )
            counts["articles"] += 1
        for position, rev in enumerate(src.revisions):
            _execute(
                db,
                "INSERT INTO revisions (source_id, position, fetched_at, content_sha256, "
                "title, text) VALUES (?, ?, ?, ?, ?, ?)",
                (source_id, position, rev.fetched_at, rev.content_sha256, rev.title, rev.text),
            )
            counts["revisions"] += 1
        for place in src.cited:
            _execute(
                db,
                "INSERT INTO citations (source_id, line, label) VALUES (?, ?, ?)",
                (source_id, place.line, place.label),
            )
            counts["citations"] += 1
    return counts


def _is_our_export(target: Path) -> bool:
    try:
        with open(target, "rb") as f:
            head = f.read(100)
    except OSError:
        return False
    # the SQLite header: magic string, application_id at offset 68 (big-endian)
    return head.startswith(b"SQLite format 3\x00") and int.from_bytes(head[68:72]) == (
        APPLICATION_ID
    )


def _check_target(target: Path) -> None:
    shown = display_path(target)
    if target.is_symlink():
        raise ConfigError(
            f"--sqlite: {shown}: is a symlink; refused (newsgrab never writes through one)"
        )
    if target.is_dir():
        raise ConfigError(f"--sqlite: {shown}: is a folder")
    if not target.parent.is_dir():
        raise ConfigError(f"--sqlite: {shown}: no such folder {display_path(target.parent)}")
    if target.exists() and not _is_our_export(target):
        raise ConfigError(
            f"--sqlite: {shown}: exists and is not a newsgrab export; "
            "not replaced (remove it or choose another name)"
        )


def export_sqlite(target: Path, paths: Iterable[str | Path], globs: Iterable[str]) -> ExportReport:
    """Write the collection under `paths` to the SQLite database `target`.
    ConfigError (exit 2) for a target that cannot be one; WriteError (exit 1)
    when the disk refuses; unreadable sidecars are listed in the report."""
    _check_target(target)
    report = ExportReport()
    tmp = target.with_name(f".{target.name}.newsgrab-tmp-{secrets.token_hex(4)}")
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666
        )
        os.close(fd)
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA foreign_keys = ON")
            db.executescript(SCHEMA)
            for seed, path, data in iter_sidecars(paths, globs, report):
                db.execute("BEGIN")
                counts = _insert_sidecar(db, seed, path, data)
                db.execute("COMMIT")
                for table, n in counts.items():
                    report.counts[table] += n
        finally:
            db.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        message = getattr(exc, "strerror", None) or str(exc)
        raise WriteError(target, f"cannot write: {message}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return report
