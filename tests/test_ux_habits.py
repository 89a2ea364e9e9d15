"""The habits of #14: `add`, `-` for standard input, `fetch --dry-run`,
`config`, `completion` and `export --sqlite`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import RawServer, page
from test_ux_terminal import make_collection

from newsgrab import seeds
from newsgrab.cli import cli
from newsgrab.config import FIELDS, explain_settings, load_settings
from newsgrab.errors import ConfigError, SeedError
from newsgrab.export import APPLICATION_ID, TABLES

ARTICLE = (
    "<!doctype html><html><head><title>Harbour closed</title></head><body><article>"
    "<h1>Harbour closed</h1>"
    + "<p>The storm closed the harbour of Port Ellen on Tuesday, stranding two "
    "ferries and their passengers overnight.</p>" * 5 + "</article></body></html>"
).encode()


def run(*args, env=None, input=None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


@pytest.fixture
def site():
    with RawServer() as srv:
        srv.route("/robots.txt", page(b"", "text/plain", 404))
        srv.route("/story", page(ARTICLE))
        srv.route("/other", page(ARTICLE))
        yield srv


# ---------------------------------------------------------------- add


def test_add_appends_in_markdown_and_fetches_that_seed(site, local_env):
    Path("notes").mkdir()
    seed = Path("notes/bridge.md")
    seed.write_text("# Bridge\n\nSee [the other one](" + site.url("/other") + ").\n")
    r = run(
        "add",
        site.url("/story") + "?utm_source=x",
        "--label",
        "Harbour [closed]",
        "--to",
        str(seed),
    )
    assert r.exit_code == 0, r.output
    assert seed.read_text().endswith(f"- [Harbour (closed)](<{site.url('/story')}>)\n")
    assert "notes/bridge.md:4: added " + site.url("/story") in r.stderr
    sidecar = json.loads(Path("notes/bridge.md.sources.json").read_text())
    by_url = {s["url"]: s for s in sidecar["sources"]}
    assert by_url[site.url("/story")]["status"] == "ok"
    assert by_url[site.url("/story")]["cited"] == [{"line": 4, "label": "Harbour (closed)"}]
    assert "sidecar" in r.stdout  # the fetch command's own summary
    assert site.hits["/story"] == 1 and site.hits["/other"] == 1  # that seed's due sources
    # again: already cited, nothing written; the fresh source is not fetched again
    before = seed.read_bytes()
    r = run("add", site.url("/story"), "--to", str(seed))
    assert r.exit_code == 0, r.output
    assert "cites " + site.url("/story") + " already" in r.stderr
    assert seed.read_bytes() == before and site.hits["/story"] == 1


def test_add_in_text_and_html_seeds_keeps_encoding_and_line_endings(tmp_path):
    Path("a.txt").write_bytes("Notes in Windows-1252: café\r\nsecond line".encode("cp1252"))
    Path("b.html").write_bytes(
        "\ufeff<!doctype html>\r\n<html><body>\r\n<p>Hi</p>\r\n</body></html>\r\n".encode("utf-16")
    )
    r = run(
        "add", "https://example.org/one", "--label", "Café story", "--to", "a.txt", "--no-fetch"
    )
    assert r.exit_code == 0, r.output
    data = Path("a.txt").read_bytes()
    assert data == (
        "Notes in Windows-1252: café\r\nsecond line\r\nRelated: Café story https://example.org/one\r\n"
    ).encode("cp1252")
    r = run(
        "add", "https://example.org/two?a=1&b=2", "--label", "<b>&", "--to", "b.html", "--no-fetch"
    )
    assert r.exit_code == 0, r.output
    data = Path("b.html").read_bytes()
    assert data.startswith(b"\xff\xfe")  # the BOM kept
    text = data.decode("utf-16")
    assert text.endswith(
        '<p><a href="https://example.org/two?a=1&amp;b=2">&lt;b&gt;&amp;</a></p>\r\n</body></html>\r\n'
    )
    found = seeds.find_citations(text, html=True)
    assert [(c.url, c.label) for c in found] == [("https://example.org/two?a=1&b=2", "<b>&")]


def test_add_creates_a_missing_seed(tmp_path):
    r = run("add", "https://example.org/a", "--to", "inbox.md", "--no-fetch")
    assert r.exit_code == 0, r.output
    assert Path("inbox.md").read_text() == "- <https://example.org/a>\n"
    assert "(created)" in r.stderr
    r = run("add", " www.Example.org/b ", "--to", "inbox.md", "--no-fetch")
    assert r.exit_code == 0, r.output
    assert Path("inbox.md").read_text().endswith("- <https://www.example.org/b>\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["http://example.org:99999/", "--to", "a.md"], "not a URL (port 99999"),
        (["ftp://example.org/", "--to", "a.md"], "not a URL"),
        (
            ["https://example.org/", "--label", "see https://evil.example/", "--to", "a.md"],
            "must not contain a URL",
        ),
        (
            ["https://example.org/", "--label", "www.evil.com", "--to", "a.md"],
            "must not contain a URL",
        ),
        (["https://example.org/", "--label", "x" * 301, "--to", "a.md"], "longer than 300"),
        (["https://example.org/", "--to", "link.md"], "is a symlink; refused"),
        (["https://example.org/", "--to", "../outside.md"], "outside the seed folders"),
        (["https://example.org/", "--to", "folder"], "not a regular file"),
        (["https://example.org/", "--to", "a.md.sources.json"], "a sidecar, not a seed"),
        (["https://example.org/", "--to", ".hidden.md"], "a hidden file or a sidecar"),
        (["https://example.org/", "--to", "report.pdf"], "not named as a seed (*.txt, *.md"),
        (["https://example.org/", "--to", "data.csv"], "a run over its folder would not"),
        (["https://example.org/", "--to", "nowhere/a.md"], "no such folder"),
        (["https://example.org/", "--label", "東京", "--to", "latin.txt"], "cannot be written in"),
    ],
)
def test_add_refuses_in_one_line_and_writes_nothing(tmp_path, args, message):
    Path("a.md").write_text("# a\n")
    Path("a.md.sources.json").write_text('{"version": 1}\n')
    Path("data.csv").write_text("a,b\n1,2\n")
    Path("target.md").write_text("# target\n")
    Path("link.md").symlink_to("target.md")
    Path("folder").mkdir()
    Path("latin.txt").write_bytes("Fran\xe7ais et caf\xe9, d\xe9j\xe0 vu.\n".encode("latin-1"))
    (tmp_path / "outside.md").write_text("# outside\n")
    before = {p: p.read_bytes() for p in Path(".").rglob("*") if p.is_file()}
    r = run("add", *args, "--no-fetch")
    assert r.exit_code == 2, r.output
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.output
    assert {p: p.read_bytes() for p in Path(".").rglob("*") if p.is_file()} == before
    assert (tmp_path / "outside.md").read_text() == "# outside\n"
    assert not list(Path(".").glob(".newsgrab-tmp-*"))


def test_add_within_the_seeds_setting(tmp_path, monkeypatch):
    notes = tmp_path / "elsewhere"
    notes.mkdir()
    monkeypatch.setenv("NEWSGRAB_SEEDS", str(notes))
    r = run("add", "https://example.org/a", "--to", str(notes / "a.md"), "--no-fetch")
    assert r.exit_code == 0, r.output
    r = run("add", "https://example.org/a", "--to", "here.md", "--no-fetch")
    assert r.exit_code == 2 and "outside the seed folders" in r.stderr


def test_add_to_a_seed_named_in_the_seeds_setting(tmp_path, monkeypatch):
    seed = tmp_path / "elsewhere.md"
    seed.write_text("# a\n")
    monkeypatch.setenv("NEWSGRAB_SEEDS", str(seed))
    r = run("add", "https://example.org/a", "--to", str(seed), "--no-fetch")
    assert r.exit_code == 0, r.output
    assert seed.read_text() == "# a\n- <https://example.org/a>\n"


def test_add_keeps_the_permissions(tmp_path):
    Path("a.md").write_text("# a\n")
    os.chmod("a.md", 0o640)
    assert run("add", "https://example.org/a", "--to", "a.md", "--no-fetch").exit_code == 0
    assert (os.stat("a.md").st_mode & 0o777) == 0o640


labels = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        # what a label must survive: line breaks, escapes, bidi, invisibles, markup
        st.sampled_from(list("\n\r\t\x1b\x9b\u202e\u2066\u200b\u2028[]()*_`<>&\"'#|!\\")),
    ),
    max_size=60,
)
url_parts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
bodies = st.sampled_from(
    [
        "",
        "# notes\n",
        "no newline at the end",
        "Related: A dangling label\n",
        "line\r\nother line\r\n",
        "see https://example.net/a and [b](https://example.net/b)\n",
        "<!doctype html><html><body><a href='https://example.net/c'>c</a></body></html>",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from([".md", ".txt", ".html"]),
    body=bodies,
    url=st.one_of(
        st.builds(lambda p: "https://example.org/" + p, url_parts),
        st.builds(lambda h, p: f"http://{h}/{p}", url_parts, url_parts),
        st.builds(
            lambda c, h, p: f"{c}://user:pw@{h}:8080/{p}?utm_source=x&q={p}",
            st.sampled_from(["http", "HTTPS", "ftp", "javascript"]),
            st.sampled_from(
                ["bücher.example", "xn--a.com", "[::1]", "1.2.3.256", "ex\u200bample.com"]
            ),
            url_parts,
        ),
        url_parts,
    ),
    label=st.one_of(st.none(), labels),
)
def test_add_property_the_seed_reads_back_as_before_plus_the_url(tmp_path, kind, body, url, label):
    """Whatever the label (controls, newlines, bidi, brackets, markup) and the
    URL's path: either a one-line refusal with nothing written, or the seed then
    cites exactly its old URLs plus this one, with its old citations unchanged,
    and the label read back is the label given, cleaned to one visible line."""
    folder = tmp_path / "prop"
    folder.mkdir(exist_ok=True)
    seed = folder / f"s{kind}"
    seed.write_bytes(body.encode("utf-8"))
    html = kind == ".html"
    old = seeds.find_citations(body, html=html)
    try:
        added = seeds.add_citation(seed, url, label, [folder])
    except SeedError as exc:
        assert "\n" not in str(exc)
        assert seed.read_bytes() == body.encode("utf-8")
        return
    text = seeds.read_seed(seed)
    new = seeds.find_citations(text, html=html)
    given = url.strip()  # blanks around the URL are ignored (str.strip: \x1c-\x1f too)
    wanted = seeds.normalize_url("https://" + given if given[:4].lower() == "www." else given)
    assert added.url == wanted
    if added.already:
        assert text == body
        return
    assert [c.url for c in new if c.url != wanted] == [c.url for c in old]
    assert [(c.url, c.label) for c in old] == [(c.url, c.label) for c in new if c.url != wanted]
    got = next(c for c in new if c.url == wanted)
    assert got.line == added.line
    cleaned = seeds.clean_added_label(label)
    if got.label is not None:
        assert "\n" not in got.label and "\x1b" not in got.label and "\u202e" not in got.label
    if cleaned and cleaned.isascii() and cleaned.replace(" ", "").isalnum():
        assert got.label == cleaned  # plain words come back exactly
    assert not list(folder.glob(".newsgrab-tmp-*"))


# ---------------------------------------------------------------- standard input


def test_urls_reads_a_seed_from_stdin(tmp_path):
    Path("a.md").write_text("https://example.org/file\n")
    r = run(
        "urls", "a.md", "-", input="see [x](https://example.org/in)\nhttp://example.org:99999/\n"
    )
    assert r.exit_code == 0, r.output
    assert r.stdout == "a.md:1\thttps://example.org/file\n<stdin>:1\thttps://example.org/in\tx\n"
    assert "<stdin>:2: not a URL" in r.stderr
    r = run(
        "urls",
        "-",
        "--format",
        "json",
        input="<!DOCTYPE html><a href=/rel>x</a><base href='https://b.example/'>",
    )
    assert r.exit_code == 0
    r = run(
        "urls",
        "-",
        "--format",
        "json",
        input="<!doctype html><base href='https://b.example/'><a href=/rel>Rel</a>",
    )
    assert json.loads(r.stdout)[0]["url"] == "https://b.example/rel"  # read as HTML
    assert json.loads(r.stdout)[0]["file"] == "<stdin>"


def test_urls_stdin_that_is_not_text(tmp_path):
    r = CliRunner().invoke(cli, ["urls", "-"], input=bytes(range(256)) * 20)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: <stdin>: not a text file")


@settings(max_examples=40, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=500).map(
            lambda t: ("<!doctype html>" + t).encode("utf-8", "surrogatepass")
        ),
        st.text(max_size=500).map(lambda t: t.encode("utf-16")),
    )
)
def test_stdin_takes_any_bytes(data):
    """Whatever arrives on standard input: a result or one error line (exit 2),
    never a traceback or an internal error."""
    for args in (["urls", "-"], ["extract", "-"]):
        r = CliRunner().invoke(cli, args, input=data)
        assert r.exit_code in (0, 2), (args, r.output)
        assert "Traceback" not in r.output and "internal error" not in r.output
        if r.exit_code == 2:
            assert r.stderr.startswith("error: <stdin>: ") and r.stderr.count("\n") == 1


def test_extract_reads_a_page_from_stdin():
    r = run("extract", "-", "--format", "text", input=ARTICLE)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("The storm closed the harbour")
    r = CliRunner().invoke(cli, ["extract", "-"], input=b"%PDF-1.7\n" + bytes(100))
    assert r.exit_code == 2 and "<stdin>: not an HTML page" in r.stderr
    r = CliRunner().invoke(
        cli, ["extract", "-"], input=b"<p>" + b"x" * 2000, env={"NEWSGRAB_MAX_BYTES": "1000"}
    )
    assert r.exit_code == 2 and "larger than max_bytes" in r.stderr


# ---------------------------------------------------------------- fetch --dry-run


def test_dry_run_says_what_and_why_and_touches_nothing(site, local_env, tmp_path):
    Path("notes").mkdir()
    seed = Path("notes/a.md")
    seed.write_text(f"- <{site.url('/story')}>\n- <{site.url('/other')}>\n")
    assert run("fetch", "notes").exit_code == 0
    seed.write_text(seed.read_text() + f"- <{site.url('/new')}>\n")
    sidecar = json.loads(Path("notes/a.md.sources.json").read_text())
    sidecar["sources"][1]["fetch"]["checked_at"] = "2020-01-01T00:00:00Z"  # stale
    Path("notes/a.md.sources.json").write_text(json.dumps(sidecar))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in Path("notes").iterdir()}
    hits = dict(site.hits)
    r = run("fetch", "--dry-run", "notes")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    fields = lines[0].split("\t")
    assert fields[:3] == ["due", "stale", site.url("/other")]
    assert fields[3].startswith("checked ") and fields[4] == "(notes/a.md)"
    assert lines[1] == f"due\tnew\t{site.url('/new')}\tnever fetched\t(notes/a.md)"
    assert lines[2].startswith(f"fresh\t-\t{site.url('/story')}\tchecked ")
    assert lines[-1] == (
        "newsgrab: dry run: 1 seed, 3 sources: 2 to fetch (1 new, 1 stale), 1 fresh; "
        "nothing fetched or written"
    )
    assert dict(site.hits) == hits  # no request
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in Path("notes").iterdir()} == before
    r = run("fetch", "--dry-run", "--json", "--force", "notes")
    report = json.loads(r.stdout)
    assert [d["reason"] for d in report["due"]] == ["forced"] * 3 and report["fresh"] == []


def test_dry_run_reports_retries_and_bad_sidecars(tmp_path):
    make_collection(Path("notes"), n=6)
    Path("notes/bad.md").write_text("https://example.org/x\n")
    Path("notes/bad.md.sources.json").write_text("{not json")
    r = run("fetch", "--dry-run", "--json", "notes")
    assert r.exit_code == 65
    report = json.loads(r.stdout)
    reasons = {d["url"].split("/")[2]: d["reason"] for d in report["due"]}
    # make_collection: statuses ok, error, gone, blocked, unsupported, pending,
    # all checked 2026-11-24 (stale by now)
    assert reasons == {
        "site0.example": "stale",
        "site1.example": "retry",
        "site2.example": "stale",
        "site3.example": "stale",
        "site4.example": "stale",
        "site5.example": "new",  # pending
    }  # bad.md is not planned: its sidecar cannot be read (exit 65)
    assert "bad.md.sources.json" in report["store_errors"][0]
    assert Path("notes/bad.md.sources.json").read_text() == "{not json"


# ---------------------------------------------------------------- config


def test_config_says_where_each_setting_came_from(tmp_path, monkeypatch):
    Path("newsgrab.toml").write_text(
        'refresh_after = "2h"\nretries = 5\nproxy = "http://u:secret@proxy.example:3128"\n'
    )
    monkeypatch.setenv("NEWSGRAB_RETRIES", "4")
    r = run("config", "--concurrency", "3")
    assert r.exit_code == 0, r.output
    lines = dict(
        (line.split(" = ")[0], line) for line in r.stdout.splitlines() if not line.startswith("#")
    )
    assert lines["refresh_after"].endswith("# newsgrab.toml")
    assert '"2h"' in lines["refresh_after"]
    assert lines["retries"].split("#")[1].strip() == "$NEWSGRAB_RETRIES"
    assert lines["concurrency"].split("#")[1].strip() == "--concurrency"
    assert lines["deadline"].endswith("# default")
    assert "secret" not in r.stdout and "***@proxy.example" in r.stdout
    assert r.stdout.startswith("# config file: newsgrab.toml\n")
    assert set(lines) == set(FIELDS)
    data = json.loads(run("config", "--format", "json").stdout)
    assert data["settings"]["retries"] == {"value": 4, "source": "$NEWSGRAB_RETRIES"}
    assert data["config_file"] == "newsgrab.toml"


def test_config_output_is_a_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_SEEDS", 'notes,"odd\x7f name"')
    monkeypatch.setenv("NEWSGRAB_USER_AGENT", 'bot "quoted" \\ 1')
    r = run("config")
    assert r.exit_code == 0
    Path("saved.toml").write_text(
        "\n".join(line.split("  #")[0] for line in r.stdout.splitlines()), encoding="utf-8"
    )
    monkeypatch.delenv("NEWSGRAB_SEEDS")
    monkeypatch.delenv("NEWSGRAB_USER_AGENT")
    assert load_settings("saved.toml", {}) == load_settings(
        None, {"NEWSGRAB_SEEDS": 'notes,"odd\x7f name"', "NEWSGRAB_USER_AGENT": 'bot "quoted" \\ 1'}
    )


def test_config_errors_are_one_line(tmp_path):
    r = run("config", "--concurrency", "0")
    assert r.exit_code == 2 and r.stderr.startswith("error: --concurrency:")


env_values = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=100, deadline=None)
@given(
    env=st.dictionaries(
        st.sampled_from([f"NEWSGRAB_{k.upper()}" for k in FIELDS]),
        st.one_of(env_values, st.sampled_from(["1", "0", "true", "6h", "30s", "10MB", "4", "a,b"])),
        max_size=5,
    ),
    overrides=st.dictionaries(
        st.sampled_from(["concurrency", "refresh_after", "jobs", "user_agent"]),
        st.one_of(st.none(), st.sampled_from(["2", "1h", "0", "ua 1"])),
        max_size=3,
    ),
)
def test_explain_settings_agrees_with_load_settings(env, overrides):
    """`newsgrab config` reports the Settings every command runs with: the same
    values, or the same error, for any environment and options."""
    try:
        expected = load_settings(None, env, overrides)
    except ConfigError as exc:
        with pytest.raises(ConfigError) as got:
            explain_settings(None, env, overrides)
        assert str(got.value) == str(exc)
        return
    settings_, sources, _ = explain_settings(None, env, overrides)
    assert settings_ == expected
    for key in FIELDS:
        name = f"NEWSGRAB_{key.upper()}"
        if overrides.get(key) is not None:
            assert sources[key] == f"--{key.replace('_', '-')}"
        elif name in env:
            assert sources[key] == f"${name}"
        else:
            assert sources[key] == "default"


# ---------------------------------------------------------------- completion


@pytest.mark.parametrize(
    "shell, marker", [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete ")]
)
def test_completion_scripts(shell, marker):
    r = run("completion", shell)
    assert r.exit_code == 0
    assert marker in r.stdout and "_NEWSGRAB_COMPLETE" in r.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_and_options(tmp_path):
    """The script, sourced in a real bash, completes `newsgrab sh` and `show --for`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    launcher = bindir / "newsgrab"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m newsgrab "$@"\n')
    launcher.chmod(0o755)
    ask = 'COMPREPLY=(); _newsgrab_completion newsgrab; echo "${COMPREPLY[@]}"\n'
    script = (
        'eval "$(newsgrab completion bash)"\n'
        f"COMP_WORDS=(newsgrab sh); COMP_CWORD=1; {ask}"
        f"COMP_WORDS=(newsgrab show --for); COMP_CWORD=2; {ask}"
        f"COMP_WORDS=(newsgrab completion ''); COMP_CWORD=2; {ask}"
    )
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "show"
    assert lines[1] == "--format"
    assert lines[2].split() == ["bash", "zsh", "fish"]


# ---------------------------------------------------------------- export --sqlite


def test_export_sqlite(tmp_path):
    make_collection(Path("notes"), n=6)
    shutil.copytree(Path(__file__).parent / "fixtures" / "show" / "collection", "old")
    r = run("export", "--sqlite", "out.db", "notes", "old")
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "newsgrab: exported 3 seeds, 12 sources, 9 articles, 2 revisions, 12 citations to out.db\n"
    )
    db = sqlite3.connect("out.db")
    db.row_factory = sqlite3.Row
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(TABLES)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    fks = {t: {r["table"] for r in db.execute(f"PRAGMA foreign_key_list({t})")} for t in TABLES}
    assert fks == {
        "seeds": set(),
        "sources": {"seeds"},
        "articles": {"sources"},
        "revisions": {"sources"},
        "citations": {"sources"},
    }
    row = db.execute(
        "SELECT seeds.path, sources.url, sources.status, articles.authors, articles.title, "
        "citations.label FROM sources JOIN seeds ON seeds.id = sources.seed_id "
        "JOIN articles ON articles.source_id = sources.id "
        "JOIN citations ON citations.source_id = sources.id "
        "WHERE sources.url = 'https://news.example.com/council-budget' "
        "AND seeds.path LIKE '%alpha.md'"
    ).fetchone()
    assert json.loads(row["authors"]) == ["Ann Reporter", "Bo Writer"]
    assert row["label"] == "Budget story" and row["status"] == "ok"
    revisions = db.execute("SELECT position, title FROM revisions ORDER BY position").fetchall()
    assert [r["position"] for r in revisions] == [0, 1]  # newest first
    db.close()
    # again: the earlier export is replaced, atomically
    assert run("export", "--sqlite", "out.db", "notes").exit_code == 0
    assert sqlite3.connect("out.db").execute("SELECT count(*) FROM seeds").fetchone()[0] == 1
    assert not [p for p in Path(".").iterdir() if "newsgrab-tmp" in p.name]


def test_export_never_replaces_another_file(tmp_path):
    make_collection(Path("notes"), n=2)
    other = sqlite3.connect("mine.db")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    before = Path("mine.db").read_bytes()
    Path("notes.txt").write_text("not a database")
    os.symlink("mine.db", "link.db")
    for target, message in (
        ("mine.db", "exists and is not a newsgrab export"),
        ("notes.txt", "exists and is not a newsgrab export"),
        ("link.db", "is a symlink"),
        ("missing/out.db", "no such folder"),
    ):
        r = run("export", "--sqlite", target, "notes")
        assert r.exit_code == 2, r.output
        assert message in r.stderr and r.stderr.count("\n") == 1
    assert Path("mine.db").read_bytes() == before


def test_export_goes_on_past_a_bad_sidecar(tmp_path):
    make_collection(Path("notes"), n=2)
    Path("notes/bad.md").write_text("https://example.org/\n")
    Path("notes/bad.md.sources.json").write_text("[1, 2")
    Path("notes/new.md").write_text("https://example.org/\n")
    r = run("export", "--sqlite", "out.db", "notes")
    assert r.exit_code == 65
    assert (
        "bad.md.sources.json" in r.stderr
        and "not fetched yet (no sidecar): notes/new.md" in r.stderr
    )
    assert "exported 1 seed, 2 sources" in r.stdout


def test_export_of_names_that_are_not_utf8(tmp_path):
    """A seed whose file name is not UTF-8 (Linux allows it) exports with its odd
    bytes escaped, as the sidecar stores them."""
    folder = Path("notes")
    make_collection(folder, n=1)
    odd = os.fsdecode(b"caf\xe9.md")
    os.rename(folder / "notes.md", folder / odd)
    os.rename(folder / "notes.md.sources.json", folder / (odd + ".sources.json"))
    r = run("export", "--sqlite", "out.db", "notes")
    assert r.exit_code == 0, r.output
    path = sqlite3.connect("out.db").execute("SELECT path FROM seeds").fetchone()[0]
    assert path == "notes/caf\\xe9.md"


def test_export_streams_one_sidecar_at_a_time(tmp_path, monkeypatch):
    """The export holds at most one sidecar in memory: each is inserted before
    the next is read."""
    for i in range(3):
        make_collection(Path(f"notes/{i}"), n=2)
    from newsgrab import export

    events = []
    real_read, real_insert = export.read_sidecar, export._insert_sidecar
    monkeypatch.setattr(export, "read_sidecar", lambda p: events.append("read") or real_read(p))
    monkeypatch.setattr(
        export, "_insert_sidecar", lambda *a: events.append("insert") or real_insert(*a)
    )
    assert run("export", "--sqlite", "out.db", "notes").exit_code == 0
    assert events == ["read", "insert"] * 3


def test_plural_in_summaries(tmp_path):
    make_collection(Path("notes"), n=1)
    r = run("export", "--sqlite", "out.db", "notes")
    assert "exported 1 seed, 1 source, 1 article, 0 revisions, 1 citation" in r.stdout
    r = run("fetch", "--dry-run", "notes")
    assert "dry run: 1 seed, 1 source: 1 to fetch (1 stale), 0 fresh" in r.stdout


def test_add_follows_a_seed_globs_path_pattern(tmp_path, monkeypatch):
    """A pattern with a `/` matches the path inside the seed folder."""
    Path("drafts").mkdir()
    monkeypatch.setenv("NEWSGRAB_CONFIG", str(tmp_path / "n.toml"))
    (tmp_path / "n.toml").write_text('seed_globs = ["drafts/*.notes"]\n')
    r = run("add", "https://example.org/a", "--to", "drafts/a.notes", "--no-fetch")
    assert r.exit_code == 0, r.output
    r = run("add", "https://example.org/a", "--to", "a.notes", "--no-fetch")
    assert r.exit_code == 2 and "not named as a seed (drafts/*.notes" in r.stderr
    assert not Path("a.notes").exists()
    r = run("urls", ".")
    assert "drafts/a.notes" in r.output
