"""What changed, first (issue: tell users what changed): every run reports
per URL whether it is new, changed, unchanged, recovered, from the archive,
newly or still failing, or fresh; `--quiet` prints only changes of state; a
source that keeps failing as gone or unsupported is retried less and less often
and reported once; a source blocked by a setting is retried when the setting
changes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_refresh_support import Site, age, by_url, paragraphs, read

from newsgrab.cli import cli
from newsgrab.model import CHANGES
from newsgrab.store import sidecar_path


@pytest.fixture
def site(web):
    return Site(web)


def fetch(*args):
    return CliRunner().invoke(cli, ["fetch", *map(str, args)])


def report(*args) -> dict:
    result = fetch("--json", *args)
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    data["exit"] = result.exit_code
    return data


def changes(data: dict) -> dict[str, str]:
    return {s["url"]: s["change"] for s in data["sources"]}


def test_each_run_says_what_changed(site, local_env, tmp_path):
    a = site.article("/p/a", "Storm closes harbour")
    b = site.article("/p/b", "Ferry back on time")
    (tmp_path / "one.md").write_text(f"{a}\n{b}\n")
    (tmp_path / "two.txt").write_text(f"{a}\n")  # a URL cited twice counts once

    first = report(tmp_path)
    assert changes(first) == {a: "new", b: "new"}
    assert first["urls"] == 2 and list(first["changes"]) == list(CHANGES)
    assert first["changes"]["new"] == 2

    site.article("/p/a", "Storm closes harbour", paragraphs("a second edition", 5))
    site.pages["/p/b"].status = 404
    second = report("--force", tmp_path)
    assert changes(second) == {a: "changed", b: "newly_failing"}
    assert second["exit"] == 1
    assert {k: v for k, v in second["changes"].items() if v} == {"changed": 1, "newly_failing": 1}

    third = report("--force", tmp_path)
    assert changes(third) == {a: "unchanged", b: "still_failing"}

    site.pages["/p/b"].status = 200
    fourth = report("--force", tmp_path)
    assert changes(fourth) == {a: "unchanged", b: "recovered"}
    fifth = report(tmp_path)  # nothing due
    assert changes(fifth) == {a: "fresh", b: "fresh"} and fifth["exit"] == 0


def test_the_summary_counts_urls_and_what_changed(site, local_env, tmp_path):
    a = site.article("/p/a", "Storm closes harbour")
    (tmp_path / "one.md").write_text(f"{a}\n")
    (tmp_path / "two.md").write_text(f"{a}\n")
    result = fetch(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "newsgrab: 2 seeds, 1 URL (1 new): 1 ok; 2 sidecars written in "
    )
    site.article("/p/a", "Storm closes harbour", paragraphs("a second edition", 5))
    result = fetch("--force", tmp_path)
    assert "1 URL (1 changed): 1 ok;" in result.stdout


def test_a_source_that_keeps_failing_as_gone_settles(site, local_env, tmp_path, monkeypatch):
    """Reported the first time only; retried after refresh_after, then twice
    that, four times ... (the run in between leaves it alone: exit 0)."""
    monkeypatch.setenv("NEWSGRAB_REFRESH_AFTER", "1h")
    ok = site.article("/p/ok", "Storm closes harbour")
    gone = site.url("/p/gone")
    seed = tmp_path / "notes.txt"
    seed.write_text(f"{ok}\n{gone}\n")
    sidecar = sidecar_path(seed)

    first = fetch(seed)
    assert first.exit_code == 1 and first.stderr.count(gone) == 1  # said once ...
    age(sidecar)  # long ago: due again
    second = fetch(seed)
    assert second.exit_code == 1 and gone not in second.stderr  # ... not again
    assert "1 still failing" in second.stdout
    assert by_url(read(sidecar))[gone]["fetch"]["consecutive_failures"] == 2

    # two failures in a row: due again after 2h, not 1h
    data = read(sidecar)
    for src in data["sources"]:
        src["fetch"]["checked_at"] = _hours_ago(1.5)
    sidecar.write_text(json.dumps(data))
    hits = site.hits["/p/gone"]
    third = fetch(seed)
    assert third.exit_code == 0, third.stderr
    assert site.hits["/p/gone"] == hits  # not asked: settled for 2h
    assert "1 fresh" in third.stdout or "2 fresh" in third.stdout


def _hours_ago(hours: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_source_blocked_by_a_setting_is_retried_when_it_changes(site, local_env, tmp_path):
    url = site.article("/p/local", "Storm closes harbour")
    seed = tmp_path / "notes.txt"
    seed.write_text(f"{url}\n")
    blocked = CliRunner(env={"NEWSGRAB_ALLOW_PRIVATE_NETWORKS": "false"}).invoke(
        cli, ["fetch", str(seed)]
    )
    assert blocked.exit_code == 1
    assert by_url(read(sidecar_path(seed)))[url]["status"] == "blocked"
    # the setting is now on: fetched at once, though refresh_after has not passed
    dry = json.loads(fetch("--dry-run", "--json", seed).stdout)
    assert [d["reason"] for d in dry["due"]] == ["unblocked"]
    result = fetch(seed)
    assert result.exit_code == 0, result.stderr
    assert by_url(read(sidecar_path(seed)))[url]["status"] == "ok"
    assert "(1 new)" in result.stdout  # its first article


def test_only_sidecars_whose_content_changed_are_written(site, local_env, tmp_path):
    a = site.article("/p/a", "Storm closes harbour")
    b = site.article("/p/b", "Ferry back on time")
    (tmp_path / "one.md").write_text(f"{a}\n")
    (tmp_path / "two.md").write_text(f"{b}\n")
    assert report(tmp_path)["sidecars_written"] == 2
    one, two = sidecar_path(tmp_path / "one.md"), sidecar_path(tmp_path / "two.md")
    before = one.stat().st_mtime_ns, two.read_bytes()
    again = report(tmp_path)  # nothing due: nothing changes
    assert again["sidecars_written"] == 0
    assert (one.stat().st_mtime_ns, two.read_bytes()) == before
    age(two)  # one seed due: only its sidecar is written
    mtime = one.stat().st_mtime_ns
    third = report(tmp_path)
    assert third["sidecars_written"] == 1 and one.stat().st_mtime_ns == mtime


def test_show_changed_lists_the_articles_that_changed(site, local_env, tmp_path):
    a = site.article("/p/a", "Storm closes harbour")
    b = site.article("/p/b", "Ferry back on time")
    (tmp_path / "notes.md").write_text(f"{a}\n{b}\n")
    assert fetch(tmp_path).exit_code == 0
    site.article("/p/a", "Storm closes harbour", paragraphs("a second edition", 5))
    assert fetch("--force", tmp_path).exit_code == 0

    def shown(*args):
        result = CliRunner().invoke(cli, ["show", "--format", "jsonl", *args])
        assert result.exit_code == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines() if line]

    [changed] = shown("--changed", str(tmp_path))  # a folder right after: a TARGET
    assert changed["url"] == a and len(changed["revisions"]) == 1
    assert changed["fetch"]["changed_at"] >= changed["fetch"]["fetched_at"][:10]
    assert [s["url"] for s in shown(str(tmp_path), "--changed", "1h")] == [a]
    assert [s["url"] for s in shown(str(tmp_path), "--changed", "2020-01-01")] == [a]
    assert shown(str(tmp_path), "--changed", "2999-01-01") == []
    assert len(shown(str(tmp_path))) == 2
    # the table marks a changed source with its revision count
    table = CliRunner().invoke(cli, ["show", "--format", "text", str(tmp_path)])
    [row_a] = [line for line in table.stdout.splitlines() if "Storm" in line]
    [row_b] = [line for line in table.stdout.splitlines() if "Ferry" in line]
    assert "ok *1" in row_a and "*" not in row_b
    bad = CliRunner().invoke(cli, ["show", str(tmp_path), "--changed", "soon"])
    assert bad.exit_code == 2 and "--changed" in bad.stderr


def test_quiet_says_which_article_changed(site, local_env, tmp_path):
    a = site.article("/p/a", "Storm closes harbour")
    (tmp_path / "notes.md").write_text(f"{a}\n")
    assert fetch("--quiet", tmp_path).stdout.startswith("new\t")
    site.article("/p/a", "Storm closes harbour", paragraphs("a second edition", 5))
    result = fetch("--quiet", "--force", tmp_path)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == f"changed\t{a}\t({tmp_path / 'notes.md'})\n"
