"""Sidecar files: read, validate, migrate, write atomically, lock.

This module alone turns files into the model (newsgrab/model.py) and back:
reading validates every field (a field that does not fit is a SidecarError
naming the file and the field's path), writing serializes the model.

A sidecar is `<seed file name>.sources.json` next to its seed (`report.md`
gets `report.md.sources.json`). An older `<stem>.sources.json` is taken over
(renamed) when it belongs to exactly one seed (see `legacy_sidecar_path`).
Writes go to a
temporary file in the same folder (flushed and fsynced), then `os.replace`,
then the folder is fsynced, so a reader (or a run killed at any instant)
sees the old file or the new one, never a mix. newsgrab never overwrites a
file that is not valid JSON, has no `schema_version` (not ours) or comes
from a newer schema.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from newsgrab import __version__, model
from newsgrab.errors import (
    CorruptSidecarError,
    ForeignSidecarError,
    LockedError,
    LockFileError,
    NewerSchemaError,
    SidecarError,
    WriteError,
)
from newsgrab.model import SCHEMA_VERSION, SeedRef, Sidecar, Source

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".sources.json"
LOCK_NAME = ".newsgrab.lock"
TMP_PREFIX = ".newsgrab-tmp-"
GENERATOR = f"newsgrab {__version__}"


def sidecar_path(seed: Path) -> Path:
    """`<seed file name>.sources.json`: `report.md` -> `report.md.sources.json`, so
    `report.md` and `report.txt` never share one."""
    return seed.with_name(seed.name + SIDECAR_SUFFIX)


def legacy_sidecar_path(seed: Path) -> Path:
    """`<seed stem>.sources.json`, the name before newsgrab 0.2 (`report.sources.json`
    for `report.md`). It is taken over only when it belongs to exactly one seed: its
    stored `seed.path` names this seed and no other seed in the folder has the stem."""
    return seed.with_name(seed.stem + SIDECAR_SUFFIX)


def legacy_sidecar(seed: Path) -> Path | None:
    """The seed's old-style sidecar (`legacy_sidecar_path`) if a file by that name
    can be one and exists; None otherwise. Not when it is the seed's own sidecar
    name (a seed without an extension), nor when a file named like its stem
    exists (`report.md.sources.json` is then the new-style sidecar of
    `report.md`, not the old one of `report.md.txt`). Whether it belongs to the
    seed is for its `seed.path` to say."""
    if not seed.suffix:
        return None
    legacy = legacy_sidecar_path(seed)
    try:
        if os.path.lexists(seed.with_name(seed.stem)):
            return None
        return legacy if stat.S_ISREG(os.stat(legacy).st_mode) else None
    except (OSError, ValueError):  # absent, a name too long, a symlink loop
        return None


def stored_seed_name(seed: Path) -> str:
    """The seed's file name as stored in `seed.path`: the name itself when it is
    UTF-8, else its bytes with each undecodable one as `\\xNN` (JSON holds no
    lone surrogates, so `os.fsdecode`'s escapes cannot be stored as they are)."""
    return os.fsencode(seed.name).decode("utf-8", "backslashreplace")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ reading

FETCH_FIELDS = model.FETCH_FIELDS


def empty_fetch() -> dict:
    """A `fetch` object with every field, for a source never fetched successfully."""
    return model.to_builtins(model.EMPTY_FETCH)


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
            article.setdefault("title", None)
            article["word_count"] = len(text.split())
            article["content_sha256"] = model.sha256_text(text)
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
    """Bring an older sidecar (parsed JSON) up to SCHEMA_VERSION, one step at a time."""
    version = data["schema_version"]
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data


def parse_sidecar(path: Path, raw: bytes) -> Sidecar:
    """The sidecar in `raw`, validated and migrated to the current schema."""
    return parse_sidecar_versioned(path, raw)[0]


TOO_DEEP = "nested too deeply to be a sidecar"


def parse_sidecar_versioned(path: Path, raw: bytes) -> tuple[Sidecar, int]:
    """(the sidecar validated into the model and migrated to the current schema, the
    schema_version it had). Raises a StoreError naming `path` (a SidecarError
    naming the field's path when a field does not fit the model)."""
    try:
        head = model.decode_head(raw)
    except msgspec.ValidationError:
        raise CorruptSidecarError(path, "not a JSON object; left untouched") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise CorruptSidecarError(path, f"not valid JSON ({exc}); left untouched") from None
    except RecursionError:
        raise SidecarError(path, None, TOO_DEEP) from None
    version = head.schema_version
    if version is None:
        raise ForeignSidecarError(
            path, "no schema_version: not written by newsgrab; left untouched"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise SidecarError(path, "$.schema_version", f"bad schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            path,
            f"schema_version {version} is newer than this newsgrab "
            f"supports ({SCHEMA_VERSION}); upgrade newsgrab",
        )
    try:
        if version == SCHEMA_VERSION:
            return model.decode(raw), version
        data = json.loads(raw)
        return model.convert(migrate(data)), version
    except msgspec.ValidationError as exc:
        # (the value is quoted from the file only when no migration moved it)
        raise _field_error(path, raw if version == SCHEMA_VERSION else b"", exc) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # past the head: invalid UTF-8 in a string, say (msgspec before 0.19 raises
        # UnicodeDecodeError for it)
        raise CorruptSidecarError(path, f"not valid JSON ({exc}); left untouched") from None
    except RecursionError:
        raise SidecarError(path, None, TOO_DEEP) from None
    except (AttributeError, TypeError, KeyError, ValueError) as exc:  # an old file's odd shape
        raise SidecarError(path, None, f"cannot migrate from version {version}: {exc}") from None


_AT = re.compile(r"^(?P<problem>.*) - at `(?P<field>\$[^`]*)`$", re.S)
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_KINDS = {
    "str": "a string",
    "int": "an integer",
    "bool": "true or false",
    "null": "null",
    "object": "an object",
    "array": "an array",
    "float": "a number",
}
_REGEX = re.compile(r"^Expected `str` matching regex (?P<pattern>'.*')$", re.S)
_PART = re.compile(r"\.(\w+)|\[(\d+)\]")


def _field_error(path: Path, raw: bytes, exc: msgspec.ValidationError) -> SidecarError:
    """`<file>: $.sources[3].fetch.checked_at: expected a string, got 12`."""
    message = str(exc)
    m = _AT.match(message)
    field, problem = (m["field"], m["problem"]) if m else (None, message)
    e = _EXPECTED.match(problem)
    if e:
        want = " or ".join(_KINDS.get(k.strip(), k.strip()) for k in e["want"].split("|"))
        got = _value_at(raw, field) if field else None
        shown = got if got is not None else _KINDS.get(e["got"], e["got"])
        problem = f"expected {want}, got {shown}"
    elif (r := _REGEX.match(problem)) and (named := _pattern_name(r["pattern"])):
        got = _value_at(raw, field) if field else None
        problem = f"expected {named}" + (f", got {got}" if got is not None else "")
    elif problem:
        problem = problem[0].lower() + problem[1:]
    return SidecarError(path, field, problem)


def _pattern_name(quoted: str) -> str | None:
    try:
        return model.PATTERN_NAMES.get(ast.literal_eval(quoted))
    except (ValueError, SyntaxError):
        return None


def _value_at(raw: bytes, field: str) -> str | None:
    """A short rendering of the scalar at `field` ($.a[1].b) in `raw`, for messages."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    for name, index in _PART.findall(field[1:]):
        try:
            value = value[name] if name else value[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def read_sidecar(path: Path) -> Sidecar | None:
    """The sidecar at `path`, migrated to the current schema; None if absent."""
    return read_sidecar_versioned(path)[0]


def read_sidecar_versioned(path: Path) -> tuple[Sidecar | None, int | None]:
    """(sidecar migrated to the current schema, its stored schema_version); (None,
    None) if absent. Raises a StoreError for a file newsgrab must not overwrite."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # cannot exist (writing it will say so)
            return None, None
        if isinstance(exc, IsADirectoryError):
            raise ForeignSidecarError(path, "is a folder; left untouched") from None
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


def write_sidecar(path: Path, sidecar: Sidecar) -> None:
    """Write atomically: temp file in the same folder, fsync, replace, fsync folder."""
    payload = model.encode(sidecar)
    folder = path.parent
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        # O_EXCL (with O_CREAT) fails on any existing name, a symlink included
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666
        )
    except OSError as exc:
        raise WriteError(
            path, f"cannot write: {exc.strerror or exc}; the previous version is unchanged"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise WriteError(
            path, f"cannot write: {exc.strerror or exc}; the previous version is unchanged"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def take_over(legacy: Path, path: Path) -> None:
    """Rename an old-style sidecar `legacy` to `path` (which does not exist: the
    caller holds the folder's lock and has looked). A run killed right after it
    leaves the old content under the new name, which the next run reads."""
    try:
        os.rename(legacy, path)
    except OSError as exc:
        raise WriteError(
            legacy, f"cannot rename to {path.name}: {exc.strerror or exc}; left as it is"
        ) from None


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temporary files left by a killed run (the caller holds the lock)."""
    removed = []
    for tmp in folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def new_sidecar(seed_name: str, seed_sha256: str, sources: list[Source] | None = None) -> Sidecar:
    return Sidecar(
        generator=GENERATOR,
        seed=SeedRef(path=seed_name, sha256=seed_sha256),
        updated_at=utc_now(),
        sources=sources or [],
    )


# ------------------------------------------------------------------ locking


class FolderLock:
    """An exclusive `fcntl.flock` on `<folder>/.newsgrab.lock`.

    The kernel drops the lock when the holding process dies, even by SIGKILL,
    so a stale lock file never blocks the next run. The file holds the
    holder's PID, for the message the second run prints.

    The file is opened with O_NOFOLLOW: a `.newsgrab.lock` that is a symlink
    (a folder from git or a sync service can carry one) is refused, never
    followed, so the file it points to is never truncated or written; so is one
    that is not a regular file (a FIFO, say). Either, or a disk error creating
    or writing it, is a LockFileError naming the lock file: the caller skips
    that folder.
    """

    def __init__(self, folder: Path, wait: float | None = None):
        self.path = folder / LOCK_NAME
        self.wait = wait  # None: fail at once; 0 or more: seconds to wait (inf: forever)
        self._fd: int | None = None

    @staticmethod
    def _holder(fd: int) -> int | None:
        try:
            text = os.pread(fd, 32, 0).decode("ascii").strip()
            return int(text) if text else None
        except (OSError, ValueError):
            return None

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LockFileError(
                    self.path, "is a symlink; refused (newsgrab never writes through one)"
                ) from None
            raise LockFileError(
                self.path, f"cannot create the lock file: {exc.strerror or exc}"
            ) from None
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            regular = False
        if not regular:
            os.close(fd)
            raise LockFileError(self.path, "is not a regular file; refused")
        return fd

    def acquire(self) -> None:
        fd = self._open()
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
                    raise LockFileError(self.path, f"cannot lock: {exc.strerror or exc}") from None
                if deadline is None or time.monotonic() >= deadline:
                    holder = self._holder(fd)
                    os.close(fd)
                    raise LockedError(self.path, holder) from None
                if not waiting_logged:
                    holder = self._holder(fd)
                    log.info(
                        "%s: waiting for process %s to finish", self.path, holder or "(unknown)"
                    )
                    waiting_logged = True
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 1.0)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as exc:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise LockFileError(
                self.path, f"cannot write the lock file: {exc.strerror or exc}"
            ) from None
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
def locked(folders: list[Path], wait: float | None = None) -> Iterator[list[LockFileError]]:
    """Lock every folder (in a stable order, so two runs cannot deadlock). Yields
    the folders it could not lock for a reason other than another run (a lock
    file that is a symlink, a full or read-only disk), one LockFileError each:
    the caller skips those. LockedError (another run) propagates."""
    locks = []
    refused: list[LockFileError] = []
    try:
        for folder in sorted(set(folders)):
            lock = FolderLock(folder, wait)
            try:
                lock.acquire()
            except LockFileError as exc:
                refused.append(exc)
                continue
            locks.append(lock)
        yield refused
    finally:
        for lock in reversed(locks):
            lock.release()
