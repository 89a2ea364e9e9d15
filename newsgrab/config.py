"""Settings: built once from defaults < config file < environment < options.

The config file is TOML with flat keys (see config.example.toml). It is looked up
in this order, first found wins: --config, $NEWSGRAB_CONFIG, ./newsgrab.toml,
then the user config dir ($XDG_CONFIG_HOME/newsgrab/config.toml, by default
~/.config/newsgrab/config.toml). Each key can also be set from the environment
as NEWSGRAB_<KEY> (upper case), and some from command-line options.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from newsgrab import USER_AGENT
from newsgrab.errors import ConfigError

DEFAULT_SEED_GLOBS = ("*.txt", "*.md", "*.markdown", "*.html", "*.htm")
DEFAULT_ARCHIVE_URL = "https://archive.org/wayback/available"


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

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_KEYS = {
    "host_delay",
    "connect_timeout",
    "read_timeout",
    "deadline",
    "backoff",
    "retry_after_cap",
    "refresh_after",
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.I)
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


def parse_duration(value: Any, key: str = "duration") -> float:
    """Seconds from a number or a string such as "90", "30s", "15m", "6h", "1d"."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ConfigError(f"{key}: expected a duration such as 30s, 15m or 6h, got {value!r}")
        seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if seconds < 0:
        raise ConfigError(f"{key}: must not be negative, got {value!r}")
    return seconds


def parse_size(value: Any, key: str = "size") -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a size in bytes, got {value!r}")
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE.match(str(value))
        if not m:
            raise ConfigError(f"{key}: expected a size such as 10MB, got {value!r}")
        n = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()])
    if n <= 0:
        raise ConfigError(f"{key}: must be positive, got {value!r}")
    return n


_ZERO_OK = {"retries", "keep_revisions"}  # 0: no retries; no history kept
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def coerce(key: str, value: Any) -> Any:
    """Check and convert one setting's value (from TOML, env or an option)."""
    if key not in FIELDS:
        raise ConfigError(f"unknown setting {key!r}")
    default = getattr(Settings(), key)
    if key in _DURATION_KEYS:
        return parse_duration(value, key)
    if key == "max_bytes":
        return parse_size(value, key)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if isinstance(default, int):
        try:
            n = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            raise ConfigError(f"{key}: expected a whole number, got {value!r}") from None
        if isinstance(value, bool) or n < 0 or (n == 0 and key not in _ZERO_OK):
            raise ConfigError(f"{key}: expected a positive whole number, got {value!r}")
        return n
    if isinstance(default, tuple):
        items: list | tuple
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list | tuple):
            items = value
        else:
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        if not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        return tuple(items)
    # strings (proxy may be empty for "none")
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if key == "proxy":
        return value or None
    if not value.strip():
        raise ConfigError(f"{key}: must not be empty")
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
    for candidate, must_exist in ((explicit, True), (env.get("NEWSGRAB_CONFIG"), True)):
        if candidate:
            path = Path(candidate).expanduser()
            if must_exist and not path.is_file():
                raise ConfigError(f"{path}: config file not found")
            return path
    for found in (Path("newsgrab.toml"), user_config_path(env)):
        if found is not None and found.is_file():
            return found
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    out = {}
    for key, value in data.items():
        if key not in FIELDS:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        try:
            out[key] = coerce(key, value)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return out


def load_settings(
    config: str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults < config file < NEWSGRAB_* environment < overrides (options)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = find_config(config, env)
    if path is not None:
        values.update(read_config_file(path))
    for key in FIELDS:
        name = f"NEWSGRAB_{key.upper()}"
        if name in env:
            try:
                values[key] = coerce(key, env[name])
            except ConfigError as exc:
                raise ConfigError(f"${name}: {exc}") from None
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = coerce(key, value)
    return Settings(**values)
