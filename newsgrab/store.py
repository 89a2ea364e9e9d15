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
import json
import os
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
)

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

def _migrate_0_to_1(data: dict) -> dict:
    """Version 0 (pre-release) kept a flat `fetched_at` and `http_status` on each
    source and named the article body `body`; version 1 groups fetch facts."""
    for src in data.get("sources", []):
        fetch = src.setdefault("fetch", {})
        for old, new in (("fetched_at", "fetched_at"), ("http_status", "http_status"),
                         ("final_url", "final_url"), ("etag", "etag"),
                         ("last_modified", "last_modified")):
            if old in src:
                fetch.setdefault(new, src.pop(old))
        fetch.setdefault("checked_at", fetch.get("fetched_at"))
        article = src.get("article")
        if isinstance(article, dict) and "body" in article and "text" not in article:
            article["text"] = article.pop("body")
        src.setdefault("cited", [])
        src.setdefault("error", None)
        src.setdefault("revisions", [])
        src.setdefault("status", "ok" if article else "pending")
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
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptSidecarError(path, f"not valid JSON ({exc}); left untouched") from None
    if not isinstance(data, dict):
        raise CorruptSidecarError(path, "not a JSON object; left untouched")
    version = data.get("schema_version")
    if version is None:
        raise ForeignSidecarError(path, "no schema_version: not written by newsgrab; "
                                        "left untouched")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise CorruptSidecarError(path, f"bad schema_version {version!r}; left untouched")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(path, f"schema_version {version} is newer than this newsgrab "
                                     f"supports ({SCHEMA_VERSION}); upgrade newsgrab")
    if not isinstance(data.get("sources", []), list):
        raise CorruptSidecarError(path, "'sources' is not a list; left untouched")
    return migrate(data)


def read_sidecar(path: Path) -> dict | None:
    """The sidecar at `path`, migrated to the current schema; None if absent."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptSidecarError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_sidecar(path, raw)


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
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{path.name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
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
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
