"""Articles out of WARC (and old ARC) files: `newsgrab extract --warc`.

Three layers, each usable alone:

- reading: `read_captures(path, max_bytes)` yields one `Capture` per HTML
  response record (and a `Skip` or `RecordError` for every other record), its
  body decoded within the size cap. HTML is what `fetch` would take for HTML
  (its Content-Type, else sniffing the body), never a WARC-Identified-Payload-Type
  header, which many WARCs lack;
- the per-file function `extract_file(path, out)`: every HTML capture of one
  input through the extractor (worker processes with a per-page time budget,
  workers.ExtractorPool), its rows written to one part under `out/parts/`
  (a temporary name, renamed when complete); it returns the input's manifest
  entry. `newsgrab extract --warc` runs it for each input, in this process or
  on a Dask cluster; any other engine (Spark, say) can call it the same way;
- the run: `plan()` picks the inputs of a shard that are not done yet,
  `Manifest` records what is done (`out/manifest.json`).

Bad input costs only what it spoils: a record with broken HTTP headers, a bad
content coding or a body over the cap is counted under its kind and skipped; a
file that is not a WARC, or is cut short, keeps the rows read before the damage
and is counted as a `file` error.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsgrab import __version__
from newsgrab.config import Settings
from newsgrab.decode import DecodeError, TooLarge, decode, parse_codings
from newsgrab.fetch import HTML_TYPES, binary_kind, looks_like_html, parse_content_type
from newsgrab.model import ARTICLE_FIELDS, Article

log = logging.getLogger(__name__)

DEFAULTS = Settings()  # max_bytes and extract_timeout, as `fetch` has them
FORMATS = ("jsonl", "parquet", "sqlite")
SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "sqlite": ".sqlite"}
PARTS = "parts"
# HTTP statuses whose page is extracted: the ones `fetch` extracts
EXTRACTED_STATUSES = frozenset({200, 203})
# Bytes the HTTP status line and headers of one record may take.
MAX_HTTP_HEADERS = 256 * 1024
# Bytes of the file read while warcio looks for the next record's WARC header
# (a header is a few hundred bytes, a read is 16 KiB): past it the file is
# corrupt. It also bounds a header line without an end, which warcio would
# otherwise gather in time quadratic in its length (and gzip multiplies what
# these bytes hold by at most about a thousand).
MAX_WARC_HEAD_READ = 64 * 1024
# Messages kept per input in the manifest (every error is counted).
MAX_MESSAGES = 20
READ_STEP = 64 * 1024

# The columns of every output row: where the capture is, then the sidecar's article.
CAPTURE_COLUMNS = (
    "url",
    "warc_date",
    "payload_digest",
    "http_status",
    "warc_file",
    "warc_offset",
    "warc_length",
    "warc_record_id",
)
COLUMNS = CAPTURE_COLUMNS + tuple(ARTICLE_FIELDS)
LIST_COLUMNS = frozenset({"authors", "tags"})
INT_COLUMNS = frozenset({"http_status", "warc_offset", "warc_length", "word_count"})
BOOL_COLUMNS = frozenset({"free_access"})


class WarcExtraError(Exception):
    """An optional extra (pyarrow, dask) is not installed."""


# ------------------------------------------------------------------ reading


@dataclass
class Capture:
    """One HTML response record, its body decoded."""

    url: str
    date: str | None
    digest: str | None
    record_id: str | None
    status: int
    content_type: str | None  # the HTTP Content-Type header as sent
    body: bytes
    offset: int = 0
    length: int = 0


@dataclass
class Skip:
    """A record that is not an HTML page (`kind`: not_response, revisit,
    not_http, status, not_html)."""

    kind: str


@dataclass
class RecordError:
    """A record that could not be read (`kind`: http_headers, encoding, too_large)."""

    kind: str
    message: str
    offset: int = 0


class FileError(Exception):
    """The file cannot be read on (not a WARC, cut short, unreadable)."""


def _header(headers: Any, name: str) -> str | None:
    value = headers.get_header(name)
    return value if isinstance(value, str) else None


def _split_http(block: bytes) -> tuple[int, dict[str, str]]:
    """The status code and the headers (lower-case names) of an HTTP response
    head; ValueError when it is not one."""
    lines = block.decode("latin-1").splitlines()
    if not lines:
        raise ValueError("empty HTTP head")
    first = lines[0].split(None, 2)
    if len(first) < 2 or not first[0].upper().startswith("HTTP/"):
        raise ValueError(f"not an HTTP status line: {ascii(lines[0][:80])}")
    code = first[1]
    if not (len(code) == 3 and code.isascii() and code.isdigit()):
        raise ValueError(f"not an HTTP status code: {ascii(code[:20])}")
    headers: dict[str, str] = {}
    last = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last is not None:  # a folded line goes on
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            continue  # a line that is no header is ignored, as browsers do
        last = name
        headers[name] = value.strip() if name not in headers else headers[name]
    return int(code), headers


def _read_head(stream: Any) -> tuple[bytes, bytes]:
    """(HTTP head, the body bytes read past it) within MAX_HTTP_HEADERS."""
    buf = b""
    while True:
        ends = [(at, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (at := buf.find(sep)) >= 0]
        at, size = min(ends) if ends else (len(buf), 0)
        if at > MAX_HTTP_HEADERS:
            raise ValueError(f"HTTP headers longer than {MAX_HTTP_HEADERS} bytes")
        if ends:
            return buf[:at], buf[at + size :]
        piece = stream.read(8192)
        if not piece:
            return buf, b""  # headers to the end of the record (no body)
        buf += piece


def _read_capped(stream: Any, first: bytes, cap: int) -> bytes:
    """`first` and the rest of `stream`; TooLarge past `cap` bytes."""
    out = bytearray(first)
    if len(out) > cap:
        raise TooLarge(cap)
    while True:
        piece = stream.read(READ_STEP)
        if not piece:
            return bytes(out)
        out += piece
        if len(out) > cap:
            raise TooLarge(cap)


def _dechunk(raw: bytes) -> bytes:
    """A body sent with Transfer-Encoding: chunked, as its data (some WARC
    writers keep the chunks); data that is not chunked after all is kept."""
    from warcio.bufferedreaders import ChunkedDataReader

    reader = ChunkedDataReader(io.BytesIO(raw))
    out = bytearray()
    while True:
        piece = reader.read(READ_STEP)
        if not piece:
            return bytes(out)
        out += piece


class HeadTooLong(ValueError):
    """A WARC record's header (or what precedes it) runs past MAX_WARC_HEAD_READ."""


class _HeadGuard:
    """The file under warcio: between records (`heading`) it may read at most
    MAX_WARC_HEAD_READ bytes, so no header can cost more than that."""

    def __init__(self, raw: Any):
        self.raw = raw
        self.heading = True
        self.read_heading = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.heading:
            self.read_heading += len(data)
            if self.read_heading > MAX_WARC_HEAD_READ:
                raise HeadTooLong(f"a record header runs past {MAX_WARC_HEAD_READ} bytes")
        return data

    def tell(self) -> int:
        return self.raw.tell()

    def next_record(self, records: Any, at: int) -> Any:
        """next(records), its header read under the cap; `at`: where it starts."""
        self.check_gzip_head(at)
        self.heading, self.read_heading = True, 0
        try:
            return next(records)
        finally:
            self.heading = False

    def check_gzip_head(self, at: int) -> None:
        """HeadTooLong when the gzip member at `at` holds no end of a header in
        its first MAX_WARC_HEAD_READ bytes: gzip packs a thousand times as many
        header bytes into what the file may give warcio, so the member is
        looked at first, with a bounded decompression of a copy (os.pread: the
        position warcio reads from is left as it is)."""
        try:
            fd = self.raw.fileno()
        except (AttributeError, OSError, ValueError):
            return
        for size in (16 * 1024, MAX_WARC_HEAD_READ):
            try:
                raw = os.pread(fd, size, at)
            except OSError:
                return  # warcio meets the same error and it is reported as such
            if not raw.startswith(b"\x1f\x8b"):
                return  # not gzip: the raw cap holds
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
            except zlib.error:
                return  # warcio reports it
            body = head.lstrip(b"\r\n")
            ends = (b"\r\n\r\n", b"\n\n") if body.startswith(b"WARC/") else (b"\n",)
            if any(end in body for end in ends) or len(head) < size:
                return  # a header that ends, or a member too short to hide one
        raise HeadTooLong(f"a record header runs past {MAX_WARC_HEAD_READ} bytes")


class _Counted:
    """A record's block stream that counts what is read of it."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.total += len(data)
        return data

    def drain(self) -> None:
        while self.read(READ_STEP):
            pass


def _record(record: Any, stream: _Counted, max_bytes: int) -> Capture | Skip | RecordError:
    """What one WARC record is (read with no_record_parse: `stream` is its block
    as stored)."""
    rec_type = record.rec_type
    if rec_type == "revisit":
        return Skip("revisit")
    if rec_type != "response":
        return Skip("not_response")
    headers = record.rec_headers
    url = (_header(headers, "WARC-Target-URI") or "").strip().strip("<>")
    if not url.lower().startswith(("http://", "https://")):
        return Skip("not_http")
    try:
        head, rest = _read_head(stream)
        status, http = _split_http(head)
    except ValueError as exc:
        return RecordError("http_headers", f"{url}: broken HTTP headers: {exc}")
    if status not in EXTRACTED_STATUSES:
        return Skip("status")
    content_type = http.get("content-type")
    media, _ = parse_content_type(content_type)
    if media is not None and media not in HTML_TYPES:
        return Skip("not_html")
    codings = parse_codings(http.get("content-encoding"))
    what = f"{codings[0]}-decoded body" if len(codings) == 1 else "body"
    try:
        raw = _read_capped(stream, rest, max_bytes)
        if "chunked" in http.get("transfer-encoding", "").lower():
            raw = _dechunk(raw)
        if len(codings) > 1:
            raise DecodeError(f"stacked content codings ({', '.join(codings)})")
        body = decode([raw], codings[0] if codings else None, max_bytes)
    except TooLarge:
        return RecordError("too_large", f"{url}: {what} over the size cap of {max_bytes} bytes")
    except DecodeError as exc:
        return RecordError("encoding", f"{url}: {exc}")
    # the same content check as `fetch`: no binary data, and sniffed when untyped
    if binary_kind(body) is not None or (media is None and not looks_like_html(body)):
        return Skip("not_html")
    return Capture(
        url=url,
        date=_header(headers, "WARC-Date"),
        digest=_header(headers, "WARC-Payload-Digest"),
        record_id=_header(headers, "WARC-Record-ID"),
        status=status,
        content_type=content_type,
        body=body,
    )


def read_captures(
    path: str | os.PathLike, max_bytes: int
) -> Iterator[Capture | Skip | RecordError]:
    """Every record of a WARC or ARC file (gzip or not) as a Capture, a Skip or a
    RecordError, with its offset and length in the file. Raises FileError when
    the file cannot be read on; the records yielded before it stand."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    name = os.fspath(path)
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below; a generator)
    except OSError as exc:
        raise FileError(f"{name}: cannot read: {exc.strerror or exc}") from None
    with stream:
        try:
            if not _looks_like_archive(stream):
                raise FileError(f"{name}: not a WARC or ARC file")
        except OSError as exc:
            raise FileError(f"{name}: cannot read: {exc.strerror or exc}") from None
        guard = _HeadGuard(stream)
        records = ArchiveIterator(guard, no_record_parse=True, arc2warc=True)
        count = end = 0
        while True:
            try:
                # warcio prints its warnings (a record not followed by a newline)
                # on stderr itself: they go to the debug log instead
                with contextlib.redirect_stderr(io.StringIO()) as said:
                    record = guard.next_record(records, end)
                if said.getvalue().strip():
                    log.debug("%s: warcio: %s", name, " ".join(said.getvalue().split())[:300])
                declared = (_header(record.rec_headers, "Content-Length") or "").strip()
                if not (declared.isascii() and declared.isdigit()):  # WARC requires one
                    raise EOFError(f"record {count + 1} has no valid Content-Length")
                block = _Counted(record.raw_stream)
                item = _record(record, block, max_bytes)
                block.drain()
                # a record whose block ends before its Content-Length: the file was cut
                # (record.length: what the block holds once warcio has read an
                # ARC file's header lines, the declared length otherwise)
                if block.total < record.length:
                    raise EOFError(
                        f"record {count + 1} has {block.total} of its {record.length} bytes"
                    )
                offset, length = records.get_record_offset(), records.get_record_length()
            except StopIteration:
                _check_end(stream, name, end, count)
                return
            except HeadTooLong as exc:
                where = f"after record {count}" if count else "at the start"
                raise FileError(f"{name}: corrupt {where}: {exc}") from None
            except ArchiveLoadFailed as exc:
                what = "not a WARC or ARC file" if count == 0 else "unreadable record"
                raise FileError(f"{name}: {what}: {_short(exc)}") from None
            except (EOFError, zlib.error, OSError, ValueError, UnicodeError) as exc:
                where = f"after record {count}" if count else "at the start"
                raise FileError(
                    f"{name}: cut short or corrupt {where}: {type(exc).__name__}: {_short(exc)}"
                ) from None
            count += 1
            end = offset + length
            if isinstance(item, Capture):
                item.offset, item.length = offset, length
            elif isinstance(item, RecordError):
                item.offset = offset
            yield item


def read_record_at(
    path: str | os.PathLike, offset: int, max_bytes: int = DEFAULTS.max_bytes
) -> Capture | Skip | RecordError:
    """The one record at `offset` of a WARC/ARC file (a row's `warc_offset`, a
    CDX line's offset), read as read_captures() reads it; FileError when there
    is no whole record there."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    name = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            if not _starts_record(stream.read(4096)):
                # (warcio would read a WARC's inside as an ARC header line of some sort)
                raise FileError(f"{name}: no record at offset {offset}")
            stream.seek(offset)
            guard = _HeadGuard(stream)
            records = ArchiveIterator(guard, no_record_parse=True, arc2warc=True)
            with contextlib.redirect_stderr(io.StringIO()):
                record = guard.next_record(records, offset)
            block = _Counted(record.raw_stream)
            item = _record(record, block, max_bytes)
            block.drain()
            if not isinstance(record.length, int) or block.total < record.length:
                raise EOFError(f"the record has {block.total} of its {record.length} bytes")
            length = records.get_record_length()
    except StopIteration:
        raise FileError(f"{name}: no record at offset {offset}") from None
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError, UnicodeError) as exc:
        raise FileError(f"{name}: no whole record at offset {offset}: {_short(exc)}") from None
    if isinstance(item, Capture):
        item.offset, item.length = offset, length
    elif isinstance(item, RecordError):
        item.offset = offset
    return item


# The start of an ARC record: its URL, then a space (`http://a.example/ 1.2.3.4 ...`).
_ARC_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*:\S* ")


def _starts_record(head: bytes) -> bool:
    """Whether `head` (the bytes at an offset) is the start of a record: a gzip
    member that opens with one, or `WARC/` or an ARC header line as it is."""
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 256)
        except zlib.error:
            return False
    head = head.lstrip(b"\r\n")
    return head.startswith(b"WARC/") or _ARC_LINE.match(head) is not None


def _check_end(stream: Any, name: str, end: int, count: int) -> None:
    """FileError when bytes other than blank lines follow the last record (a
    gzip member cut so early that it decodes to nothing looks like the end)."""
    try:
        stream.seek(end)
        rest = stream.read(4096)
    except OSError as exc:
        raise FileError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if rest.strip(b"\r\n"):
        where = f"after record {count}" if count else "at the start"
        raise FileError(f"{name}: cut short or corrupt {where}: the rest is not a record")


def _looks_like_archive(stream: Any) -> bool:
    """Whether a file starts as a WARC or an ARC does (gzip or not); an empty
    file passes (it holds no records)."""
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(b"\x1f\x8b"):
        with contextlib.suppress(zlib.error):
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
    head = head.lstrip(b"\r\n")
    return not head or head.startswith((b"WARC/", b"filedesc://"))


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# ------------------------------------------------------------------ extracting


class _Runtime(threading.local):
    """A thread's event loop and extractor pool, kept across inputs (a worker
    process starts once, not once per file)."""

    loop: asyncio.AbstractEventLoop | None = None
    pool: Any = None
    key: tuple[int, float] | None = None


_runtime = _Runtime()


def _pool_for(jobs: int, budget: float) -> tuple[asyncio.AbstractEventLoop, Any]:
    from newsgrab.workers import ExtractorPool

    # a daemonic process (a Dask worker, by default) cannot start processes of
    # its own: it extracts in threads, where the budget bounds the wait only
    if jobs > 0 and multiprocessing.current_process().daemon:
        jobs = 0
    rt = _runtime
    if rt.key != (jobs, budget):
        close_workers()
        rt.loop = asyncio.new_event_loop()
        rt.pool = ExtractorPool(jobs, budget)
        rt.key = (jobs, budget)
    assert rt.loop is not None
    return rt.loop, rt.pool


def close_workers() -> None:
    """End this thread's extraction workers (they are also ended at exit)."""
    rt = _runtime
    if rt.pool is not None:
        rt.pool.close()
    if rt.loop is not None:
        rt.loop.close()
    rt.loop = rt.pool = rt.key = None


atexit.register(close_workers)


def part_name(path: str | os.PathLike, fmt: str) -> str:
    """The part an input's rows go to: its file name and a hash of its path as
    given (two inputs with one name in different folders never share a part)."""
    text = os.path.normpath(os.fsdecode(path))
    tag = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    base = os.path.basename(text) or "input"
    return f"{base}-{tag}{SUFFIX[fmt]}"


def _row(capture: Capture, warc_file: str, extracted: dict[str, Any]) -> dict[str, Any]:
    import msgspec

    article = msgspec.to_builtins(Article.from_extracted(extracted))
    row: dict[str, Any] = {
        "url": capture.url,
        "warc_date": capture.date,
        "payload_digest": capture.digest,
        "http_status": capture.status,
        "warc_file": warc_file,
        "warc_offset": capture.offset,
        "warc_length": capture.length,
        "warc_record_id": capture.record_id,
    }
    for name in ARTICLE_FIELDS:
        row[name] = article.get(name)
    return row


def extract_file(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fmt: str = "jsonl",
    max_bytes: int = DEFAULTS.max_bytes,
    extract_timeout: float = DEFAULTS.extract_timeout,
    jobs: int = 1,
) -> dict[str, Any]:
    """Extract every HTML page of one WARC/ARC file into `out/parts/<part>`;
    return its manifest entry (counts, errors, seconds). Never raises for bad
    input: a file that cannot be read is an entry with status "failed".

    `jobs`: extraction worker processes (pages of the file in flight at once);
    0 extracts in this process. Each page gets `extract_timeout` seconds."""
    started = time.monotonic()
    name = os.fsdecode(path)
    part = part_name(path, fmt)
    parts = Path(out) / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    final = parts / part
    temp = parts / f".{part}.{os.getpid()}.{threading.get_ident()}.tmp"
    counts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    messages: list[str] = []
    status = "done"

    def problem(kind: str, message: str) -> None:
        errors[kind] += 1
        log.debug("%s", message)  # the caller reports the entry's messages
        if len(messages) < MAX_MESSAGES:
            messages.append(message)

    loop, pool = _pool_for(jobs, extract_timeout)
    writer = open_writer(fmt, temp)
    in_flight: deque[tuple[Capture, asyncio.Future[Any]]] = deque()
    try:

        def settle() -> None:
            from newsgrab.workers import ExtractFailed

            capture, pending = in_flight[0]  # left in place until it is done
            try:
                extracted, _encoding = loop.run_until_complete(pending)
            except ExtractFailed as exc:
                in_flight.popleft()
                problem(exc.kind, f"{name}@{capture.offset}: {capture.url}: {exc.message}")
                return
            in_flight.popleft()
            writer.write(_row(capture, name, extracted))
            counts["extracted"] += 1

        try:
            for item in read_captures(path, max_bytes):
                counts["records"] += 1
                if isinstance(item, Skip):
                    skipped[item.kind] += 1
                elif isinstance(item, RecordError):
                    problem(item.kind, f"{name}@{item.offset}: {item.message}")
                else:
                    counts["html"] += 1
                    task = loop.create_task(pool.extract(item.url, item.content_type, item.body))
                    item.body = b""
                    in_flight.append((item, task))
                    # two pages a worker in flight: one extracting, one queued
                    # for when it is done (reading the next costs ~5% of one)
                    while len(in_flight) > 2 * max(1, jobs):
                        settle()
        except FileError as exc:
            problem("file", str(exc))
            status = "failed"
        while in_flight:
            settle()
        writer.close()
        os.replace(temp, final)
    except BaseException:  # stopped (Ctrl-C), or a disk error: no part, pages dropped
        for _, waiting in in_flight:
            waiting.cancel()
        if in_flight and not loop.is_running():
            with contextlib.suppress(BaseException):
                loop.run_until_complete(
                    asyncio.gather(*(w for _, w in in_flight), return_exceptions=True)
                )
        writer.abort()
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return {
        "input": name,
        "part": f"{PARTS}/{part}",
        "status": status,
        "records": counts["records"],
        "html": counts["html"],
        "extracted": counts["extracted"],
        "skipped": dict(sorted(skipped.items())),
        "errors": dict(sorted(errors.items())),
        "messages": messages,
        "seconds": round(time.monotonic() - started, 3),
    }


# ------------------------------------------------------------------ writing


class _Writer:
    def write(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class JsonlWriter(_Writer):
    """One JSON object a line, UTF-8."""

    def __init__(self, path: Path):
        self.file = open(path, "wb")  # noqa: SIM115 (closed by close())

    def write(self, row: dict[str, Any]) -> None:
        self.file.write(json.dumps(row, ensure_ascii=False).encode("utf-8", "replace") + b"\n")

    def close(self) -> None:
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()


SQL_TYPES = {**dict.fromkeys(INT_COLUMNS | BOOL_COLUMNS, "INTEGER")}
TABLE = "articles"


class SqliteWriter(_Writer):
    """Table `articles`, primary key (warc_file, warc_offset); authors and tags
    as JSON text (what sqlite-utils and Datasette read as they are)."""

    def __init__(self, path: Path):
        import sqlite3

        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.db = sqlite3.connect(path)
        cols = ", ".join(f"[{c}] {SQL_TYPES.get(c, 'TEXT')}" for c in COLUMNS)
        self.db.execute(
            f"CREATE TABLE [{TABLE}] ({cols}, PRIMARY KEY ([warc_file], [warc_offset]))"
        )
        self.sql = (
            f"INSERT INTO [{TABLE}] ({', '.join(f'[{c}]' for c in COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        self.open = True

    def write(self, row: dict[str, Any]) -> None:
        values = [
            json.dumps(row[c], ensure_ascii=False) if c in LIST_COLUMNS else row[c] for c in COLUMNS
        ]
        values = [
            v.encode("utf-8", "replace").decode() if isinstance(v, str) else v for v in values
        ]
        self.db.execute(self.sql, values)

    def close(self) -> None:
        if self.open:
            self.open = False
            self.db.commit()
            self.db.close()


class ParquetWriter(_Writer):
    """Apache Parquet through pyarrow (the `parquet` extra); lists as lists."""

    BATCH = 1000

    def __init__(self, path: Path):
        pa, pq = require_pyarrow()
        self.pa = pa
        fields = []
        for c in COLUMNS:
            if c in LIST_COLUMNS:
                kind = pa.list_(pa.string())
            elif c in INT_COLUMNS:
                kind = pa.int64()
            elif c in BOOL_COLUMNS:
                kind = pa.bool_()
            else:
                kind = pa.string()
            fields.append(pa.field(c, kind))
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            clean = [{k: _utf8(v) for k, v in r.items()} for r in self.rows]
            self.writer.write_table(self.pa.Table.from_pylist(clean, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        if self.writer is not None:
            self._flush()
            self.writer.close()
            self.writer = None

    def abort(self) -> None:
        self.rows = []
        super().abort()


def _utf8(value: Any) -> Any:
    """A string that UTF-8 can encode (a lone surrogate becomes '?')."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def open_writer(fmt: str, path: Path) -> _Writer:
    if fmt == "jsonl":
        return JsonlWriter(path)
    if fmt == "sqlite":
        return SqliteWriter(path)
    if fmt == "parquet":
        return ParquetWriter(path)
    raise ValueError(f"unknown format {fmt!r}")


def require_pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise WarcExtraError(
            "--format parquet needs pyarrow: pip install 'newsgrab[parquet]'"
        ) from None
    return pa, pq


# ------------------------------------------------------------------ the run


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (1 <= K <= N) as (K, N); ValueError otherwise."""
    k_text, slash, n_text = text.partition("/")
    if not slash or not k_text.strip().isdigit() or not n_text.strip().isdigit():
        raise ValueError(f"expected K/N (such as 1/4), got {text!r}")
    k, n = int(k_text), int(n_text)
    if not 1 <= k <= n:
        raise ValueError(f"expected 1 <= K <= N in K/N, got {text!r}")
    return k, n


def shard_inputs(inputs: Sequence[str], k: int, n: int) -> list[str]:
    """Shard K of N of the inputs: every N-th of the sorted distinct inputs,
    starting at the K-th. Given the same inputs, the N shards together hold each
    input exactly once (whatever order each machine listed them in)."""
    unique = sorted(set(inputs))
    return unique[k - 1 :: n]


def manifest_name(shard: tuple[int, int] | None) -> str:
    return "manifest.json" if shard is None else f"manifest-{shard[0]}-of-{shard[1]}.json"


class Manifest:
    """`out/manifest.json` (`manifest-K-of-N.json` for a shard): versions,
    settings, totals and one entry per input done. An input is done when its
    entry says so and its part exists; anything else is redone."""

    def __init__(self, out: Path, shard: tuple[int, int] | None, fmt: str, settings: dict):
        self.path = out / manifest_name(shard)
        self.out = out
        self.shard = shard
        self.fmt = fmt
        self.settings = settings
        self.entries: dict[str, dict[str, Any]] = {}
        self.seconds = 0.0
        self.written = 0.0

    def load(self) -> None:
        """The entries of an earlier run; an unreadable manifest is set aside
        (its inputs are redone)."""
        try:
            data = json.loads(self.path.read_bytes())
            entries = data["inputs"]
            self.seconds = float(data.get("totals", {}).get("seconds", 0.0))
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("input"), str):
                    self.entries[entry["input"]] = entry
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s: unreadable (%s); every input is redone", self.path, _short(exc))
            self.entries = {}

    def done(self, name: str) -> bool:
        entry = self.entries.get(name)
        return (
            entry is not None
            and entry.get("status") == "done"
            and entry.get("part") == f"{PARTS}/{part_name(name, self.fmt)}"
            and (self.out / entry["part"]).is_file()
        )

    def add(self, entry: dict[str, Any]) -> None:
        self.entries[entry["input"]] = entry

    def totals(self) -> dict[str, Any]:
        t: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for e in self.entries.values():
            t["inputs"] += 1
            t["failed_inputs"] += e.get("status") != "done"
            for key in ("records", "html", "extracted"):
                t[key] += int(e.get(key, 0))
            skipped.update(e.get("skipped", {}))
            errors.update(e.get("errors", {}))
        return {
            "inputs": t["inputs"],
            "failed_inputs": t["failed_inputs"],
            "records": t["records"],
            "html": t["html"],
            "extracted": t["extracted"],
            "skipped": dict(sorted(skipped.items())),
            "errors": dict(sorted(errors.items())),
            "seconds": round(self.seconds, 3),
        }

    def write(self) -> None:
        from newsgrab.extract.article import EXTRACTOR

        data = {
            "newsgrab": __version__,
            "extractor": EXTRACTOR,
            "warcio": _version("warcio"),
            "format": self.fmt,
            "shard": None if self.shard is None else f"{self.shard[0]}/{self.shard[1]}",
            "settings": self.settings,
            "totals": self.totals(),
            "inputs": sorted(self.entries.values(), key=lambda e: e["input"]),
        }
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, self.path)
        self.written = time.monotonic()


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def clean_temps(out: Path, names: Sequence[str], fmt: str) -> None:
    """Remove what killed runs left of the parts of `names` (temporary files)."""
    parts = out / PARTS
    if not parts.is_dir():
        return
    wanted = {part_name(n, fmt) for n in names}
    for temp in parts.glob(".*.tmp"):
        base = temp.name[1:].rsplit(".", 3)[0]
        if base in wanted:
            with contextlib.suppress(OSError):
                temp.unlink()


@dataclass
class RunResult:
    manifest: Manifest
    ran: list[dict[str, Any]]  # the entries of the inputs done by this run
    skipped_done: int  # inputs already done by an earlier run


MANIFEST_EVERY = 5.0  # seconds between manifest rewrites during a run


def run(
    inputs: Sequence[str],
    out: str | os.PathLike,
    *,
    fmt: str = "jsonl",
    max_bytes: int = DEFAULTS.max_bytes,
    extract_timeout: float = DEFAULTS.extract_timeout,
    jobs: int = 1,
    shard: tuple[int, int] | None = None,
    scheduler: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """`newsgrab extract --warc`: extract_file() for each input of the shard not
    done yet, in this process (pages on `jobs` workers) or on a Dask cluster
    (`scheduler`: an address, or "local" for a LocalCluster of `jobs` workers);
    the manifest is rewritten as inputs finish and at the end. `on_done` is
    called with each input's entry as it finishes."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(inputs)) if shard is None else shard_inputs(inputs, *shard)
    settings = {"max_bytes": max_bytes, "extract_timeout": extract_timeout}
    manifest = Manifest(out_dir, shard, fmt, settings)
    manifest.load()
    todo = [n for n in names if not manifest.done(n)]
    clean_temps(out_dir, todo, fmt)
    result = RunResult(manifest, [], len(names) - len(todo))
    started = time.monotonic()
    base_seconds = manifest.seconds

    def finished(entry: dict[str, Any]) -> None:
        manifest.add(entry)
        result.ran.append(entry)
        if on_done is not None:
            on_done(entry)
        manifest.seconds = base_seconds + time.monotonic() - started
        if time.monotonic() - manifest.written >= MANIFEST_EVERY:
            manifest.write()

    try:
        if scheduler is not None:
            _run_dask(todo, out_dir, fmt, max_bytes, extract_timeout, jobs, scheduler, finished)
        else:
            for name in todo:
                finished(
                    extract_file(
                        name,
                        out_dir,
                        fmt=fmt,
                        max_bytes=max_bytes,
                        extract_timeout=extract_timeout,
                        jobs=jobs,
                    )
                )
    finally:
        close_workers()
        manifest.seconds = base_seconds + time.monotonic() - started
        manifest.write()
    return result


# `--scheduler local`: non-daemonic workers, which may start the extraction
# worker that keeps each page within its time budget; and less of Dask's
# background work, which costs CPU all run long and buys nothing for tasks
# that are whole files (the statistical profiler samples every 10 ms, work
# stealing and the system monitor run twice a second).
LOCAL_DASK = {
    "distributed.worker.daemon": False,
    "logging.distributed": "error",
    "distributed.worker.profile.enabled": False,
    "distributed.worker.profile.interval": "1s",
    "distributed.worker.profile.cycle": "10s",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.tick.interval": "1s",
}


def require_dask() -> Any:
    try:
        import dask.distributed as distributed
    except ImportError:
        raise WarcExtraError(
            "--scheduler needs dask.distributed: pip install 'newsgrab[dask]'"
        ) from None
    return distributed


def _run_dask(
    todo: list[str],
    out: Path,
    fmt: str,
    max_bytes: int,
    extract_timeout: float,
    jobs: int,
    scheduler: str,
    finished: Any,
) -> None:
    """extract_file() for each input as one Dask task, one extraction worker a task."""
    distributed = require_dask()
    import dask

    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            stack.enter_context(dask.config.set(LOCAL_DASK))
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=max(1, jobs),
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=0,  # no memory monitor polling every 100 ms
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        else:
            client = stack.enter_context(distributed.Client(scheduler, timeout="30s"))
        futures = client.map(
            extract_file,
            todo,
            out=str(out.resolve()),
            fmt=fmt,
            max_bytes=max_bytes,
            extract_timeout=extract_timeout,
            jobs=1,
            pure=False,
        )
        for future in distributed.as_completed(futures):
            finished(future.result())
