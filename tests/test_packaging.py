"""What pyproject.toml claims about versions and package contents holds for the
environment the suite runs in.

.ci/run runs the suite twice: at the newest versions pyproject.toml allows, and
with `uv pip install --resolution lowest-direct` at the floors, with
NEWSGRAB_CI_FLOORS=1 so that the test below checks the floors really are what
got installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from test_api import readme_examples

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# read at import: the autouse `isolated` fixture clears NEWSGRAB_* for each test
AT_FLOORS = os.environ.get("NEWSGRAB_CI_FLOORS") == "1"


def floor(req: Requirement) -> Version:
    lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
    assert len(lows) == 1, f"{req}: one >= floor expected"
    return lows[0]


def direct_requirements() -> list[Requirement]:
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    # the test extra's ranges (not its pins) are floors too: setuptools
    reqs += [
        Requirement(r)
        for r in PYPROJECT["project"]["optional-dependencies"]["test"]
        if "==" not in r
    ]
    return reqs


@pytest.mark.parametrize("req", direct_requirements(), ids=str)
def test_installed_version_is_allowed_and_at_the_floor_in_the_floors_run(req):
    installed = Version(version(req.name))
    assert req.specifier.contains(installed, prereleases=True), (req, installed)
    if AT_FLOORS:
        assert installed == floor(req), f"{req.name} {installed} installed, floor {floor(req)}"


def test_build_system_setuptools_floor_is_the_test_extra_floor():
    [build] = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    [extra] = [r for r in direct_requirements() if r.name == "setuptools"]
    assert build.name == "setuptools" and floor(build) == floor(extra)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the source by the installed setuptools (at
    the floors run: the floor of build-system.requires)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "newsgrab", src / "newsgrab", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp / "dist"
    out.mkdir()
    code = (
        "import sys\nfrom setuptools import build_meta\nprint(build_meta.build_wheel(sys.argv[1]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / proc.stdout.strip().splitlines()[-1]


def test_the_wheel_ships_py_typed_and_the_schema(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "newsgrab/py.typed" in names
    assert "newsgrab/sidecar.schema.json" in names
    assert "newsgrab/api.py" in names


USER_SCRIPT = """\
import asyncio
from pathlib import Path

import newsgrab


def titles(urls: list[str]) -> list[str | None]:
    results: list[newsgrab.Result] = newsgrab.fetch_articles(urls, newsgrab.Settings())
    return [r.article.title for r in results if r.article is not None]


async def kinds(urls: list[str]) -> list[str]:
    results = await newsgrab.fetch_articles_async(urls, newsgrab.load_settings())
    return [r.error.kind for r in results if r.error is not None]


article: newsgrab.Article = newsgrab.extract(b"<p>Hi</p>", url="https://example.org/")
words: int = article.word_count
collection: newsgrab.Collection = newsgrab.read_collection([Path("docs"), "more"])
sidecars: list[Path] = [source.sidecar for source in collection]
errors: list[newsgrab.StoreError] = collection.errors
asyncio.run(kinds(["https://example.org/"]))
"""

WRONG_SCRIPT = """\
import newsgrab

title: int = newsgrab.extract(b"<p>Hi</p>").title
newsgrab.fetch_articles(["https://example.org/"], settings={"retries": 1})
"""


def test_mypy_checks_user_code_against_the_installed_package(wheel, tmp_path):
    """A script using the API, the README's examples, and a script with two
    type errors that mypy must find (it finds none without py.typed)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    user = tmp_path / "user"
    user.mkdir()
    (user / "good.py").write_text(USER_SCRIPT, encoding="utf-8")
    (user / "wrong.py").write_text(WRONG_SCRIPT, encoding="utf-8")
    readme = [f"readme_{i}.py" for i in range(len(readme_examples()))]
    for name, code in zip(readme, readme_examples(), strict=True):
        (user / name).write_text(code, encoding="utf-8")
    (user / "mypy.ini").write_text("[mypy]\nstrict_optional = True\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    env["PYTHONPATH"] = str(site)  # like site-packages: found only with py.typed

    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "mypy.ini"]
        + [f"--python-executable={sys.executable}", "good.py", "wrong.py", *readme],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, proc.stdout  # none in good.py and the README's examples
    assert errors[0].startswith("wrong.py:3:") and "[assignment]" in errors[0]
    assert errors[1].startswith("wrong.py:4:") and "[arg-type]" in errors[1]
