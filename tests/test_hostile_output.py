"""Hostile text on its way out: JSON output is terminal-safe and exact; a closed
pipe ends newsgrab quietly with the conventional status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgrab import plain
from newsgrab.cli import PIPE_CLOSED, cli

FIXTURES = Path(__file__).parent / "fixtures" / "show"
# what a hostile page or document carries: a bidi override, a clear-screen escape,
# C1 CSI, an OSC window title, a zero-width space, a BOM, a line separator, DEL
EVIL = "Evil \u202etxt.exe\x1b[2J\x9b31m\x1b]0;title\x07link\u200b\ufeff\u2028\x7f end"
UNSAFE_RAW = ["\x1b", "\x9b", "\u202e", "\u200b", "\ufeff", "\u2028", "\x7f", "\x07"]


def assert_terminal_safe(output: str) -> None:
    for ch in UNSAFE_RAW:
        assert ch not in output, f"raw U+{ord(ch):04X} in output"
    assert plain.sanitize(output) == output


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
@settings(max_examples=60, deadline=None)
def test_json_text_is_exact_and_terminal_safe(value):
    out = plain.json_text(value, indent=2)
    assert json.loads(out) == value
    assert plain.sanitize(out) == out


def test_json_text_escapes_what_sanitize_removes():
    out = plain.json_text({"t": EVIL + "\U000e0041\udcff"})
    assert_terminal_safe(out)
    assert "\\u202e" in out and "\\u001b[2J" in out and "\\u009b" in out
    assert "\\udb40\\udc41" in out  # a tag character, as a surrogate pair
    assert "\\udcff" in out  # a file name byte that is not UTF-8
    assert json.loads(out) == {"t": EVIL + "\U000e0041\udcff"}
    assert "é 日本" in plain.json_text("é 日本")  # readable text stays as it is


def test_urls_json_is_terminal_safe_and_exact(tmp_path):
    seed = tmp_path / "evil.md"
    seed.write_text(f"Related article: {EVIL}\nhttps://example.org/a\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["urls", str(seed), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert_terminal_safe(r.stdout)
    [row] = json.loads(r.stdout)
    assert "\u202e" in row["label"] and "\x1b[2J" in row["label"]  # nothing lost
    # the text output is sanitized (characters removed)
    r = CliRunner().invoke(cli, ["urls", str(seed)])
    assert r.exit_code == 0
    assert_terminal_safe(r.stdout)


def test_urls_json_names_a_file_that_is_not_utf8_exactly(tmp_path):
    name = b"caf\xe9 \x1b[2J.txt"  # Latin-1 bytes and an escape in a file name
    (tmp_path / os.fsdecode(name)).write_text("see https://example.org/x\n")
    r = CliRunner().invoke(cli, ["urls", str(tmp_path), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert_terminal_safe(r.stdout)
    [row] = json.loads(r.stdout)
    assert os.fsencode(row["file"]).endswith(name)  # it can be opened with it
    assert Path(row["file"]).read_text().startswith("see")


def test_fetch_json_report_is_terminal_safe(tmp_path, web, local_env):
    web.expect_request("/gone").respond_with_data("no", status=404)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / f"{EVIL}.md").write_text(f"{web.url_for('/gone')}\n")  # the seed's name
    r = CliRunner().invoke(cli, ["fetch", "--json", str(docs)])
    assert r.exit_code == 1, r.output
    assert_terminal_safe(r.stdout)
    report = json.loads(r.stdout)
    [source] = report["sources"]
    assert source["status"] == "gone"
    assert source["seed"].endswith(f"{EVIL}.md")  # kept exactly, escaped


def test_extract_json_is_terminal_safe(tmp_path):
    page = tmp_path / "p.html"
    body = "<p>" + "A long enough paragraph of text about the harbour. " * 8 + "</p>"
    page.write_text(
        f"<html><head><title>{EVIL}</title></head><body><article>{body}</article></body></html>",
        encoding="utf-8",
    )
    r = CliRunner().invoke(cli, ["extract", str(page)])
    assert r.exit_code == 0, r.output
    assert_terminal_safe(r.stdout)
    # exact: what a terminal must not see is escaped (\\uXXXX), not removed
    from newsgrab.extract import extract

    assert json.loads(r.stdout)["title"] == extract(page.read_bytes()).title


# ---------------------------------------------------------------- closed pipes


def run_into_closed_pipe(args, cwd, read: int = 0) -> subprocess.CompletedProcess:
    """Run newsgrab with stdout a pipe whose reader reads `read` bytes and leaves."""
    r, w = os.pipe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAB_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsgrab", *args],
        stdout=w,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
    )
    os.close(w)
    with os.fdopen(r, "rb", buffering=0) as reader:
        if read:
            reader.read(read)
    _, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(args, proc.returncode, b"", stderr)


@pytest.fixture
def pipe_dir(tmp_path):
    shutil.copytree(FIXTURES / "collection", tmp_path / "notes")
    many = "\n".join(f"see https://example.org/story/{i}" for i in range(2_000))
    (tmp_path / "many.txt").write_text(many + "\n")
    (tmp_path / "none.txt").write_text("no links here\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "read"),
    [
        (["urls", "many.txt"], 0),  # | head -c0
        (["urls", "many.txt"], 40),  # | head -1: the reader goes after a line
        (["urls", "many.txt", "--format", "json"], 1),  # | head -c1
        (["urls", "none.txt", "notes/alpha.md"], 0),  # a short output, failing at exit
        (["show", "notes"], 0),  # show | head -0
        (["show", "notes", "--format", "jsonl"], 0),
        (["fetch", "--json", "none.txt"], 0),  # fetch --json | head -c1
        (["schema"], 0),
        (["--help"], 0),
    ],
)
def test_a_closed_pipe_ends_quietly(pipe_dir, args, read):
    cp = run_into_closed_pipe(args, pipe_dir, read)
    assert cp.stderr == b"", cp.stderr.decode(errors="replace")
    # 141 (128 + SIGPIPE) as git and coreutils; 0 when all of it fit in the pipe
    assert cp.returncode in (PIPE_CLOSED, 0)
    if not read:
        assert cp.returncode == PIPE_CLOSED


def test_a_closed_pipe_is_not_an_internal_error_in_process(pipe_dir, monkeypatch):
    """Under click's runner too (no real descriptor to redirect)."""

    def closed(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.chdir(pipe_dir)
    monkeypatch.setattr("click.echo", closed)
    r = CliRunner().invoke(cli, ["urls", "many.txt"])
    assert r.exit_code == PIPE_CLOSED
    assert "internal error" not in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    ("args", "env", "status"),
    [
        (["urls", "no-such-folder"], {}, 2),
        (["urls", "none.txt"], {"NEWSGRAB_DEADLINE": "nan"}, 2),
        (["show", "--since", "2026-13-45"], {}, 2),
        (["urls", "many.txt"], {}, PIPE_CLOSED),
    ],
)
def test_the_exit_status_tells_when_nobody_reads_stderr_either(pipe_dir, args, env, status):
    """`newsgrab ... 2>&1 | head -0`: the error line cannot be written; the status
    is still the error's, not 1 or 120."""
    r, w = os.pipe()
    os.close(r)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAB_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsgrab", *args], stdout=w, stderr=w, cwd=pipe_dir, env=clean | env
    )
    os.close(w)
    assert proc.wait(timeout=60) == status
