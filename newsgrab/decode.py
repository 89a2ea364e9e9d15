"""Bounded decoding of HTTP content codings (gzip, deflate, brotli).

A small compressed body can expand to gigabytes (a "decompression bomb"), so
newsgrab never asks a decompressor for "everything": each step produces at most
STEP bytes, and the running total is checked against the size cap.

fetch.py uses two passes so that a bomb costs almost no memory:

1. while streaming, `Decoder.feed()` decodes each received chunk only to *count*
   the decoded bytes (the output of each step is dropped), and the compressed
   chunks are kept; a total over the cap raises TooLarge at once;
2. once the body is complete and known to fit, `decode()` decodes the kept
   compressed bytes for real, again in bounded steps.

Peak memory for a bomb is therefore the compressed bytes read so far plus one
step, far below the cap; a legitimate page costs its decoded size once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import brotli

STEP = 16 * 1024  # decoded bytes per step
IN_STEP = 4 * 1024  # compressed bytes per step
# brotli < 1.2 cannot bound its output: then br is neither asked for nor accepted
BROTLI_BOUNDED = "output_buffer_limit" in (brotli.Decompressor.process.__doc__ or "")
CODINGS = ("gzip", "x-gzip", "deflate", "identity") + (("br",) if BROTLI_BOUNDED else ())


class DecodeError(Exception):
    """The body is not valid in its declared content coding."""


class TooLarge(Exception):
    """The decoded body is over the cap."""

    def __init__(self, limit: int):
        super().__init__(f"decoded body over the size cap of {limit} bytes")
        self.limit = limit


def parse_codings(header: str | None) -> list[str]:
    """Content-Encoding as a list of lower-case codings, identity dropped."""
    if not header:
        return []
    return [
        c.strip().lower() for c in header.split(",") if c.strip().lower() not in ("", "identity")
    ]


class _Zlib:
    def __init__(self, coding: str):
        self._coding = coding
        self._obj: zlib._Decompress | None = None
        self._head = b""

    def _start(self, data: bytes) -> None:
        if self._coding in ("gzip", "x-gzip"):
            wbits = 16 + zlib.MAX_WBITS
        else:
            # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate
            cmf, flg = data[0], data[1]
            wrapped = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
            wbits = zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)

    def steps(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._start(data)
        obj = self._obj
        assert obj is not None
        view = memoryview(data)
        # small input slices keep unconsumed_tail (a copy) small
        for start in range(0, len(view), IN_STEP):
            piece: bytes | memoryview = view[start : start + IN_STEP]
            while not obj.eof:
                try:
                    out = obj.decompress(piece, STEP)
                except zlib.error as exc:
                    raise DecodeError(f"invalid {self._coding} data: {exc}") from None
                piece = obj.unconsumed_tail
                if out:
                    yield out
                if not piece and len(out) < STEP:
                    break
            if obj.eof:
                break

    def finish(self) -> Iterator[bytes]:
        if self._obj is None and self._head:
            raise DecodeError(f"truncated {self._coding} data")
        # flush() without a length is unbounded; decompress(b"", STEP) is not
        obj = self._obj
        while obj is not None and not obj.eof:
            try:
                out = obj.decompress(obj.unconsumed_tail, STEP)
            except zlib.error as exc:
                raise DecodeError(f"invalid {self._coding} data: {exc}") from None
            if not out:
                break
            yield out


class _Brotli:
    def __init__(self):
        self._obj = brotli.Decompressor()

    def steps(self, data: bytes) -> Iterator[bytes]:
        obj = self._obj
        view = memoryview(data)
        try:
            for start in range(0, max(len(view), 1), IN_STEP):
                out = obj.process(view[start : start + IN_STEP], output_buffer_limit=STEP)
                # drain with empty input until it needs more: output may be pending
                # even when can_accept_more_data() is already true
                while out:
                    yield out
                    if obj.is_finished():
                        break
                    out = obj.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise DecodeError(f"invalid brotli data: {exc}") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Identity:
    def steps(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _make(coding: str | None):
    if coding in (None, "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip", "deflate"):
        return _Zlib(coding)
    if coding == "br" and BROTLI_BOUNDED:
        return _Brotli()
    raise DecodeError(f"unsupported content coding {coding!r}")


class Decoder:
    """Counts the decoded size of a body as it arrives; raises TooLarge over `limit`."""

    def __init__(self, coding: str | None, limit: int):
        self._impl = _make(coding)
        self.limit = limit
        self.size = 0

    def _count(self, pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            self.size += len(piece)
            if self.size > self.limit:
                raise TooLarge(self.limit)

    def feed(self, data: bytes) -> None:
        self._count(self._impl.steps(data))

    def finish(self) -> None:
        self._count(self._impl.finish())


def decode(chunks: Iterable[bytes], coding: str | None, limit: int) -> bytes:
    """The decoded body of `chunks`, raising TooLarge beyond `limit` bytes."""
    impl = _make(coding)
    out = bytearray()
    for chunk in chunks:
        for piece in impl.steps(chunk):
            out += piece
            if len(out) > limit:
                raise TooLarge(limit)
    for piece in impl.finish():
        out += piece
        if len(out) > limit:
            raise TooLarge(limit)
    return bytes(out)
