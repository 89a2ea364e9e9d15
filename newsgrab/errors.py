"""Exceptions raised by newsgrab, and the exit codes they map to.

NewsgrabError
 ├── ConfigError          bad config file, value or option          -> exit 2
 ├── SeedError            a seed path missing or unreadable         -> exit 2
 ├── StoreError           a sidecar we must not touch               -> exit 65
 │    ├── CorruptSidecarError   not valid JSON / not an object
 │    │    └── SidecarError     a field of the wrong type or shape (names its path)
 │    ├── ForeignSidecarError   no schema_version: not written by us
 │    └── NewerSchemaError      written by a newer newsgrab
 │    └── WriteError        a disk error writing a sidecar or temp file -> exit 1
 ├── LockFileError        a folder's lock file unusable (a symlink,
 │                        a disk error): that folder is skipped     -> exit 1
 ├── LockedError          another run holds the folder lock         -> exit 75
 └── FetchError           one URL failed (recorded, the run goes on)

Only cli.py turns these into messages and exit codes.
"""

from __future__ import annotations

from enum import IntEnum

from newsgrab.status import Status


class ExitCode(IntEnum):
    OK = 0
    SOURCES_FAILED = 1
    USAGE = 2
    DATA_ERROR = 65
    INTERNAL = 70
    LOCKED = 75
    INTERRUPTED = 130
    PIPE_CLOSED = 141  # 128 + SIGPIPE: the reader of stdout went away (| head)
    TERMINATED = 143


class NewsgrabError(Exception):
    exit_code = ExitCode.INTERNAL


class ConfigError(NewsgrabError):
    exit_code = ExitCode.USAGE


class SeedError(NewsgrabError):
    exit_code = ExitCode.USAGE


class StoreError(NewsgrabError):
    exit_code = ExitCode.DATA_ERROR

    def __init__(self, path, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


class CorruptSidecarError(StoreError):
    pass


class SidecarError(CorruptSidecarError):
    """A sidecar whose JSON does not fit the model: `field` is the path of the
    field at fault (`$.sources[3].fetch.checked_at`), or None when the problem is
    the whole document (nested too deeply, say)."""

    def __init__(self, path, field: str | None, problem: str):
        where = f"{field}: " if field else ""
        super().__init__(path, f"{where}{problem}; left untouched")
        self.field = field
        self.problem = problem


class ForeignSidecarError(StoreError):
    pass


class NewerSchemaError(StoreError):
    pass


class WriteError(StoreError):
    """A sidecar (or its temporary file) could not be written: a full or read-only
    disk, no permission, a name too long. The previous version is unchanged; the
    run goes on with the other seeds and exits 1."""

    exit_code = ExitCode.SOURCES_FAILED


class LockFileError(NewsgrabError):
    """A folder's `.newsgrab.lock` cannot be used: a symlink or not a regular file
    (refused, never followed), or a disk error creating or writing it. That
    folder is skipped; the others are processed; the run exits 1."""

    exit_code = ExitCode.SOURCES_FAILED

    def __init__(self, path, message: str):
        super().__init__(f"{path}: {message}; folder skipped")
        self.path = path


class LockedError(NewsgrabError):
    exit_code = ExitCode.LOCKED

    def __init__(self, lock_path, pid: int | None):
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{lock_path}: locked by {holder}; another newsgrab fetch is running")
        self.lock_path = lock_path
        self.pid = pid


# Source statuses a FetchError can lead to (the model owns them).
ERROR, GONE, BLOCKED, UNSUPPORTED = Status.ERROR, Status.GONE, Status.BLOCKED, Status.UNSUPPORTED


class FetchError(NewsgrabError):
    """One URL could not be fetched.

    `kind` is stable and documented (timeout, dns, connect, tls, too_large,
    too_many_redirects, http_status, protocol, blocked, robots, unsupported, ...);
    `status` is the source status it leads to (error, gone, blocked, unsupported).
    """

    exit_code = ExitCode.SOURCES_FAILED

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        url: str | None = None,
        status: str = ERROR,
        http_status: int | None = None,
        attempts: int = 1,
        redirects: list | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.status = status
        self.http_status = http_status
        self.attempts = attempts
        self.redirects = redirects or []

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "http_status": self.http_status}
