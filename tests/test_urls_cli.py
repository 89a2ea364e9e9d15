"""`newsgrab urls`: through click's CliRunner and once as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgrab.cli import cli

SHARED_SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_e98bc2b0e0306cca.txt"
)

SAMPLE = """\
The council voted on Monday to extend the night bus network to the
northern suburbs, the local paper reported.

Related article: Night Buses Return to the Northern Suburbs

https://www.example-wire.com/local/771204
https://www.example-daily.com/2026/02/10/night-buses-return-to-the-northern-suburbs


“It is a long overdue decision,” a resident said.
"""
WIRE = "https://www.example-wire.com/local/771204"
DAILY = "https://www.example-daily.com/2026/02/10/night-buses-return-to-the-northern-suburbs"
TITLE = "Night Buses Return to the Northern Suburbs"

MARKDOWN = """\
# Notes

- [Budget talks stall](https://news.example.org/budget?utm_source=x&id=9)
- Plain mention: <https://news.example.org/budget?id=9#comments>, again.
"""

HTML = """\
<html><body>
<p>Read <a href="https://news.example.org/port-strike?fbclid=abc">the port
strike story</a>.</p>
</body></html>
"""


@pytest.fixture
def seeds(tmp_path) -> Path:
    root = tmp_path / "seeds"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(SAMPLE, encoding="utf-8")
    (root / "sub" / "b.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "sub" / "c.html").write_text(HTML, encoding="utf-8")
    (root / "a.sources.json").write_text("{}", encoding="utf-8")
    (root / ".hidden.md").write_text("https://hidden.example.org/\n", encoding="utf-8")
    return root


def run(*args: str):
    return CliRunner().invoke(cli, ["urls", *args])


def test_urls_text_output(seeds):
    result = run(str(seeds / "a.txt"))
    assert result.exit_code == 0, result.stderr
    seed = seeds / "a.txt"
    assert result.stdout.splitlines() == [
        f"{seed}:6\t{WIRE}",
        f"{seed}:7\t{DAILY}\t{TITLE}",
    ]
    assert result.stderr == ""


def test_urls_folder_recursive_in_order(seeds):
    result = run(str(seeds))
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows == [
        [f"{seeds / 'a.txt'}:6", WIRE],
        [f"{seeds / 'a.txt'}:7", DAILY, TITLE],
        [
            f"{seeds / 'sub' / 'b.md'}:3",
            "https://news.example.org/budget?id=9",
            "Budget talks stall",
        ],
        [
            f"{seeds / 'sub' / 'c.html'}:2",
            "https://news.example.org/port-strike",
            "the port strike story",
        ],
    ]


def test_urls_json(seeds):
    result = run(str(seeds), "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[1] == {
        "file": str(seeds / "a.txt"),
        "line": 7,
        "label": TITLE,
        "url": DAILY,
        "places": [{"line": 7, "label": TITLE}],
    }
    assert [r["url"] for r in rows] == [
        WIRE,
        DAILY,
        "https://news.example.org/budget?id=9",
        "https://news.example.org/port-strike",
    ]
    assert rows[0]["label"] is None


def test_urls_json_lists_every_place(tmp_path):
    seed = tmp_path / "s.md"
    seed.write_text(
        "[first](https://a.example/x)\n\nagain https://a.example/x#frag\n", encoding="utf-8"
    )
    result = run(str(seed), "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["places"] == [{"line": 1, "label": "first"}, {"line": 3, "label": None}]


def test_urls_missing_path_is_one_line_error(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(tmp_path / "nope") in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_urls_folder_without_seeds(tmp_path):
    (tmp_path / "x.pdf").write_text("https://example.org/a")
    result = run(str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no seed files" in result.stderr


def test_urls_non_utf8_seed(tmp_path):
    text = (
        "Le conseil municipal a voté lundi. Détails à l'adresse suivante, "
        "voir «https://news.example.org/conseil-municipal» pour l'été.\n"
    ) * 2
    seed = tmp_path / "latin1.txt"
    seed.write_bytes(text.encode("cp1252"))
    result = run(str(seed))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{seed}:1\thttps://news.example.org/conseil-municipal\n"


def test_urls_never_prints_credentials(tmp_path):
    seed = tmp_path / "s.md"
    seed.write_text("https://alice:s3cret@news.example.org/private\n", encoding="utf-8")
    result = run(str(seed))
    assert result.exit_code == 0, result.stderr
    assert "s3cret" not in result.stdout
    assert "https://news.example.org/private" in result.stdout


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="../shared/seeds not present")
def test_urls_shared_sample(tmp_path):
    seed = tmp_path / SHARED_SAMPLE.name
    shutil.copyfile(SHARED_SAMPLE, seed)
    result = run(str(seed), "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 2
    assert rows[0]["label"] is None
    assert rows[1]["label"].startswith("Putin Wants")
    assert rows[1]["line"] == rows[0]["line"] + 1


def test_urls_subprocess(seeds):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAB_")}
    proc = subprocess.run(
        [sys.executable, "-m", "newsgrab", "urls", str(seeds / "a.txt")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"{seeds / 'a.txt'}:6\t{WIRE}",
        f"{seeds / 'a.txt'}:7\t{DAILY}\t{TITLE}",
    ]
