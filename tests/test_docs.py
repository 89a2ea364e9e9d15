"""The README documents every command, option, setting and exit code."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from newsgrab.cli import cli
from newsgrab.config import FIELDS
from newsgrab.errors import ExitCode

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_in_the_readme(name):
    assert f"newsgrab {name}" in README, name
    command = cli.commands[name]
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            spellings = [*param.opts, *param.secondary_opts]
            assert any(o in README for o in spellings if o.startswith("--")), f"{name} {spellings}"


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_every_setting_is_in_the_readme(key):
    assert f"`{key}`" in README, key


@pytest.mark.parametrize("code", [int(c) for c in ExitCode])
def test_every_exit_code_is_in_the_readme(code):
    assert f"| `{code}` |" in README, code
