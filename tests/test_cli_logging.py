"""Log lines (which carry URLs, titles and server messages) are sanitized."""

from __future__ import annotations

import logging

from newsgrab.cli import SafeFormatter


def test_log_lines_lose_escape_sequences_and_bidi_controls():
    record = logging.LogRecord(
        "newsgrab.fetch",
        logging.INFO,
        __file__,
        1,
        "GET %s -> %s",
        ("http://x.example/\x1b]8;;http://evil\x07a", "title \x1b[2J\u202eevil\x9b"),
        None,
    )
    line = SafeFormatter("%(levelname)s %(message)s").format(record)
    assert line.startswith("INFO GET http://x.example/")
    assert "\x1b" not in line and "\u202e" not in line and "\x9b" not in line
    assert "evil" in line  # the text stays readable, only the controls go
