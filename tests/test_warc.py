"""`newsgrab extract --warc`: WARC/ARC in, one part per input and a manifest out.

The WARCs are written here with warcio (tests/warcs.py); nothing is downloaded."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pytest
import warcs  # tests/ is on sys.path
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newsgrab import warc
from newsgrab.cli import cli


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, ["extract", "--warc", *args], env=env)
    assert "Traceback" not in result.output + result.stderr
    return result


def rows(out: Path, name: str | Path, fmt: str = "jsonl") -> list[dict]:
    part = out / warc.PARTS / warc.part_name(str(name), fmt)
    return [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines()]


def manifest(out: Path, name: str = "manifest.json") -> dict:
    return json.loads((out / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_round_trip_every_html_record_and_nothing_else(tmp_path, gz):
    src = tmp_path / ("mixed.warc.gz" if gz else "mixed.warc")
    expect = warcs.write_mixed(src, gz=gz)
    out = tmp_path / "out"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    got = rows(out, src)
    wanted = [u for u, what in expect.items() if what == "row"]
    # records lacking WARC-Identified-Payload-Type are not dropped; order is the file's
    assert [r["url"] for r in got] == wanted
    for r in got:
        assert r["http_status"] == 200
        assert r["title"].startswith("Harbour report ")
        assert r["authors"] == ["Ann Lindqvist"]
        assert "the boats came back to the harbour" in r["text"]
        assert r["word_count"] == len(r["text"].split())
        assert r["payload_digest"].startswith("sha1:")
        assert r["warc_file"] == str(src)
        assert r["warc_date"] and r["warc_record_id"].startswith("<urn:uuid:")
        assert set(r) == set(warc.COLUMNS)
    # the chunked body was de-chunked, the coded ones decoded
    assert "Paragraph 0 of report 7" in got[wanted.index("https://a.example/chunked")]["text"]
    # (offset, length) is the record: read it back alone
    with open(src, "rb") as f:
        for r in got:
            f.seek(r["warc_offset"])
            chunk = f.read(r["warc_length"])
            record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
            assert record.rec_headers.get_header("WARC-Target-URI") == r["url"]
    m = manifest(out)
    entry = m["inputs"][0]
    assert entry["status"] == "done"
    assert entry["html"] == entry["extracted"] == len(wanted)
    assert entry["skipped"] == {"not_html": 3, "not_response": 2, "revisit": 1, "status": 1}
    assert entry["records"] == 1 + len(expect) + 1  # + warcinfo, request
    assert entry["errors"] == {}
    assert m["newsgrab"] and m["extractor"].startswith("newsgrab ") and m["format"] == "jsonl"
    assert m["totals"]["extracted"] == len(wanted)


def test_arc_files_are_read(tmp_path):
    src = warcs.write_arc(
        tmp_path / "old.arc",
        [("http://old.example/a", warcs.page(1).encode()), ("http://old.example/b", b"\x00\x01")],
    )
    gz = tmp_path / "old.arc.gz"
    # an ARC.gz is one gzip member per record
    with open(src, "rb") as f, open(gz, "wb") as g:
        for record_bytes in _split_arc(f.read()):
            g.write(gzip.compress(record_bytes))
    out = tmp_path / "out"
    assert run(str(src), str(gz), "-o", str(out)).exit_code == 0
    for name in (src, gz):
        assert [r["url"] for r in rows(out, name)] == ["http://old.example/a"]


def _split_arc(data: bytes) -> list[bytes]:
    records, pos = [], 0
    while pos < len(data):
        eol = data.index(b"\n", pos)
        length = int(data[pos:eol].rsplit(b" ", 1)[1])
        end = eol + 1 + length + 1
        records.append(data[pos:end])
        pos = end
    return records


def test_truncated_and_non_warc_files_cost_only_themselves(tmp_path):
    good = warcs.write_pages(tmp_path / "good.warc.gz", 3)
    whole = warcs.write_pages(tmp_path / "whole.warc.gz", 5).read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[: len(whole) - 200])  # the last record cut short
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes, not a WARC\n" * 50)
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    result = run(str(good), str(cut), str(junk), str(empty), "-o", str(out))
    assert result.exit_code == 1
    assert len(rows(out, good)) == 3
    assert 1 <= len(rows(out, cut)) <= 4  # what was read before the damage stands
    assert rows(out, junk) == [] and rows(out, empty) == []
    by_input = {e["input"]: e for e in manifest(out)["inputs"]}
    assert by_input[str(good)]["status"] == "done"
    for bad in (cut, junk):
        assert by_input[str(bad)]["status"] == "failed"
        assert by_input[str(bad)]["errors"] == {"file": 1}
        assert str(bad) in result.stderr
    assert "not a WARC or ARC file" in by_input[str(junk)]["messages"][0]
    assert by_input[str(empty)]["records"] == 0  # empty: nothing in it, nothing wrong
    assert manifest(out)["totals"]["errors"] == {"file": 2}
    # failed inputs are tried again by the next run; the good one is not
    again = run(str(good), str(cut), str(junk), str(empty), "-o", str(out))
    assert "2 inputs extracted, 2 already done" in again.stdout


def _hostile(path: Path, cap: int) -> dict[str, str]:
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        warcs.raw_response(f, "https://h.example/garbled", b"\xff\xfeGARBAGE\r\n\r\n<html>x")
        warcs.raw_response(f, "https://h.example/nostatus", b"HTTP/1.1 abc OK\r\n\r\n<html>")
        warcs.raw_response(
            f,
            "https://h.example/hugeheaders",
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (warc.MAX_HTTP_HEADERS + 10) + b"\r\n\r\n<p>",
        )
        bomb = gzip.compress(b"<html><body>" + b" " * (cap * 4))
        warcs.response(
            w, "https://h.example/bomb", bomb, [*warcs.HTML, ("Content-Encoding", "gzip")]
        )
        big = b"<html><body><p>" + b"word " * (cap // 5)
        warcs.response(w, "https://h.example/big", big, warcs.HTML)
        warcs.response(
            w,
            "https://h.example/badgzip",
            b"\x1f\x8b\x08\x00not gzip at all",
            [*warcs.HTML, ("Content-Encoding", "gzip")],
        )
        warcs.response(
            w,
            "https://h.example/stacked",
            gzip.compress(zlib.compress(b"<html>")),
            [*warcs.HTML, ("Content-Encoding", "deflate, gzip")],
        )
        warcs.response(w, "https://h.example/fine", warcs.page(1).encode(), warcs.HTML)
    return {
        "garbled": "http_headers",
        "nostatus": "http_headers",
        "hugeheaders": "http_headers",
        "bomb": "too_large",
        "big": "too_large",
        "badgzip": "encoding",
        "stacked": "encoding",
    }


def test_hostile_records_cost_only_themselves(tmp_path):
    cap = 200_000
    src = tmp_path / "hostile.warc.gz"
    kinds = _hostile(src, cap)
    out = tmp_path / "out"
    result = run(str(src), "-o", str(out), env={"NEWSGRAB_MAX_BYTES": str(cap)})
    assert result.exit_code == 1
    assert [r["url"] for r in rows(out, src)] == ["https://h.example/fine"]
    entry = manifest(out)["inputs"][0]
    assert entry["status"] == "done"
    want: dict[str, int] = {}
    for kind in kinds.values():
        want[kind] = want.get(kind, 0) + 1
    assert entry["errors"] == want
    for name, kind in kinds.items():
        assert any(f"h.example/{name}" in m for m in entry["messages"]), (name, kind)
    assert "errors (3 http_headers" in result.stdout or "3 http_headers" in result.stdout


def test_each_page_within_the_time_budget(tmp_path):
    src = tmp_path / "slow.warc.gz"
    with open(src, "wb") as f:
        w = WARCWriter(f, gzip=True)
        warcs.response(w, "https://s.example/long", warcs.page(1, 20_000).encode(), warcs.HTML)
    out = tmp_path / "out"
    result = run(str(src), "-o", str(out), env={"NEWSGRAB_EXTRACT_TIMEOUT": "0.05"})
    assert result.exit_code == 1
    entry = manifest(out)["inputs"][0]
    assert entry["errors"] == {"extract_timeout": 1} and entry["extracted"] == 0
    assert "extract_timeout" in entry["messages"][0] or "longer than" in entry["messages"][0]


def test_resume_skips_finished_inputs(tmp_path):
    inputs = [warcs.write_pages(tmp_path / f"{i}.warc.gz", 3, start=10 * i) for i in range(3)]
    out = tmp_path / "out"
    assert run(*map(str, inputs[:2]), "-o", str(out)).exit_code == 0
    part = out / warc.PARTS / warc.part_name(str(inputs[0]), "jsonl")
    before = part.stat().st_mtime_ns
    result = run(*map(str, inputs), "-o", str(out))
    assert result.exit_code == 0
    assert "1 input extracted, 2 already done" in result.stdout
    assert part.stat().st_mtime_ns == before
    m = manifest(out)
    assert sorted(e["input"] for e in m["inputs"]) == sorted(map(str, inputs))
    assert m["totals"]["extracted"] == 9


def test_a_part_lost_or_left_half_written_is_redone(tmp_path):
    inputs = [warcs.write_pages(tmp_path / f"{i}.warc.gz", 3, start=10 * i) for i in range(2)]
    out = tmp_path / "out"
    assert run(*map(str, inputs), "-o", str(out)).exit_code == 0
    reference = rows(out, inputs[1])
    # as a run killed mid-input leaves it: the temp part, no part, no manifest entry
    part = out / warc.PARTS / warc.part_name(str(inputs[1]), "jsonl")
    temp = part.with_name(f".{part.name}.99999.1.tmp")
    part.rename(temp)
    temp.write_bytes(temp.read_bytes()[:50])
    result = run(*map(str, inputs), "-o", str(out))
    assert "1 input extracted, 1 already done" in result.stdout
    assert rows(out, inputs[1]) == reference
    assert not temp.exists()


def test_a_killed_run_is_finished_by_the_next(tmp_path):
    inputs = [warcs.write_pages(tmp_path / f"{i}.warc.gz", 40, start=100 * i) for i in range(4)]
    ref = tmp_path / "ref"
    assert run(*map(str, inputs), "-o", str(ref)).exit_code == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "newsgrab", "extract", "--warc", *map(str, inputs), "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    parts = out / warc.PARTS
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and any(p.suffix == ".jsonl" for p in parts.iterdir()):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    result = run(*map(str, inputs), "-o", str(out))
    assert result.exit_code == 0
    for name in inputs:
        assert rows(out, name) == rows(ref, name)
    assert not [p for p in parts.iterdir() if p.name.endswith(".tmp")]
    assert manifest(out)["totals"]["extracted"] == 160


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(st.text(st.sampled_from("abc/._-0"), min_size=1, max_size=6), max_size=30),
    n=st.integers(1, 12),
    data=st.data(),
)
def test_shards_hold_each_input_exactly_once(names, n, data):
    shuffled = data.draw(st.permutations(names))
    shards = [warc.shard_inputs(names if k % 2 else shuffled, k, n) for k in range(1, n + 1)]
    flat = [name for shard in shards for name in shard]
    assert sorted(flat) == sorted(set(names))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1  # balanced


@given(st.text(max_size=12))
def test_shard_text_is_k_of_n_or_refused(text):
    try:
        k, n = warc.parse_shard(text)
    except ValueError:
        return
    assert 1 <= k <= n and text.partition("/")[0].strip().isdigit()


def test_shards_on_the_command_line(tmp_path):
    inputs = [
        str(warcs.write_pages(tmp_path / f"{i}.warc", 1, start=i, gz=False)) for i in range(5)
    ]
    out = tmp_path / "out"
    for k in (1, 2, 3):
        assert run(*inputs, "-o", str(out), "--shard", f"{k}/3").exit_code == 0
    done = []
    for k in (1, 2, 3):
        done += [e["input"] for e in manifest(out, f"manifest-{k}-of-3.json")["inputs"]]
    assert sorted(done) == sorted(inputs)
    assert len(list((out / warc.PARTS).iterdir())) == 5
    bad = run(*inputs, "-o", str(out), "--shard", "4/3")
    assert bad.exit_code == 2 and "--shard" in bad.stderr


def test_sqlite_reads_back_as_a_table_with_a_key(tmp_path):
    src = tmp_path / "mixed.warc.gz"
    expect = warcs.write_mixed(src)
    out = tmp_path / "out"
    assert run(str(src), "-o", str(out), "--format", "sqlite").exit_code == 0
    db = sqlite3.connect(out / warc.PARTS / warc.part_name(str(src), "sqlite"))
    db.row_factory = sqlite3.Row
    table = db.execute("PRAGMA table_info(articles)").fetchall()
    assert [c["name"] for c in table] == list(warc.COLUMNS)
    assert [c["name"] for c in table if c["pk"]] == ["warc_file", "warc_offset"]
    got = [dict(r) for r in db.execute("SELECT * FROM articles ORDER BY warc_offset")]
    assert [r["url"] for r in got] == [u for u, w in expect.items() if w == "row"]
    assert json.loads(got[0]["authors"]) == ["Ann Lindqvist"]
    assert json.loads(got[0]["tags"]) == []
    assert isinstance(got[0]["http_status"], int)
    # the same rows as jsonl
    out2 = tmp_path / "out2"
    assert run(str(src), "-o", str(out2)).exit_code == 0
    for a, b in zip(got, rows(out2, src), strict=True):
        assert {**a, "authors": json.loads(a["authors"]), "tags": json.loads(a["tags"])} == b


def test_parquet_reads_back(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "mixed.warc.gz"
    warcs.write_mixed(src)
    out, out2 = tmp_path / "out", tmp_path / "out2"
    assert run(str(src), "-o", str(out), "--format", "parquet").exit_code == 0
    assert run(str(src), "-o", str(out2)).exit_code == 0
    table = pq.read_table(out / warc.PARTS / warc.part_name(str(src), "parquet"))
    assert table.column_names == list(warc.COLUMNS)
    assert table.to_pylist() == rows(out2, src)


def test_missing_extras_are_named(tmp_path, monkeypatch):
    src = warcs.write_pages(tmp_path / "a.warc.gz", 1)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    result = run(str(src), "-o", str(tmp_path / "out"), "--format", "parquet")
    assert result.exit_code == 2
    assert "newsgrab[parquet]" in result.stderr and len(result.stderr.splitlines()) == 1
    result = run(str(src), "-o", str(tmp_path / "out"), "--scheduler", "local")
    assert result.exit_code == 2 and "newsgrab[dask]" in result.stderr


def test_usage_errors(tmp_path):
    src = warcs.write_pages(tmp_path / "a.warc.gz", 1)
    assert run(str(src)).exit_code == 2  # no -o
    assert run("-o", str(tmp_path / "o")).exit_code == 2  # no input
    missing = run(str(tmp_path / "nope.warc"), "-o", str(tmp_path / "o"))
    assert missing.exit_code == 2 and "nope.warc: no such file" in missing.stderr
    assert run(str(src), "-o", str(tmp_path / "o"), "--format", "text").exit_code == 2
    one = CliRunner().invoke(cli, ["extract", str(src), "--jobs", "2"])
    assert one.exit_code == 2 and "--warc" in one.stderr


def test_jobs_2_writes_what_jobs_1_writes(tmp_path):
    inputs = [str(warcs.write_pages(tmp_path / f"{i}.warc.gz", 12, start=50 * i)) for i in range(2)]
    inputs.append(str(tmp_path / "mixed.warc.gz"))
    warcs.write_mixed(Path(inputs[-1]))
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(*inputs, "-o", str(one), "--jobs", "1").exit_code == 0
    assert run(*inputs, "-o", str(two), "--jobs", "2").exit_code == 0
    for name in inputs:
        part = warc.part_name(name, "jsonl")
        assert (one / warc.PARTS / part).read_bytes() == (two / warc.PARTS / part).read_bytes()
    assert _counts(one) == _counts(two)


def _counts(out: Path) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "seconds"} for e in manifest(out)["inputs"]]


@pytest.mark.timeout(90)
def test_dask_local_cluster_writes_what_jobs_1_writes(tmp_path):
    pytest.importorskip("dask.distributed")
    inputs = [str(warcs.write_pages(tmp_path / f"{i}.warc.gz", 6, start=50 * i)) for i in range(3)]
    inputs.append(str(tmp_path / "mixed.warc.gz"))
    warcs.write_mixed(Path(inputs[-1]))
    one, dask_out = tmp_path / "one", tmp_path / "dask"
    assert run(*inputs, "-o", str(one), "--jobs", "1").exit_code == 0
    started = time.monotonic()
    # a real program (its own main module) as a user runs it: Dask's workers start by spawn
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsgrab",
            "extract",
            "--warc",
            *inputs,
            "-o",
            str(dask_out),
            "--scheduler",
            "local",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=80,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60
    for name in inputs:
        part = warc.part_name(name, "jsonl")
        assert (one / warc.PARTS / part).read_bytes() == (dask_out / warc.PARTS / part).read_bytes()
    assert _counts(one) == _counts(dask_out)


def test_the_test_extra_installs_the_parquet_and_dask_extras_as_they_are():
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    extras = project["project"]["optional-dependencies"]
    assert set(extras["parquet"]) | set(extras["dask"]) <= set(extras["test"])


README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _readme_block(after: str, lang: str) -> str:
    start = README.index(f"```{lang}\n", README.index(after)) + len(lang) + 4
    return README[start : README.index("```", start)]


@pytest.mark.parametrize("after", ["On a SLURM cluster", "With Spark"])
def test_readme_recipes_are_python_that_calls_what_newsgrab_has(after):
    import ast
    import inspect

    tree = ast.parse(_readme_block(after, "python"))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "warc":
            assert hasattr(warc, node.attr), node.attr
            used.add(node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = getattr(warc, node.func.attr, None)
            if getattr(node.func.value, "id", None) == "warc" and callable(target):
                params = inspect.signature(target).parameters
                for kw in node.keywords:
                    assert kw.arg is None or kw.arg in params, (node.func.attr, kw.arg)
    assert used & {"run", "extract_file"}


def test_readme_sqlite_merge_recipe(tmp_path):
    import shutil

    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 shell")
    inputs = [str(warcs.write_pages(tmp_path / f"{i}.warc.gz", 2, start=10 * i)) for i in range(3)]
    work = tmp_path / "w"
    work.mkdir()
    assert run(*inputs, "-o", str(work / "articles"), "--format", "sqlite").exit_code == 0
    script = _readme_block("To put the parts into one database", "sh")
    subprocess.run(["bash", "-e", "-c", script], cwd=work, check=True)
    db = sqlite3.connect(work / "all.db")
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (6,)
    pk = [r[1] for r in db.execute("PRAGMA table_info(articles)") if r[5]]
    assert pk == ["warc_file", "warc_offset"]


CLUSTER = """
import sys
import tempfile
from dask.distributed import LocalCluster

if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the test closes it
"""


@pytest.mark.timeout(120)
def test_dask_scheduler_address_runs_on_that_cluster(tmp_path):
    """A cluster already running (its workers daemonic, Dask's default: pages
    are extracted in a thread there) gives what --jobs 1 gives."""
    pytest.importorskip("dask.distributed")
    inputs = [str(warcs.write_pages(tmp_path / f"{i}.warc.gz", 4, start=50 * i)) for i in range(2)]
    inputs.append(str(tmp_path / "mixed.warc.gz"))
    warcs.write_mixed(Path(inputs[-1]))
    script = tmp_path / "cluster.py"
    script.write_text(CLUSTER, encoding="utf-8")
    one, remote = tmp_path / "one", tmp_path / "remote"
    assert run(*inputs, "-o", str(one)).exit_code == 0
    cluster = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert cluster.stdout is not None and cluster.stdin is not None
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://"), address
        result = run(*inputs, "-o", str(remote), "--scheduler", address)
        assert result.exit_code == 0, result.stderr
    finally:
        if cluster.stdin is not None:
            cluster.stdin.close()
        try:
            cluster.wait(30)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait()
        if cluster.stdout is not None:
            cluster.stdout.close()
    for name in inputs:
        part = warc.part_name(name, "jsonl")
        assert (one / warc.PARTS / part).read_bytes() == (remote / warc.PARTS / part).read_bytes()
    assert _counts(one) == _counts(remote)


def _items(path: Path) -> tuple[list[tuple], bool]:
    """What read_captures makes of a file, and whether it ended in a FileError."""
    out = []
    try:
        for item in warc.read_captures(path, 1_000_000):
            out.append(
                (
                    type(item).__name__,
                    getattr(item, "url", None),
                    item.kind if not isinstance(item, warc.Capture) else None,
                )
            )
    except warc.FileError:
        return out, True
    return out, False


_WHOLE: dict[bool, tuple[bytes, list[tuple], list[int]]] = {}


def _whole(gz: bool) -> tuple[bytes, list[tuple], list[int]]:
    """A mixed WARC, what read_captures makes of it, and where each record ends."""
    if gz not in _WHOLE:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "w.warc"
            warcs.write_mixed(path, gz=gz)
            items, failed = _items(path)
            assert not failed
            with open(path, "rb") as f:
                records = ArchiveIterator(f)
                ends = [records.get_record_offset() + records.get_record_length() for _ in records]
            _WHOLE[gz] = path.read_bytes(), items, ends
    return _WHOLE[gz]


@settings(max_examples=80, deadline=None)
@given(gz=st.booleans(), where=st.floats(0, 1))
def test_a_file_cut_anywhere_gives_what_came_before_or_a_file_error(gz, where):
    whole, full, ends = _whole(gz)
    cut = whole[: int(len(whole) * where)]
    with tempfile.TemporaryDirectory() as tmp:
        got, failed = _items(_write(Path(tmp) / "cut.warc", cut))
    assert got == full[: len(got)]  # never a record that is not in the file
    if not failed and cut:
        # No complaint only when the cut fell where a shorter file could end:
        # between records (a WARC has no end marker), or in the last gzip
        # member's closing bytes (its 8-byte trailer and the deflate stream's
        # last bits, after all of the record's data: the record is all there).
        end = ends[len(got) - 1]
        if gz:
            assert end - 12 <= len(cut) <= end
        else:
            assert end <= len(cut) <= end + 4 and not whole[end : len(cut)].strip()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@settings(max_examples=150, deadline=None)
@given(
    head=st.one_of(
        st.binary(max_size=200),
        st.sampled_from(["gzip", "deflate", "br", "gzip, br", "zstd", ""]).map(
            lambda c: f"HTTP/1.1 200 OK\r\nContent-Encoding: {c}\r\n\r\n".encode()
        ),
        st.lists(
            st.sampled_from(
                [
                    "HTTP/1.1 200 OK",
                    "Content-Type: text/html",
                    "X",
                    " y",
                    ":",
                    "Transfer-Encoding: chunked",
                ]
            ),
            max_size=6,
        ).map(lambda lines: "\r\n".join(lines).encode() + b"\r\n\r\n"),
    ),
    body=st.binary(max_size=300),
)
def test_any_http_block_is_a_page_a_skip_or_a_record_error(head, body):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.warc.gz"
        with open(path, "wb") as f:
            warcs.raw_response(f, "https://x.example/", head + body)
            warcs.raw_response(f, "https://x.example/next", b"HTTP/1.1 200 OK\r\n\r\n<html><p>ok")
        items = list(warc.read_captures(path, 100_000))
    assert len(items) == 2  # the record after it is read as well
    assert isinstance(items[0], warc.Capture | warc.Skip | warc.RecordError)
    assert isinstance(items[1], warc.Capture)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_a_row_s_record_is_read_again_at_its_offset(tmp_path, gz):
    src = tmp_path / "mixed.warc"
    warcs.write_mixed(src, gz=gz)
    captures = [c for c in warc.read_captures(src, 1_000_000) if isinstance(c, warc.Capture)]
    for capture in captures:
        again = warc.read_record_at(src, capture.offset)
        assert again == capture
    with pytest.raises(warc.FileError, match="offset 3"):
        warc.read_record_at(src, 3)
    with pytest.raises(warc.FileError, match="no record at offset"):
        warc.read_record_at(src, src.stat().st_size)
