"""Settings: defaults < config file < NEWSGRAB_* environment < options; clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgrab.cli import cli
from newsgrab.config import FIELDS, Settings, load_settings, parse_duration, parse_size
from newsgrab.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_match_the_design():
    s = load_settings(env={})
    assert s == Settings()
    assert (s.concurrency, s.per_host_concurrency, s.host_delay) == (16, 2, 1.0)
    assert (s.retries, s.retry_after_cap, s.deadline, s.max_redirects) == (2, 60.0, 60.0, 10)
    assert s.max_bytes == 10_000_000
    assert s.refresh_after == 6 * 3600 and s.keep_revisions == 10
    assert s.allow_private_networks is False and s.proxy is None and s.obey_robots is True
    assert s.user_agent.startswith("newsgrab/0.1.0 (+http")


def test_file_then_env_then_overrides(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('concurrency = 4\nrefresh_after = "2h"\nkeep_revisions = 3\n')
    env = {"NEWSGRAB_CONCURRENCY": "8", "NEWSGRAB_ALLOW_PRIVATE_NETWORKS": "yes"}
    s = load_settings(str(cfg), env, {"keep_revisions": 5, "proxy": None})
    assert s.concurrency == 8  # env beats file
    assert s.refresh_after == 7200.0  # file beats default
    assert s.keep_revisions == 5  # option beats file
    assert s.allow_private_networks is True
    assert s.proxy is None  # an unset option changes nothing


def test_lookup_order(tmp_path, monkeypatch):
    home = tmp_path / "xdg"
    (home / "newsgrab").mkdir(parents=True)
    (home / "newsgrab" / "config.toml").write_text("retries = 5\n")
    env = {"XDG_CONFIG_HOME": str(home)}
    assert load_settings(env=env).retries == 5  # the user config dir, last resort
    Path("newsgrab.toml").write_text("retries = 4\n")
    assert load_settings(env=env).retries == 4  # ./newsgrab.toml before it
    other = tmp_path / "other.toml"
    other.write_text("retries = 3\n")
    assert load_settings(env=env | {"NEWSGRAB_CONFIG": str(other)}).retries == 3
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("retries = 1\n")
    assert load_settings(str(explicit), env | {"NEWSGRAB_CONFIG": str(other)}).retries == 1


def test_example_config_documents_every_key_with_its_default():
    import tomllib

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert set(data) == set(FIELDS)
    lines = text.splitlines()
    for i, line in enumerate(lines):  # each key has a one-line comment just above it
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), line
    from_example = load_settings(env={}, overrides=data)
    assert from_example == Settings()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        ("90", 90.0),
        ("30s", 30.0),
        ("15m", 900.0),
        ("6h", 21600.0),
        ("1d", 86400.0),
        ("0", 0.0),
        (1.5, 1.5),
    ],
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-1", "6 hours", True, "1y"])
def test_bad_durations(value):
    with pytest.raises(ConfigError):
        parse_duration(value, "refresh_after")


def test_zero_turns_retries_and_history_off_but_not_concurrency():
    s = load_settings(env={"NEWSGRAB_RETRIES": "0", "NEWSGRAB_KEEP_REVISIONS": "0"})
    assert (s.retries, s.keep_revisions) == (0, 0)
    with pytest.raises(ConfigError, match="concurrency"):
        load_settings(env={"NEWSGRAB_CONCURRENCY": "0"})


def test_sizes():
    assert parse_size("10MB") == 10_000_000
    assert parse_size("2MiB") == 2 * 1024 * 1024
    assert parse_size(512) == 512
    with pytest.raises(ConfigError):
        parse_size("big")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("concurrency = ", "invalid TOML"),
        ("no_such_key = 1\n", "unknown setting 'no_such_key'"),
        ('concurrency = "many"\n', "concurrency: expected a whole number"),
        ("obey_robots = 3\n", "obey_robots: expected true or false"),
        ("per_host_concurrency = 0\n", "per_host_concurrency: expected a positive whole number"),
        ("seed_globs = 5\n", "seed_globs: expected a list of strings"),
    ],
)
def test_bad_config_file_is_one_line_exit_2(tmp_path, content, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    result = CliRunner().invoke(cli, ["fetch", "--config", str(cfg), str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert str(cfg) in result.stderr and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSGRAB_RETRIES", "lots")
    result = CliRunner().invoke(cli, ["fetch", "."])
    assert result.exit_code == 2
    assert "$NEWSGRAB_RETRIES" in result.stderr and "Traceback" not in result.stderr


def test_missing_config_file(tmp_path):
    result = CliRunner().invoke(cli, ["urls", "--config", str(tmp_path / "nope.toml"), "."])
    assert result.exit_code == 2
    assert "nope.toml: config file not found" in result.stderr


def test_config_before_the_command(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed_globs = ["*.notes"]\n')
    (tmp_path / "a.notes").write_text("see https://example.org/x\n")
    (tmp_path / "b.txt").write_text("see https://example.org/y\n")
    result = CliRunner().invoke(cli, ["--config", str(cfg), "urls", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "example.org/x" in result.stdout and "example.org/y" not in result.stdout


def test_python_dash_m_runs():
    import subprocess

    cp = subprocess.run(
        [sys.executable, "-m", "newsgrab", "--version"], capture_output=True, text=True, timeout=60
    )
    assert cp.returncode == 0
    assert cp.stdout.strip() == "newsgrab, version 0.1.0"
