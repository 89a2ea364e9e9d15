"""Word-level diffs of revisions: collection.word_diff and `newsgrab diff`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgrab import collection, render
from newsgrab.cli import cli
from newsgrab.collection import Change, Fold

FIXTURES = Path(__file__).parent / "fixtures" / "show"
URL = "https://news.example.com/council-budget"


@pytest.fixture
def notes(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "collection", tmp_path / "notes")
    monkeypatch.chdir(tmp_path)


def test_word_diff_of_a_known_pair():
    old = "Same one.\n\nThe budget will rise.\n\nSame two.\n\nSame three."
    new = "Same one.\n\nThe budget would rise by five percent.\n\nSame two.\n\nSame three.\n\nNew."
    blocks = collection.word_diff(old, new)
    assert [type(b) for b in blocks] == [Fold, Change, Fold, Change]
    assert blocks[0] == Fold(1) and blocks[2] == Fold(2)
    assert blocks[3] == Change([("+", ["New."])])
    assert blocks[1].runs[0] == ("=", ["The", "budget"])
    runs = collection.word_diff(old, new)[1].runs
    removed = [w for tag, words in runs if tag == "-" for w in words]
    added = [w for tag, words in runs if tag == "+" for w in words]
    assert removed == ["will", "rise."]
    assert added == ["would", "rise", "by", "five", "percent."]
    assert collection.diff_counts(collection.word_diff(old, new)) == (6, 2)


def test_identical_texts_fold_everything():
    assert collection.word_diff("a\n\nb", "a\n\nb") == [Fold(2)]


DIFF_TEXT = """\
https://news.example.com/council-budget
Seeds: notes/alpha.md, notes/beta.txt
3 versions

Version 1 of 3 · current · fetched 2026-11-24T08:00:00Z · sha256 eb61e14ea278 · 31 words
--------------------------------------------------------------------------------
Title: Council budget to rise
Title before: Council budget
+9 -2 words since the version before

[… 1 unchanged paragraph …]

The mayor said the budget would rise by [-five percent.-] {+seven percent next
year.+}

[… 2 unchanged paragraphs …]

{+A petition has 300 signatures.+}

Version 2 of 3 · fetched 2026-11-21T08:00:00Z · sha256 6d63f379520e · 24 words
------------------------------------------------------------------------------
Title: Council budget
+8 -2 words since the version before

[… 1 unchanged paragraph …]

The {+mayor said the+} budget [-will rise.-] {+would rise by five percent.+}

[… 2 unchanged paragraphs …]

Version 3 of 3 · fetched 2026-11-20T08:00:00Z · sha256 f2b86ac572b9 · 18 words
------------------------------------------------------------------------------
Title: Council budget
first stored version
"""


def test_diff_text_exact(notes):
    r = CliRunner().invoke(cli, ["diff", URL, "notes"])
    assert r.exit_code == 0, r.output
    assert r.stdout == DIFF_TEXT


def test_diff_markdown(notes):
    r = CliRunner().invoke(cli, ["diff", URL, "notes", "--format", "markdown"])
    assert r.exit_code == 0, r.output
    assert (
        "The mayor said the budget would rise by ~~five percent.~~ "
        "**seven percent next year.**\n" in r.stdout
    )
    assert "*\\[… 2 unchanged paragraphs …\\]*" in r.stdout


def test_diff_rich_marks_words(notes):
    r = CliRunner().invoke(
        cli,
        ["diff", URL, "notes", "--format", "rich", "--no-pager"],
        env={"FORCE_COLOR": "1", "COLUMNS": "200", "TERM": "xterm"},
    )
    assert r.exit_code == 0, r.output
    assert "\x1b[9;31mfive percent." in r.stdout or "\x1b[31;9mfive percent." in r.stdout
    assert "\x1b[1;32mseven percent next year." in r.stdout


@pytest.mark.parametrize("args", [["diff", URL, "notes"], ["show", URL, "notes", "--history"]])
def test_diff_json_is_the_revisions_list(notes, args):
    r = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    [obj] = json.loads(r.stdout)
    assert obj["url"] == URL and obj["seeds"] == ["notes/alpha.md", "notes/beta.txt"]
    revs = obj["revisions"]
    assert [r["fetched_at"] for r in revs] == [
        "2026-11-24T08:00:00Z",
        "2026-11-21T08:00:00Z",
        "2026-11-20T08:00:00Z",
    ]
    assert [r["current"] for r in revs] == [True, False, False]
    assert list(revs[0]) == [
        "fetched_at",
        "content_sha256",
        "title",
        "text",
        "word_count",
        "current",
    ]


def test_diff_unknown_url(notes):
    r = CliRunner().invoke(cli, ["diff", "https://nowhere.example/", "notes"])
    assert r.exit_code == 1
    assert "no stored source has this URL" in r.stderr


def test_a_source_without_revisions_has_one_version(notes):
    r = CliRunner().invoke(cli, ["diff", "https://blog.sample.org/river", "notes"])
    assert r.exit_code == 0, r.output
    assert "1 version\n" in r.stdout and "first stored version" in r.stdout
    assert render.sanitize(r.stdout) == r.stdout
