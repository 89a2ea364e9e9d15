"""`newsgrab show`: the table, article blocks, filters, sorting, formats, errors."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from rich.console import Console

from newsgrab import collection, render
from newsgrab.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "show"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "newsgrab" / "sidecar.schema.json").read_text(encoding="utf-8")
)
SOURCE_SCHEMA = {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/Source"}


@pytest.fixture
def notes(tmp_path, monkeypatch) -> Path:
    target = tmp_path / "notes"
    shutil.copytree(FIXTURES / "collection", target)
    monkeypatch.chdir(tmp_path)
    return target


def run(*args, env=None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def urls_of(jsonl: str) -> list[str]:
    return [json.loads(line)["url"] for line in jsonl.splitlines()]


# ---------------------------------------------------------------- exact output

TABLE_TEXT = """\
STATUS   PUBLISHED   CHECKED  WORDS  SITE                 SEED      TITLE
ok *2    2026-11-19  2h          31  Example News         alpha.md  Council budget to rise
ok       2026-10-02  1d         138  blog.sample.org      alpha.md  The river is back
gone     2025-01-05  3w           4  Gone Net             alpha.md  An old page
ok       2026-11-19  2h          31  Example News         beta.txt  Council budget to rise
error                never           timeout.example.org  beta.txt  https://timeout.example.org/slow
pending              never           pending.example.com  beta.txt  https://pending.example.com/new
6 sources, 3 ok, 1 error, 1 gone, 1 pending
"""


def test_table_text_exact(notes):
    coll = collection.load([notes], ("*.md", "*.txt"))
    counts = collection.status_counts(coll.entries)
    assert render.table_text(coll.entries, counts, NOW) == TABLE_TEXT


TABLE_RICH = """\
status   title                             site                 published   checked  words  seed
────────────────────────────────────────────────────────────────────────────────────────────────────
ok *2    Council budget to rise            Example News         2026-11-19       2h     31  alpha.md
ok       The river is back                 blog.sample.org      2026-10-02       1d    138  alpha.md
gone     An old page                       Gone Net             2025-01-05       3w      4  alpha.md
ok       Council budget to rise            Example News         2026-11-19       2h     31  beta.txt
error    https://timeout.example.org/slow  timeout.example.org                never         beta.txt
pending  https://pending.example.com/new   pending.example.com                never         beta.txt
6 sources, 3 ok, 1 error, 1 gone, 1 pending
"""


def test_table_rich_recorded_at_fixed_width(notes):
    coll = collection.load([notes], ("*.md", "*.txt"))
    console = Console(
        record=True, width=100, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    console.print(render.table_rich(coll.entries, collection.status_counts(coll.entries), NOW))
    exported = "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())
    assert exported == TABLE_RICH
    styled = console.file.getvalue()
    assert "\x1b[1;31merror" in styled and "\x1b[32mok" in styled  # statuses coloured


TABLE_MARKDOWN = """\
| status | title | site | published | checked | words | seed |
|---|---|---|---|---|---|---|
| gone | [An old page](<https://gone.example.net/old>) | Gone Net | 2025-01-05 | 3w | 4 | alpha.md |
| error | [https://timeout.example.org/slow](<https://timeout.example.org/slow>) \
| timeout.example.org |  | never |  | beta.txt |

2 sources, 1 error, 1 gone
"""


def test_table_markdown_exact(notes):
    coll = collection.load([notes], ("*.md", "*.txt"))
    entries = collection.filter_entries(coll.entries, statuses=["gone", "error"], now=NOW)
    counts = collection.status_counts(entries)
    assert render.table_markdown(entries, counts, NOW) == TABLE_MARKDOWN


ARTICLE_TEXT = """\
alpha.md
========

Council budget to rise
----------------------
Label: Budget story
Site: Example News
Authors: Ann Reporter, Bo Writer
Published: 2026-11-19T09:00:00+01:00
URL: https://news.example.com/council-budget
Status: ok (checked 2h ago, 31 words)
Seed: notes/alpha.md

The council met on Monday.

The mayor said the budget would rise by seven percent next year.

Residents were not consulted.

[… 2 more paragraphs; --full shows the whole text]

An old page
-----------
Site: Gone Net
Published: 2025-01-05
URL: https://gone.example.net/old
Status: gone (checked 3w ago, 4 words)
Error: http_status: HTTP 404 (2026-11-24T09:00:00Z)
Seed: notes/alpha.md

It was here once.
"""


def _alpha_sections(notes, *urls):
    coll = collection.load([Path("notes/alpha.md")], ("*.md",))
    blocks = [(e, [e.seed]) for e in coll.entries if e.url in urls]
    return [("alpha.md", blocks)]


def test_articles_text_exact(notes):
    sections = _alpha_sections(
        notes, "https://news.example.com/council-budget", "https://gone.example.net/old"
    )
    assert render.articles_text(sections, False, NOW, 80) == ARTICLE_TEXT


def test_articles_text_full_and_wrapped(notes):
    sections = _alpha_sections(notes, "https://blog.sample.org/river")
    out = render.articles_text(sections, True, NOW, 60)
    assert out.count("Paragraph ") == 6 and "more paragraph" not in out
    assert max(len(line) for line in out.splitlines()) <= 60
    short = render.articles_text(sections, False, NOW, 60)
    assert short.count("Paragraph ") == 3 and "[… 3 more paragraphs; --full" in short


ARTICLE_MARKDOWN = """\
# alpha.md

## An old page

- **Site:** Gone Net
- **Published:** 2025-01-05
- **URL:** <https://gone.example.net/old>
- **Status:** gone (checked 3w ago, 4 words)
- **Error:** http\\_status: HTTP 404 (2026-11-24T09:00:00Z)
- **Seed:** notes/alpha.md

It was here once.

## Sources

1. [An old page](<https://gone.example.net/old>)
"""


def test_articles_markdown_exact(notes):
    sections = _alpha_sections(notes, "https://gone.example.net/old")
    assert render.articles_markdown(sections, False, NOW) == ARTICLE_MARKDOWN


def test_articles_rich_recorded(notes):
    sections = _alpha_sections(notes, "https://gone.example.net/old")
    console = Console(record=True, width=60, file=io.StringIO())
    console.print(render.articles_rich(sections, False, NOW))
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert lines[0].startswith("───") and " alpha.md " in lines[0]
    assert lines[1:9] == [
        "An old page",
        "Site: Gone Net",
        "Published: 2025-01-05",
        "URL: https://gone.example.net/old",
        "Status: gone (checked 3w ago, 4 words)",
        "Error: http_status: HTTP 404 (2026-11-24T09:00:00Z)",
        "Seed: notes/alpha.md",
        "",
    ]
    assert lines[9] == "It was here once."


# ---------------------------------------------------------------- the CLI


def test_show_folder_piped_is_a_text_table(notes):
    r = run("show", str(notes))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["STATUS", "PUBLISHED", "CHECKED", "WORDS", "SITE", "SEED", "TITLE"]
    assert len(lines) == 8 and lines[-1] == "6 sources, 3 ok, 1 error, 1 gone, 1 pending"
    assert "\x1b" not in r.stdout


def test_show_defaults_to_the_current_folder(notes, monkeypatch):
    monkeypatch.chdir(notes)
    r = run("show", "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == 6


def test_show_on_a_terminal_defaults_to_rich(notes):
    r = run("show", str(notes), env={"FORCE_COLOR": "1", "COLUMNS": "120", "TERM": "xterm"})
    assert r.exit_code == 0, r.output
    assert "\x1b[" in r.stdout and "─────" in r.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--status", "ok"], ["council-budget", "river", "council-budget"]),
        (["--status", "error,gone"], ["old", "slow"]),
        (["--status", "error", "--status", "pending"], ["slow", "new"]),
        (["--site", "example news"], ["council-budget", "council-budget"]),
        (["--site", "SAMPLE.org"], ["river"]),  # by host
        (["--since", "2026-11-01"], ["council-budget", "council-budget"]),
        (["--since", "2026-10-02T00:00:00Z"], ["council-budget", "river", "council-budget"]),
        (["--sort", "date"], ["council-budget", "council-budget", "river", "old", "slow", "new"]),
        (["--sort", "site"], ["river", "council-budget", "council-budget", "old", "new", "slow"]),
        (["--sort", "status"], ["slow", "old", "new", "council-budget", "river", "council-budget"]),
        (
            ["--status", "ok", "--sort", "date", "--site", "e"],
            ["council-budget", "council-budget", "river"],
        ),
    ],
)
def test_filters_and_sorting(notes, args, expected):
    r = run("show", str(notes), "--format", "jsonl", *args)
    assert r.exit_code == 0, r.output
    assert [u.rsplit("/", 1)[1] for u in urls_of(r.stdout)] == expected


def test_stale_uses_refresh_after(notes, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_REFRESH_AFTER", "3650d")  # only never-checked ones
    r = run("show", str(notes), "--format", "jsonl", "--stale")
    assert [u.rsplit("/", 1)[1] for u in urls_of(r.stdout)] == ["slow", "new"]
    monkeypatch.setenv("NEWSGRAB_REFRESH_AFTER", "0")  # everything
    r = run("show", str(notes), "--format", "jsonl", "--stale")
    assert len(urls_of(r.stdout)) == 6


def test_since_accepts_an_age():
    assert collection.parse_since("7d", NOW) == datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    with pytest.raises(Exception, match="--since"):
        collection.parse_since("last tuesday", NOW)


def test_bad_filter_values_are_usage_errors(notes):
    r = run("show", str(notes), "--status", "fine")
    assert r.exit_code == 2 and "'fine' is not one of" in r.stderr
    r = run("show", str(notes), "--since", "someday")
    assert r.exit_code == 2 and "--since" in r.stderr and "Traceback" not in r.output


def test_show_seed_gives_its_articles(notes):
    r = run("show", str(notes / "beta.txt"))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"{notes / 'beta.txt'}\n====")
    assert "Council budget to rise\n----" in r.stdout
    assert "Error: timeout: read timed out after 30s (2026-11-24T09:30:00Z)" in r.stdout
    assert "Status: pending (never checked)" in r.stdout


def test_show_url_finds_the_source_wherever_stored(notes):
    r = run("show", "https://NEWS.example.com/council-budget?utm_source=x", "notes")
    assert r.exit_code == 0, r.output
    assert r.stdout.count("Council budget to rise\n") == 1  # one block for both seeds
    assert "Seeds: notes/alpha.md, notes/beta.txt" in r.stdout
    r = run("show", "https://news.example.com/council-budget", str(notes), "--format", "json")
    assert [o["seed"] for o in json.loads(r.stdout)] == [
        str(notes / "alpha.md"),
        str(notes / "beta.txt"),
    ]


def test_show_unknown_url_fails_in_one_line(notes):
    r = run("show", "https://nowhere.example/", str(notes))
    assert r.exit_code == 1
    assert r.stderr == "error: https://nowhere.example/: no stored source has this URL\n"


def test_show_sidecar_path_directly(notes):
    r = run("show", str(notes / "beta.sources.json"), "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert [json.loads(line)["seed"] for line in r.stdout.splitlines()] == [
        str(notes / "beta.txt")
    ] * 3


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_output_parses_back_and_matches_the_schema(notes, fmt):
    r = run("show", str(notes), "--format", fmt)
    assert r.exit_code == 0, r.output
    objects = (
        json.loads(r.stdout)
        if fmt == "json"
        else [json.loads(line) for line in r.stdout.splitlines()]
    )
    assert len(objects) == 6
    stored = json.loads((notes / "alpha.sources.json").read_text())["sources"]
    for obj in objects:
        assert list(obj)[:3] == ["seed", "sidecar", "url"]
        assert (
            Path(obj["sidecar"]).name == Path(obj["seed"]).stem + ".sources.json"
        )  # (the fixtures keep the old names)
        jsonschema.validate(
            {k: v for k, v in obj.items() if k not in ("seed", "sidecar")}, SOURCE_SCHEMA
        )
    assert {k: v for k, v in objects[0].items() if k not in ("seed", "sidecar")} == stored[0]


def test_markdown_format_is_one_document(notes):
    r = run("show", "notes/alpha.md", "--format", "markdown", "--full")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("# notes/alpha.md\n\n## Council budget to rise\n")
    assert r.stdout.count("\n## ") == 4 and "\n## Sources\n\n1. [Council" in r.stdout
    assert "Paragraph 6 of the river story" in r.stdout


def test_corrupt_sidecar_is_one_line_and_the_rest_is_shown(notes):
    (notes / "gamma.md").write_text("https://c.example/\n")
    (notes / "gamma.sources.json").write_text("{not json")
    (notes / "delta.md").write_text("https://d.example/\n")
    (notes / "delta.sources.json").write_text('{"schema_version": 99, "sources": []}')
    r = run("show", str(notes), "--format", "jsonl")
    assert r.exit_code == 65
    assert len(r.stdout.splitlines()) == 6
    errors = r.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {notes / 'delta.sources.json'}: schema_version 99")
    assert errors[1].startswith(f"error: {notes / 'gamma.sources.json'}: not valid JSON")


def test_unfetched_seeds_are_mentioned_on_stderr(notes):
    (notes / "new.md").write_text("https://n.example/\n")
    r = run("show", str(notes))
    assert r.exit_code == 0
    assert "not fetched yet (no sidecar):" in r.stderr and "new.md" in r.stderr
    assert "new.md" not in r.stdout


def test_no_seeds_at_all(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("show", str(empty))
    assert r.exit_code == 0
    assert r.stderr.startswith("no seed files under")
    assert r.stdout.splitlines()[-1] == "0 sources"


def test_pager_not_started_when_piped(notes, monkeypatch):
    import click

    def fail(*args, **kwargs):
        raise AssertionError("pager started")

    monkeypatch.setattr(render, "page", fail)
    monkeypatch.setattr(click, "echo_via_pager", fail)
    for env in ({}, {"FORCE_COLOR": "1", "LINES": "5"}):
        r = run("show", str(notes / "alpha.md"), "--full", env=env)
        assert r.exit_code == 0, r.output
        assert r.stdout.count("\n") > 40
