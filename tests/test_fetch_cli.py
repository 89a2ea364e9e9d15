"""`newsgrab fetch` end to end against misbehaving local servers: each failure
becomes a per-URL status and error kind in the sidecar and the run report, the
run goes on with the other URLs, and the exit code says some sources failed."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from servers import RawServer, bomb, chunked, drip, page, redirect, truncated

from newsgrab.cli import cli

ARTICLE = (
    "<!doctype html><html><head><title>Harbour closed</title></head><body><article>"
    "<h1>Harbour closed</h1>" + "<p>The storm closed the harbour of Port Ellen on "
    "Tuesday, stranding two ferries and their passengers overnight.</p>"
    * 5
    + "</article></body></html>"
).encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(300)

CASES = {  # path: (handler, expected status, expected error kind)
    "/ok": (page(ARTICLE), "ok", None),
    "/moved": (redirect("/ok", 301), "ok", None),
    "/gone": (page(b"gone", "text/plain", 404), "gone", "http_status"),
    "/removed": (page(b"gone", "text/plain", 410), "gone", "http_status"),
    "/broken": (page(b"oops", "text/plain", 500), "error", "http_status"),
    "/bomb": (
        page(bomb("gzip", 32 << 20), headers={"Content-Encoding": "gzip"}),
        "error",
        "too_large",
    ),
    "/endless": (chunked([b"<p>" + b"x" * 8000 + b"</p>"], endless=True), "error", "too_large"),
    "/drip": (drip(ARTICLE, delay=0.3), "error", "timeout"),
    "/cut": (truncated(ARTICLE[:50], claimed=len(ARTICLE)), "error", "truncated"),
    "/pdf": (page(b"%PDF-1.4 ...", "application/pdf"), "unsupported", "unsupported"),
    "/png-as-html": (page(PNG, "text/html"), "unsupported", "unsupported"),
    "/loop": (redirect("/loop2"), "error", "too_many_redirects"),
    "/loop2": (redirect("/loop"), None, None),
    "/file": (redirect("file:///etc/passwd"), "error", "bad_redirect"),
    "/private/page": (page(ARTICLE), "blocked", "robots"),
}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


@pytest.fixture
def site():
    with RawServer() as srv:
        srv.route("/robots.txt", page(ROBOTS, "text/plain"))
        for path, (handler, _, _) in CASES.items():
            srv.route(path, handler)
        yield srv


def _seed(tmp_path, urls) -> str:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "doc.md").write_text("Sources:\n\n" + "\n".join(f"- <{u}>" for u in urls) + "\n")
    return str(folder)


def test_every_failure_recorded_and_the_run_goes_on(site, tmp_path, local_env, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_DEADLINE", "1.5")
    monkeypatch.setenv("NEWSGRAB_MAX_BYTES", "500kB")
    urls = {path: site.url(path) for path, (_, status, _) in CASES.items() if status}
    folder = _seed(tmp_path, urls.values())
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["fetch", "--json", folder])
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 15
    report = json.loads(result.stdout)
    by_url = {s["url"]: s for s in report["sources"]}
    sidecar = json.loads((tmp_path / "notes" / "doc.md.sources.json").read_text())
    stored = {s["url"]: s for s in sidecar["sources"]}
    for path, url in urls.items():
        _, status, kind = CASES[path]
        assert by_url[url]["status"] == status, (path, by_url[url])
        assert stored[url]["status"] == status, path
        if kind is None:
            assert stored[url]["error"] is None
        else:
            assert stored[url]["error"]["kind"] == kind, (path, stored[url]["error"])
            assert "\n" not in stored[url]["error"]["message"]
    assert stored[urls["/moved"]]["fetch"]["redirects"] == [{"url": urls["/ok"], "status": 301}]
    assert site.hits["/robots.txt"] == 1 and site.hits["/private/page"] == 0
    assert site.hits["/gone"] == 1


def test_default_blocks_local_servers(site, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_ARCHIVE_FALLBACK", "false")
    folder = _seed(tmp_path, [site.url("/ok"), site.url("/gone")])
    result = CliRunner().invoke(cli, ["fetch", "--json", folder])
    assert result.exit_code == 1, result.output
    sources = json.loads(result.stdout)["sources"]
    assert [(s["status"], s["error"]["kind"]) for s in sources] == [("blocked", "blocked")] * 2
    assert not site.requests
    # the option lifts it
    result = CliRunner().invoke(cli, ["fetch", "--allow-private-networks", "--force", folder])
    assert result.exit_code == 1, result.output  # /gone fails, /ok is fetched
    assert site.hits["/ok"] == 1


def test_all_ok_exits_0_and_verbose_logs_requests(site, tmp_path, local_env):
    folder = _seed(tmp_path, [site.url("/ok"), site.url("/moved")])
    result = CliRunner().invoke(cli, ["fetch", "-v", folder])
    assert result.exit_code == 0, result.output
    assert f"GET {site.url('/moved')}: 301" in result.stderr
    assert f"GET {site.url('/robots.txt')}: 200" in result.stderr


def test_fetch_facts_never_hold_credentials(site, tmp_path, local_env):
    url = site.url("/moved").replace("http://", "http://alice:s3cr3t@")
    folder = _seed(tmp_path, [url, site.url("/gone").replace("http://", "http://al:s3cr3t@")])
    result = CliRunner().invoke(cli, ["fetch", "-vv", "--json", folder])
    assert result.exit_code == 1, result.output
    sidecar = json.loads((tmp_path / "notes" / "doc.md.sources.json").read_text())
    facts = [(s["fetch"], s["error"]) for s in sidecar["sources"]]
    assert "s3cr3t" not in json.dumps(facts)
    assert facts[0][0]["final_url"] == site.url("/ok")
    fetch_lines = [
        line
        for line in result.stderr.splitlines()
        if "GET http" in line and ("robots" in line or ": 30" in line or ": 20" in line)
    ]
    assert fetch_lines and "s3cr3t" not in "\n".join(fetch_lines)


def test_credentials_never_stored_or_printed(site, tmp_path, local_env):
    url = site.url("/ok").replace("http://", "http://alice:s3cr3t@")
    folder = _seed(tmp_path, [url])
    result = CliRunner().invoke(cli, ["fetch", "-vv", "--json", folder])
    assert result.exit_code == 0, result.output
    assert "s3cr3t" not in result.stdout + result.stderr
    sidecar = (tmp_path / "notes" / "doc.md.sources.json").read_text()
    assert "s3cr3t" not in sidecar
