"""The sidecar JSON Schema: shipped, printed by `newsgrab schema`, and strict
enough to catch a wrong sidecar."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from newsgrab.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "show"
SCHEMA = json.loads(files("newsgrab").joinpath("sidecar.schema.json").read_text("utf-8"))


def test_schema_command_prints_the_shipped_file():
    r = CliRunner().invoke(cli, ["schema"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.sources.json")), ids=lambda p: p.name)
def test_fixtures_are_valid(path):
    jsonschema.validate(json.loads(path.read_text("utf-8")), SCHEMA)


def _alpha():
    return json.loads((FIXTURES / "collection" / "alpha.sources.json").read_text("utf-8"))


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.pop("schema_version"),
        lambda d: d.update(schema_version=2),
        lambda d: d["sources"][0].update(status="fine"),
        lambda d: d["sources"][0].pop("revisions"),
        lambda d: d["sources"][0]["article"].update(word_count="31"),
        lambda d: d["sources"][0]["article"].update(content_sha256="xyz"),
        lambda d: d["sources"][0]["fetch"].update(checked_at="yesterday"),
        lambda d: d["sources"][0]["revisions"][0].pop("text"),
        lambda d: d["sources"][0]["cited"][0].update(line=0),
        lambda d: d.update(updated_at="2026-11-25 10:00"),
    ],
)
def test_schema_rejects_broken_sidecars(break_it):
    data = copy.deepcopy(_alpha())
    break_it(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_archived_copy_object_is_valid():
    data = _alpha()
    data["sources"][2]["fetch"]["archived_from"] = {
        "url": "https://web.archive.org/web/2023/https://gone.example.net/old",
        "timestamp": "2023-01-01T00:00:00Z",
    }
    jsonschema.validate(data, SCHEMA)
