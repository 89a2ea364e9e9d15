"""The sidecar store as a boundary (issue 11): each seed has its own sidecar, old
names are taken over only when they belong to one seed, nothing is written through
a link newsgrab did not choose, and a bad sidecar or a full disk costs that one
file, never the run."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_refresh_support import Site, read

from newsgrab import store
from newsgrab.cli import cli
from newsgrab.errors import StoreError, WriteError


@pytest.fixture
def site(web):
    return Site(web)


def fetch(*args: str):
    return CliRunner().invoke(cli, ["fetch", "--no-robots", *args])


def show(*args: str):
    return CliRunner().invoke(cli, ["show", *args])


def urls_in(path: Path) -> list[str]:
    return [src["url"] for src in read(path)["sources"]]


# ------------------------------------------------------------- one sidecar per seed


def test_two_seeds_with_one_stem_keep_their_own_sources(site, local_env, tmp_path):
    """Regression: `report.md` and `report.txt` shared `report.sources.json`, and
    one seed's sources were lost on every run."""
    md_url, txt_url = site.article("/p/md", "From md"), site.article("/p/txt", "From txt")
    (tmp_path / "report.md").write_text(f"See {md_url}\n", encoding="utf-8")
    (tmp_path / "report.txt").write_text(f"See {txt_url}\n", encoding="utf-8")
    for _ in range(2):  # the second run must not lose what the first wrote
        r = fetch(str(tmp_path))
        assert r.exit_code == 0, r.output
        assert urls_in(tmp_path / "report.md.sources.json") == [md_url]
        assert urls_in(tmp_path / "report.txt.sources.json") == [txt_url]
    assert not (tmp_path / "report.sources.json").exists()
    r = show(str(tmp_path / "report.md"), "--format", "json")
    assert r.exit_code == 0, r.output
    assert [obj["url"] for obj in json.loads(r.stdout)] == [md_url]


def _legacy(folder: Path, seed_name: str, url: str, title: str = "Kept title") -> Path:
    """An old-style `<stem>.sources.json` as newsgrab 0.1 wrote it for `seed_name`."""
    stem = seed_name.rsplit(".", 1)[0]
    path = folder / f"{stem}.sources.json"
    data = {
        "schema_version": 1,
        "generator": "newsgrab 0.1.0",
        "seed": {"path": seed_name, "sha256": "0" * 64},
        "updated_at": "2026-01-01T00:00:00Z",
        "sources": [
            {
                "url": url,
                "cited": [{"line": 1, "label": None}],
                "status": "ok",
                "fetch": {
                    "final_url": url,
                    "http_status": 200,
                    "content_type": "text/html",
                    "charset": "utf-8",
                    "etag": None,
                    "last_modified": None,
                    "redirects": [],
                    "fetched_at": "2099-01-01T00:00:00Z",
                    "checked_at": "2099-01-01T00:00:00Z",
                    "attempts": 1,
                    "consecutive_failures": 0,
                    "archived_from": None,
                },
                "error": None,
                "article": None,
                "revisions": [],
            }
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_old_sidecar_of_one_seed_is_taken_over(site, local_env, tmp_path):
    url = site.article("/p/a", "Fresh title")
    (tmp_path / "report.md").write_text(f"{url}\n", encoding="utf-8")
    old = _legacy(tmp_path, "report.md", url)
    before = old.read_bytes()
    r = show(str(tmp_path), "--format", "json")  # show reads it before any fetch
    assert r.exit_code == 0, r.output
    assert [obj["url"] for obj in json.loads(r.stdout)] == [url]
    assert old.read_bytes() == before  # show writes nothing
    r = fetch(str(tmp_path))
    assert r.exit_code == 0, r.output
    assert not old.exists()
    new = read(tmp_path / "report.md.sources.json")
    assert new["seed"]["path"] == "report.md"
    # taken over, not started afresh: the stored state (fresh until 2099) was kept
    assert new["sources"][0]["fetch"]["fetched_at"] == "2099-01-01T00:00:00Z"
    assert site.page_hits() == 0


def test_an_old_sidecar_two_seeds_could_claim_is_left_alone(site, local_env, tmp_path):
    url = site.article("/p/a", "Title")
    (tmp_path / "report.md").write_text(f"{url}\n", encoding="utf-8")
    (tmp_path / "report.txt").write_text(f"{url}\n", encoding="utf-8")
    old = _legacy(tmp_path, "report.md", url)
    before = old.read_bytes()
    r = fetch(str(tmp_path))
    assert r.exit_code == 0, r.output
    assert old.read_bytes() == before
    warnings = [line for line in r.stderr.splitlines() if "report.sources.json" in line]
    assert len(warnings) == 1, r.stderr
    assert warnings[0].startswith("warning: ") and "report.md, report.txt" in warnings[0]
    for name in ("report.md", "report.txt"):  # each seed got its own, fetched afresh
        assert urls_in(tmp_path / f"{name}.sources.json") == [url]
    assert site.page_hits() == 1


def test_an_old_sidecar_naming_another_seed_is_not_taken(site, local_env, tmp_path):
    url = site.article("/p/a", "Title")
    (tmp_path / "report.md").write_text(f"{url}\n", encoding="utf-8")
    old = _legacy(tmp_path, "report.html", url)  # a seed since deleted
    before = old.read_bytes()
    r = fetch(str(tmp_path))
    assert r.exit_code == 0, r.output
    assert old.read_bytes() == before
    assert urls_in(tmp_path / "report.md.sources.json") == [url]


# ------------------------------------------------------------- never through a link


@pytest.fixture
def two_folders(site, tmp_path):
    """Two seed folders, each citing its own page, and a file outside both."""
    folders = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        url = site.article(f"/p/{name}", f"Story {name}")
        (folder / "doc.md").write_text(f"{url}\n", encoding="utf-8")
        folders.append(folder)
    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"my precious data\n")
    return folders, outside


def test_a_lock_file_that_is_a_symlink_is_refused_never_written(local_env, two_folders):
    (one, two), outside = two_folders
    before = outside.read_bytes()
    (one / ".newsgrab.lock").symlink_to(outside)
    r = fetch(str(one), str(two))
    assert r.exit_code == 1, r.output
    assert outside.read_bytes() == before  # not truncated, no PID written into it
    assert (one / ".newsgrab.lock").is_symlink()
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {one / '.newsgrab.lock'}: is a symlink; refused "
        "(newsgrab never writes through one); folder skipped"
    ]
    assert not (one / "doc.md.sources.json").exists()
    assert read(two / "doc.md.sources.json")["sources"][0]["status"] == "ok"


def test_a_lock_file_that_is_a_fifo_is_refused_without_hanging(local_env, two_folders):
    (one, two), _ = two_folders
    os.mkfifo(one / ".newsgrab.lock")
    r = fetch(str(one), str(two))
    assert r.exit_code == 1, r.output
    assert "is not a regular file; refused; folder skipped" in r.stderr
    assert read(two / "doc.md.sources.json")["sources"][0]["status"] == "ok"


def test_a_sidecar_symlink_to_another_file_leaves_that_file_alone(local_env, two_folders):
    (one, two), outside = two_folders
    before = outside.read_bytes()
    (one / "doc.md.sources.json").symlink_to(outside)
    r = fetch(str(one), str(two))
    assert r.exit_code == 65, r.output  # not a sidecar: left untouched, as any such file
    assert outside.read_bytes() == before
    assert (one / "doc.md.sources.json").is_symlink()
    assert read(two / "doc.md.sources.json")["sources"][0]["status"] == "ok"


def test_a_dangling_sidecar_symlink_is_replaced_not_followed(local_env, two_folders):
    (one, _), _ = two_folders
    target = one.parent / "elsewhere.json"
    (one / "doc.md.sources.json").symlink_to(target)
    r = fetch(str(one))
    assert r.exit_code == 0, r.output
    assert not target.exists()  # nothing created where the link pointed
    sidecar = one / "doc.md.sources.json"
    assert not sidecar.is_symlink() and read(sidecar)["sources"][0]["status"] == "ok"


def test_a_symlink_at_a_temp_file_name_is_never_written_through(tmp_path):
    from newsgrab import store

    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"keep\n")
    folder = tmp_path / "docs"
    folder.mkdir()
    real_token = store.secrets.token_hex
    name = f"{store.TMP_PREFIX}{os.getpid()}-{real_token(4)}"
    (folder / name).symlink_to(outside)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store.secrets, "token_hex", lambda n: name.rsplit("-", 1)[1])
        with pytest.raises(WriteError):
            store.write_sidecar(folder / "a.md.sources.json", store.new_sidecar("a.md", "0" * 64))
    assert outside.read_bytes() == b"keep\n"
    assert not (folder / "a.md.sources.json").exists()


# ------------------------------------------------------------- bad sidecars


@pytest.fixture
def fetched(site, local_env, tmp_path):
    """A folder with two fetched seeds: `a.md` (whose sidecar tests spoil) and `b.md`."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b"):
        url = site.article(f"/p/{name}", f"Story {name}")
        (folder / f"{name}.md").write_text(f"[Story {name}]({url})\n", encoding="utf-8")
    r = fetch(str(folder))
    assert r.exit_code == 0, r.output
    return folder


def _deep(depth: int) -> bytes:
    return b'{"schema_version": 1, "sources": ' + b"[" * depth + b"]" * depth + b"}"


def _wrong_type(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["sources"][0]["fetch"]["checked_at"] = 12
    data["generator"] = "a hand edit"  # (so the autouse schema check leaves it alone)
    return json.dumps(data).encode()


BAD = {
    "wrong-type": (_wrong_type, "$.sources[0].fetch.checked_at: expected a string or null"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "not valid JSON"),
    "nested-100000": (lambda raw: _deep(100_000), "nested too deeply"),
    "unknown-status": (lambda raw: raw.replace(b'"ok"', b'"okay"', 1), "$.sources[0].status"),
    "mutated": (lambda raw: raw.replace(b'"ok"', b'"o\xffk"', 1), "not valid JSON"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_sidecar_costs_that_file_only(fetched, kind):
    spoil, message = BAD[kind]
    bad, other = fetched / "a.md.sources.json", fetched / "b.md.sources.json"
    bad.write_bytes(spoil(bad.read_bytes()))
    before = bad.read_bytes()
    other.unlink()
    r = fetch("--force", str(fetched))
    assert r.exit_code == 65, r.output
    assert "Traceback" not in r.output
    assert bad.read_bytes() == before  # byte for byte
    assert read(other)["sources"][0]["status"] == "ok"  # the rest was processed
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {bad}: ") and message in line
    r = show(str(fetched), "--format", "json")
    assert r.exit_code == 65, r.output
    assert [obj["seed"] for obj in json.loads(r.stdout)] == [str(fetched / "b.md")]
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: {bad}: ") and message in line
    bad.unlink()  # (a hand-spoiled file: keep it from the autouse schema check)


# A valid sidecar, spoiled at random: bytes flipped, cut short, or one value
# anywhere replaced by any JSON value.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _replace_at(data: object, index: int, value: object) -> object:
    """`data` with its `index`-th node (in document order, the root is 0) replaced."""
    count = -1

    def walk(node: object) -> object:
        nonlocal count
        count += 1
        if count == index:
            return value
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(data)


@st.composite
def spoiled(draw: st.DrawFn, raw: bytes) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "replace"]))
    if how == "truncate":
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if how == "flip":
        out = bytearray(raw)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(out) - 1))
            out[i] = draw(st.integers(0, 255))
        return bytes(out)
    index = draw(st.integers(1, 80))
    return json.dumps(_replace_at(json.loads(raw), index, draw(JSON_VALUES))).encode()


def test_any_spoiled_sidecar_costs_at_most_that_file(fetched):
    bad, other = fetched / "a.md.sources.json", fetched / "b.md.sources.json"
    valid = bad.read_bytes()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(raw=spoiled(valid))
    def check(raw: bytes) -> None:
        bad.write_bytes(raw)
        other.unlink(missing_ok=True)
        try:
            store.parse_sidecar(bad, raw)
            usable = True
        except StoreError:
            usable = False
        r = fetch(str(fetched))
        assert r.exit_code in (0, 1, 65), (r.exit_code, r.output, r.exception)
        assert "Traceback" not in r.output and "internal error" not in r.output
        assert (r.exit_code == 65) == (not usable), r.output
        if not usable:
            assert bad.read_bytes() == raw  # untouched, byte for byte
            assert str(bad) in r.stderr
        assert read(other)["sources"][0]["status"] == "ok"  # the other seed was written
        r = show(str(fetched), "--format", "json")
        assert r.exit_code in (0, 65), (r.exit_code, r.output, r.exception)
        assert "Traceback" not in r.output
        shown = {obj["seed"] for obj in json.loads(r.stdout)}
        assert str(fetched / "b.md") in shown
        if not usable:
            assert r.exit_code == 65 and str(bad) in r.stderr

    try:
        check()
    finally:
        bad.write_bytes(valid)  # (for the autouse schema check: a hand-spoiled file)


# ------------------------------------------------------------- disk errors

# The disk fault is simulated (the tests run as root, for whom permissions do not
# apply, and a read-only mount is not available): os.open / os.replace fail with
# the given errno, for paths in one folder only.
FAULTS = ["lock", "temp", "replace"]
ERRNOS = ["ENOSPC", "EROFS", "EACCES", "EDQUOT", "ENAMETOOLONG"]


@pytest.mark.parametrize("code", ERRNOS)
@pytest.mark.parametrize("where", FAULTS)
def test_a_disk_error_costs_that_folder_or_seed_only(
    site, local_env, two_folders, monkeypatch, where, code
):
    (one, two), _ = two_folders
    r = fetch(str(one), str(two))
    assert r.exit_code == 0, r.output
    good = (one / "doc.md.sources.json").read_bytes()
    for folder in (one, two):  # each seed now cites one more page: both sidecars are due
        extra = site.article(f"/p/{folder.name}-more", "More")
        with (folder / "doc.md").open("a", encoding="utf-8") as f:
            f.write(f"{extra}\n")
    number = getattr(errno, code)
    real_open, real_replace = os.open, os.replace

    def faulty(path: object) -> bool:
        path = Path(os.fsdecode(path))  # type: ignore[arg-type]
        if path.parent != one:
            return False
        if where == "lock":
            return path.name == ".newsgrab.lock"
        if where == "temp":
            return path.name.startswith(".newsgrab-tmp-")
        return path.name.endswith(".sources.json")

    def fake_open(path, flags, mode=0o777, *, dir_fd=None):
        if where != "replace" and faulty(path):
            raise OSError(number, os.strerror(number), os.fsdecode(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_replace(src, dst, **kw):
        if where == "replace" and faulty(dst):
            raise OSError(number, os.strerror(number), os.fsdecode(src))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "replace", fake_replace)
    r = fetch(str(one), str(two))
    monkeypatch.undo()
    assert r.exit_code == 1, (r.output, r.exception)
    assert "Traceback" not in r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    named = one / (".newsgrab.lock" if where == "lock" else "doc.md.sources.json")
    assert line.startswith(f"error: {named}: ") and os.strerror(number) in line
    assert (one / "doc.md.sources.json").read_bytes() == good  # the earlier good copy
    assert not list(one.glob(".newsgrab-tmp-*"))
    assert len(read(two / "doc.md.sources.json")["sources"]) == 2  # the other folder


# ------------------------------------------------------------- rejected citations


def test_fetch_reports_rejected_citations_and_fetches_the_rest(site, local_env, tmp_path):
    url = site.article("/p/a", "Story")
    seed = tmp_path / "doc.md"
    seed.write_text(f"{url}\nsee http://bad.example:99999/x\n", encoding="utf-8")
    r = fetch(str(tmp_path))
    assert r.exit_code == 0, r.output  # a rejection does not change the exit code
    (line,) = [x for x in r.stderr.splitlines() if "not a URL" in x]
    assert line.startswith(f"{seed}:2: not a URL (") and "bad.example:99999" in line
    assert urls_in(tmp_path / "doc.md.sources.json") == [url]
    r = fetch("--json", "--force", str(tmp_path))
    assert r.exit_code == 0, r.output
    (rejected,) = json.loads(r.stdout)["rejected"]
    assert rejected["seed"] == str(seed) and rejected["line"] == 2
    assert "99999" in rejected["text"] and rejected["reason"]


def test_a_new_style_sidecar_is_never_taken_for_an_old_one(site, local_env, tmp_path):
    """`report.md.txt` has the stem `report.md`: `report.md.sources.json` is the
    sidecar of `report.md`, not an old one of `report.md.txt`, even when corrupt."""
    a, b = site.article("/p/a", "A"), site.article("/p/b", "B")
    (tmp_path / "report.md").write_text(f"{a}\n", encoding="utf-8")
    (tmp_path / "report.md.txt").write_text(f"{b}\n", encoding="utf-8")
    r = fetch(str(tmp_path))
    assert r.exit_code == 0, r.output
    assert urls_in(tmp_path / "report.md.sources.json") == [a]
    assert urls_in(tmp_path / "report.md.txt.sources.json") == [b]
    (tmp_path / "report.md.sources.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "report.md.txt.sources.json").unlink()
    r = fetch(str(tmp_path))
    assert r.exit_code == 65, r.output
    assert len([x for x in r.stderr.splitlines() if x.startswith("error:")]) == 1
    assert urls_in(tmp_path / "report.md.txt.sources.json") == [b]
    r = show(str(tmp_path), "--format", "json")
    assert r.exit_code == 65 and len(r.stderr.splitlines()) == 1, r.output
    assert [obj["url"] for obj in json.loads(r.stdout)] == [b]


def test_a_seed_name_too_long_for_its_sidecar_is_one_line(site, local_env, tmp_path):
    """A real ENAMETOOLONG: a 250-byte seed name leaves no room for `.sources.json`."""
    a, b = site.article("/p/a", "A"), site.article("/p/b", "B")
    long_seed = tmp_path / ("x" * 247 + ".md")
    long_seed.write_text(f"{a}\n", encoding="utf-8")
    (tmp_path / "short.md").write_text(f"{b}\n", encoding="utf-8")
    r = fetch(str(tmp_path))
    assert r.exit_code == 1, (r.output, r.exception)
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert "x" * 247 + ".md.sources.json" in line and "too long" in line
    assert urls_in(tmp_path / "short.md.sources.json") == [b]
    assert not list(tmp_path.glob(".newsgrab-tmp-*"))
    r = show(str(tmp_path), "--format", "json")
    assert r.exit_code == 0, (r.output, r.exception)
    assert [obj["url"] for obj in json.loads(r.stdout)] == [b]
