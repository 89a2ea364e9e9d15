"""Hostile and careless settings: every bad value in a config file, a NEWSGRAB_*
variable, an option or --since is exit 2 with one line naming it and where it
came from; never an internal error (70), never a traceback, never a run that
starts and then fails every request."""

from __future__ import annotations

import json
import math
import sys
import types

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from newsgrab.cli import cli
from newsgrab.config import FIELDS, Settings, coerce, load_settings
from newsgrab.errors import ConfigError

RUNNER = CliRunner()
# The whole hypothesis layer of this file runs in about 10 s.
HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def one_line_exit_2(result, *names: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert "Traceback" not in result.output and "internal error" not in result.output
    for name in names:
        assert name in err, (name, err)
    return err


def write_config(tmp_path, content: str | bytes):
    cfg = tmp_path / "bad.toml"
    if isinstance(content, str):
        content = content.encode("utf-8")
    cfg.write_bytes(content)
    return cfg


def seed(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("see https://example.org/a\n")
    return path


# ------------------------------------------------------------- regressions


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ("deadline = nan", "deadline", "expected a duration"),
        ("deadline = inf", "deadline", "finite"),
        ("deadline = -inf", "deadline", "negative"),
        ("read_timeout = -1", "read_timeout", "negative"),
        ("connect_timeout = 0", "connect_timeout", "between"),
        ("deadline = 1e300", "deadline", "between"),
        ('refresh_after = "999999999999999999999999d"', "refresh_after", "between"),
        ("host_delay = 99999999999999999999999999999999999999", "host_delay", "between"),
        ("concurrency = 99999999999999999999", "concurrency", "between"),
        ("retries = 1000000", "retries", "between"),
        ("max_bytes = 0", "max_bytes", "positive"),
        ('max_bytes = "9e999MB"', "max_bytes", "size"),
        ("max_bytes = 1.5", "max_bytes", "size"),
        ("concurrency = 2.0", "concurrency", "whole number"),
        ("deadline = [60]", "deadline", "duration"),
        ("deadline = 1979-05-27", "deadline", "duration"),
        ("seeds = [1]", "seeds", "list of strings"),
        ('seeds = ["a\\u0000b"]', "seeds", "NUL"),
        ("user_agent = 5", "user_agent", "string"),
        ('user_agent = "x\\r"', "user_agent", "CR or LF"),
        ('user_agent = "a\\r\\nX-Evil: 1"', "user_agent", "CR or LF"),
        ('user_agent = "nul\\u0000"', "user_agent", "NUL"),
        ('user_agent = "café/1.0"', "user_agent", "U+00E9"),
        ('user_agent = "bot/1 "', "user_agent", "blanks"),
        ('user_agent = "bell\\u0007"', "user_agent", "U+0007"),
        ('proxy = "::::"', "proxy", "scheme"),
        ('proxy = "ftp://proxy:21"', "proxy", "scheme"),
        ('proxy = "http://"', "proxy", "no host"),
        ('proxy = "http://proxy:99999"', "proxy", "valid URL"),
        ('proxy = "http://[::1"', "proxy", "valid URL"),
        ('proxy = "http://proxy:8080/path?q"', "proxy", "nothing after"),
        ('proxy = "http://proxy host:8080"', "proxy", "blanks"),
        ('archive_url = "archive.org/wayback"', "archive_url", "scheme"),
        ('archive_url = "file:///etc/passwd"', "archive_url", "scheme"),
        ("obey_robots = 3", "obey_robots", "true or false"),
        ("[fetch]\nretries = 1", "'fetch'", "unknown setting"),
        ("retrys = 1", "'retrys'", "did you mean 'retries'"),
        ("x = " + "[" * 5000 + "]" * 5000, "bad.toml", "TOML"),
    ],
)
def test_bad_config_value_is_one_line_naming_file_and_key(tmp_path, line, key, reason):
    cfg = write_config(tmp_path, line + "\n")
    for command in (["urls", str(seed(tmp_path))], ["fetch", str(tmp_path)]):
        r = RUNNER.invoke(cli, [*command[:1], "--config", str(cfg), *command[1:]])
        one_line_exit_2(r, str(cfg), key, reason)


def test_config_file_not_utf8_names_the_file(tmp_path):
    cfg = write_config(tmp_path, b'user_agent = "caf\xe9"\n')
    err = one_line_exit_2(RUNNER.invoke(cli, ["urls", "--config", str(cfg), str(tmp_path)]))
    assert str(cfg) in err and "not UTF-8" in err and "0xe9" in err


def test_config_that_is_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_CONFIG", str(tmp_path))
    r = RUNNER.invoke(cli, ["urls", str(tmp_path)])
    one_line_exit_2(r, "$NEWSGRAB_CONFIG", "is a folder")


def test_config_from_a_device_or_a_pipe(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_CONFIG", "/dev/null")  # no settings at all
    assert RUNNER.invoke(cli, ["urls", str(seed(tmp_path))]).exit_code == 0
    monkeypatch.setenv("NEWSGRAB_CONFIG", "/dev/zero")  # endless: read up to a bound
    one_line_exit_2(RUNNER.invoke(cli, ["urls", str(tmp_path)]), "/dev/zero", "not a config file")


def test_a_proxy_password_is_never_printed(tmp_path):
    cfg = write_config(tmp_path, 'proxy = "http://user:s3cret@[::1:8080"\n')
    err = one_line_exit_2(RUNNER.invoke(cli, ["urls", "--config", str(cfg), str(tmp_path)]))
    assert "s3cret" not in err and "proxy" in err


def test_socks_proxy_needs_its_package(tmp_path, monkeypatch):
    cfg = write_config(tmp_path, 'proxy = "socks5://127.0.0.1:1080"\n')
    monkeypatch.setitem(sys.modules, "socksio", None)  # not installed
    r = RUNNER.invoke(cli, ["fetch", "--config", str(cfg), str(tmp_path)])
    one_line_exit_2(r, "proxy", "socksio", "pip install 'newsgrab[socks]'")
    monkeypatch.setitem(sys.modules, "socksio", types.ModuleType("socksio"))  # installed
    assert load_settings(str(cfg), env={}).proxy == "socks5://127.0.0.1:1080"


@pytest.mark.parametrize(
    ("proxy", "expected"),
    [
        ("", None),
        ("http://proxy:3128", "http://proxy:3128"),
        ("https://u:p@proxy/", "https://u:p@proxy/"),
    ],
)
def test_good_proxies_are_kept(proxy, expected):
    assert coerce("proxy", proxy) == expected


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("NEWSGRAB_USER_AGENT", "newsgrab\r", "CR or LF"),
        ("NEWSGRAB_USER_AGENT", "caf\u00e9", "non-ASCII"),
        ("NEWSGRAB_USER_AGENT", "bad\udcffbytes", "not UTF-8"),
        ("NEWSGRAB_DEADLINE", "9" * 400, "finite"),
        ("NEWSGRAB_DEADLINE", "nan", "duration"),
        ("NEWSGRAB_MAX_BYTES", "9" * 400, "size"),
        ("NEWSGRAB_CONCURRENCY", "٣", "whole number"),  # an Arabic-Indic digit
        ("NEWSGRAB_RETRIES", "-1", "whole number"),
        ("NEWSGRAB_RETRIES", "", "whole number"),
        ("NEWSGRAB_OBEY_ROBOTS", "maybe", "true or false"),
        ("NEWSGRAB_PROXY", "localhost:3128", "scheme"),
        ("NEWSGRAB_ARCHIVE_URL", "https://", "no host"),
        ("NEWSGRAB_CONFIG", "/nonexistent/newsgrab.toml", "not found"),
    ],
)
def test_bad_environment_value_names_the_variable(tmp_path, monkeypatch, name, value, reason):
    monkeypatch.setenv(name, value)
    r = RUNNER.invoke(cli, ["urls", str(seed(tmp_path))])
    one_line_exit_2(r, f"${name}", reason)


def test_misspelt_variable_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_RETRYS", "4")
    r = RUNNER.invoke(cli, ["urls", str(seed(tmp_path))])
    assert r.exit_code == 0
    assert "$NEWSGRAB_RETRYS is not a newsgrab setting" in r.stderr
    assert "did you mean 'retries'" in r.stderr


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--user-agent", "ua\r"], ["--user-agent", "CR or LF"]),
        (["--user-agent", "ua\x00"], ["--user-agent", "NUL"]),
        (["--concurrency", "0"], ["--concurrency", "positive"]),
        (["--concurrency", "100000"], ["--concurrency", "between"]),
        (["--refresh-after", "1e400"], ["--refresh-after", "duration"]),
        (["--refresh-after", "99999999999999999999999w"], ["--refresh-after", "between"]),
    ],
)
def test_bad_option_names_the_option(tmp_path, args, names):
    one_line_exit_2(RUNNER.invoke(cli, ["fetch", *args, str(tmp_path)]), *names)


@pytest.mark.parametrize(
    ("since", "reason"),
    [
        ("2026-13-45", "not a valid date"),
        ("2026-02-30", "not a valid date"),
        ("10000-01-01", "outside the calendar"),
        ("0001-01-01T00:00+05:00", "outside the calendar"),
        ("9999-12-31T23:00-05:00", "outside the calendar"),
        ("99999999999999999999999s", "past the calendar"),
        ("9" * 400 + "d", "past the calendar"),
        ("1e400", "expected a date"),
        ("-7d", "expected a date"),
        ("soon", "expected a date"),
        ("2026-11-01garbage", "not a valid date"),
    ],
)
def test_since_past_the_calendar_is_exit_2(since, reason):
    one_line_exit_2(RUNNER.invoke(cli, ["show", "--since", since]), "--since", reason)


@pytest.mark.parametrize("since", ["2026-11-01", "2026-11-01T08:00+03:00", "7d", "12h", "99999d"])
def test_good_since_values(since):
    r = RUNNER.invoke(cli, ["show", "--since", since])
    assert r.exit_code == 0, r.output


def test_every_setting_has_a_checked_range():
    """No setting escapes validation: each rejects a value of the wrong type."""
    for key in FIELDS:
        with pytest.raises(ConfigError, match=key):
            coerce(key, {"a": 1})
    assert load_settings(env={}) == Settings()


# ------------------------------------------------------------- properties

TOML_SCALARS = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.booleans()
    | st.text(max_size=40)
    | st.sampled_from(
        ["30s", "0", "1e400", "nan", "10MB", "http://p:1", "socks5://p:1", "", " ", "\r"]
    )
)
TOML_VALUES = TOML_SCALARS | st.lists(TOML_SCALARS, max_size=3)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):  # a TOML basic string: JSON's escapes, and DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def assert_survived(result) -> None:
    event(f"exit {result.exit_code}")  # shown by --hypothesis-show-statistics
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@HYPOTHESIS
@given(values=st.dictionaries(st.sampled_from(sorted(FIELDS)), TOML_VALUES, max_size=4))
def test_any_config_file_values(tmp_path, values):
    cfg = write_config(tmp_path, "".join(f"{k} = {toml_value(v)}\n" for k, v in values.items()))
    r = RUNNER.invoke(cli, ["urls", "--config", str(cfg), str(seed(tmp_path))])
    assert_survived(r)
    if r.exit_code == 2:
        assert str(cfg) in r.stderr


@HYPOTHESIS
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_config_file_bytes(tmp_path, content):
    cfg = write_config(tmp_path, content)
    assert_survived(RUNNER.invoke(cli, ["urls", "--config", str(cfg), str(seed(tmp_path))]))


ENV_TEXT = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40
) | st.binary(max_size=20).filter(lambda b: b"\x00" not in b).map(
    lambda b: b.decode("utf-8", "surrogateescape")
)


@HYPOTHESIS
@given(env=st.dictionaries(st.sampled_from(sorted(FIELDS)), ENV_TEXT, max_size=4))
def test_any_environment_values(tmp_path, env):
    variables = {f"NEWSGRAB_{k.upper()}": v for k, v in env.items()}
    r = RUNNER.invoke(cli, ["urls", str(seed(tmp_path))], env=variables)
    assert_survived(r)
    if r.exit_code == 2:
        assert any(name in r.stderr for name in variables)


VALID = {  # any value the settings accept, edges included: it must work in a run
    "user_agent": st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    "proxy": st.just("http://127.0.0.1:9"),  # a closed port: fails fast
    "concurrency": st.integers(1, 1000),
    "per_host_concurrency": st.integers(1, 100),
    "max_bytes": st.integers(1, 2**40) | st.sampled_from(["1", "10MB", "0.5kb", "1GiB"]),
    "max_redirects": st.integers(1, 100),
    "connect_timeout": st.floats(0.001, 86400) | st.sampled_from(["0.001", "5s", "1d"]),
    "read_timeout": st.floats(0.001, 86400),
    "keep_revisions": st.integers(0, 10000),
}


@settings(HYPOTHESIS, max_examples=50)  # a fetch each: slower
@given(values=st.fixed_dictionaries({}, optional=VALID))
def test_any_config_through_a_fetch(tmp_path, values, monkeypatch):
    """Settings that pass validation must work: a fetch of an unreachable local
    URL is a per-source failure (exit 1), never a crash."""
    for name, value in {
        "NEWSGRAB_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSGRAB_RETRIES": "0",
        "NEWSGRAB_HOST_DELAY": "0",
        "NEWSGRAB_DEADLINE": "5",
        "NEWSGRAB_ARCHIVE_FALLBACK": "false",
        "NEWSGRAB_OBEY_ROBOTS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.txt").write_text("see http://127.0.0.1:9/closed\n")
    cfg = write_config(tmp_path, "".join(f"{k} = {toml_value(v)}\n" for k, v in values.items()))
    r = RUNNER.invoke(cli, ["fetch", "--config", str(cfg), str(docs)])
    assert_survived(r)
    if r.exit_code != 2:
        assert r.exit_code == 1  # the URL failed, the run did not


@HYPOTHESIS
@given(
    since=st.text(max_size=30)
    | st.from_regex(
        r"\A[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?)?\Z"
    )
    | st.from_regex(r"\A[0-9]{1,30}(\.[0-9]{1,5})?[smhdwSMHDW]?\Z")
)
def test_any_since(since):
    r = RUNNER.invoke(cli, ["show", "--since", since])
    assert_survived(r)
    assert r.exit_code in (0, 2)
