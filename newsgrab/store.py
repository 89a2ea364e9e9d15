"""Sidecar files: read, validate, migrate, write atomically, lock.

A sidecar is `<seed stem>.sources.json` next to its seed. Writes go to a
temporary file in the same folder (flushed and fsynced), then `os.replace`,
then the folder is fsynced, so a reader (or a run killed at any instant)
sees the old file or the new one, never a mix. newsgrab never overwrites a
file that is not valid JSON, has no `schema_version` (not ours) or comes
from a newer schema.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newsgrab import __version__
from newsgrab.errors import (
    CorruptSidecarError,
    ForeignSidecarError,
    LockedError,
    NewerSchemaError,
    SeedError,
    StoreError,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SIDECAR_SUFFIX = ".sources.json"
LOCK_NAME = ".newsgrab.lock"
TMP_PREFIX = ".newsgrab-tmp-"
GENERATOR = f"newsgrab {__version__}"


def sidecar_path(seed: Path) -> Path:
    return seed.with_name(seed.stem + SIDECAR_SUFFIX)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# ------------------------------------------------------------------ reading

FETCH_FIELDS = (
    "final_url",
    "http_status",
    "content_type",
    "charset",
    "etag",
    "last_modified",
    "redirects",
    "fetched_at",
    "checked_at",
    "attempts",
    "consecutive_failures",
    "archived_from",
)


def empty_fetch() -> dict:
    """A `fetch` object with every field, for a source never fetched successfully."""
    return dict.fromkeys(FETCH_FIELDS) | {"redirects": [], "attempts": 0, "consecutive_failures": 0}


def _migrate_0_to_1(data: dict) -> dict:
    """Version 0 (pre-release) kept `url`, `fetched_at`, `http_status`, `final_url`,
    `etag` and `last_modified` flat on each source, named the article body `body`
    and had no `cited`, `error` or `revisions`; version 1 groups the fetch facts
    under `fetch` and names the body `text`."""
    for src in data.get("sources", []):
        if not isinstance(src, dict):
            continue
        stored = src.get("fetch")
        fetch = empty_fetch() | (stored if isinstance(stored, dict) else {})
        for key in (
            "fetched_at",
            "http_status",
            "final_url",
            "etag",
            "last_modified",
            "content_type",
            "charset",
        ):
            if key in src:
                value = src.pop(key)
                if fetch.get(key) is None:
                    fetch[key] = value
        if fetch.get("checked_at") is None:
            fetch["checked_at"] = fetch.get("fetched_at")
        article = src.get("article")
        if isinstance(article, dict):
            if "body" in article and "text" not in article:
                article["text"] = article.pop("body")
            text = article.get("text")
            if not isinstance(text, str):
                text = ""
            article["text"] = text
            article["word_count"] = len(text.split())
            article["content_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        src["fetch"] = fetch if fetch.get("fetched_at") or article else None
        src.setdefault("article", None)
        src.setdefault("cited", [])
        src.setdefault("error", None)
        src.setdefault("revisions", [])
        src.setdefault("status", "ok" if article else "pending")
    data.setdefault("updated_at", None)
    data["schema_version"] = 1
    return data


MIGRATIONS = {0: _migrate_0_to_1}


def migrate(data: dict) -> dict:
    """Bring an older sidecar up to SCHEMA_VERSION, one step at a time."""
    version = data["schema_version"]
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data


def parse_sidecar(path: Path, raw: bytes) -> dict:
    """The sidecar in `raw`, validated and migrated to the current schema."""
    return parse_sidecar_versioned(path, raw)[0]


def parse_sidecar_versioned(path: Path, raw: bytes) -> tuple[dict, int]:
    """(the sidecar migrated to the current schema, the schema_version it had)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptSidecarError(path, f"not valid JSON ({exc}); left untouched") from None
    if not isinstance(data, dict):
        raise CorruptSidecarError(path, "not a JSON object; left untouched")
    version = data.get("schema_version")
    if version is None:
        raise ForeignSidecarError(
            path, "no schema_version: not written by newsgrab; left untouched"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise CorruptSidecarError(path, f"bad schema_version {version!r}; left untouched")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            path,
            f"schema_version {version} is newer than this newsgrab "
            f"supports ({SCHEMA_VERSION}); upgrade newsgrab",
        )
    problem = _shape_problem(data)
    if problem:
        raise CorruptSidecarError(path, f"not a valid sidecar ({problem}); left untouched")
    return migrate(data), version


_OBJECT_OR_NULL = ("fetch", "error", "article")


def _shape_problem(data: dict) -> str | None:
    """What makes `data` unusable as a sidecar (None when it is usable)."""
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        return "'sources' is not a list"
    for i, src in enumerate(sources):
        if not isinstance(src, dict):
            return f"sources[{i}] is not an object"
        if not isinstance(src.get("url"), str):
            return f"sources[{i}].url is not a string"
        for key in _OBJECT_OR_NULL:
            if src.get(key) is not None and not isinstance(src[key], dict):
                return f"sources[{i}].{key} is not an object"
        if not isinstance(src.get("revisions", []), list):
            return f"sources[{i}].revisions is not a list"
        article = src.get("article")
        if article is not None and not isinstance(article.get("text", ""), str):
            return f"sources[{i}].article.text is not a string"
    return None


def read_sidecar(path: Path) -> dict | None:
    """The sidecar at `path`, migrated to the current schema; None if absent."""
    return read_sidecar_versioned(path)[0]


def read_sidecar_versioned(path: Path) -> tuple[dict | None, int | None]:
    """(sidecar migrated to the current schema, its stored schema_version); (None,
    None) if absent. Raises a StoreError for a file newsgrab must not overwrite."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        raise ForeignSidecarError(path, "is a folder; left untouched") from None
    except OSError as exc:
        raise CorruptSidecarError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_sidecar_versioned(path, raw)


def repair(path: Path) -> Path:
    """Move an unusable sidecar aside to `<name>.corrupt-<time>`; return the new path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    return target


# ------------------------------------------------------------------ writing


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dumps(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_sidecar(path: Path, data: dict) -> None:
    """Write atomically: temp file in the same folder, fsync, replace, fsync folder."""
    payload = dumps(data)
    folder = path.parent
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise StoreError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreError(
            path, f"cannot write: {exc.strerror or exc}; the previous version is unchanged"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temporary files left by a killed run (the caller holds the lock)."""
    removed = []
    for tmp in folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def new_sidecar(seed_name: str, seed_sha256: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "seed": {"path": seed_name, "sha256": seed_sha256},
        "updated_at": utc_now(),
        "sources": [],
    }


# ------------------------------------------------------------------ locking


class FolderLock:
    """An exclusive `fcntl.flock` on `<folder>/.newsgrab.lock`.

    The kernel drops the lock when the holding process dies, even by SIGKILL,
    so a stale lock file never blocks the next run. The file holds the
    holder's PID, for the message the second run prints.
    """

    def __init__(self, folder: Path, wait: float | None = None):
        self.path = folder / LOCK_NAME
        self.wait = wait  # None: fail at once; 0 or more: seconds to wait (inf: forever)
        self._fd: int | None = None

    def _holder(self) -> int | None:
        try:
            text = self.path.read_text(encoding="ascii").strip()
            return int(text) if text else None
        except (OSError, ValueError):
            return None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise SeedError(
                f"{self.path}: cannot create the lock file: {exc.strerror or exc}"
            ) from None
        waiting_logged = False
        deadline = None if self.wait is None else time.monotonic() + self.wait
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if deadline is None or time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockedError(self.path, self._holder()) from None
                if not waiting_logged:
                    holder = self._holder()
                    log.info(
                        "%s: waiting for process %s to finish", self.path, holder or "(unknown)"
                    )
                    waiting_logged = True
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 1.0)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def locked(folders: list[Path], wait: float | None = None) -> Iterator[None]:
    """Lock every folder (in a stable order, so two runs cannot deadlock)."""
    locks = []
    try:
        for folder in sorted(set(folders)):
            lock = FolderLock(folder, wait)
            lock.acquire()
            locks.append(lock)
        yield
    finally:
        for lock in reversed(locks):
            lock.release()
