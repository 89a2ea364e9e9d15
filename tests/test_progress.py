"""The fetch progress bar, on a real pseudo-terminal: it counts URLs, shows the
rate, the time left, ok and failed tallies and the host a slow request waits
on; it never draws a line wider than the terminal, and never reaches a pipe."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

import pytest
from test_refresh_support import Site

from newsgrab.progress import WAITING_AFTER, waiting_on

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


@pytest.fixture
def site(web):
    return Site(web)


def run_in_pty(args: list[str], columns: int, timeout: float = 60.0) -> tuple[int, str]:
    """Run `python -m newsgrab ARGS` with a terminal of `columns` columns as
    stdin, stdout and stderr; return its exit code and everything it drew."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsgrab", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=10)
    os.close(master)
    return code, out.decode("utf-8", "replace")


def screen_lines(drawn: str) -> list[str]:
    """What each redraw left on a line: escapes removed, carriage returns honoured."""
    text = ESCAPES.sub("", drawn)
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines.extend(part for part in line.split("\r") if part)
    return lines


@pytest.mark.parametrize("columns", [80, 120])
def test_the_bar_shows_rate_eta_tallies_and_the_slow_host(site, local_env, tmp_path, columns):
    urls = [site.article(f"/p/{i}", f"Story {i}") for i in range(6)]
    slow = site.article("/p/slow", "The slow one", delay=WAITING_AFTER + 2.5)
    missing = site.url("/p/missing")
    (tmp_path / "notes.md").write_text("\n".join([*urls, slow, missing]) + "\n")
    code, drawn = run_in_pty(["fetch", str(tmp_path)], columns)
    assert code == 1, drawn  # the missing page
    lines = screen_lines(drawn)
    bar = [line for line in lines if line.startswith("fetching")]
    assert bar, drawn
    every = "\n".join(bar)
    assert "URLs" in every and "/s" in every and "ETA" in every
    assert re.search(r"\d+/8 URLs", every)
    assert re.search(r"\d+ ok\s+\d+ failed", every)
    assert "1 failed" in every
    assert "waiting on" in every  # the slow page's host, named ...
    if columns >= 100:
        assert re.search(r"waiting on (localhost|127\.0\.0\.1) \(\d+s\)", every)  # ... in full
    # the bar never wraps (failure lines are records for grep: the terminal wraps them)
    assert all(len(line) <= columns for line in bar), max(bar, key=len)
    # the summary is there, after the bar (which is gone: transient)
    assert any(line.startswith("newsgrab: 1 seed, 8 URLs") for line in lines)


def test_no_bar_without_a_terminal(site, local_env, tmp_path):
    (tmp_path / "notes.md").write_text(site.article("/p/a", "Story") + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "newsgrab", "fetch", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "fetching" not in proc.stderr and "\x1b" not in proc.stderr + proc.stdout


def test_waiting_on_names_the_oldest_slow_request_only():
    now = 100.0
    assert waiting_on({}, now) == ""
    assert waiting_on({"https://fast.example/a": now - 0.5}, now) == ""
    shown = waiting_on(
        {"https://fast.example/a": now - 0.5, "https://slow.example/b": now - 9.2}, now
    )
    assert shown == "waiting on slow.example (9s)"
    # a hostile host name cannot draw on the terminal
    odd = waiting_on({"https://xn--e1afmkfd.example/\x1b[31m": now - 5}, now)
    assert "\x1b" not in odd
