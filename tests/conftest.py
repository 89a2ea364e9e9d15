"""Shared fixtures. Every test runs isolated from the user's machine: no
NEWSGRAB_* variables, no user config, no proxy variables, cwd in a temp dir."""

from __future__ import annotations

import os

import pytest

from newsgrab.config import Settings


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("NEWSGRAB_") or name.lower() in (
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


@pytest.fixture
def local_settings() -> Settings:
    """Settings for talking to the tests' own servers on 127.0.0.1: private
    addresses allowed (the default blocks them), no politeness delay."""
    return Settings(
        allow_private_networks=True,
        host_delay=0.0,
        retries=0,
        backoff=0.0,
        deadline=10.0,
        connect_timeout=5.0,
        read_timeout=5.0,
        archive_fallback=False,
    )


@pytest.fixture
def web(httpserver):
    """pytest-httpserver with a permanent 404 for /robots.txt (so robots rules
    allow everything unless a test says otherwise)."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    return httpserver


@pytest.fixture
def local_env(monkeypatch):
    """Environment for CLI runs against local servers."""
    monkeypatch.setenv("NEWSGRAB_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("NEWSGRAB_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSGRAB_ARCHIVE_FALLBACK", "false")
    monkeypatch.setenv("NEWSGRAB_RETRIES", "0")
    return os.environ


_VALIDATOR: list = []  # the sidecar schema validator, built once


def _sidecar_validator():
    if not _VALIDATOR:
        import json
        from pathlib import Path

        import jsonschema

        schema = Path(__file__).parent.parent / "newsgrab" / "sidecar.schema.json"
        _VALIDATOR.append(
            jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8")))
        )
    return _VALIDATOR[0]


@pytest.fixture(autouse=True)
def sidecars_match_schema(tmp_path):
    """After each test, every sidecar under tmp_path that newsgrab wrote (schema 1 and a
    `newsgrab ...` generator) must match newsgrab/sidecar.schema.json. Files tests
    plant on purpose (not JSON, foreign, other schema versions) are skipped."""
    import json

    yield
    for path in tmp_path.rglob("*.sources.json"):
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        if not (
            isinstance(data, dict)
            and data.get("schema_version") == 1
            and str(data.get("generator", "")).startswith("newsgrab")
        ):
            continue
        errors = list(_sidecar_validator().iter_errors(data))
        if errors:
            where = "; ".join(
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
            )
            pytest.fail(f"{path} does not match sidecar.schema.json: {where}")
