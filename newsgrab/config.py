"""Settings: built once from defaults < config file < environment < options.

The config file is TOML with flat keys (see config.example.toml). It is looked up
in this order, first found wins: --config, $NEWSGRAB_CONFIG, ./newsgrab.toml,
then the user config dir ($XDG_CONFIG_HOME/newsgrab/config.toml, by default
~/.config/newsgrab/config.toml). Each key can also be set from the environment
as NEWSGRAB_<KEY> (upper case), and some from command-line options.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsgrab import USER_AGENT
from newsgrab.errors import ConfigError

DEFAULT_SEED_GLOBS = ("*.txt", "*.md", "*.markdown", "*.html", "*.htm")
DEFAULT_ARCHIVE_URL = "https://archive.org/wayback/available"
# The archive's own redirect form, `<this><timestamp>id_/<url>`: asked when the
# availability API answers nothing or fails.
DEFAULT_ARCHIVE_WEB_URL = "https://web.archive.org/web/"


@dataclasses.dataclass(frozen=True)
class Settings:
    # where the seeds are
    seeds: tuple[str, ...] = ()
    seed_globs: tuple[str, ...] = DEFAULT_SEED_GLOBS
    # politeness
    user_agent: str = USER_AGENT
    concurrency: int = 16
    per_host_concurrency: int = 2
    host_delay: float = 1.0
    obey_robots: bool = True
    # time limits (seconds)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 60.0
    # retries
    retries: int = 2
    backoff: float = 1.0
    retry_after_cap: float = 60.0
    # hardening
    max_redirects: int = 10
    max_bytes: int = 10_000_000
    allow_private_networks: bool = False
    proxy: str | None = None
    # refresh and history
    refresh_after: float = 6 * 3600.0
    keep_revisions: int = 10
    # dead links
    archive_fallback: bool = True
    archive_url: str = DEFAULT_ARCHIVE_URL
    archive_web_url: str = DEFAULT_ARCHIVE_WEB_URL
    # extraction: worker processes (0: in the main process, in a thread) and the
    # time budget of one page
    jobs: int = 1
    extract_timeout: float = 30.0
    # WARC output of fetch (warcout.py): the file name prefix (None: no WARC), the
    # size after which the next file is started (0: one file), a CDX index beside it
    warc_file: str | None = None
    warc_max_size: int = 0
    warc_cdx: bool = False

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I | re.A)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DAY = 86400.0
# Duration settings: (smallest, largest) seconds. A zero time limit would fail
# every request; a limit of more than a day (or a refresh period of more than a
# century) is a typo, and would overflow the event loop's clock arithmetic.
_DURATION_KEYS: dict[str, tuple[float, float]] = {
    "host_delay": (0.0, _DAY),
    "connect_timeout": (0.001, _DAY),
    "read_timeout": (0.001, _DAY),
    "deadline": (0.001, _DAY),
    "backoff": (0.0, _DAY),
    "retry_after_cap": (0.0, _DAY),
    "refresh_after": (0.0, 36500 * _DAY),
    "extract_timeout": (0.001, _DAY),
}
# Whole-number settings: (smallest, largest). 0 retries: none; 0 revisions kept:
# no history.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "concurrency": (1, 1000),
    "per_host_concurrency": (1, 100),
    "retries": (0, 100),
    "max_redirects": (1, 100),
    "keep_revisions": (0, 10_000),
    "max_bytes": (1, 2**40),
    "jobs": (0, 256),
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.I | re.A)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
# Proxy schemes that work with every httpx version newsgrab supports; socks5
# needs httpx's `socks` extra (the socksio package): `pip install 'newsgrab[socks]'`.
PROXY_SCHEMES = ("http", "https", "socks5")
SOCKS_HINT = "install it with: pip install 'newsgrab[socks]'"


_USERINFO = re.compile(r"(?<=//)[^/?#]*@")


def _shown(value: Any) -> str:
    """A value as quoted in an error message: one line, bounded, no credentials."""
    if isinstance(value, str) and "@" in value:
        value = _USERINFO.sub("***@", value)  # never print a proxy's password
    text = repr(value)
    return text if len(text) <= 80 else text[:70] + "…" + text[-8:]


def parse_duration(value: Any, key: str = "duration") -> float:
    """Seconds from a number or a string such as "90", "30s", "15m", "6h", "1d".
    Never negative, never NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{key}: expected a duration such as 30s, 15m or 6h, got {_shown(value)}")
    if isinstance(value, int | float):
        seconds = float(value) if not isinstance(value, int) or abs(value) < 2**1000 else math.inf
    else:
        m = _DURATION.match(value)
        if not m:
            raise ConfigError(
                f"{key}: expected a duration such as 30s, 15m or 6h, got {_shown(value)}"
            )
        seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if math.isnan(seconds):
        raise ConfigError(f"{key}: expected a duration, got {_shown(value)}")
    if seconds < 0:
        raise ConfigError(f"{key}: must not be negative, got {_shown(value)}")
    if math.isinf(seconds):
        raise ConfigError(f"{key}: expected a finite duration, got {_shown(value)}")
    return seconds


def parse_size(value: Any, key: str = "size") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{key}: expected a size such as 10MB, got {_shown(value)}")
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE.match(value)
        if not m:
            raise ConfigError(f"{key}: expected a size such as 10MB, got {_shown(value)}")
        number = float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()]
        if not math.isfinite(number):
            raise ConfigError(f"{key}: expected a size such as 10MB, got {_shown(value)}")
        n = int(number)
    if n <= 0:
        raise ConfigError(f"{key}: must be positive, got {_shown(value)}")
    return n


def _in_range(key: str, n: float, value: Any, low: float, high: float, unit: str = "") -> None:
    if not low <= n <= high:
        raise ConfigError(
            f"{key}: must be between {low:g}{unit} and {high:g}{unit}, got {_shown(value)}"
        )


def _header_safe(key: str, value: str) -> str:
    """A string sent as an HTTP header value: printable ASCII, no line breaks."""
    for ch in value:
        if ch in "\r\n":
            raise ConfigError(f"{key}: must be one line (no CR or LF), got {_shown(value)}")
        if not " " <= ch <= "~" and ch != "\t":
            raise ConfigError(
                f"{key}: must be printable ASCII (an HTTP header cannot carry "
                f"{_char_name(ch)}), got {_shown(value)}"
            )
    if value != value.strip():
        raise ConfigError(f"{key}: must not begin or end with blanks, got {_shown(value)}")
    if len(value) > 1000:
        raise ConfigError(f"{key}: must be at most 1000 characters, got {len(value)}")
    return value


def _char_name(ch: str) -> str:
    if ch == "\0":
        return "a NUL"
    if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
        return f"the control character U+{ord(ch):04X}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return "bytes that are not UTF-8"
    return f"the non-ASCII character U+{ord(ch):04X}"


def _url(key: str, value: str, schemes: tuple[str, ...]) -> str:
    """A URL setting: one of `schemes`, a host, a valid port, no blanks or controls."""
    if any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value):
        raise ConfigError(f"{key}: a URL cannot contain blanks or controls, got {_shown(value)}")
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigError(f"{key}: not a valid URL ({exc}), got {_shown(value)}") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ConfigError(
            f"{key}: the scheme must be {' or '.join(s + '://' for s in schemes)}, "
            f"got {_shown(value)}"
        )
    if not host:
        raise ConfigError(f"{key}: the URL has no host, got {_shown(value)}")
    if port == 0:
        raise ConfigError(f"{key}: port 0 is not a port, got {_shown(value)}")
    try:
        host.encode("idna")
    except UnicodeError:
        raise ConfigError(f"{key}: invalid host name, got {_shown(value)}") from None
    return value


def _proxy(value: str) -> str | None:
    if not value:
        return None
    _url("proxy", value, PROXY_SCHEMES)
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"proxy: expected scheme://host:port with nothing after it, got {_shown(value)}"
        )
    if parts.scheme.lower() == "socks5":
        try:
            importlib.import_module("socksio")  # what httpx needs for SOCKS
        except ImportError:
            raise ConfigError(
                f"proxy: a socks5:// proxy needs the socksio package; {SOCKS_HINT}"
            ) from None
    return value


def _path_entry(key: str, item: str) -> str:
    if not item.strip():
        raise ConfigError(f"{key}: an entry is empty")
    if "\0" in item:
        raise ConfigError(f"{key}: an entry contains a NUL character, got {_shown(item)}")
    return item


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def coerce(key: str, value: Any) -> Any:
    """Check and convert one setting's value (from TOML, env or an option) into
    its type, within its range: a ConfigError names the key and the value."""
    if key not in FIELDS:
        raise ConfigError(f"unknown setting {key!r}")
    default = getattr(Settings(), key)
    if key in _DURATION_KEYS:
        seconds = parse_duration(value, key)
        _in_range(key, seconds, value, *_DURATION_KEYS[key], unit=" s")
        return seconds
    if key == "max_bytes":
        n = parse_size(value, key)
        _in_range(key, n, value, *_INT_RANGES[key], unit=" bytes")
        return n
    if key == "warc_max_size":  # 0: no limit
        if value in (0, "0", ""):
            return 0
        n = parse_size(value, key)
        _in_range(key, n, value, 1, 2**50, unit=" bytes")
        return n
    if key == "warc_file":
        from newsgrab.warcout import check_prefix  # (its checks live with the writer)

        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a file name prefix, got {_shown(value)}")
        return check_prefix(value) if value else None
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str | int) else None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{key}: expected true or false, got {_shown(value)}")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{key}: expected a whole number, got {_shown(value)}")
        text = value.strip() if isinstance(value, str) else ""
        if isinstance(value, str) and not (text.isascii() and text.isdigit()):
            raise ConfigError(f"{key}: expected a whole number, got {_shown(value)}")
        n = value if isinstance(value, int) else (int(text) if len(text) < 30 else 10**30)
        low, high = _INT_RANGES[key]
        if n < low:
            word = "positive" if low == 1 else "non-negative"
            raise ConfigError(f"{key}: expected a {word} whole number, got {_shown(value)}")
        _in_range(key, n, value, low, high)
        return n
    if isinstance(default, tuple):
        items: list | tuple
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list | tuple):
            items = value
        else:
            raise ConfigError(f"{key}: expected a list of strings, got {_shown(value)}")
        if not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{key}: expected a list of strings, got {_shown(value)}")
        return tuple(_path_entry(key, v) for v in items)
    # strings (proxy may be empty for "none")
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, got {_shown(value)}")
    if key == "proxy":
        return _proxy(value)
    if not value.strip():
        raise ConfigError(f"{key}: must not be empty")
    if key == "user_agent":
        return _header_safe(key, value)
    if key in ("archive_url", "archive_web_url"):
        return _url(key, value, ("http", "https"))
    return value


def user_config_path(env: Mapping[str, str]) -> Path | None:
    base = env.get("XDG_CONFIG_HOME")
    if not base:
        home = env.get("HOME")
        if not home:
            return None
        base = os.path.join(home, ".config")
    return Path(base) / "newsgrab" / "config.toml"


def find_config(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The config file to read, or None. An explicit file must exist."""
    for candidate, where in (
        (explicit, "--config"),
        (env.get("NEWSGRAB_CONFIG"), "$NEWSGRAB_CONFIG"),
    ):
        if candidate:
            try:
                path = Path(candidate).expanduser()
            except RuntimeError:  # ~ without a home directory
                path = Path(candidate)
            # a device or a pipe is read too: /dev/null (no settings), <(...)
            if path.is_dir():
                raise ConfigError(f"{where}: {path}: is a folder")
            if not path.exists():
                raise ConfigError(f"{where}: {path}: config file not found")
            return path
    for found in (Path("newsgrab.toml"), user_config_path(env)):
        if found is not None and found.is_file():
            return found
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file, each checked: a ConfigError names the file
    (and the key)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    if len(raw) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: not a config file (over {_MAX_CONFIG_BYTES // 1000} kB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # nested arrays or tables thousands deep
        raise ConfigError(f"{path}: invalid TOML: nested too deep") from None
    out = {}
    for key, value in data.items():
        if key not in FIELDS:
            hint = _did_you_mean(key)
            raise ConfigError(f"{path}: unknown setting {_shown(key)}{hint}")
        try:
            out[key] = coerce(key, value)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return out


_MAX_CONFIG_BYTES = 1_000_000
# NEWSGRAB_* variables that are not settings
OTHER_VARIABLES = frozenset({"NEWSGRAB_CONFIG", "NEWSGRAB_DEBUG"})


def _did_you_mean(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key.lower(), list(FIELDS), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """NEWSGRAB_* variables that name no setting (typos, most likely), each with a hint."""
    known = OTHER_VARIABLES | {f"NEWSGRAB_{key.upper()}" for key in FIELDS}
    out = []
    for name in sorted(env):
        if name.startswith("NEWSGRAB_") and name not in known:
            hint = _did_you_mean(name.removeprefix("NEWSGRAB_"))
            out.append(f"${name} is not a newsgrab setting; ignored{hint}")
    return out


def option_name(key: str) -> str:
    """The command-line option that sets `key` (`user_agent` -> `--user-agent`)."""
    return "--" + key.replace("_", "-")


def load_settings(
    config: str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults < config file < NEWSGRAB_* environment < overrides (options).
    Every value is checked once, here; a ConfigError (exit 2) says where the bad
    value came from: the file and key, the variable, or the option."""
    return explain_settings(config, env, overrides)[0]


# ------------------------------------------------------------------ provenance
# (load_settings is explain_settings without the provenance, which `newsgrab
# config` prints)

DEFAULT_SOURCE = "default"


def explain_settings(
    config: str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Settings, dict[str, str], Path | None]:
    """What `load_settings` builds, with where each value came from: "default",
    the config file's path, "$NEWSGRAB_<KEY>", or the option ("--concurrency").
    Also the config file read (None: none). The config file is read once (it may
    be a pipe)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources = dict.fromkeys(FIELDS, DEFAULT_SOURCE)
    path = find_config(config, env)
    if path is not None:
        for key, value in read_config_file(path).items():
            values[key] = value
            sources[key] = str(path)
    for key in FIELDS:
        name = f"NEWSGRAB_{key.upper()}"
        if name in env:
            try:
                values[key] = coerce(key, env[name])
            except ConfigError as exc:
                raise ConfigError(f"${name}: {exc}") from None
            sources[key] = f"${name}"
    for key, value in (overrides or {}).items():
        if value is not None:
            try:
                values[key] = coerce(key, value)
            except ConfigError as exc:
                raise ConfigError(f"{option_name(key)}: {exc}") from None
            sources[key] = option_name(key)
    return Settings(**values), sources, path


def _duration_text(seconds: float) -> str:
    """A duration as the config file would spell it: 6h, 30m, 1.5s, 0."""
    if seconds == 0:
        return "0"
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def setting_text(key: str, value: Any) -> Any:
    """A setting's value as a config file would hold it (JSON/TOML types):
    durations as "6h", a proxy without its password, tuples as lists."""
    if key in _DURATION_KEYS:
        return _duration_text(value)
    if key == "proxy":
        return "" if value is None else _USERINFO.sub("***@", value)
    if key == "warc_file":
        return "" if value is None else value
    if isinstance(value, tuple):
        return list(value)
    return value
