"""The sidecar store: atomic writes, leftovers, files we must not touch, repair, migration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_refresh_support import Site, by_url, read

from newsgrab import model, store
from newsgrab.cli import cli
from newsgrab.errors import (
    CorruptSidecarError,
    ForeignSidecarError,
    NewerSchemaError,
    StoreError,
)
from newsgrab.pipeline import run_fetch

FIXTURES = Path(__file__).parent / "fixtures" / "store"


@pytest.fixture
def site(web):
    return Site(web)


def fetch_cli(*args):
    return CliRunner().invoke(cli, ["fetch", *args])


# ---------------------------------------------------------------- atomic writes


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def test_write_is_temp_fsync_replace_then_folder_fsync(docs, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append(("fsync", os.path.isdir(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", Path(src).name.startswith(store.TMP_PREFIX)))
        assert Path(src).parent == Path(dst).parent, "temp file in the same folder"
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = docs / "a.txt.sources.json"
    store.write_sidecar(target, store.new_sidecar("é.txt", "0" * 64))
    assert calls == [("fsync", False), ("replace", True), ("fsync", True)]
    assert json.loads(target.read_text(encoding="utf-8"))["seed"]["path"] == "é.txt"
    assert [p.name for p in docs.iterdir()] == ["a.txt.sources.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temp(docs, monkeypatch):
    target = docs / "a.txt.sources.json"
    target.write_text('{"schema_version": 1, "sources": []}', encoding="utf-8")
    old = target.read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StoreError, match="No space left on device"):
        store.write_sidecar(target, store.new_sidecar("a.txt", "0" * 64))
    assert target.read_bytes() == old
    assert [p.name for p in docs.iterdir()] == ["a.txt.sources.json"]


def test_leftover_temp_files_are_ignored_and_cleaned(site, docs, local_settings):
    url = site.article("/p/a", "Harbour")
    (docs / "a.txt").write_text(url + "\n", encoding="utf-8")
    # what a run killed mid-write leaves: a half-written temp file
    leftover = docs / f"{store.TMP_PREFIX}12345-deadbeef"
    leftover.write_text('{"schema_version": 1, "sources": [{"url": "ht', encoding="utf-8")
    report = run_fetch(local_settings, [str(docs)])
    assert report.seeds == 1 and report.exit_code == 0
    assert not leftover.exists()
    assert sorted(p.name for p in docs.iterdir()) == [
        ".newsgrab.lock",
        "a.txt",
        "a.txt.sources.json",
    ]
    result = CliRunner().invoke(cli, ["show", str(docs), "--format", "json"])
    assert result.exit_code == 0
    assert [row["url"] for row in json.loads(result.stdout)] == [url]


# ---------------------------------------------------------------- files we must not touch

BAD = {
    "corrupt": (b'{"schema_version": 1, "sources": [', "not valid JSON"),
    "empty": (b"", "not valid JSON"),
    "foreign": (b'{"sources": [], "mine": true}', "not written by newsgrab"),
    "newer": (b'{"schema_version": 99, "sources": []}', "newer than this newsgrab"),
    "not-an-object": (b"[1, 2, 3]", "not a JSON object"),
    "bad-shape": (b'{"schema_version": 1, "sources": [{"url": 5}]}', "sources[0].url"),
    "binary": (b"\xff\xfe\x00garbage", "not valid JSON"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_sidecar_untouched_exit_65_others_written(kind, site, tmp_path, local_env):
    content, words = BAD[kind]
    url = site.article("/p/a", "Harbour")
    (tmp_path / "bad.txt").write_text(url + "\n", encoding="utf-8")
    (tmp_path / "good.txt").write_text(url + "\n", encoding="utf-8")
    bad = tmp_path / "bad.txt.sources.json"
    bad.write_bytes(content)
    os.utime(bad, (1_000_000, 1_000_000))
    result = fetch_cli(str(tmp_path))
    assert result.exit_code == 65, result.output
    assert str(bad) in result.stderr and words in result.stderr
    assert bad.read_bytes() == content and bad.stat().st_mtime == 1_000_000
    assert read(tmp_path / "good.txt.sources.json")["sources"][0]["status"] == "ok"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["corrupt", "empty", "not-an-object", "bad-shape"])
def test_repair_moves_a_corrupt_sidecar_aside_and_rebuilds(kind, site, tmp_path, local_env):
    content, _ = BAD[kind]
    url = site.article("/p/a", "Harbour")
    (tmp_path / "a.txt").write_text(url + "\n", encoding="utf-8")
    (tmp_path / "a.txt.sources.json").write_bytes(content)
    result = fetch_cli("--repair", str(tmp_path))
    assert result.exit_code == 0, result.output
    moved = list(tmp_path.glob("a.txt.sources.json.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == content
    assert read(tmp_path / "a.txt.sources.json")["sources"][0]["url"] == url
    # the moved file is not a seed next time
    assert fetch_cli(str(tmp_path)).exit_code == 0
    assert len(list(tmp_path.glob("*.corrupt-*"))) == 1


@pytest.mark.parametrize("kind", ["foreign", "newer"])
def test_repair_never_touches_foreign_or_newer_files(kind, site, tmp_path, local_env):
    content, _ = BAD[kind]
    url = site.article("/p/a", "Harbour")
    (tmp_path / "a.txt").write_text(url + "\n", encoding="utf-8")
    (tmp_path / "a.txt.sources.json").write_bytes(content)
    result = fetch_cli("--repair", str(tmp_path))
    assert result.exit_code == 65
    assert (tmp_path / "a.txt.sources.json").read_bytes() == content
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_read_sidecar_errors_name_the_file(tmp_path):
    for name, (content, _) in BAD.items():
        path = tmp_path / f"{name}.sources.json"
        path.write_bytes(content)
        with pytest.raises((CorruptSidecarError, ForeignSidecarError, NewerSchemaError)) as exc:
            store.read_sidecar(path)
        assert str(path) in str(exc.value)
    assert store.read_sidecar(tmp_path / "absent.sources.json") is None


# ---------------------------------------------------------------- migration


def v0_fixture(folder: Path, url_a: str, url_b: str) -> Path:
    text = (FIXTURES / "v0.sources.json").read_text(encoding="utf-8")
    path = folder / "report.txt.sources.json"
    path.write_text(text.replace("URL_A", url_a).replace("URL_B", url_b), encoding="utf-8")
    return path


def test_version_0_is_migrated_on_read(tmp_path):
    path = v0_fixture(tmp_path, "http://a.example/1", "http://b.example/2")
    sidecar = store.read_sidecar(path)
    assert sidecar is not None
    data = model.to_builtins(sidecar)
    assert data["schema_version"] == model.SCHEMA_VERSION
    a, b = data["sources"]
    assert a["status"] == "ok" and a["cited"] == [] and a["error"] is None
    assert a["revisions"] == []
    assert a["fetch"]["fetched_at"] == a["fetch"]["checked_at"] == "2025-06-01T09:00:00Z"
    assert a["fetch"]["etag"] == '"v0-etag"' and a["fetch"]["http_status"] == 200
    assert a["fetch"]["consecutive_failures"] == 0 and a["fetch"]["archived_from"] is None
    assert set(a["fetch"]) == set(model.FETCH_FIELDS)
    assert "fetched_at" not in a and "etag" not in a
    assert a["article"]["text"].startswith("The harbour reopened") and "body" not in a["article"]
    assert len(a["article"]["content_sha256"]) == 64
    assert b["status"] == "pending" and b["fetch"] is None and b["article"] is None


def test_version_0_sidecar_is_refreshed_and_written_as_current(site, tmp_path, local_settings):
    url_a = site.article("/p/a", "Harbour reopens", etag='"v0-etag"')
    url_b = site.article("/p/b", "Second story")
    (tmp_path / "report.txt").write_text(f"{url_a}\n{url_b}\n", encoding="utf-8")
    path = v0_fixture(tmp_path, url_a, url_b)
    report = run_fetch(local_settings, [str(tmp_path)])
    assert report.exit_code == 0
    assert report.action_counts == {"not_modified": 1, "new": 1}
    headers = dict(site.requests)["/p/a"]
    assert headers["if-none-match"] == '"v0-etag"'
    data = read(path)
    assert data["schema_version"] == model.SCHEMA_VERSION
    src = by_url(data)
    assert src[url_a]["article"]["text"].startswith("The harbour reopened")
    assert src[url_b]["status"] == "ok"


def test_old_schema_is_rewritten_even_when_nothing_is_due(site, tmp_path, local_settings):
    url_a = site.article("/p/a", "Harbour reopens")
    (tmp_path / "report.txt").write_text(f"{url_a}\n", encoding="utf-8")
    path = v0_fixture(tmp_path, url_a, "http://unused.example/")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["sources"] = data["sources"][:1]
    data["sources"][0]["fetched_at"] = store.utc_now()
    path.write_text(json.dumps(data), encoding="utf-8")
    report = run_fetch(local_settings, [str(tmp_path)])
    assert report.action_counts == {"fresh": 1} and site.page_hits() == 0
    assert read(path)["schema_version"] == model.SCHEMA_VERSION


def test_every_migration_step_exists():
    assert set(store.MIGRATIONS) == set(range(model.SCHEMA_VERSION))
