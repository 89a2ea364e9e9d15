"""A hostile source (title, body, site, author and error holding every escape and
control the issue lists, plus rich markup) shown in every format and mode, on a
pipe and on a forced terminal: nothing reaches the terminal but text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgrab.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "show"
URL = "https://evil.example/story"
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff")
SGR = re.compile("\x1b\\[[0-9;]*m")


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "hostile", tmp_path / "h")
    monkeypatch.chdir(tmp_path / "h")


def assert_clean(text: str, allow_sgr: bool = False) -> None:
    if allow_sgr:  # rich's own colours on a terminal, and nothing else
        text = SGR.sub("", text)
    assert "\x1b" not in text
    assert not [c for c in text if 0x80 <= ord(c) <= 0x9F]
    assert not BIDI & set(text)
    assert not ZERO_WIDTH & set(text)
    assert not [c for c in text if ord(c) < 0x20 and c not in "\n\t"]
    assert "\x7f" not in text


MODES = {"table": [], "seed": ["hostile.md"], "url": [URL], "history": ["--history"], "diff": None}
TERMINALS = {
    "pipe": {},
    "tty": {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "400", "LINES": "1000"},
    "tty-dumb": {"FORCE_COLOR": "1", "TERM": "dumb", "COLUMNS": "400"},
}


@pytest.mark.parametrize("fmt", ["rich", "text", "markdown", "json", "jsonl"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("terminal", list(TERMINALS))
def test_hostile_source_prints_only_text(hostile, fmt, mode, terminal):
    args = ["diff", URL] if MODES[mode] is None else ["show", *MODES[mode]]
    r = CliRunner().invoke(
        cli, [*args, "--format", fmt, "--no-pager"], env=TERMINALS[terminal], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    out = r.stdout_bytes.decode("utf-8")
    assert_clean(out, allow_sgr=fmt == "rich" and terminal == "tty")
    assert_clean(r.stderr)
    if fmt == "rich" and terminal == "tty":
        assert SGR.search(out)  # the test would notice colours going missing
    # markup and emoji codes from the data come out literally
    if fmt == "markdown":
        assert r"\[bold red\]red\[/\]" in out and ":warning:" in out
    elif mode != "table" or fmt != "rich":
        assert "[bold red]red[/]" in out and ":warning:" in out
        assert "[link=https://evil.example]x[/link]" in out
    if fmt not in ("json", "jsonl"):
        assert "pwned" not in out and "ZWNobyBwd25lZA" not in out  # OSC payloads gone


def test_markup_in_a_narrow_rich_table_is_literal(hostile):
    r = CliRunner().invoke(
        cli, ["show", "--format", "rich"], env={"FORCE_COLOR": "1", "COLUMNS": "400"}
    )
    assert r.exit_code == 0, r.output
    plain = SGR.sub("", r.stdout)
    assert "[bold red]red[/] [link=https://evil.example]x[/link] :warning: [/]" in plain
    assert "Evil Site [i]" in plain
