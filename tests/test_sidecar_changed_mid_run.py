"""A sidecar changed, corrupted, deleted or replaced by a symlink while `fetch`
runs (planning keeps slim states and reads a seed's full sources back when it
fetches or writes them): the run says so in one line, exits 65 (bad data, not
a bug), leaves the changed file alone and goes on with the other seeds."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import RawServer, Request, page
from test_refresh_support import article_html, paragraphs

from newsgrab.cli import cli
from newsgrab.errors import ExitCode
from newsgrab.pipeline import run_fetch

HTML = article_html("Harbour storm closes the ferry", paragraphs("harbour storm", 5)).encode()


def _corrupt(path: Path) -> None:
    path.write_text("{not json", encoding="utf-8")


def _delete(path: Path) -> None:
    path.unlink()


def _symlink(path: Path) -> None:
    other = path.with_name("elsewhere.json")
    other.write_text("{}", encoding="utf-8")
    path.unlink()
    path.symlink_to(other)


def _drop_fresh(path: Path) -> None:
    doc = json.loads(path.read_text("utf-8"))
    doc["sources"] = [s for s in doc["sources"] if not s["url"].endswith("/fresh")]
    path.write_text(json.dumps(doc), encoding="utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "corrupted": _corrupt,
    "deleted": _delete,
    "symlink": _symlink,
    "dropped": _drop_fresh,
}


def _changing(target: list[Path], change: Callable[[Path], None]):
    """A page whose request first changes the sidecar `target[0]`."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        change(target[0])
        await page(HTML)(req, w)

    return handler


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_sidecar_changed_before_it_is_written_is_a_data_error(
    name, tmp_path, local_settings, local_env
):
    """a.txt cites a fresh URL (its full state read back from a.txt's sidecar at
    write time) and a due one whose request changes that sidecar first."""
    folder = tmp_path / "n"
    folder.mkdir()
    target: list[Path] = [folder / "a.txt.sources.json"]
    with RawServer() as srv:
        srv.route("/fresh", page(HTML))
        srv.route("/other", page(HTML))
        srv.route("/due", _changing(target, CHANGES[name]))
        (folder / "a.txt").write_text(f"See {srv.url('/fresh')}\n", encoding="utf-8")
        (folder / "b.txt").write_text(f"See {srv.url('/other')}\n", encoding="utf-8")
        settings = dataclasses.replace(local_settings, refresh_after=3600.0)
        assert run_fetch(settings, [str(folder)]).exit_code == 0
        (folder / "a.txt").write_text(
            f"See {srv.url('/fresh')}\nSee {srv.url('/due')}\n", encoding="utf-8"
        )
        b_before = (folder / "b.txt.sources.json").read_bytes()
        r = CliRunner().invoke(cli, ["fetch", "--refresh-after", "1h", str(folder)])
    assert r.exit_code == ExitCode.DATA_ERROR, r.output
    assert "Traceback" not in r.output and "a bug in newsgrab" not in r.output
    errors = [line for line in r.stderr.splitlines() if "a.txt.sources.json" in line]
    assert len(errors) == 1, r.stderr
    assert "not written in this run" in errors[0]
    # the other seed is untouched (nothing due for it), the changed file left alone
    assert (folder / "b.txt.sources.json").read_bytes() == b_before
    if name == "symlink":
        assert target[0].is_symlink()
        assert (folder / "elsewhere.json").read_text("utf-8") == "{}"
    elif name == "corrupted":
        assert target[0].read_text("utf-8") == "{not json"


def test_a_due_urls_stored_copy_gone_before_its_fetch_is_a_data_error(tmp_path, local_settings):
    """b.txt's sidecar holds the stored copy of a due URL; a request made before
    that URL's corrupts it: its seed is not written, the others are."""
    folder = tmp_path / "n"
    folder.mkdir()
    target: list[Path] = [folder / "b.txt.sources.json"]
    with RawServer() as srv:
        srv.route("/first", _changing(target, _corrupt))
        for n in range(3):
            srv.route(f"/slow{n}", page(HTML))
        srv.route("/late", page(HTML))
        urls = [srv.url("/first")] + [srv.url(f"/slow{n}") for n in range(3)]
        (folder / "a.txt").write_text("".join(f"See {u}\n" for u in urls), encoding="utf-8")
        (folder / "b.txt").write_text(f"See {srv.url('/late')}\n", encoding="utf-8")
        settings = dataclasses.replace(local_settings, concurrency=1)
        assert run_fetch(settings, [str(folder)]).exit_code == 0
        report = run_fetch(settings, [str(folder)], force=True)
    assert report.internal_errors == [] and report.internal == []
    assert report.exit_code == ExitCode.DATA_ERROR
    assert report.store_errors and all("b.txt.sources.json" in e for e in report.store_errors)
    assert {s["seed"] for s in report.sources} == {str(folder / "a.txt")}
    assert target[0].read_text("utf-8") == "{not json"
