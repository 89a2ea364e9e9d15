"""`newsgrab show` and its pager in a real terminal (#14, item 7).

Each test runs the command in a pseudo-terminal of a given size (stdlib `pty`,
the child's controlling terminal) and reads what a terminal would show: the
raw bytes, and the screen as `pyte` (a VT100 emulator) draws it. Checked: no
literal escape codes on the screen, no line wider than the terminal, one line
per source, and the pager's environment (LESS=R when $LESS is unset).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest
from rich.cells import cell_len

from newsgrab.model import Article, CitedPlace, FetchFacts, Source, SourceError, Status, sha256_text
from newsgrab.store import new_sidecar, write_sidecar

NEWSGRAB = [sys.executable, "-m", "newsgrab"]
LONG_SITE = "The Extraordinarily Long Name Of A Regional Gazette"  # 51 characters
CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07")

# Runs in the child: make the pty its controlling terminal (less reads keys
# from /dev/tty), then become the command.
LAUNCHER = (
    "import fcntl, os, sys, termios; "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execvpe(sys.argv[1], sys.argv[1:], os.environ)"
)


def make_collection(folder: Path, n: int = 30) -> Path:
    """A seed `notes.md` citing `n` sources with long titles and site names,
    labels, wide characters and every status; its sidecar written by the store."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = folder / "notes.md"
    lines = ["# notes"]
    sources = []
    statuses = list(Status)
    for i in range(n):
        status = statuses[i % len(statuses)]
        text = f"Paragraph one of story {i}.\n\nParagraph two, which goes on a while."
        article = Article(
            title=f"Story {i}: the council votes on the harbour bridge budget after a long "
            "night of talks " + ("東京の記事" if i % 3 == 0 else "about everything"),
            site_name=LONG_SITE if i % 2 == 0 else f"site{i}.example",
            published_at="2026-11-19T09:00:00Z",
            text=text,
            word_count=len(text.split()),
            content_sha256=sha256_text(text),
        )
        url = f"https://site{i}.example/news/{i}/a-fairly-long-slug-for-the-story"
        lines.append(f"- [label {i}]({url})")  # line i + 2
        sources.append(
            Source(
                url=url,
                cited=[CitedPlace(line=i + 2, label=f"label {i}")],
                status=status,
                fetch=FetchFacts(
                    checked_at="2026-11-24T08:00:00Z", fetched_at="2026-11-24T08:00:00Z"
                ),
                error=None
                if status == Status.OK
                else SourceError(kind="timeout", message="slow", at="2026-11-24T08:00:00Z"),
                article=None if status == Status.PENDING else article,
            )
        )
    seed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_sidecar(folder / "notes.md.sources.json", new_sidecar("notes.md", "0" * 64, sources))
    return seed


class Terminal:
    """A command in a pseudo-terminal of `cols` x `rows`, its output on a pyte screen."""

    def __init__(self, args: list[str], cols: int, rows: int, env: dict[str, str], cwd: Path):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.raw = b""
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def read(self, until: float = 30.0, quiet: float = 0.5) -> None:
        """Read output until the child has ended, or nothing came for `quiet` s."""
        deadline = time.monotonic() + until
        last = time.monotonic()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the child side is closed
                    return
                if not chunk:
                    return
                self.raw += chunk
                self.stream.feed(chunk)
                last = time.monotonic()
            elif time.monotonic() - last > quiet and (self.raw or self.proc.poll() is not None):
                return

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> int:
        try:
            code = self.proc.wait(timeout=10)
        finally:
            os.close(self.master)
        return code

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def _printed_lines(raw: bytes) -> list[str]:
    text = CSI.sub("", raw.decode("utf-8", "replace")).replace("\r\n", "\n")
    return [line.rstrip("\r") for line in text.split("\n")]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    make_collection(tmp_path / "notes")
    return tmp_path


@pytest.mark.parametrize("fmt", ["rich", "text"])
@pytest.mark.parametrize("cols", [40, 80, 200])
def test_show_table_fits_the_terminal(notes, cols, fmt):
    term = Terminal(
        [*NEWSGRAB, "show", "notes", "--no-pager", "--format", fmt], cols, 60, _env(notes), notes
    )
    term.read()
    assert term.close() == 0, term.raw
    printed = [line for line in _printed_lines(term.raw) if line.strip()]
    assert printed, term.raw
    widest = max(cell_len(line) for line in printed)
    assert widest <= cols, [line for line in printed if cell_len(line) > cols]
    # one line per source: every source's status starts a line of its own
    rows = [
        line
        for line in printed
        if re.match(r"(ok|error|gone|blocked|unsupported|pending) {2,}\S", line)
    ]
    assert len(rows) == 30
    assert "30 sources" in " ".join(printed)
    assert all("\x1b" not in line and "[1m" not in line for line in term.lines())
    # a long site name is cut with an ellipsis (shown whole only when there is room)
    if cols < 200:
        assert any("…" in line for line in rows)
    assert LONG_SITE not in "\n".join(printed) or cols == 200


def test_show_rich_colours_reach_the_screen_without_literal_codes(notes):
    term = Terminal([*NEWSGRAB, "show", "notes", "--no-pager"], 100, 60, _env(notes), notes)
    term.read()
    assert term.close() == 0, term.raw
    assert b"\x1b[" in term.raw  # the terminal got colours...
    screen = "\n".join(term.lines())
    assert "[1m" not in screen and "\x1b" not in screen  # ...and shows them as colours
    bold = [ch for row in term.screen.buffer.values() for ch in row.values() if ch.bold]
    assert bold


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_pager_less_shows_colours_not_escape_codes(notes):
    """The issue's case: $LESS unset, the default pager less: colours, never ESC[1m."""
    term = Terminal([*NEWSGRAB, "show", "notes"], 100, 15, _env(notes), notes)
    term.read(quiet=1.0)
    screen = term.lines()
    term.send(b"q")
    term.read(quiet=0.5)
    assert term.close() == 0, term.raw
    text = "\n".join(screen)
    assert "status" in text and "Story 0" in text, text
    assert "ESC" not in text and "[1m" not in text and "\x1b" not in text, text
    assert all(cell_len(line) <= 100 for line in screen)


def _recording_pager(tmp_path: Path) -> str:
    script = tmp_path / "pager.py"
    script.write_text(
        "import os, sys\n"
        "out = os.environ['PAGER_OUT']\n"
        "open(out + '.less', 'w').write(os.environ.get('LESS', '<unset>'))\n"
        "open(out, 'wb').write(sys.stdin.buffer.read())\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


@pytest.mark.parametrize(
    "less_env, pager_name, colours, seen_less",
    [
        (None, "less", True, "R"),  # unset: newsgrab sets LESS=R, as git does
        ("-FRX", "less", True, "-FRX"),  # the user's own, with R: kept, colours
        ("-X", "less", False, "-X"),  # the user's own, without R: plain text
        (None, "more", False, "<unset>"),  # another pager: plain text
    ],
)
def test_pager_environment_and_colours(notes, less_env, pager_name, colours, seen_less):
    """The pager gets LESS=R when $LESS is unset, and colours only when it can
    show them. The recording pager is named `less` or `more` through a link."""
    bindir = notes / "bin"
    bindir.mkdir()
    wrapper = bindir / pager_name
    wrapper.write_text(f"#!/bin/sh\nexec {_recording_pager(notes)}\n", encoding="utf-8")
    wrapper.chmod(0o755)
    out = notes / "paged"
    env = _env(notes, PAGER=str(wrapper), PAGER_OUT=str(out))
    if less_env is not None:
        env["LESS"] = less_env
    term = Terminal([*NEWSGRAB, "show", "notes"], 90, 12, env, notes)
    term.read()
    assert term.close() == 0, term.raw
    paged = out.read_bytes().decode("utf-8")
    assert (notes / "paged.less").read_text() == seen_less
    assert "Story 0" in paged and "30 sources" in paged
    assert ("\x1b[" in paged) is colours
    assert all(cell_len(CSI.sub("", line)) <= 90 for line in paged.splitlines())


def test_pager_not_used_when_output_fits(notes):
    out = notes / "paged"
    env = _env(notes, PAGER=_recording_pager(notes), PAGER_OUT=str(out))
    term = Terminal([*NEWSGRAB, "show", "notes", "--status", "ok"], 120, 60, env, notes)
    term.read()
    assert term.close() == 0, term.raw
    assert not out.exists()
    assert "5 sources, 5 ok" in "\n".join(term.lines())


def test_article_view_shows_the_label_and_fits(notes):
    term = Terminal(
        [*NEWSGRAB, "show", "notes/notes.md", "--no-pager"], 40, 200, _env(notes), notes
    )
    term.read()
    assert term.close() == 0, term.raw
    printed = [line for line in _printed_lines(term.raw) if line.strip()]
    assert "Label: label 0" in printed
    assert max(cell_len(line) for line in printed) <= 40
