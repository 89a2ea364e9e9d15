"""`show` that fits the terminal, its CSV format and the pager's colours (#14).

(The same in a real pseudo-terminal: test_ux_terminal.py.)
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from test_hostile_output import run_into_closed_pipe
from test_ux_terminal import LONG_SITE, make_collection

from newsgrab import collection, render
from newsgrab.cli import PIPE_CLOSED, cli
from newsgrab.collection import Entry
from newsgrab.model import Article, CitedPlace, FetchFacts, Source, Status, sha256_text

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def run(*args, env=None, input=None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def _entry(title: str, site: str, label: str | None = None, status=Status.OK) -> Entry:
    text = "Body text of the article."
    article = Article(
        title=title,
        site_name=site,
        text=text,
        word_count=5,
        content_sha256=sha256_text(text),
        published_at="2026-11-19",
    )
    source = Source(
        url="https://example.org/a",
        cited=[CitedPlace(line=1, label=label)],
        status=status,
        fetch=FetchFacts(checked_at="2026-11-24T08:00:00Z"),
        article=article,
    )
    return Entry(Path("notes/a.md"), Path("notes/a.md.sources.json"), source)


def _rich_lines(renderable, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue().splitlines()


# ---------------------------------------------------------------- fitting


printable = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(min_value=20, max_value=250),
    titles=st.lists(st.tuples(printable, printable, st.sampled_from(list(Status))), max_size=6),
)
def test_every_table_line_fits_any_width(width, titles):
    """Whatever the titles and site names (wide characters, controls, bidi), the
    rich and the text table on a terminal of `width` columns: every line fits,
    one line per source (the footer may wrap)."""
    entries = [_entry(t or "t", s or "s", status=status) for t, s, status in titles]
    counts = collection.status_counts(entries)
    lines = _rich_lines(render.table_rich(entries, counts, NOW, width), width)
    assert all(cell_len(line) <= width for line in lines), lines
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    footer = next(i for i, line in enumerate(lines) if line.split(" ")[0].isdigit())
    assert footer - rule - 1 == len(entries)  # one line per source
    text = render.table_text(entries, counts, NOW, width)
    assert all(cell_len(line) <= width for line in text.splitlines()), text
    assert len(text.splitlines()) >= len(entries) + 2


def test_long_site_names_are_cut_and_titles_get_the_room():
    entries = [_entry("A headline that is long enough to need the room " * 2, LONG_SITE)]
    lines = _rich_lines(render.table_rich(entries, {"ok": 1}, NOW, 100), 100)
    row = next(line for line in lines if line.startswith("ok"))
    assert LONG_SITE not in row and "The Extraordina…" in row
    assert "A headline that is long enough to need …" in row  # 40% of the width
    assert row.rstrip().endswith("a.md")  # the seed column still there at 100


def test_columns_go_when_the_terminal_is_narrow():
    widths = render.fit_columns(
        {
            "status": 7,
            "published": 10,
            "checked": 5,
            "words": 5,
            "site": 24,
            "seed": 20,
            "title": 60,
        },
        ("status", "title", "site", "published", "checked", "words", "seed"),
        40,
        2,
    )
    assert list(widths) == ["status", "title", "site"]
    assert sum(widths.values()) + 2 * (len(widths) - 1) <= 40
    assert widths["title"] >= 16


def test_the_text_table_is_never_cut_on_a_pipe(tmp_path, monkeypatch):
    make_collection(tmp_path / "notes", n=3)
    monkeypatch.chdir(tmp_path)
    r = run("show", "notes", "--format", "text", env={"COLUMNS": "40"})
    assert r.exit_code == 0
    assert "The Extraordinarily Lon… " in r.stdout  # capped at 24 as before, not at the width
    assert "東京の記事" in r.stdout and "…" in r.stdout.split("\n")[1]


def test_the_label_in_the_article_view(tmp_path, monkeypatch):
    make_collection(tmp_path / "notes", n=2)
    monkeypatch.chdir(tmp_path)
    for fmt, expected in (("text", "Label: label 1"), ("markdown", "- **Label:** label 1")):
        r = run("show", "notes/notes.md", "--format", fmt)
        assert r.exit_code == 0
        assert expected in r.stdout


def test_a_hostile_label_prints_as_text(tmp_path, monkeypatch):
    entry = _entry(
        "T", "S", label="\x1b]8;;https://evil\x07click\x1b]8;;\x07 \u202ereversed\n[bold]x"
    )
    out = render.articles_text([("notes/a.md", [(entry, [entry.seed])])], False, NOW)
    assert "Label: click reversed [bold]x" in out
    assert "\x1b" not in out and "\u202e" not in out


# ---------------------------------------------------------------- the pager


@pytest.mark.parametrize(
    "env, cmd, colours, less",
    [
        ({}, ["less"], True, "R"),
        ({"LESS": "FRX"}, ["less"], True, "FRX"),
        ({"LESS": "-X --mouse"}, ["less"], False, "-X --mouse"),
        ({"LESS": "--RAW-CONTROL-CHARS"}, ["less"], True, "--RAW-CONTROL-CHARS"),
        ({"LESS": ""}, ["less", "-R"], True, ""),
        ({"LESS": "-X --use-color"}, ["/usr/bin/less"], False, "-X --use-color"),
        ({}, ["more"], False, None),
        ({}, ["most"], False, None),
    ],
)
def test_pager_env(env, cmd, colours, less):
    child, shows = render.pager_env(cmd, env)
    assert shows is colours
    assert child.get("LESS") == less


@pytest.mark.parametrize(
    "value, cmd",
    [
        (None, ["less"]),
        ("less -S", ["less", "-S"]),
        ("'/opt/my pager/bin/less' -R", ["/opt/my pager/bin/less", "-R"]),
        ("", None),
        ("cat", None),
        ("/bin/cat", None),
        ("less 'unbalanced", None),
    ],
)
def test_pager_command(value, cmd):
    env = {} if value is None else {"PAGER": value}
    assert render.pager_command(env) == cmd


# ---------------------------------------------------------------- CSV


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_show_csv(tmp_path, monkeypatch):
    make_collection(tmp_path / "notes", n=6)
    monkeypatch.chdir(tmp_path)
    r = run("show", "notes", "--format", "csv", "--status", "ok,error")
    assert r.exit_code == 0
    rows = _csv(r.stdout)
    assert [row["status"] for row in rows] == ["ok", "error"]
    first = rows[0]
    assert list(first) == list(render.CSV_COLUMNS)
    assert first["label"] == "label 0" and first["line"] == "2"
    assert first["site"] == LONG_SITE and first["words"] == "12"
    assert first["url"] == "https://site0.example/news/0/a-fairly-long-slug-for-the-story"
    assert rows[1]["error_kind"] == "timeout"


def test_csv_with_history_is_a_usage_error(tmp_path, monkeypatch):
    make_collection(tmp_path / "notes", n=2)
    monkeypatch.chdir(tmp_path)
    r = run("show", "notes", "--format", "csv", "--history")
    assert r.exit_code == 2 and "not with --history" in r.stderr


formula = st.sampled_from(["=", "+", "-", "@", "\t", "\r"])


@settings(max_examples=100, deadline=None)
@given(
    title=st.one_of(
        st.builds(lambda f, t: f + t, formula, st.text(max_size=30)), st.text(max_size=40)
    ),
    site=st.text(max_size=30),
    label=st.one_of(st.none(), st.text(max_size=30)),
)
def test_csv_cells_never_start_a_formula_and_stay_one_line(title, site, label):
    """CSV injection: a cell a spreadsheet would run as a formula (= + - @, tab,
    CR first) gets a leading apostrophe; every cell is one sanitized line; the
    file parses back to one row with the header's columns."""
    text = render.csv_sources([_entry(title, site, label)])
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and len(rows[1]) == len(render.CSV_COLUMNS)
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert "\n" not in cell and "\x1b" not in cell and "\u202e" not in cell
    row = dict(zip(rows[0], rows[1], strict=True))
    cleaned = render.one_line(title)
    assert row["title"] in (cleaned, "'" + cleaned)


# ---------------------------------------------------------------- pipes


@pytest.mark.parametrize(
    "args",
    [
        ["show", "notes", "--format", "csv"],
        ["config"],
        ["completion", "bash"],
        ["fetch", "--dry-run", "notes"],
    ],
)
def test_a_closed_pipe_ends_new_commands_quietly(tmp_path, args):
    make_collection(tmp_path / "notes", n=30)
    cp = run_into_closed_pipe(args, tmp_path)
    assert cp.stderr == b"", cp.stderr.decode(errors="replace")
    assert cp.returncode == PIPE_CLOSED


def test_jsonl_and_csv_agree(tmp_path, monkeypatch):
    make_collection(tmp_path / "notes", n=4)
    monkeypatch.chdir(tmp_path)
    objects = [
        json.loads(line) for line in run("show", "notes", "--format", "jsonl").stdout.splitlines()
    ]
    rows = _csv(run("show", "notes", "--format", "csv").stdout)
    assert [o["url"] for o in objects] == [r["url"] for r in rows]
    assert [o["status"] for o in objects] == [r["status"] for r in rows]
