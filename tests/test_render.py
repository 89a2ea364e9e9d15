"""render.py: the sanitizer, markup safety, Markdown escaping, ages, the pager rule."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from newsgrab import render
from newsgrab.render import age, md_escape, md_url, one_line, safe_text, sanitize

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("a\x1b[2Jb", "ab"),  # CSI: clear screen
        ("a\x1b[1;31mred\x1b[0mb", "aredb"),  # CSI: SGR colour
        ("a\x1b[?1049hb", "ab"),  # CSI: private mode
        ("a\x9b31mb", "ab"),  # C1 CSI
        ("a\x1b]0;title\x07b", "ab"),  # OSC window title, BEL
        ("a\x1b]2;title\x1b\\b", "ab"),  # OSC, ST
        ("\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("a\x1b]52;c;ZWNobyBoaQ==\x07b", "ab"),  # OSC 52 clipboard
        ("a\x9d0;title\x9cb", "ab"),  # C1 OSC and ST
        ("a\x1bP+q544e\x1b\\b", "ab"),  # DCS
        ("a\x1b_apc\x1b\\b", "ab"),  # APC
        ("a\x1b7\x1b8\x1bcb", "ab"),  # save/restore cursor, reset
        ("a\x1b(0b", "ab"),  # charset designation
        ("a\x1b]0;unterminated title", "a0;unterminated title"),  # no terminator: ESC ] only
        ("a\x1b", "a"),  # lone ESC
        ("a\x00\x07\x08\x0e\x1f\x7fb", "ab"),  # C0 and DEL
        ("a\x80\x85\x9fb", "ab"),  # C1
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # kept
        ("cr\r\nlf\rx\x0by\x0cz", "cr\nlf\nx\ny\nz"),  # become newlines
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("\u202eevil\u202c \u202a\u202b\u202d", "evil "),  # bidi embeddings, overrides
        ("\u2066iso\u2069\u2067\u2068", "iso"),  # bidi isolates
        ("\u200e\u200f\u061cx", "x"),  # bidi marks
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff\u180e", "zerowidth"),
        ("tag\U000e0041\U000e007f", "tag"),  # Unicode tags
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("Привет, мир — 東京 ✓", "Привет, мир — 東京 ✓"),  # ordinary text untouched
    ],
)
def test_sanitize(raw, clean):
    assert sanitize(raw) == clean


def test_sanitize_none_and_objects():
    assert sanitize(None) == ""
    assert sanitize(42) == "42"


def test_sanitize_leaves_no_control_anywhere():
    every = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u202a\u202e\u2066\u2069\u200b"
    out = sanitize(every + "x" + every)
    assert all(c in "\t\n" or 0x20 <= ord(c) < 0x7F for c in out)


def test_one_line_collapses_whitespace():
    assert one_line("  a\n\tb\r\n c  ") == "a b c"


@pytest.mark.parametrize(
    "markup",
    [
        "[bold red]red[/]",
        "[link=https://evil.example]x[/link]",
        ":warning:",
        "[/]",
        "[/bold]",
        "[@click=quit]x[/]",
    ],
)
def test_markup_and_emoji_codes_print_literally(markup):
    console = Console(
        record=True, width=80, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    console.print(safe_text(markup, style="bold"))
    assert console.export_text() == markup + "\n"
    assert "\x1b]8" not in console.file.getvalue()  # no hyperlink planted


def test_md_escape():
    assert (
        md_escape("[x](javascript:alert(1)) *b* <img> a|b")
        == r"\[x\](javascript:alert(1)) \*b\* \<img\> a\|b"
    )
    assert md_escape("- item\n# heading\n1. one") == "\\- item\n\\# heading\n1\\. one"
    assert md_escape("\x1b]0;t\x07ok") == "ok"


def test_md_url():
    assert md_url("https://a.example/x y>") == "<https://a.example/x%20y%3E>"
    assert md_url("javascript:alert(1)") == "javascript:alert(1)"


@pytest.mark.parametrize(
    "delta, text",
    [
        (None, "never"),
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=12), "12m"),
        (timedelta(hours=5, minutes=59), "5h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=15), "2w"),
        (timedelta(days=800), "2y"),
    ],
)
def test_age(delta, text):
    assert age(None if delta is None else NOW - delta, NOW) == text


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def _console(file, height=10):
    return Console(file=file, force_terminal=True, width=40, height=height, color_system=None)


def test_long_output_on_a_terminal_goes_through_the_pager(monkeypatch):
    paged = []
    monkeypatch.setattr(render, "page", lambda output, color: paged.append(output))
    console = _console(FakeTTY())
    render.emit(console, "line\n" * 30)
    assert paged == ["line\n" * 30]
    assert console.file.getvalue() == ""


@pytest.mark.parametrize(
    "file, text, enabled",
    [
        (FakeTTY(), "line\n" * 5, True),  # fits on the screen
        (FakeTTY(), "line\n" * 30, False),  # --no-pager
        (io.StringIO(), "line\n" * 30, True),  # a pipe, even with force_terminal
    ],
)
def test_no_pager(monkeypatch, file, text, enabled):
    monkeypatch.setattr(render, "page", lambda *a: pytest.fail("pager started"))
    console = _console(file)
    render.emit(console, text, pager=enabled)
    assert file.getvalue() == text


def test_summary_and_failure_lines_are_sanitized():
    line = render.failure_line(
        {
            "status": "error",
            "url": "https://x.example/\x1b]0;t\x07",
            "error": {"kind": "timeout", "message": "\x9b2J slow"},
            "seed": "a.md",
        }
    )
    assert line == "error\thttps://x.example/\ttimeout:  slow\t(a.md)"
