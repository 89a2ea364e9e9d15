"""WARC output of `newsgrab fetch --warc-file PREFIX`: every HTTP exchange as it
went over the wire.

The fetcher (fetch.py) opens an `Exchange` around each request it sends (robots.txt,
every redirect hop, every retry, archive look-ups) and makes it the current one
(`CURRENT`, a context variable); its FramedStream hands the exchange every byte it
writes and every byte of the answer it reads: the plaintext HTTP/1.1 bytes (after
TLS), nothing rebuilt. When the exchange is over, `WarcWriter.write` turns it into
records on one writer thread (compression and file writes never run on the event
loop; the records of one exchange are written together):

- `request`, then `response` (the bytes as received, status line and headers as
  sent, body still in its content and transfer codings), both with the peer's
  `WARC-IP-Address`; `WARC-Truncated: length` when the size cap cut the body
  (`disconnect`, `time` or `unspecified` when the answer was not read to its end
  for another reason, a redirect's unread body say);
- `revisit` instead of `response` for a 304 answer (profile server-not-modified)
  and for a 200 whose body has the payload digest of the source's last capture
  (profile identical-payload-digest); both refer to that capture.

Files: `PREFIX.warc.gz`, or with a size limit `PREFIX-00000.warc.gz`,
`PREFIX-00001.warc.gz`, ... (the next one started once a file reaches the limit);
each starts with a `warcinfo` record. An existing file is appended to, never
overwritten (sidecars point into it). With `cdx`, `PREFIX.cdx` gets one CDX line
(11 fields, ` CDX N b a m s k r M S V g`) per response and revisit record.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import io
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from newsgrab import __version__
from newsgrab.errors import ConfigError, WriteError
from newsgrab.model import WarcCapture

log = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
CDX_HEADER = " CDX N b a m s k r M S V g\n"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
# Head bytes kept past the size cap of a body (an answer's status line and headers).
MAX_HEAD = 256 * 1024
MAX_NAME = 255  # bytes in one file name, on most file systems
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_AUTH = re.compile(rb"(?im)^((?:proxy-)?authorization:)[^\r\n]*")

CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "newsgrab_warc_exchange", default=None
)
# The source's last capture, while `Fetcher.fetch` runs for it: a 200 with the
# same payload is written as a revisit of it.
PREVIOUS: contextvars.ContextVar[WarcCapture | None] = contextvars.ContextVar(
    "newsgrab_warc_previous", default=None
)


# ------------------------------------------------------------------ the prefix


def check_prefix(value: str) -> str:
    """The WARC file name prefix the user gave, checked (ConfigError otherwise):
    a file name, not a folder, without control characters; a `.warc.gz` or
    `.warc` ending is dropped (newsgrab adds its own)."""
    key = "warc_file"
    if not value.strip():
        raise ConfigError(f"{key}: must not be empty")
    if _CONTROL.search(value):
        raise ConfigError(f"{key}: must not contain control characters, got {ascii(value)[:80]}")
    for ending in (".warc.gz", ".warc"):
        if value.lower().endswith(ending) and len(value) > len(ending):
            value = value[: -len(ending)]
            break
    name = os.path.basename(value)
    if not name or name in (".", "..") or value.endswith(("/", os.sep)):
        raise ConfigError(
            f"{key}: {value!r} is a folder; give a file name prefix such as crawl/news"
        )
    try:
        encoded = os.fsencode(name)
    except UnicodeError:
        raise ConfigError(f"{key}: not a valid file name: {ascii(value)[:80]}") from None
    if len(encoded) + len("-00000" + SUFFIX) > MAX_NAME:
        raise ConfigError(f"{key}: the file name {ascii(name)[:60]}… is too long")
    return value


def check_target(prefix: str) -> None:
    """ConfigError when the WARC files cannot go where `prefix` says: its folder
    must exist and the prefix must not be a folder itself."""
    folder = os.path.dirname(prefix) or "."
    if os.path.isdir(prefix):
        raise ConfigError(f"warc_file: {prefix} is a folder; give a file name prefix inside it")
    if not os.path.isdir(folder):
        raise ConfigError(f"warc_file: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"warc_file: cannot write in the folder {folder}")


def is_output(path: Path, prefix: str) -> bool:
    """Whether `path` is one of the files a run with this WARC prefix writes
    (`PREFIX.warc.gz`, `PREFIX-NNNNN.warc.gz`, `PREFIX.cdx`): never a seed, even
    when the prefix is in a seed folder whose `seed_globs` would match it."""
    base = os.path.abspath(prefix)
    folder, stem = os.path.split(base)
    try:
        if os.path.abspath(path.parent) != folder and not path.parent.samefile(folder):
            return False
    except OSError:
        return False
    name = path.name
    if name in (stem + SUFFIX, stem + ".cdx"):
        return True
    number = name.removeprefix(stem + "-").removesuffix(SUFFIX)
    return len(name) == len(stem) + 6 + len(SUFFIX) and len(number) == 5 and number.isdigit()


# ------------------------------------------------------------------ one exchange


@dataclasses.dataclass
class Exchange:
    """What went over one connection for one request: the request's bytes, the
    answer's bytes (its head, and its body up to `max_body` bytes), the peer
    address, and how far the answer was read (filled by fetch.FramedStream)."""

    url: str  # the URL asked for, without credentials
    max_body: int  # the body's size cap: bytes past it are not kept
    started: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    request: bytearray = dataclasses.field(default_factory=bytearray)
    response: bytearray = dataclasses.field(default_factory=bytearray)
    peer: str | None = None
    head_done: bool = False  # the answer's status line and headers were received
    complete: bool = False  # the answer was read to its end
    cut: str | None = None  # why it was not: length, disconnect, time
    body_at: int | None = None  # where the body starts in `response`

    def sent(self, data: bytes, peer: str | None) -> None:
        if peer and self.peer is None:
            self.peer = peer
        if self.response:
            return
        if data.startswith(b"GET "):  # a request head (sent again on a new connection)
            self.request[:] = data
        else:
            self.request += data

    def received(self, data: bytes) -> None:
        response = self.response
        response += data
        if self.body_at is None and self.head_done:
            at = response.find(b"\r\n\r\n")
            self.body_at = at + 4 if at >= 0 else len(response)
        keep = (MAX_HEAD if self.body_at is None else self.body_at) + self.max_body
        if len(response) > keep:
            del response[keep:]
            self.cut = "length"

    def failed(self, kind: str) -> None:
        """The fetcher gave up on the answer (a FetchError of `kind`)."""
        if self.complete:
            return
        if kind == "too_large":
            self.cut = "length"
        elif kind == "timeout":
            self.cut = self.cut or "time"
        elif kind in ("network", "truncated", "connect"):
            self.cut = self.cut or "disconnect"

    @property
    def truncated(self) -> str | None:
        if self.complete and self.cut is None:
            return None
        return self.cut or "unspecified"


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(head with its blank line, body) of an HTTP message."""
    at = raw.find(b"\r\n\r\n")
    if at >= 0:
        return raw[: at + 4], raw[at + 4 :]
    at = raw.find(b"\n\n")
    if at >= 0:
        return raw[: at + 2], raw[at + 2 :]
    return raw, b""


def _status(head: bytes) -> int | None:
    parts = head.split(b"\n", 1)[0].split(None, 2)
    if len(parts) >= 2 and parts[1].isdigit() and len(parts[1]) == 3:
        return int(parts[1])
    return None


def _header(head: bytes, name: bytes) -> str | None:
    for line in head.split(b"\n")[1:]:
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return None


def sha1_digest(data: bytes) -> str:
    """A WARC digest: `sha1:` and the base-32 SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def surt(url: str) -> str:
    """The CDX sort key of a URL: host labels reversed (`www.` dropped; an IP
    address as it is), then the path and query, lower case (as the CDX indexes
    of web archives spell it)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.lower()
    if host.replace(".", "").isdigit() or ":" in host:  # an IP address: as it is
        key = f"[{host}]" if ":" in host else host
    else:
        key = ",".join(reversed(host.removeprefix("www.").split(".")))
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if port is not None and port != default:
        key += f":{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{key}){path}".lower()


# ------------------------------------------------------------------ the writer


@dataclasses.dataclass
class _File:
    path: Path
    stream: BinaryIO


class WarcWriter:
    """Writes exchanges as WARC records on one thread (`write`, awaited from the
    event loop). `close()` when the run is over."""

    def __init__(
        self,
        prefix: str,
        *,
        max_size: int = 0,
        cdx: bool = False,
        info: dict[str, str] | None = None,
    ):
        self.prefix = os.path.abspath(prefix)
        self.max_size = max_size
        self.info = info or {}
        self.cdx_path = Path(self.prefix + ".cdx") if cdx else None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsgrab-warc")
        self._file: _File | None = None
        self._cdx: BinaryIO | None = None
        self._number = -1
        self._in_file = 0
        self._broken: str | None = None
        self.records = 0
        self.files: list[Path] = []
        self._open_next()  # errors at once, before anything is fetched

    # -------------------------------------------------------------- files

    def _name(self, number: int) -> Path:
        if not self.max_size:
            return Path(self.prefix + SUFFIX)
        return Path(f"{self.prefix}-{number:05d}{SUFFIX}")

    def _open_next(self) -> None:
        """Open the file to write to: the first time, the last of an earlier run's
        files (appended to while under the size limit); then the next number."""
        if self._file is not None:
            self._file.stream.close()
            self._file = None
        number = self._number + 1
        if self._number < 0 and self.max_size:
            while self._name(number + 1).is_file():
                number += 1
            if self._name(number).is_file() and self._name(number).stat().st_size >= self.max_size:
                number += 1
        self._number = number
        path = self._name(number)
        try:
            if path.is_file() and path.stat().st_size:  # appended to: a WARC of ours?
                with open(path, "rb") as existing:
                    if existing.read(2) != b"\x1f\x8b":  # (a gzip member starts so)
                        raise WriteError(path, "exists and is not a gzipped WARC; left as it is")
            stream = open(path, "ab")  # noqa: SIM115 (kept open for the run)
            self._file = _File(path, stream)
            self._in_file = 0  # exchanges written to it in this run
            self.files.append(path)
            self._write_warcinfo()
            if self.cdx_path is not None and self._cdx is None:
                path = self.cdx_path
                self._cdx = open(path, "ab")  # noqa: SIM115
                if self._cdx.tell() == 0:
                    self._cdx.write(CDX_HEADER.encode("ascii"))
                    self._cdx.flush()
        except OSError as exc:
            if self._file is not None:
                with contextlib.suppress(OSError):  # (what failed is said below)
                    self._file.stream.close()
                self._file = None
            raise WriteError(path, f"cannot write: {exc.strerror or exc}") from None

    def _writer(self, stream: BinaryIO) -> Any:
        from warcio.warcwriter import WARCWriter

        return WARCWriter(stream, gzip=True)

    def _write_warcinfo(self) -> None:
        assert self._file is not None
        info = {
            "software": f"newsgrab/{__version__}",
            "format": "WARC File Format 1.0",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.0/",
        } | self.info
        buffer = io.BytesIO()
        writer = self._writer(buffer)
        writer.write_record(writer.create_warcinfo_record(self._file.path.name, info))
        _append(self._file.stream, buffer.getvalue())

    # -------------------------------------------------------------- records

    async def write(self, exchange: Exchange) -> WarcCapture | None:
        """Write one exchange (nothing when no answer head came back); the capture
        of its response record, or the previous capture a revisit refers to."""
        if not exchange.head_done or self._broken:
            return None
        loop = asyncio.get_running_loop()
        previous = PREVIOUS.get()
        future = loop.run_in_executor(self._thread, self.write_now, exchange, previous)
        return await asyncio.shield(future)

    def write_later(self, exchange: Exchange) -> None:
        """Write one exchange without waiting (an exchange cut short by a cancel)."""
        if exchange.head_done and not self._broken:
            with contextlib.suppress(RuntimeError):  # (the run is over: not written)
                self._thread.submit(self.write_now, exchange, PREVIOUS.get())

    def write_now(self, ex: Exchange, previous: WarcCapture | None) -> WarcCapture | None:
        """Write one exchange on this thread (the writer thread runs this)."""
        try:
            return self._records(ex, previous)
        except (OSError, WriteError) as exc:
            if isinstance(exc, WriteError):
                self._broken = str(exc)
            else:
                where = self._file.path if self._file else self.prefix
                self._broken = f"{where}: cannot write: {exc.strerror or exc}"
            log.error("%s; no more WARC records are written in this run", self._broken)
            return None

    def _records(self, ex: Exchange, previous: WarcCapture | None) -> WarcCapture | None:
        from warcio.recordloader import ArcWarcRecord
        from warcio.statusandheaders import StatusAndHeaders

        assert self._file is not None
        size = os.fstat(self._file.stream.fileno()).st_size  # (other runs' records too)
        if self.max_size and self._in_file and size >= self.max_size:
            self._open_next()
        file = self._file
        assert file is not None
        raw = bytes(ex.response)
        head, body = _split(raw)
        status = _status(head)
        date = _warc_date(ex.started)
        response_id = _record_id()
        common = {"WARC-Target-URI": ex.url, "WARC-Date": date}
        if ex.peer:
            common["WARC-IP-Address"] = ex.peer

        def record(rec_type: str, block: bytes, headers: dict[str, str], kind: str) -> Any:
            warc_headers = StatusAndHeaders(
                "", list(({"WARC-Type": rec_type} | headers).items()), protocol="WARC/1.0"
            )
            if rec_type == "revisit":  # warcio writes a revisit's HTTP head only
                head = _verbatim_head_class()(block)
                return ArcWarcRecord(
                    "warc", rec_type, warc_headers, io.BytesIO(), head, kind, len(block)
                )
            return ArcWarcRecord(
                "warc", rec_type, warc_headers, io.BytesIO(block), None, kind, len(block)
            )

        digest = sha1_digest(body)
        rec_type = "response"
        block = raw
        extra: dict[str, str] = {"WARC-Payload-Digest": digest}
        refers = self._referred(previous) if previous is not None else None
        if status == 304:
            rec_type, block = "revisit", head
            extra = {"WARC-Profile": SERVER_NOT_MODIFIED}
        elif (
            refers is not None
            and status in (200, 203)
            and ex.truncated is None
            and refers.get("digest") == digest
        ):
            rec_type, block = "revisit", head
            extra = {"WARC-Profile": IDENTICAL_PAYLOAD, "WARC-Payload-Digest": digest}
        elif ex.truncated:
            extra["WARC-Truncated"] = ex.truncated
        if rec_type == "revisit" and refers is not None:
            extra |= {
                "WARC-Refers-To-Target-URI": refers["uri"],
                "WARC-Refers-To-Date": refers["date"],
            }
            if refers.get("id"):
                extra["WARC-Refers-To"] = refers["id"]
        req_head, req_body = _split(_AUTH.sub(rb"\1 [redacted]", bytes(ex.request)))
        request = record(
            "request",
            req_head + req_body,
            common
            | {
                "WARC-Record-ID": _record_id(),
                "WARC-Concurrent-To": response_id,
                "WARC-Payload-Digest": sha1_digest(req_body),
            },
            "application/http; msgtype=request",
        )
        response = record(
            rec_type,
            block,
            common | {"WARC-Record-ID": response_id} | extra,
            "application/http; msgtype=response",
        )
        # (one writer thread: the records of an exchange are written together)
        buffer = io.BytesIO()
        writer = self._writer(buffer)
        writer.write_record(request)
        at = buffer.tell()
        writer.write_record(response)
        offset = _append(file.stream, buffer.getvalue()) + at
        end = offset + buffer.tell() - at
        self.records += 2
        self._in_file += 1
        if self._cdx is not None:
            self._cdx.write(
                self._cdx_line(ex, head, status, rec_type, digest, offset, end - offset, file)
            )
            self._cdx.flush()
        if rec_type == "revisit":
            return previous if refers is not None else None
        return WarcCapture(warc=str(file.path), offset=offset, length=end - offset)

    def _cdx_line(
        self,
        ex: Exchange,
        head: bytes,
        status: int | None,
        rec_type: str,
        digest: str,
        offset: int,
        length: int,
        file: _File,
    ) -> bytes:
        media = (_header(head, b"content-type") or "-").split(";")[0].strip().lower() or "-"
        if rec_type == "revisit":
            media = "warc/revisit"
        redirect = (_header(head, b"location") or "-") if status and 300 <= status < 400 else "-"
        fields = [
            surt(ex.url),
            ex.started.astimezone(UTC).strftime("%Y%m%d%H%M%S"),
            ex.url,
            media,
            str(status) if status else "-",
            digest.removeprefix("sha1:"),
            redirect,
            "-",
            str(length),
            str(offset),
            file.path.name,
        ]
        return (" ".join(f.replace(" ", "%20") or "-" for f in fields) + "\n").encode(
            "utf-8", "replace"
        )

    @staticmethod
    def _referred(previous: WarcCapture) -> dict[str, str] | None:
        """The payload digest, URI, date and ID of the record a capture points to;
        None when it cannot be read (then a full response is written)."""
        from warcio.archiveiterator import ArchiveIterator

        try:
            with open(previous.warc, "rb") as stream:
                stream.seek(previous.offset)
                record = next(iter(ArchiveIterator(stream, no_record_parse=True)))
                headers = record.rec_headers
                found = {
                    "digest": headers.get_header("WARC-Payload-Digest"),
                    "uri": headers.get_header("WARC-Target-URI"),
                    "date": headers.get_header("WARC-Date"),
                    "id": headers.get_header("WARC-Record-ID"),
                }
        except Exception as exc:  # any unreadable capture: no revisit, a full record
            log.debug("%s at %d: not readable (%s)", previous.warc, previous.offset, exc)
            return None
        if record.rec_type != "response" or not found["uri"] or not found["date"]:
            return None
        return found

    # -------------------------------------------------------------- end

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._close_files)
        finally:
            self._thread.shutdown(wait=False)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._close_files()

    def _close_files(self) -> None:
        """Close the files (every record was flushed as it was written: a failure
        here is logged, the records stand)."""
        for stream in (self._file.stream if self._file else None, self._cdx):
            if stream is not None:
                try:
                    stream.close()
                except OSError as exc:
                    log.error("%s: cannot close: %s", stream.name, exc.strerror or exc)
        self._file = self._cdx = None


def _append(stream: BinaryIO, data: bytes) -> int:
    """Write `data` at the end of the file in one piece, holding an exclusive lock
    on it meanwhile (another run writing the same WARC file, an `add` beside a
    `fetch`, must neither interleave its bytes with these nor move them); the
    offset where they start."""
    import fcntl

    stream.flush()
    fd = stream.fileno()
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        at = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return at
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@functools.cache
def _verbatim_head_class() -> type:
    from warcio.statusandheaders import StatusAndHeaders

    class VerbatimHead(StatusAndHeaders):
        """An HTTP head that warcio writes as it was received (not re-serialized)."""

        def __init__(self, raw: bytes):
            super().__init__("-", [], protocol="")
            self.headers_buff = raw

        def compute_headers_buffer(self, header_filter: Any = None) -> None:
            pass  # the bytes as received stay

    return VerbatimHead


def _record_id() -> str:
    from warcio.statusandheaders import StatusAndHeadersParser

    return str(StatusAndHeadersParser.make_warc_id())


def open_writer(settings: Any) -> WarcWriter | None:
    """The run's WARC writer from the warc_* settings (None: no WARC asked for)."""
    if not settings.warc_file:
        return None
    check_target(settings.warc_file)
    if settings.proxy:
        log.warning(
            "warc_file: requests through a proxy are not recorded; "
            "the WARC gets its warcinfo record only"
        )
    return WarcWriter(
        settings.warc_file,
        max_size=settings.warc_max_size,
        cdx=settings.warc_cdx,
        info={
            "http-header-user-agent": settings.user_agent,
            "robots": "obey" if settings.obey_robots else "ignore",
        },
    )
