"""`newsgrab fetch` as cron runs it: `env -i`, no HOME, LANG=C, no TTY.

stdout carries only the summary line (nothing with --quiet unless something
failed, then only the failures), everything is UTF-8, and no escape code or
progress bar ever reaches a pipe.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_refresh_support import Site

from newsgrab.cli import cli

ESCAPE = re.compile(r"[\x1b\x9b\r]")
SUMMARY = re.compile(r"^newsgrab: \d+ seeds?, \d+ URLs?\b.* in \d+\.\ds$")
LOCAL = [
    "NEWSGRAB_ALLOW_PRIVATE_NETWORKS=true",
    "NEWSGRAB_HOST_DELAY=0",
    "NEWSGRAB_RETRIES=0",
    "NEWSGRAB_ARCHIVE_FALLBACK=false",
]


@pytest.fixture
def site(web):
    return Site(web)


@pytest.fixture
def docs(site, tmp_path):
    folder = tmp_path / "Notizen-été"
    folder.mkdir()
    good = site.article("/p/good", "Hafen geschlossen")
    (folder / "café.txt").write_text(f"Related: Hafen\n{good}\n", encoding="utf-8")
    return folder


def cron(*args, cwd=None):
    """Run like cron does: an empty environment but PATH and LANG=C, pipes only."""
    cmd = [
        "env",
        "-i",
        f"PATH={os.defpath}",
        "LANG=C",
        *LOCAL,
        sys.executable,
        "-m",
        "newsgrab",
        "fetch",
        *map(str, args),
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=60, cwd=cwd, stdin=subprocess.DEVNULL)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")  # UTF-8 or fail
    assert not ESCAPE.search(out) and not ESCAPE.search(err), (out, err)
    assert "Traceback" not in err
    return proc.returncode, out, err


def test_cron_success_prints_one_summary_line(docs, tmp_path):
    code, out, err = cron(docs, cwd=tmp_path)
    assert code == 0, err
    assert SUMMARY.match(out.rstrip("\n")) and out.count("\n") == 1, out
    assert "1 ok" in out and err == ""
    code, out, err = cron(docs, cwd=tmp_path)
    assert code == 0 and "1 fresh" in out and err == ""


def test_cron_failure_is_utf8_on_stderr_and_exit_1(docs, site, tmp_path):
    (docs / "café.txt").write_text(
        f"{site.url('/p/good')}\n{site.url('/p/missing-ü')}\n", encoding="utf-8"
    )
    code, out, err = cron(docs, cwd=tmp_path)
    assert code == 1
    assert SUMMARY.match(out.rstrip("\n")) and out.count("\n") == 1
    assert "1 gone" in out
    [line] = err.splitlines()
    assert line.startswith("gone\t") and "HTTP 404" in line and "café.txt" in line


def test_cron_quiet_prints_only_changes_of_state(docs, site, tmp_path):
    """`--quiet` prints a line when a source is new, changes, starts or stops
    failing; a run where nothing changed prints nothing, so cron mails only
    when something happened."""
    url = site.url("/p/good")
    code, out, err = cron("--quiet", docs, cwd=tmp_path)
    assert (code, err) == (0, "") and out.startswith(f"new\t{url}\t(") and out.count("\n") == 1
    code, out, err = cron("--quiet", "--force", docs, cwd=tmp_path)
    assert (code, out, err) == (0, "", "")  # refetched, the same article: quiet
    site.pages["/p/good"].status = 503
    code, out, err = cron("--quiet", "--force", docs, cwd=tmp_path)
    assert code == 1 and out == ""
    assert err.startswith("error\t") and "HTTP 503" in err and err.count("\n") == 1
    code, out, err = cron("--quiet", "--force", docs, cwd=tmp_path)
    assert (code, out, err) == (1, "", "")  # still failing the same way: said once
    site.pages["/p/good"].status = 200
    code, out, err = cron("--quiet", "--force", docs, cwd=tmp_path)
    assert (code, err) == (0, "") and out.startswith(f"recovered\t{url}\t(")


def test_cron_json_report(docs, site, tmp_path):
    (docs / "notes.md").write_text(f"[gone]({site.url('/p/nope')})\n", encoding="utf-8")
    code, out, err = cron("--json", docs, cwd=tmp_path)
    assert code == 1
    report = json.loads(out)
    assert report["counts"] == {"gone": 1, "ok": 1}
    assert report["actions"] == {"failed": 1, "new": 1}
    assert report["exit_code"] == 1 and report["seeds"] == 2
    assert report["sidecars_written"] == 2 and report["duration_s"] >= 0
    assert report["requests"] >= 2
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", report["started_at"])
    by_url = {s["url"]: s for s in report["sources"]}
    good = by_url[site.url("/p/good")]
    assert good["status"] == "ok" and good["action"] == "new" and good["error"] is None
    assert good["seed"].endswith("café.txt")
    bad = by_url[site.url("/p/nope")]
    assert bad["status"] == "gone" and bad["error"]["http_status"] == 404


def test_verbose_logs_each_request_to_stderr(docs, site, tmp_path):
    code, out, err = cron("-v", docs, cwd=tmp_path)
    assert code == 0
    assert f"GET {site.url('/p/good')} -> 200" in err
    assert SUMMARY.match(out.rstrip("\n"))


def test_cli_runner_json_and_summary_agree(docs, local_env):
    result = CliRunner().invoke(cli, ["fetch", "--json", str(docs)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"ok": 1}
    result = CliRunner().invoke(cli, ["fetch", str(docs)])
    assert result.exit_code == 0 and "1 fresh" in result.stdout


def test_refresh_after_option_and_bad_values(docs, site, local_env):
    runner = CliRunner()
    assert runner.invoke(cli, ["fetch", str(docs)]).exit_code == 0
    assert runner.invoke(cli, ["fetch", "--refresh-after", "1h", str(docs)]).exit_code == 0
    assert site.hits["/p/good"] == 1
    assert runner.invoke(cli, ["fetch", "--refresh-after", "0", str(docs)]).exit_code == 0
    assert site.hits["/p/good"] == 2
    assert runner.invoke(cli, ["fetch", "--force", str(docs)]).exit_code == 0
    assert site.hits["/p/good"] == 3
    result = runner.invoke(cli, ["fetch", "--refresh-after", "soon", str(docs)])
    assert result.exit_code == 2 and "refresh_after" in result.stderr
    result = runner.invoke(cli, ["fetch", "--wait=later", str(docs)])
    assert result.exit_code == 2 and "--wait" in result.stderr


def test_cron_fetch_loads_no_terminal_drawing(docs):
    """On a pipe, fetch draws nothing, so it does not import render.py: startup
    that every cron run pays. (rich itself is imported by httpx, which loads its
    own command-line client whenever click and rich are installed; no public API
    of httpx avoids that, issue #10.)"""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['newsgrab', 'fetch', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('newsgrab', run_name='__main__')\n"
        "finally:\n"
        "    names = ('newsgrab.render',)\n"
        "    loaded = [m for m in names if sys.modules.get(m)]\n"
        "    print('loaded:', loaded, file=sys.stderr)\n"
    )
    cmd = ["env", "-i", f"PATH={os.defpath}", "LANG=C", *LOCAL, sys.executable, "-c", probe, docs]
    proc = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert SUMMARY.match(proc.stdout.decode().strip())
    assert "loaded: []" in err


def test_cron_fetch_on_an_empty_folder_imports_only_what_it_needs(tmp_path):
    """A cron run with no seed files says so and stops before the pipeline: no
    asyncio, msgspec, httpx, bs4 or rich (the README's startup figure rests on it)."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['newsgrab', 'fetch', '-q']\n"
        "try:\n"
        "    runpy.run_module('newsgrab', run_name='__main__')\n"
        "finally:\n"
        "    names = ('asyncio', 'msgspec', 'httpx', 'bs4', 'rich', 'newsgrab.pipeline')\n"
        "    loaded = [m for m in names if sys.modules.get(m)]\n"
        "    print('loaded:', loaded, file=sys.stderr)\n"
    )
    cmd = ["env", "-i", f"PATH={os.defpath}", "LANG=C", sys.executable, "-c", probe]
    proc = subprocess.run(
        cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "no seed files under .; nothing to do" in err
    assert "loaded: []" in err
