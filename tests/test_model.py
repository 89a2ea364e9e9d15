"""The sidecar model: the JSON Schema is the model's, loading names the file and
the field at fault, and merging is pure (no server, no files)."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import jsonschema
import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgrab import model, store
from newsgrab.cli import cli
from newsgrab.errors import CorruptSidecarError, ExitCode, SidecarError
from newsgrab.model import (
    Answer,
    ArchivedCopy,
    Article,
    CitedPlace,
    Failure,
    FetchFacts,
    Redirect,
    Revision,
    SeedRef,
    Sidecar,
    Source,
    SourceError,
    Status,
)

SCHEMA = json.loads(files("newsgrab").joinpath("sidecar.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FIXTURES = Path(__file__).parent / "fixtures" / "show"
T0, T1, T2 = "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z"

# ---------------------------------------------------------------- schema == model


def test_shipped_schema_is_the_one_generated_from_the_model():
    assert model.json_schema() == SCHEMA, (
        "regenerate: python -c 'import json; from newsgrab import model; "
        "print(json.dumps(model.json_schema(), indent=2, ensure_ascii=False))' "
        "> newsgrab/sidecar.schema.json"
    )


def test_every_schema_property_is_a_model_field_and_back():
    defs = SCHEMA["$defs"]
    for cls in model.MODEL_CLASSES:
        props = defs[cls.__name__]["properties"]
        assert list(props) == list(cls.__struct_fields__), cls.__name__
        added = model.ADDED_FIELDS.get(cls.__name__, ())
        assert defs[cls.__name__]["required"] == [
            f for f in cls.__struct_fields__ if f not in added
        ]
    assert set(defs) == {c.__name__ for c in model.MODEL_CLASSES} | {"Status"}
    assert sorted(defs["Status"]["enum"]) == sorted(s.value for s in Status)


_text = st.text(max_size=40)
_opt_text = st.none() | _text
_time = st.datetimes(min_value=datetime(1000, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
_sha = st.text(max_size=20).map(model.sha256_text)
_count = st.integers(min_value=0, max_value=10**6)

_articles = st.builds(
    Article,
    title=_opt_text,
    authors=st.lists(_text, max_size=3),
    published_at=_opt_text,
    modified_at=_opt_text,
    language=_opt_text,
    site_name=_opt_text,
    description=_opt_text,
    image=_opt_text,
    canonical_url=_opt_text,
    tags=st.lists(_text, max_size=3),
    free_access=st.none() | st.booleans(),
    text=st.text(max_size=200),
    word_count=_count,
    content_sha256=_sha,
    extractor=_opt_text,
)
_fetches = st.builds(
    FetchFacts,
    final_url=_opt_text,
    http_status=st.none() | st.integers(100, 599),
    content_type=_opt_text,
    charset=_opt_text,
    etag=_opt_text,
    last_modified=_opt_text,
    redirects=st.lists(st.builds(Redirect, url=_text, status=st.integers(300, 399)), max_size=3),
    fetched_at=st.none() | _time,
    checked_at=st.none() | _time,
    attempts=_count,
    consecutive_failures=_count,
    archived_from=st.none()
    | _text
    | st.builds(ArchivedCopy, url=_text, timestamp=st.none() | _time),
)
_sources = st.builds(
    Source,
    url=st.sampled_from(["http://", "https://"]).flatmap(lambda s: _text.map(lambda t: s + t)),
    cited=st.lists(st.builds(CitedPlace, line=st.integers(1, 10**6), label=_opt_text), max_size=3),
    status=st.sampled_from(list(Status)),
    fetch=st.none() | _fetches,
    error=st.none()
    | st.builds(
        SourceError,
        kind=_text,
        message=_text,
        http_status=st.none() | st.integers(100, 599),
        at=st.none() | _time,
    ),
    article=st.none() | _articles,
    revisions=st.lists(
        st.builds(
            Revision,
            fetched_at=st.none() | _time,
            content_sha256=st.none() | _sha,
            title=_opt_text,
            text=_text,
        ),
        max_size=3,
    ),
)
_sidecars = st.builds(
    Sidecar,
    generator=_text,
    seed=st.builds(SeedRef, path=_text, sha256=_sha),
    updated_at=st.none() | _time,
    sources=st.lists(_sources, max_size=4),
)


@settings(max_examples=100, deadline=None)
@given(sidecar=_sidecars)
def test_what_the_model_writes_the_schema_accepts_and_the_model_reads_back(sidecar):
    raw = model.encode(sidecar)
    VALIDATOR.validate(json.loads(raw))
    assert store.parse_sidecar(Path("x.sources.json"), raw) == sidecar


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.sources.json")), ids=lambda p: p.name)
def test_fixtures_load_and_write_back_unchanged(path):
    sidecar = store.read_sidecar(path)
    assert sidecar is not None
    assert json.loads(model.encode(sidecar)) == json.loads(path.read_bytes())


# ---------------------------------------------------------------- loading errors


def _alpha() -> dict:
    return json.loads((FIXTURES / "collection" / "alpha.sources.json").read_text("utf-8"))


def _load(data: dict | bytes, name: str = "report.md.sources.json") -> Sidecar:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return store.parse_sidecar(Path(name), raw)


@pytest.mark.parametrize(
    "break_it, message",
    [
        (
            lambda d: d["sources"][1]["fetch"].update(checked_at=12),
            "$.sources[1].fetch.checked_at: expected a string or null, got 12",
        ),
        (
            lambda d: d["sources"][0]["fetch"].update(checked_at="yesterday"),
            "$.sources[0].fetch.checked_at: expected a UTC time like 2026-11-25T10:00:00Z, "
            'got "yesterday"',
        ),
        (
            lambda d: d["sources"][0].update(status="fine"),
            "$.sources[0].status: invalid enum value 'fine'",
        ),
        (
            lambda d: d["sources"][0]["article"].update(word_count="31"),
            '$.sources[0].article.word_count: expected an integer, got "31"',
        ),
        (
            lambda d: d["sources"][0]["revisions"][0].pop("text"),
            "$.sources[0].revisions[0]: object missing required field `text`",
        ),
        (lambda d: d.update(sources={}), "$.sources: expected an array, got an object"),
        (
            lambda d: d["sources"][0]["cited"][0].update(line=0),
            "$.sources[0].cited[0].line: expected `int` >= 1",
        ),
        (
            lambda d: d["sources"][0]["article"].update(tags=[1]),
            "$.sources[0].article.tags[0]: expected a string, got 1",
        ),
    ],
)
def test_a_field_that_does_not_fit_is_named_with_its_path(break_it, message):
    data = _alpha()
    break_it(data)
    with pytest.raises(SidecarError) as exc:
        _load(data)
    assert str(exc.value).startswith(f"report.md.sources.json: {message}")
    assert isinstance(exc.value, CorruptSidecarError)
    assert exc.value.exit_code == ExitCode.DATA_ERROR


@pytest.mark.parametrize(
    "raw",
    [
        b'{"schema_version": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"schema_version": 1, "sources": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"schema_version": 0, "sources": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["unknown-key", "sources", "old-version", "top"],
)
def test_absurd_nesting_is_a_sidecar_error_not_a_crash(raw):
    with pytest.raises(CorruptSidecarError) as exc:
        _load(raw)
    assert str(exc.value).startswith("report.md.sources.json: ")


def test_show_and_fetch_name_the_file_and_field_and_exit_65(tmp_path):
    data = _alpha()
    data["sources"][1]["fetch"]["checked_at"] = 12
    data["generator"] = "a hand edit"  # (so the autouse schema check leaves it alone)
    (tmp_path / "alpha.md").write_text("nothing cited here\n", encoding="utf-8")
    bad = tmp_path / "alpha.md.sources.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    before = bad.read_bytes()
    for command in (["show", str(tmp_path)], ["fetch", str(tmp_path)]):
        r = CliRunner().invoke(cli, command)
        assert r.exit_code == 65, r.output
        assert f"{bad}: $.sources[1].fetch.checked_at: expected a string or null, got 12" in (
            r.stderr
        )
        assert "Traceback" not in r.output
    assert bad.read_bytes() == before


def test_unknown_keys_are_ignored_and_missing_defaults_filled():
    data = _alpha()
    data["future_key"] = {"deep": [1, 2]}
    del data["sources"][0]["revisions"]
    del data["sources"][0]["fetch"]["archived_from"]
    sidecar = _load(data)
    assert sidecar.sources[0].revisions == []
    assert sidecar.sources[0].fetch is not None
    assert sidecar.sources[0].fetch.archived_from is None


# ---------------------------------------------------------------- merging (pure)


def _article(text: str, title: str = "T", extractor: str = "newsgrab 0.1.0") -> Article:
    return Article.from_extracted({"title": title, "text": text, "extractor": extractor})


def _ok(text: str = "one two three four five six seven eight nine ten") -> Source:
    _, src = model.merge_success(
        Source(url="https://a.example/1"),
        Answer(final_url="https://a.example/1", http_status=200, etag='"e1"'),
        _article(text),
        T0,
        10,
    )
    return src


def test_first_success_is_new():
    src = _ok()
    assert src.status is Status.OK and src.article is not None and src.error is None
    assert src.fetch == FetchFacts(
        final_url="https://a.example/1",
        http_status=200,
        etag='"e1"',
        fetched_at=T0,
        checked_at=T0,
        changed_at=T0,
        attempts=1,
    )


def test_changed_at_moves_only_when_the_article_changes():
    src = _ok()
    answer = Answer(final_url=src.url, http_status=200, attempts=1)
    same = model.Article.from_extracted({**model.to_builtins(src.article)})
    action, unchanged = model.merge_success(src, answer, same, T1, 10)
    assert action == "unchanged" and unchanged.fetch.changed_at == T0
    assert unchanged.fetch.fetched_at == T1
    other = _ok("a different text with enough words to be no degraded page at all").article
    action, changed = model.merge_success(unchanged, answer, other, T2, 10)
    assert action == "changed" and changed.fetch.changed_at == T2


def test_an_old_sidecar_without_changed_at_is_valid_and_loads():
    data = _alpha()
    for src in data["sources"]:
        if src.get("fetch"):
            src["fetch"].pop("changed_at", None)
    jsonschema.validate(data, SCHEMA)
    sidecar = model.decode(json.dumps(data).encode())
    assert all(s.fetch is None or s.fetch.changed_at is None for s in sidecar.sources)


def test_not_modified_bumps_checked_at_only():
    src = _ok()
    action, new = model.merge_success(
        src, Answer(final_url=src.url, http_status=304, attempts=2), None, T1, 10
    )
    assert action == "not_modified"
    assert new.article is src.article
    assert new.fetch is not None and new.fetch.checked_at == T1
    assert new.fetch.fetched_at == T0 and new.fetch.etag == '"e1"' and new.fetch.attempts == 2


def test_same_text_is_unchanged_and_keeps_the_stored_article():
    src = _ok()
    again = _article(src.article.text if src.article else "")
    action, new = model.merge_success(
        src, Answer(final_url=src.url, http_status=200), again, T1, 10
    )
    assert action == "unchanged" and new.article is src.article
    assert new.fetch is not None and new.fetch.fetched_at == T1


def test_new_text_pushes_a_revision_newest_first_bounded():
    src = _ok("first version of the text with enough words to count here")
    texts = [f"version {i} of the text with enough words to count here" for i in range(2, 6)]
    for i, text in enumerate(texts):
        action, src = model.merge_success(
            src,
            Answer(final_url=src.url, http_status=200),
            _article(text),
            f"2026-11-0{i + 2}T00:00:00Z",
            3,
        )
        assert action == "changed"
    assert src.article is not None and src.article.text == texts[-1]
    assert [r.text for r in src.revisions] == texts[-2::-1][:3]
    assert src.revisions[0].fetched_at == "2026-11-04T00:00:00Z"


def test_a_degraded_page_keeps_the_article_and_records_an_error():
    src = _ok(" ".join(["word"] * 100))
    action, new = model.merge_success(
        src, Answer(final_url=src.url, http_status=200), _article("Subscribe now"), T1, 10
    )
    assert action == "degraded" and new.status is Status.ERROR
    assert new.article is src.article
    assert new.error is not None and new.error.kind == "degraded" and new.error.at == T1
    assert new.fetch is not None and new.fetch.consecutive_failures == 1


def test_failure_keeps_the_article_and_counts():
    src = _ok()
    gone = Failure(kind="http_status", message="404", status=Status.GONE, http_status=404)
    once = model.merge_failure(src, gone, T1)
    twice = model.merge_failure(once, gone, T2)
    assert twice.status is Status.GONE and twice.article is src.article
    assert twice.fetch is not None and twice.fetch.consecutive_failures == 2
    assert twice.fetch.checked_at == T2 and twice.fetch.fetched_at == T0
    assert twice.error == SourceError(kind="http_status", message="404", http_status=404, at=T2)
    # and success clears the error and the failure count
    _, back = model.merge_success(twice, Answer(final_url=src.url, http_status=304), None, T2, 10)
    assert back.status is Status.OK and back.error is None
    assert back.fetch is not None and back.fetch.consecutive_failures == 0


def test_archive_fallback_keeps_the_failure_and_says_where_from():
    pending = Source(url="https://dead.example/x")
    failed = model.merge_failure(pending, Failure(kind="dns", message="no such host"), T1)
    snap = ArchivedCopy(url="https://web.archive.org/web/2023/x", timestamp="2023-01-01T00:00:00Z")
    new = model.merge_archived(
        failed,
        Answer(final_url=snap.url, http_status=200, etag='"x"'),
        _article("archived words here"),
        snap,
        T1,
    )
    assert new.status is Status.ERROR and new.error == failed.error
    assert new.article is not None and new.article.text == "archived words here"
    assert new.fetch is not None and new.fetch.archived_from == snap
    assert new.fetch.etag is None and new.fetch.fetched_at == T1


def test_is_due():
    src = _ok()
    t0 = model.epoch_of(T0)
    assert t0 is not None
    assert not model.is_due(src, 3600, t0 + 10)
    assert model.is_due(src, 3600, t0 + 3600)
    assert model.is_due(src, 3600, t0 + 10, force=True)
    assert model.is_due(Source(url="https://a.example/2"), 3600, t0)
    failed = model.merge_failure(src, Failure(kind="timeout", message="slow"), T0)
    assert model.is_due(failed, 3600, t0 + 10)


def _failing(status: Status, kind: str, times: int) -> Source:
    src = _ok()
    for _ in range(times):
        src = model.merge_failure(src, Failure(kind=kind, message="x", status=status), T0)
    return src


def test_a_source_that_keeps_failing_as_gone_is_retried_less_and_less_often():
    t0 = model.epoch_of(T0)
    assert t0 is not None
    hour = 3600.0
    # after the 1st failure: refresh_after; after the 2nd: twice it; the 3rd: 4x ...
    for times, wait in [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32)]:
        src = _failing(Status.GONE, "http_status", times)
        assert not model.is_due(src, hour, t0 + wait * hour - 1), times
        assert model.is_due(src, hour, t0 + wait * hour), times
    # ... up to a cap of 30 days
    src = _failing(Status.UNSUPPORTED, "unsupported", 40)
    assert model.retry_interval(src, hour) == model.SETTLED_RETRY_CAP
    assert model.is_due(src, hour, t0 + model.SETTLED_RETRY_CAP)
    # a refresh_after longer than the cap is never shortened
    assert model.retry_interval(src, 90 * 86400.0) == 90 * 86400.0
    # transient errors are retried at every run, however many
    assert model.is_due(_failing(Status.ERROR, "timeout", 9), hour, t0 + 1)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([Status.GONE, Status.UNSUPPORTED, Status.BLOCKED, Status.OK]),
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0, max_value=36500 * 86400.0),
)
def test_retry_interval_is_bounded(status, failures, refresh_after):
    fetch = model.FetchFacts(checked_at=T0, consecutive_failures=failures)
    src = Source(url="https://a.example/", status=status, fetch=fetch)
    interval = model.retry_interval(src, refresh_after)
    assert refresh_after <= interval <= max(refresh_after, model.SETTLED_RETRY_CAP)


def test_a_source_blocked_by_a_setting_is_retried_when_the_setting_changes():
    t0 = model.epoch_of(T0)
    assert t0 is not None
    private = _failing(Status.BLOCKED, "blocked", 1)
    robots = _failing(Status.BLOCKED, "robots", 1)
    soon = t0 + 10
    assert not model.is_due(private, 3600, soon)
    assert model.is_due(private, 3600, soon, allow_private_networks=True)
    assert not model.is_due(private, 3600, soon, obey_robots=False)
    assert not model.is_due(robots, 3600, soon)
    assert model.is_due(robots, 3600, soon, obey_robots=False)
    assert not model.is_due(robots, 3600, soon, allow_private_networks=True)


def test_merges_never_change_their_input():
    src = _ok()
    frozen = msgspec.json.encode(src)
    model.merge_failure(src, Failure(kind="timeout", message="slow"), T1)
    model.merge_success(src, Answer(final_url=src.url, http_status=200), _article("x y"), T1, 1)
    assert msgspec.json.encode(src) == frozen


def test_an_older_version_that_does_not_fit_after_migration_is_named_too():
    raw = (
        b'{"schema_version": 0, "sources": '
        b'[{"url": "http://x.example/", "cited": [{"line": "3"}]}]}'
    )
    with pytest.raises(SidecarError) as exc:
        _load(raw, "old.sources.json")
    assert str(exc.value) == (
        "old.sources.json: $.sources[0].cited[0].line: expected an integer, got a string; "
        "left untouched"
    )
