"""`fetch --warc-file`: the WARC records newsgrab writes, read back with warcio
record by record, against real servers on 127.0.0.1 whose bytes the tests
choose; and `fetch --reextract` over the captures, with the server gone."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import RawServer, Request, redirect
from test_refresh_support import article_html, paragraphs
from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker

from newsgrab import warcout
from newsgrab.cli import cli
from newsgrab.config import Settings
from newsgrab.errors import ConfigError
from newsgrab.fetch import Fetcher
from newsgrab.warc import Capture, read_record_at

HTML = article_html("Harbour storm closes the ferry", paragraphs("harbour storm", 5)).encode()


def raw_answer(body: bytes, head: bytes | None = None) -> bytes:
    """An answer whose head keeps odd spellings (they must be stored verbatim)."""
    if head is None:
        head = (
            b"HTTP/1.1 200 Fine Thanks\r\n"
            b"content-TYPE: text/html; charset=utf-8\r\n"
            b"X-Odd:   spaced   value \r\n"
            b"Content-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(body)
        )
    return head + body


def fixed(data: bytes):
    """A handler that sends exactly `data`."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(data)
        await w.drain()

    return handler


def revalidating(body: bytes, etag: str):
    """200 with an ETag; 304 when the request sends it back."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        if req.headers.get("if-none-match") == etag:
            w.write(b'HTTP/1.1 304 Not Modified\r\nETag: "%s"\r\n\r\n' % etag.strip('"').encode())
        else:
            w.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: %s\r\n"
                b"Content-Length: %d\r\n\r\n" % (etag.encode(), len(body)) + body
            )
        await w.drain()

    return handler


def records(path: Path) -> list[SimpleNamespace]:
    """Every record of a WARC file: type, headers, block as stored (its gzip member
    decompressed, the WARC head cut off), offset, length."""
    out = []
    data = path.read_bytes()
    with open(path, "rb") as f:
        it = ArchiveIterator(f, no_record_parse=True)
        for rec in it:
            rec.raw_stream.read()
            member = gzip.decompress(data[it.get_record_offset() :][: it.get_record_length()])
            warc_head, _, rest = member.partition(b"\r\n\r\n")
            size = int(rec.rec_headers.get_header("Content-Length"))
            block = rest[:size]
            assert rest[size:] == b"\r\n\r\n"
            out.append(
                SimpleNamespace(
                    type=rec.rec_type,
                    headers=dict(rec.rec_headers.headers),
                    block=block,
                    offset=it.get_record_offset(),
                    length=it.get_record_length(),
                )
            )
    return out


def warcio_check(path: Path) -> str:
    """What `warcio check -v` says; fails the test when it finds a problem."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = Checker(SimpleNamespace(inputs=[str(path)], verbose=True)).process_all()
    assert code == 0, out.getvalue()
    assert "fail" not in out.getvalue().lower(), out.getvalue()
    return out.getvalue()


def fetch_cli(*args: str):
    return CliRunner().invoke(cli, ["fetch", *args])


def sidecar_sources(seed: Path) -> dict[str, dict]:
    data = json.loads(seed.with_name(seed.name + ".sources.json").read_text("utf-8"))
    return {s["url"]: s for s in data["sources"]}


@pytest.fixture
def seeds(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    return folder


def cite(seed: Path, *urls: str) -> Path:
    seed.write_text("".join(f"See {u} today.\n" for u in urls), encoding="utf-8")
    return seed


# ------------------------------------------------------------------ writing


def test_request_and_response_records_hold_the_bytes_on_the_wire(seeds, tmp_path, local_env):
    sent = raw_answer(HTML)
    with RawServer() as srv:
        srv.route("/a", fixed(sent))
        srv.route("/old", redirect("/a", status=301, body=b"moved"))
        seed = cite(seeds / "n.txt", srv.url("/old"))
        out = tmp_path / "archive"
        out.mkdir()
        r = fetch_cli("--warc-file", str(out / "crawl"), "--warc-cdx", str(seeds))
    assert r.exit_code == 0, r.output + r.stderr
    warc = out / "crawl.warc.gz"
    recs = records(warc)
    assert recs[0].type == "warcinfo"
    assert b"software: newsgrab/" in recs[0].block
    pairs = recs[1:]
    assert [r.type for r in pairs] == ["request", "response"] * 3  # robots.txt, /old, /a
    for req, resp in zip(pairs[::2], pairs[1::2], strict=True):
        assert req.headers["WARC-Concurrent-To"] == resp.headers["WARC-Record-ID"]
        assert req.headers["WARC-Target-URI"] == resp.headers["WARC-Target-URI"]
        assert req.headers["WARC-IP-Address"] == resp.headers["WARC-IP-Address"] == "127.0.0.1"
        path = req.headers["WARC-Target-URI"].split(str(srv.port), 1)[1]
        assert req.block.startswith(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:" % path.encode())
    uris = [r.headers["WARC-Target-URI"] for r in pairs[1::2]]
    assert uris == [srv.url("/robots.txt"), srv.url("/old"), srv.url("/a")]
    # the redirect hop as sent, and the page byte for byte (odd spellings kept)
    assert pairs[3].block.startswith(b"HTTP/1.1 301 Moved Permanently\r\n")
    assert b"Location: /a\r\n" in pairs[3].block
    assert pairs[5].block == sent
    assert "WARC-Truncated" not in pairs[5].headers
    warcio_check(warc)
    # the sidecar says where the page's record is
    src = sidecar_sources(seed)[srv.url("/old")]
    capture = src["fetch"]["capture"]
    assert capture == {"warc": str(warc), "offset": pairs[5].offset, "length": pairs[5].length}
    back = read_record_at(capture["warc"], capture["offset"])
    assert isinstance(back, Capture) and back.body == HTML and back.url == srv.url("/a")
    # the CDX: one line per response, pointing at its record
    lines = (out / "crawl.cdx").read_text("utf-8").splitlines()
    assert lines[0] == " CDX N b a m s k r M S V g"
    assert len(lines) == 4
    by_uri = {r.headers["WARC-Target-URI"]: r for r in pairs[1::2]}
    for line in lines[1:]:
        key, stamp, url, media, status, digest, _, _, length, offset, name = line.split(" ")
        assert name == "crawl.warc.gz" and key.startswith("127.0.0.1:") and len(stamp) == 14
        rec = by_uri[url]
        assert (int(offset), int(length)) == (rec.offset, rec.length)
        assert "sha1:" + digest == rec.headers["WARC-Payload-Digest"]
    hop = lines[2].split(" ")  # /old: its status and where it redirects
    assert (hop[2], hop[4], hop[6]) == (srv.url("/old"), "301", "/a")


def test_a_body_over_the_size_cap_is_stored_truncated(seeds, tmp_path, local_env, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_MAX_BYTES", "2000")
    big = b"<html><body>" + b"<p>word word word</p>" * 400 + b"</body></html>"
    close_delimited = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
    with RawServer() as srv:
        srv.route("/big", fixed(raw_answer(big)))  # Content-Length over the cap
        srv.route("/stream", fixed(close_delimited + big))  # no length: cut while reading
        cite(seeds / "n.txt", srv.url("/big"), srv.url("/stream"))
        r = fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds))
    assert r.exit_code == 1  # both fail as too_large
    pages = [x for x in records(tmp_path / "w.warc.gz") if x.type == "response"][1:]
    assert {p.headers["WARC-Target-URI"] for p in pages} == {srv.url("/big"), srv.url("/stream")}
    for p in pages:
        assert p.headers["WARC-Truncated"] == "length"
        head = p.block[: p.block.index(b"\r\n\r\n") + 4]
        assert len(p.block) == len(head) + 2000  # the body up to the cap
    stream = next(p for p in pages if p.headers["WARC-Target-URI"].endswith("/stream"))
    assert stream.block.startswith(close_delimited)
    assert (close_delimited + big).startswith(stream.block)  # a prefix of what was sent
    warcio_check(tmp_path / "w.warc.gz")


def test_revisits_for_304_and_for_an_unchanged_body(seeds, tmp_path, local_env):
    with RawServer() as srv:
        srv.route("/etag", revalidating(HTML, '"v1"'))
        srv.route("/plain", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/etag"), srv.url("/plain"))
        first = fetch_cli("--warc-file", str(tmp_path / "one"), str(seeds))
        assert first.exit_code == 0, first.stderr
        before = sidecar_sources(seed)
        second = fetch_cli("--force", "--warc-file", str(tmp_path / "two"), str(seeds))
        assert second.exit_code == 0, second.stderr
    originals = {
        r.headers["WARC-Target-URI"]: r
        for r in records(tmp_path / "one.warc.gz")
        if r.type == "response"
    }
    revisits = {
        r.headers["WARC-Target-URI"]: r
        for r in records(tmp_path / "two.warc.gz")
        if r.type == "revisit"
    }
    assert set(revisits) == {srv.url("/etag"), srv.url("/plain")}
    not_modified, same = revisits[srv.url("/etag")], revisits[srv.url("/plain")]
    assert not_modified.headers["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert not_modified.block.startswith(b"HTTP/1.1 304 Not Modified\r\n")
    assert same.headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert same.block == raw_answer(HTML)[: raw_answer(HTML).index(b"\r\n\r\n") + 4]  # head only
    for url, rev in revisits.items():
        orig = originals[url]
        assert rev.headers["WARC-Refers-To-Target-URI"] == url
        assert rev.headers["WARC-Refers-To-Date"] == orig.headers["WARC-Date"]
        assert rev.headers["WARC-Refers-To"] == orig.headers["WARC-Record-ID"]
    assert (
        same.headers["WARC-Payload-Digest"]
        == originals[srv.url("/plain")].headers["WARC-Payload-Digest"]
    )
    warcio_check(tmp_path / "two.warc.gz")
    # the sidecars still point at the records that hold the bodies
    after = sidecar_sources(seed)
    for url in (srv.url("/etag"), srv.url("/plain")):
        assert after[url]["fetch"]["capture"] == before[url]["fetch"]["capture"]
        assert after[url]["fetch"]["capture"]["warc"] == str(tmp_path / "one.warc.gz")


def test_a_changed_body_is_a_new_response_record(seeds, tmp_path, local_env):
    other = article_html("Ferry back in service", paragraphs("ferry back", 5)).encode()
    with RawServer() as srv:
        srv.route("/p", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/p"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
        srv.route("/p", fixed(raw_answer(other)))
        assert fetch_cli("--force", "--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    recs = records(tmp_path / "w.warc.gz")  # appended to, never overwritten
    assert [r.type for r in recs].count("warcinfo") == 2
    pages = [
        r for r in recs if r.type == "response" and r.headers["WARC-Target-URI"].endswith("/p")
    ]
    assert [p.block for p in pages] == [raw_answer(HTML), raw_answer(other)]
    capture = sidecar_sources(seed)[srv.url("/p")]["fetch"]["capture"]
    assert capture["offset"] == pages[1].offset


def test_files_rotate_at_the_size_limit(seeds, tmp_path, local_env):
    with RawServer() as srv:
        for i in range(4):
            srv.route(f"/p{i}", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", *(srv.url(f"/p{i}") for i in range(4)))
        r = fetch_cli(
            "--warc-file",
            str(tmp_path / "crawl"),
            "--warc-max-size",
            "1kB",
            "--warc-cdx",
            "--concurrency",
            "1",
            str(seeds),
        )
    assert r.exit_code == 0, r.stderr
    files = sorted(tmp_path.glob("crawl-*.warc.gz"))
    # robots.txt and four pages, each exchange over 1 kB: one exchange per file
    assert [f.name for f in files] == [f"crawl-{i:05d}.warc.gz" for i in range(5)]
    assert not (tmp_path / "crawl.warc.gz").exists()
    for f in files:
        recs = records(f)
        assert [r.type for r in recs] == ["warcinfo", "request", "response"]
        assert recs[0].headers["WARC-Filename"] == f.name
        warcio_check(f)
    cdx = (tmp_path / "crawl.cdx").read_text("utf-8").splitlines()[1:]
    assert sorted(line.split(" ")[-1] for line in cdx) == [f.name for f in files]
    for url, src in sidecar_sources(seed).items():
        back = read_record_at(src["fetch"]["capture"]["warc"], src["fetch"]["capture"]["offset"])
        assert isinstance(back, Capture) and back.url == url


def test_warc_settings_from_the_config_file_and_newsgrab_config(tmp_path, local_env):
    config = tmp_path / "newsgrab.toml"
    config.write_text('warc_file = "crawl/news"\nwarc_max_size = "1GB"\nwarc_cdx = true\n')
    r = CliRunner().invoke(cli, ["config", "--config", str(config), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    shown = json.loads(r.stdout)["settings"]
    assert shown["warc_file"] == {"value": "crawl/news", "source": str(config)}
    assert shown["warc_max_size"]["value"] == 10**9
    assert shown["warc_cdx"]["value"] is True
    r = CliRunner().invoke(cli, ["config"])
    assert 'warc_file = ""' in r.stdout  # default: no WARC


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("  ", "must not be empty"),
        ("out/", "is a folder"),
        ("bad\nname", "control characters"),
        ("missing/folder/crawl", "does not exist"),
        ("x" * 300, "too long"),
    ],
)
def test_a_bad_prefix_is_a_one_line_usage_error(seeds, prefix, message, local_env):
    cite(seeds / "n.txt", "http://127.0.0.1:9/x")
    r = fetch_cli("--warc-file", prefix, str(seeds))
    assert r.exit_code == 2, r.output
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not list(Path.cwd().rglob("*.warc.gz"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40)
)
def test_prefixes_with_odd_characters_never_write_outside_the_folder(tmp_path, name):
    """Any prefix is refused with a ConfigError or writes only PREFIX.warc.gz
    (and PREFIX.cdx) in the folder it names."""
    folder = tmp_path / "prop"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    given_prefix = str(folder) + os.sep + name
    try:
        prefix = warcout.check_prefix(given_prefix)
        warcout.check_target(prefix)
        writer = warcout.WarcWriter(prefix, cdx=True)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    except OSError:  # (never: WriteError is what the writer raises)
        pytest.fail("an OSError escaped")
    writer.close()
    made = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    expected = {Path(prefix + ".warc.gz").resolve(), Path(prefix + ".cdx").resolve()}
    assert made == expected
    # what the writer made is never a seed; a seed beside it with the same stem is
    assert all(warcout.is_output(Path(p), prefix) for p in (*expected, prefix + "-00007.warc.gz"))
    for seed_like in (".txt", ".warc.gz.md", "-1.warc.gz", "-000001.warc.gz", ".cdx.txt"):
        assert not warcout.is_output(Path(prefix + seed_like), prefix)
    for p in expected:
        assert p.parent == folder.resolve() or folder.resolve() in p.parents
        p.unlink()


_header_value = st.binary(min_size=0, max_size=40).map(
    lambda b: bytes(c for c in b if c in range(0x21, 0x7F) or c >= 0x80 or c in (0x20, 0x09))
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    reason=st.binary(max_size=20).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    values=st.lists(_header_value, min_size=1, max_size=4),
    body=st.binary(max_size=300),
)
def test_odd_heads_and_bodies_are_stored_verbatim(tmp_path, reason, values, body):
    head = b"HTTP/1.1 200 " + reason + b"\r\nContent-Type: text/html\r\n"
    head += b"".join(b"X-H%d:%s\r\n" % (i, v) for i, v in enumerate(values))
    sent = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    # a file of its own per example (hypothesis may run one example twice)
    prefix = Path(tempfile.mkdtemp(dir=tmp_path)) / "h"
    s = Settings(allow_private_networks=True, host_delay=0, retries=0, obey_robots=False)
    s = s.replace(warc_file=str(prefix))

    async def go(url: str) -> None:
        async with Fetcher(s) as f:
            with contextlib.suppress(Exception):
                await f.fetch(url, accept=None)

    with RawServer() as srv:
        srv.route("/x", fixed(sent))
        asyncio.run(go(srv.url("/x")))
    warc = Path(str(prefix) + ".warc.gz")
    recs = [r for r in records(warc) if r.type == "response"]
    assert len(recs) == 1
    # the bytes as received: all of them, or the first ones when newsgrab
    # refused the answer as not HTTP (then marked as cut)
    if "WARC-Truncated" in recs[0].headers:
        assert sent.startswith(recs[0].block) and recs[0].block
    else:
        assert recs[0].block == sent
    warcio_check(warc)


# ------------------------------------------------------------------ --reextract


def test_reextract_with_the_server_gone_gives_the_same_article(seeds, tmp_path, local_env):
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/a"), "http://127.0.0.1:9/never-fetched")
        r = fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds))
        url = srv.url("/a")
    assert r.exit_code == 1  # the second source fails to connect
    sidecar = seed.with_name("n.txt.sources.json")
    stored = sidecar_sources(seed)[url]["article"]
    before = sidecar.read_bytes()
    r = fetch_cli("--reextract", str(seeds))  # the server is stopped: no network
    assert r.exit_code == 0, r.stderr
    assert "0 changed, 1 unchanged, 0 failed, 1 without a capture; 0 sidecars written" in r.stdout
    assert sidecar.read_bytes() == before  # nothing changed, nothing written
    # an article from an older extractor is replaced by what the current one says
    data = json.loads(before)
    for src in data["sources"]:
        if src["url"] == url:
            src["article"]["text"] = "old extraction"
            src["article"]["word_count"] = 2
    sidecar.write_text(json.dumps(data), encoding="utf-8")
    r = fetch_cli("--reextract", "--json", str(seeds))
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["counts"] == {"changed": 1, "unchanged": 0, "failed": 0, "skipped": 1}
    assert sidecar_sources(seed)[url]["article"] == stored
    assert not list(seeds.glob(".newsgrab-tmp*"))


def test_reextract_errors_name_the_url_and_file_and_others_go_on(seeds, tmp_path, local_env):
    with RawServer() as srv:
        for name in ("a", "b", "c"):
            srv.route(f"/{name}", fixed(raw_answer(HTML)))
        # one seed per WARC file
        for name in ("a", "b", "c"):
            cite(seeds / f"{name}.txt", srv.url(f"/{name}"))
            r = fetch_cli("--warc-file", str(tmp_path / name), str(seeds / f"{name}.txt"))
            assert r.exit_code == 0, r.stderr
        urls = {name: srv.url(f"/{name}") for name in ("a", "b", "c")}
    (tmp_path / "a.warc.gz").unlink()  # missing
    data = (tmp_path / "b.warc.gz").read_bytes()
    (tmp_path / "b.warc.gz").write_bytes(data[: len(data) - 40])  # cut short
    for name in ("a", "b", "c"):  # an older extraction in every sidecar
        sidecar = seeds / f"{name}.txt.sources.json"
        doc = json.loads(sidecar.read_text("utf-8"))
        doc["sources"][0]["article"]["text"] = "old"
        sidecar.write_text(json.dumps(doc), encoding="utf-8")
    r = fetch_cli("--reextract", str(seeds))
    assert r.exit_code == 1, r.output
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 2, r.stderr
    assert urls["a"] in errors[0] and "a.warc.gz not found" in errors[0]
    assert urls["b"] in errors[1] and "b.warc.gz" in errors[1]
    assert "Traceback" not in r.stderr
    assert "1 changed, 0 unchanged, 2 failed" in r.stdout
    # the good one was rewritten, the failed ones kept their stored article
    texts = {n: sidecar_sources(seeds / f"{n}.txt")[urls[n]]["article"]["text"] for n in "abc"}
    assert texts["a"] == texts["b"] == "old" and texts["c"] != "old"


def test_reextract_a_bad_offset_is_an_error(seeds, tmp_path, local_env):
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/a"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    sidecar = seed.with_name("n.txt.sources.json")
    doc = json.loads(sidecar.read_text("utf-8"))
    doc["sources"][0]["fetch"]["capture"]["offset"] += 7
    sidecar.write_text(json.dumps(doc), encoding="utf-8")
    r = fetch_cli("--reextract", str(seeds))
    assert r.exit_code == 1
    assert "w.warc.gz" in r.stderr and "offset" in r.stderr and srv.url("/a") in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_warc_records_are_gzip_members_of_their_own(seeds, tmp_path, local_env):
    """Each record is its own gzip member: a reader can start at any offset."""
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        cite(seeds / "n.txt", srv.url("/a"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    data = (tmp_path / "w.warc.gz").read_bytes()
    for rec in records(tmp_path / "w.warc.gz"):
        member = gzip.decompress(data[rec.offset : rec.offset + rec.length])
        assert member.startswith(b"WARC/1.0\r\n")


def test_https_exchanges_are_stored_as_plaintext_http(tmp_path, local_settings):
    """Over TLS the records hold the HTTP/1.1 bytes inside it, with the peer address."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    from newsgrab.fetch import GuardedTransport

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(HTML)))
            self.end_headers()
            self.wfile.write(HTML)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = ssl.create_default_context()
    ca.configure_trust(client)
    s = local_settings.replace(obey_robots=False, warc_file=str(tmp_path / "tls"))
    url = f"https://127.0.0.1:{server.server_address[1]}/page"

    async def go():
        transport = GuardedTransport(allow_private=True, ssl_context=client)
        async with Fetcher(s, transport=transport) as fetcher:
            return await fetcher.fetch(url)

    try:
        resp = asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    req, answer = records(tmp_path / "tls.warc.gz")[1:]
    assert req.block.startswith(b"GET /page HTTP/1.1\r\n")
    assert answer.block.startswith(b"HTTP/1.1 200 OK\r\n") and answer.block.endswith(HTML)
    assert answer.headers["WARC-Target-URI"] == url
    assert answer.headers["WARC-IP-Address"] == "127.0.0.1"
    assert resp.capture is not None and resp.capture.offset == answer.offset


def test_records_are_written_on_the_writer_thread_not_the_event_loop(
    seeds, tmp_path, local_env, monkeypatch
):
    threads: set[str] = set()
    records_of = warcout.WarcWriter._records

    def spy(self, exchange, previous):
        threads.add(__import__("threading").current_thread().name)
        return records_of(self, exchange, previous)

    monkeypatch.setattr(warcout.WarcWriter, "_records", spy)
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        cite(seeds / "n.txt", srv.url("/a"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    assert threads and all(name.startswith("newsgrab-warc") for name in threads)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_warc_file_that_cannot_be_written_is_one_error_line(seeds, tmp_path, local_env):
    (tmp_path / "full.warc.gz").symlink_to("/dev/full")  # every write: no space left
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        cite(seeds / "n.txt", srv.url("/a"))
        r = fetch_cli("--warc-file", str(tmp_path / "full"), str(seeds))
    assert r.exit_code == 1, r.output
    assert "full.warc.gz: cannot write: No space left on device" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert srv.hits["/a"] == 0  # nothing fetched


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_disk_error_during_the_run_stops_the_warc_not_the_run(seeds, tmp_path, local_env):
    """Rotation into a file that cannot be written: one error line, the rest of
    the run goes on without WARC records, the sidecar is written."""
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/a"))
        warcout.WarcWriter(str(tmp_path / "w"), max_size=10**9).close()  # a warcinfo
        first = tmp_path / "w-00000.warc.gz"
        (tmp_path / "w-00001.warc.gz").mkdir()  # the next file cannot be made
        # the run appends to w-00000 (under the limit): its warcinfo and robots.txt's
        # exchange take it over the limit, and the page's exchange starts w-00001
        limit = str(first.stat().st_size + 1)
        r = fetch_cli("--warc-file", str(tmp_path / "w"), "--warc-max-size", limit, str(seeds))
    assert r.exit_code == 0, r.output
    assert "w-00001.warc.gz: cannot write" in r.stderr and "Traceback" not in r.stderr
    assert sidecar_sources(seed)[srv.url("/a")]["status"] == "ok"
    assert sidecar_sources(seed)[srv.url("/a")]["fetch"]["capture"] is None
    assert [r.type for r in records(first)].count("response") == 1


def test_archive_fallback_exchanges_are_recorded_and_captured(web, seeds, tmp_path, local_settings):
    """A dead link's archive look-up and the archived copy are exchanges too; the
    sidecar's capture is the archived copy's record."""
    from test_refresh_support import Site

    from newsgrab.pipeline import run_fetch

    site = Site(web)
    dead = site.url("/p/dead")  # 404
    site.archive[dead] = ("20240105123000", article_html("Archived", paragraphs("Archived")))
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
        warc_file=str(tmp_path / "w"),
    )
    cite(seeds / "one.txt", dead)
    report = run_fetch(settings, [str(seeds)])
    assert report.action_counts == {"archived": 1}
    responses = [r for r in records(tmp_path / "w.warc.gz") if r.type == "response"]
    uris = [r.headers["WARC-Target-URI"] for r in responses]
    assert dead in uris
    assert any(u.startswith(site.archive_url()) for u in uris)
    copy = next(r for r in responses if "id_/" in r.headers["WARC-Target-URI"])
    assert copy.block.startswith((b"HTTP/1.0 200 ", b"HTTP/1.1 200 "))
    capture = sidecar_sources(seeds / "one.txt")[dead]["fetch"]["capture"]
    assert (capture["offset"], capture["length"]) == (copy.offset, copy.length)
    warcio_check(tmp_path / "w.warc.gz")
    # the archived copy's record is this source's own: --reextract takes it
    from newsgrab.reextract import run_reextract

    again = run_reextract(settings, [str(seeds)])
    assert (again.count("unchanged"), again.count("failed")) == (1, 0), again.failed


def test_kept_alive_connection_each_answer_in_its_own_record(tmp_path, local_settings):
    """Two answers on one connection, the first followed by bytes that belong to no
    answer: each record holds its answer's bytes only."""
    import socket
    import threading

    first = raw_answer(HTML).replace(b"Connection: close\r\n", b"")
    second = first.replace(b"Fine Thanks", b"OK")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            for answer, extra in ((first, b"JUNK AFTER THE ANSWER"), (second, b"")):
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                conn.sendall(answer + extra)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    s = local_settings.replace(obey_robots=False, warc_file=str(tmp_path / "ka"))

    async def go():
        async with Fetcher(s) as fetcher:
            a = await fetcher.fetch(f"http://127.0.0.1:{port}/one")
            b = await fetcher.fetch(f"http://127.0.0.1:{port}/two")
            return a, b

    try:
        a, b = asyncio.run(go())
    finally:
        thread.join(5)
        listener.close()
    assert a.body == b.body == HTML
    answers = [r for r in records(tmp_path / "ka.warc.gz") if r.type == "response"]
    assert [r.block for r in answers] == [first, second]
    assert "WARC-Truncated" not in answers[0].headers


def test_extract_url_writes_its_exchange_too(tmp_path, local_env, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_WARC_FILE", str(tmp_path / "one"))
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        r = CliRunner().invoke(cli, ["extract", srv.url("/a")])
    assert r.exit_code == 0, r.stderr
    pages = [x for x in records(tmp_path / "one.warc.gz") if x.type == "response"]
    assert [p.block for p in pages if p.headers["WARC-Target-URI"] == srv.url("/a")] == [
        raw_answer(HTML)
    ]


def test_through_a_proxy_nothing_is_recorded_and_a_warning_says_so(
    seeds, tmp_path, local_env, monkeypatch
):
    cite(seeds / "n.txt", "http://127.0.0.1:9/x")
    monkeypatch.setenv("NEWSGRAB_PROXY", "http://127.0.0.1:9")
    r = fetch_cli("--warc-file", str(tmp_path / "p"), str(seeds))
    assert r.exit_code == 1
    assert "requests through a proxy are not recorded" in r.stderr
    assert [x.type for x in records(tmp_path / "p.warc.gz")] == ["warcinfo"]


def test_sidecars_without_a_capture_stay_valid(seeds, tmp_path, local_env):
    """`fetch.capture` is optional: a sidecar written before it validates and loads."""
    import jsonschema

    from newsgrab import model, store

    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/a"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    sidecar = seed.with_name("n.txt.sources.json")
    doc = json.loads(sidecar.read_text("utf-8"))
    assert doc["sources"][0]["fetch"]["capture"]["warc"] == str(tmp_path / "w.warc.gz")
    del doc["sources"][0]["fetch"]["capture"]  # as an older newsgrab wrote it
    jsonschema.validate(doc, model.json_schema())
    sidecar.write_text(json.dumps(doc), encoding="utf-8")
    loaded = store.read_sidecar(sidecar)
    assert loaded is not None and loaded.sources[0].fetch.capture is None
    r = fetch_cli("--reextract", str(seeds))
    assert r.exit_code == 0 and "1 without a capture" in r.stdout


def test_credentials_never_reach_the_warc(tmp_path, local_settings):
    s = local_settings.replace(obey_robots=False, warc_file=str(tmp_path / "cred"))

    async def go(url: str):
        async with Fetcher(s) as fetcher:
            return await fetcher.fetch(url)

    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        asyncio.run(go(srv.url("/a").replace("http://", "http://reader:s3cret@")))
        assert srv.requests[0].headers["authorization"].startswith("Basic ")  # it was sent
    req, resp = records(tmp_path / "cred.warc.gz")[1:]
    assert b"Authorization: [redacted]\r\n" in req.block
    assert resp.headers["WARC-Target-URI"] == srv.url("/a")
    data = gzip.decompress((tmp_path / "cred.warc.gz").read_bytes())
    assert b"s3cret" not in data and b"cmVhZGVyOnMzY3JldA" not in data  # nor its base64


def test_reextract_stops_when_asked_and_leaves_sidecars_whole(seeds, tmp_path, local_env):
    from newsgrab.pipeline import Stop, Stopped
    from newsgrab.reextract import run_reextract

    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/a"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    before = seed.with_name("n.txt.sources.json").read_bytes()
    stop = Stop()
    stop.request()  # (as the CLI's SIGINT handler does)
    with pytest.raises(Stopped):
        run_reextract(Settings(), [str(seeds)], stop=stop)
    assert seed.with_name("n.txt.sources.json").read_bytes() == before
    report = run_reextract(Settings(), [str(seeds)])  # the lock was released
    assert report.count("unchanged") == 1 and int(report.exit_code) == 0


def _titled(title: str) -> bytes:
    return raw_answer(article_html(title, paragraphs(title.lower(), 5)).encode())


@pytest.fixture(scope="module")
def three_captures(tmp_path_factory):
    """One seed citing three pages (titles A, B, C), fetched into one WARC."""
    import dataclasses

    from newsgrab.pipeline import run_fetch

    tmp = tmp_path_factory.mktemp("three")
    seeds = tmp / "notes"
    seeds.mkdir()
    settings = Settings(
        allow_private_networks=True,
        host_delay=0.0,
        retries=0,
        archive_fallback=False,
        warc_file=str(tmp / "w"),
    )
    with RawServer() as srv:
        for name in "abc":
            srv.route(f"/{name}", fixed(_titled(f"Page {name.upper()} news")))
        seed = cite(seeds / "n.txt", *(srv.url(f"/{name}") for name in "abc"))
        assert run_fetch(dataclasses.replace(settings), [str(seeds)]).exit_code == 0
    return seed


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(order=st.permutations([0, 1, 2]))
def test_reextract_never_gives_a_source_another_pages_article(three_captures, order):
    """Captures moved between sources (a hand-edited sidecar, a WARC file replaced by
    another of the same layout): a source whose capture holds another URL's record
    fails with one line and keeps its article; it never gets the other page's."""
    from newsgrab.reextract import run_reextract

    seed = three_captures
    sidecar = seed.with_name("n.txt.sources.json")
    original = sidecar.read_bytes()
    doc = json.loads(original)
    captures = [s["fetch"]["capture"] for s in doc["sources"]]
    for i, src in enumerate(doc["sources"]):
        src["fetch"]["capture"] = captures[order[i]]
        src["article"]["text"] = "old extraction"
        src["article"]["word_count"] = 2
    sidecar.write_text(json.dumps(doc), encoding="utf-8")
    try:
        report = run_reextract(Settings(), [str(seed.parent)])
        after = json.loads(sidecar.read_text("utf-8"))["sources"]
    finally:
        sidecar.write_bytes(original)
    moved = sum(order[i] != i for i in range(3))
    assert report.count("failed") == moved
    assert report.count("changed") == 3 - moved
    for i, src in enumerate(after):
        own = "ABC"[i]
        if order[i] == i:
            assert src["article"]["title"] == f"Page {own} news"
        else:
            assert src["article"]["text"] == "old extraction"
            entry = next(e for e in report.failed if e["url"] == src["url"])
            assert "not of this source" in entry["error"]
            assert "w.warc.gz" in entry["error"]


def test_the_warc_and_cdx_in_a_seed_folder_are_never_seeds(seeds, local_env, monkeypatch):
    """With seed_globs matching every file, the run's own WARC and CDX files beside
    the seeds are not read as seeds (the CDX's URLs are not fetched) on later runs."""
    monkeypatch.setenv("NEWSGRAB_SEED_GLOBS", "*")
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        cite(seeds / "n.txt", srv.url("/a"))
        for max_size in ("0", "1"):  # one file, then rotated files
            for _ in range(2):
                r = fetch_cli(
                    "--force", "--warc-file", str(seeds / "w"), "--warc-cdx",
                    "--warc-max-size", max_size, str(seeds),
                )  # fmt: skip
                assert r.exit_code == 0, r.output
                assert "1 seed," in r.stdout and r.stderr == ""
        r = fetch_cli("--dry-run", "--warc-file", str(seeds / "w"), str(seeds))
        assert r.exit_code == 0 and "1 seed," in r.stdout, r.output
    assert srv.hits["/robots.txt"] == 4 and srv.hits["/a"] == 4
    assert sorted(p.name for p in seeds.glob("*.sources.json")) == ["n.txt.sources.json"]
    assert (seeds / "w-00000.warc.gz").is_file() and (seeds / "w.cdx").is_file()


@pytest.mark.parametrize("name", ["w.warc.gz", "w-00000.warc.gz"])
def test_an_existing_file_that_is_not_a_warc_is_never_appended_to(seeds, tmp_path, local_env, name):
    """A file where the WARC would go that is not a gzipped WARC (notes, an
    uncompressed WARC): one error line, exit 1, nothing fetched, the file as it was."""
    (tmp_path / name).write_bytes(b"WARC/1.0\r\nmy own notes\n")
    with RawServer() as srv:
        srv.route("/a", fixed(raw_answer(HTML)))
        cite(seeds / "n.txt", srv.url("/a"))
        size = ["--warc-max-size", "1GB"] if "-0" in name else []
        r = fetch_cli("--warc-file", str(tmp_path / "w"), *size, str(seeds))
    assert r.exit_code == 1, r.output
    assert (
        r.stderr.strip()
        == f"error: {tmp_path / name}: exists and is not a gzipped WARC; left as it is"
    )
    assert (tmp_path / name).read_bytes() == b"WARC/1.0\r\nmy own notes\n"
    assert srv.hits["/a"] == 0


def _exchange(url: str, body: bytes) -> warcout.Exchange:
    ex = warcout.Exchange(url=url, max_body=10**7)
    ex.sent(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n", "127.0.0.1")
    ex.head_done = True
    ex.received(raw_answer(body))
    ex.complete = True
    return ex


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(sizes=st.lists(st.integers(0, 200_000), min_size=4, max_size=12), rotate=st.booleans())
def test_two_runs_writing_one_warc_file_at_once_keep_every_record_whole(
    tmp_path_factory, sizes, rotate
):
    """Two runs with the same prefix (two cron jobs, an `add` beside a `fetch`):
    their records never interleave, and every capture each one returns holds its
    own URL's record, in files that pass `warcio check`."""
    import random
    import threading

    folder = tmp_path_factory.mktemp("two")
    prefix = str(folder / "w")
    max_size = 300_000 if rotate else 0
    writers = [warcout.WarcWriter(prefix, max_size=max_size) for _ in range(2)]
    captures: list[tuple[str, object]] = []
    start = threading.Barrier(2)

    def run(k: int) -> None:
        start.wait()
        for n, size in enumerate(sizes):
            url = f"http://example.test/{k}/{n}"
            body = HTML + b"<!--%s-->" % random.randbytes(size).hex().encode()  # long writes
            captures.append((url, writers[k].write_now(_exchange(url, body), None)))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.close()
    assert len(captures) == 2 * len(sizes)
    for url, capture in captures:
        assert isinstance(capture, warcout.WarcCapture)
        item = read_record_at(Path(capture.warc), capture.offset, 10**7)
        assert isinstance(item, Capture) and item.url == url
        assert item.length == capture.length
    for path in folder.glob("*.warc.gz"):
        warcio_check(path)


def test_reextract_takes_the_capture_of_a_redirected_source(seeds, tmp_path, local_env):
    """The capture of a source that redirected is the record of the URL it ended
    at: that is the source's own page, and --reextract takes it."""
    with RawServer() as srv:
        srv.route("/old", redirect(srv.url("/new")))
        srv.route("/new", fixed(raw_answer(HTML)))
        seed = cite(seeds / "n.txt", srv.url("/old"))
        assert fetch_cli("--warc-file", str(tmp_path / "w"), str(seeds)).exit_code == 0
    sidecar = seed.with_name("n.txt.sources.json")
    doc = json.loads(sidecar.read_text("utf-8"))
    doc["sources"][0]["article"]["text"] = "old extraction"
    sidecar.write_text(json.dumps(doc), encoding="utf-8")
    r = fetch_cli("--reextract", str(seeds))
    assert r.exit_code == 0, r.output
    assert "1 changed, 0 unchanged, 0 failed" in r.stdout


@pytest.mark.parametrize(
    "extra",
    [["--dry-run"], ["--force"], ["--warc-file", "w"], ["--warc-cdx"], ["--warc-max-size", "1MB"]],
)
def test_reextract_refuses_options_that_would_not_apply(seeds, extra, local_env):
    """--reextract fetches nothing: a fetch option beside it is a usage error,
    not silently ignored (--dry-run used to print a fetch plan)."""
    cite(seeds / "n.txt", "https://example.org/a")
    r = fetch_cli("--reextract", *extra, str(seeds))
    assert r.exit_code == 2
    assert f"--reextract fetches nothing (it reads the stored captures): {extra[0]}" in r.stderr
    assert not list(seeds.glob("*.sources.json"))
