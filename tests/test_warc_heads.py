"""WARC record headers from a hostile file cost a bounded amount.

warcio gathers a header line without an end in time quadratic in its length;
newsgrab lets it read at most warc.MAX_WARC_HEAD_READ bytes of the file while
it looks for a header, so such a file is reported as corrupt, quickly, and the
records before it stand."""

from __future__ import annotations

import gzip
import json
import tempfile
import time
import zlib
from pathlib import Path

import pytest
import warcs  # tests/ is on sys.path
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.warcwriter import WARCWriter

from newsgrab import warc


def _good_then(path: Path, bad_head: bytes, *, gz: bool) -> Path:
    """A WARC of one good page, then a record that starts with `bad_head`."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz)
        warcs.response(writer, "https://a.example/good", warcs.page(1).encode(), warcs.HTML)
        f.write(gzip.compress(bad_head) if gz else bad_head)
    return path


ENDLESS_LINE = b"WARC/1.0\r\nWARC-Type: response\r\nX-Long: " + b"a" * 20_000_000
MANY_LINES = b"WARC/1.0\r\nWARC-Type: response\r\n" + b"X-Line: b\r\n" * 1_000_000


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("head", [ENDLESS_LINE, MANY_LINES], ids=["endless-line", "many-lines"])
def test_a_header_without_end_is_a_file_error_after_the_good_records(tmp_path, gz, head):
    src = _good_then(tmp_path / "bad.warc", head, gz=gz)
    started = time.process_time()
    got = []
    with pytest.raises(warc.FileError, match=r"bad\.warc: corrupt after record 1: a record header"):
        for item in warc.read_captures(src, 1_000_000):
            got.append(item)
    assert [c.url for c in got if isinstance(c, warc.Capture)] == ["https://a.example/good"]
    # bounded: the whole 20 MB line would take minutes; a generous bound for noise
    assert time.process_time() - started < 10


def test_a_gzip_member_of_endless_header_lines_is_refused_before_warcio_reads_it(tmp_path):
    """50 MB of header lines gzip into about 100 KB: past the raw cap, but warcio
    would already have gathered tens of megabytes of lines; the member is looked
    at first (a bounded decompression) and refused."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    lines = b"X-Line: b\r\n" * 100_000
    member = packer.compress(b"WARC/1.0\r\nWARC-Type: response\r\n")
    member += b"".join(packer.compress(lines) for _ in range(45)) + packer.flush()
    src = tmp_path / "bomb.warc.gz"
    with open(src, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        warcs.response(writer, "https://a.example/good", warcs.page(1).encode(), warcs.HTML)
        f.write(member)
    started = time.process_time()
    got = []
    with pytest.raises(warc.FileError, match="corrupt after record 1: a record header runs past"):
        for item in warc.read_captures(src, 1_000_000):
            got.append(item)
    assert [c.url for c in got if isinstance(c, warc.Capture)] == ["https://a.example/good"]
    assert time.process_time() - started < 5
    with pytest.raises(warc.FileError, match="no whole record at offset"):
        warc.read_record_at(src, got[0].length)


def test_read_record_at_a_header_without_end_is_a_file_error(tmp_path):
    src = _good_then(tmp_path / "bad.warc", ENDLESS_LINE, gz=False)
    good = next(c for c in warc.read_captures(src, 1_000_000) if isinstance(c, warc.Capture))
    with pytest.raises(warc.FileError, match="no whole record at offset"):
        warc.read_record_at(src, good.length)


def test_extract_reports_the_file_and_keeps_its_good_rows(tmp_path):
    from click.testing import CliRunner

    from newsgrab.cli import cli

    src = _good_then(tmp_path / "bad.warc", ENDLESS_LINE, gz=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["extract", "--warc", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    assert f"{src}: corrupt after record 1: a record header runs past" in result.stderr
    part = out / warc.PARTS / warc.part_name(str(src), "jsonl")
    lines = part.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["url"] for line in lines] == ["https://a.example/good"]


@settings(max_examples=60, deadline=None)
@given(
    gz=st.booleans(),
    lines=st.lists(
        st.binary(max_size=40_000).filter(lambda b: b"\n" not in b and b"\r" not in b),
        max_size=4,
    ),
)
def test_any_extra_header_lines_read_or_fail_cleanly(gz, lines):
    """Extra WARC header lines of any bytes and length: the record after the
    good one is read, or the file is reported corrupt; nothing else escapes."""
    head = b"WARC/1.0\r\nWARC-Type: resource\r\n" + b"".join(
        b"X-" + line + b"\r\n" for line in lines
    )
    record = head + b"Content-Length: 0\r\n\r\n\r\n\r\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = _good_then(Path(tmp) / "odd.warc", record, gz=gz)
        try:
            items = list(warc.read_captures(src, 1_000_000))
        except warc.FileError as exc:
            assert "odd.warc" in str(exc)
            return
    assert isinstance(items[0], warc.Capture)
    assert len(items) == 2
    if sum(len(line) for line in lines) < 8_000:
        assert isinstance(items[1], warc.Skip)  # a short odd header is simply read
