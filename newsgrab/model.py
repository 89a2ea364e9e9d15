"""The sidecar model: the one place that knows the sidecar's fields and statuses.

A sidecar (`<seed file name>.sources.json`) is a `Sidecar` holding one `Source` per cited
URL; a source has its citations (`CitedPlace`), a `Status`, the facts of its
last fetch (`FetchFacts`), its last failure (`SourceError`), the stored
`Article` and the earlier versions of its text (`Revision`).

The classes are msgspec Structs (chosen by measurement, see
benchmarks/sidecar_model.py): `decode` parses and validates bytes into them in
one pass and names the path of a field that does not fit; `encode` serializes
them back. store.py alone reads and writes files; the JSON Schema shipped as
newsgrab/sidecar.schema.json is generated from these classes (`json_schema`),
and a test holds the two equal.

The merge functions at the end fold what happened to one URL into its stored
state. They are pure (no I/O, no clock: the time is passed in) and never change
a state in place: each returns a new `Source` sharing what did not change.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from newsgrab.status import Status

SCHEMA_VERSION = 1

# A refetched page whose text shrinks below this share of the stored article's
# words (a block page, a paywall teaser) does not replace the stored article.
DEGRADED_RATIO = 0.3


# Statuses a source may stay in until refresh_after has passed; `error` and
# `pending` sources are tried again at every run.
SETTLED = frozenset({Status.OK, Status.GONE, Status.BLOCKED, Status.UNSUPPORTED})

UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
SHA256 = "^[0-9a-f]{64}$"
HTTP_URL = "^https?://"
# What each pattern above means, for messages about a value that does not match.
PATTERN_NAMES = {
    UTC_TIME: "a UTC time like 2026-11-25T10:00:00Z",
    SHA256: "a SHA-256 (64 lowercase hex digits)",
    HTTP_URL: "an http(s) URL",
}
UtcTime = Annotated[
    str, msgspec.Meta(pattern=UTC_TIME, description="ISO 8601 UTC time ending in Z.")
]
Sha256 = Annotated[str, msgspec.Meta(pattern=SHA256)]
PageTime = Annotated[
    str,
    msgspec.Meta(description="A time as the page gave it: ISO 8601, its precision and offset."),
]
Count = Annotated[int, msgspec.Meta(ge=0)]


class SeedRef(msgspec.Struct, kw_only=True, frozen=True):
    """The seed file the sidecar belongs to."""

    path: Annotated[str, msgspec.Meta(description="The seed file's name, in this folder.")]
    sha256: Sha256


class CitedPlace(msgspec.Struct, kw_only=True, frozen=True):
    """Where the seed cites the URL."""

    line: Annotated[int, msgspec.Meta(ge=1)]
    label: str | None = None


class Redirect(msgspec.Struct, kw_only=True, frozen=True):
    """One redirect hop followed."""

    url: str
    status: int


class ArchivedCopy(msgspec.Struct, kw_only=True, frozen=True):
    """The web-archive snapshot an article came from when its page was dead."""

    url: str
    timestamp: Annotated[str | None, msgspec.Meta(description="When it was captured.")] = None


class WarcCapture(msgspec.Struct, kw_only=True, frozen=True):
    """Where the WARC record of the page's last captured answer is (`fetch --warc-file`)."""

    warc: Annotated[
        str, msgspec.Meta(description="The WARC file: an absolute path when newsgrab wrote it.")
    ]
    offset: Annotated[int, msgspec.Meta(ge=0, description="The record's first byte in the file.")]
    length: Annotated[int, msgspec.Meta(ge=1, description="The record's size in the file.")]


class FetchFacts(msgspec.Struct, kw_only=True, frozen=True):
    """Facts about the last fetch (defaults when no fetch ever succeeded)."""

    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[Redirect] = []
    fetched_at: UtcTime | None = None
    checked_at: UtcTime | None = None
    changed_at: Annotated[
        UtcTime | None,
        msgspec.Meta(description="When the stored article last changed (or first came)."),
    ] = None
    attempts: Count = 0
    consecutive_failures: Count = 0
    archived_from: ArchivedCopy | str | None = None
    capture: Annotated[
        WarcCapture | None,
        msgspec.Meta(description="The WARC record holding the page the article came from."),
    ] = None


class SourceError(msgspec.Struct, kw_only=True, frozen=True):
    """The last failure; null once a fetch succeeds."""

    kind: Annotated[
        str,
        msgspec.Meta(
            description="timeout, dns, connect, tls, too_large, too_many_redirects, "
            "http_status, protocol, blocked, robots, unsupported, degraded, ..."
        ),
    ]
    message: str
    http_status: int | None = None
    at: UtcTime | None = None


class Article(msgspec.Struct, kw_only=True, frozen=True):
    """The article as extracted from the page."""

    title: str | None
    authors: list[str] = []
    published_at: PageTime | None = None
    modified_at: PageTime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    tags: list[str] = []
    free_access: bool | None = None
    text: Annotated[str, msgspec.Meta(description="Paragraphs separated by a blank line, NFC.")]
    word_count: Count
    content_sha256: Annotated[str, msgspec.Meta(pattern=SHA256)]
    extractor: str | None = None

    @classmethod
    def from_extracted(cls, extracted: dict[str, Any]) -> Article:
        """The model of what the extractor returned (its `to_dict()`); keys the
        sidecar does not store are left out, missing ones get their default."""
        text = extracted.get("text") or ""
        known = {k: extracted[k] for k in ARTICLE_FIELDS if k in extracted}
        known.setdefault("title", None)
        known["text"] = text
        known.setdefault("word_count", len(text.split()))
        known.setdefault("content_sha256", sha256_text(text))
        return msgspec.convert(known, cls)


class Revision(msgspec.Struct, kw_only=True, frozen=True):
    """An earlier version of the article text."""

    fetched_at: UtcTime | None
    content_sha256: Sha256 | None
    title: str | None
    text: str


class Source(msgspec.Struct, kw_only=True, frozen=True):
    """One distinct URL the seed cites, with what newsgrab knows about it."""

    url: Annotated[str, msgspec.Meta(pattern=HTTP_URL, description="The normalized URL.")]
    cited: list[CitedPlace] = []
    status: Status = Status.PENDING
    fetch: FetchFacts | None = None
    error: SourceError | None = None
    article: Article | None = None
    revisions: Annotated[
        list[Revision], msgspec.Meta(description="Earlier texts, newest first.")
    ] = []

    @property
    def good_article(self) -> Article | None:
        """The stored article when it has text (the copy a failure must keep)."""
        return self.article if self.article is not None and self.article.text else None


class Sidecar(msgspec.Struct, kw_only=True, frozen=True):
    """`<seed>.sources.json`, next to its seed file."""

    schema_version: Literal[1] = 1
    generator: str
    seed: SeedRef
    updated_at: UtcTime | None
    sources: list[Source] = []


ARTICLE_FIELDS = Article.__struct_fields__
FETCH_FIELDS = FetchFacts.__struct_fields__
EMPTY_FETCH = FetchFacts()
MODEL_CLASSES = (
    Sidecar,
    SeedRef,
    Source,
    CitedPlace,
    FetchFacts,
    WarcCapture,
    Redirect,
    ArchivedCopy,
    SourceError,
    Article,
    Revision,
)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ bytes <-> model

_DECODER = msgspec.json.Decoder(Sidecar)
_ENCODER = msgspec.json.Encoder()


class Head(msgspec.Struct):
    """Only the schema version, read before the rest (other keys skipped)."""

    schema_version: Any = None


_HEAD_DECODER = msgspec.json.Decoder(Head)


def decode(raw: bytes) -> Sidecar:
    """Parse and validate a current-version sidecar. Raises msgspec.DecodeError
    (msgspec.ValidationError for a field that does not fit, with its path) or
    RecursionError (absurdly deep nesting)."""
    return _DECODER.decode(raw)


def decode_head(raw: bytes) -> Head:
    return _HEAD_DECODER.decode(raw)


def convert(data: dict[str, Any]) -> Sidecar:
    """Validate already parsed JSON (a migrated older sidecar) into the model."""
    return msgspec.convert(data, Sidecar)


def encode(sidecar: Sidecar) -> bytes:
    """The sidecar as UTF-8 JSON, indented by two spaces, with a final newline."""
    return msgspec.json.format(_ENCODER.encode(sidecar), indent=2) + b"\n"


def to_builtins(obj: Any) -> Any:
    """A model object as plain JSON values (dicts, lists, strings, numbers)."""
    return msgspec.to_builtins(obj)


# Fields added since schema version 2 without a new version: optional in the
# schema, so that files written before them stay valid (read, they get None).
ADDED_FIELDS = {"FetchFacts": ("changed_at", "capture")}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a sidecar, generated from the model. newsgrab writes
    every field, so every field is required (but ADDED_FIELDS); the model
    reading a file gives a missing field that has a default (an older or
    hand-made file) its default."""
    body = _canonical(msgspec.json.schema(Sidecar))
    for name, definition in body["$defs"].items():
        if "properties" in definition:
            added = ADDED_FIELDS.get(name, ())
            definition["required"] = [p for p in definition["properties"] if p not in added]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/newsgrab/newsgrab/sidecar.schema.json",
        "title": "newsgrab sidecar",
        "description": (
            f"<seed>.sources.json, written by newsgrab next to each seed file: the web "
            f"sources the seed cites, as fetched and extracted. Schema version "
            f"{SCHEMA_VERSION}; newsgrab refuses files with a newer version. Readers "
            "should ignore keys they do not know. Statuses: ok: fetched and extracted; "
            "error: transient failure (last good article kept); gone: 404/410 (last good "
            "kept); blocked: robots.txt or a private address refused; unsupported: not "
            "HTML; pending: never fetched yet."
        ),
    } | body


def _canonical(node: Any) -> Any:
    """`node` with every `anyOf` in one order (msgspec releases list the members of
    a union in different orders), so the shipped schema does not depend on them."""
    if isinstance(node, dict):
        out = {key: _canonical(value) for key, value in node.items()}
        if isinstance(out.get("anyOf"), list):
            out["anyOf"] = sorted(out["anyOf"], key=lambda member: json.dumps(member))
        return out
    if isinstance(node, list):
        return [_canonical(item) for item in node]
    return node


# ------------------------------------------------------------------ merging (pure)


def pending_source(url: str, cited: list[CitedPlace] | None = None) -> Source:
    return Source(url=url, cited=cited or [])


# A source that keeps failing as `gone` or `unsupported` is retried less and less
# often: after refresh_after, then twice that, four times ..., at most every
# SETTLED_RETRY_CAP (or every refresh_after, when that is longer).
SETTLED_RETRY_CAP = 30 * 24 * 3600.0


def retry_interval(source: Source, refresh_after: float) -> float:
    """Seconds after its last check that a settled source is due again."""
    fetch = source.fetch
    if source.status in (Status.GONE, Status.UNSUPPORTED) and fetch is not None:
        failures = min(fetch.consecutive_failures, 64)
        if failures > 1:
            cap = max(refresh_after, SETTLED_RETRY_CAP)
            return min(refresh_after * 2.0 ** (failures - 1), cap)
    return refresh_after


def is_due(
    source: Source,
    refresh_after: float,
    now_epoch: float,
    force: bool = False,
    *,
    allow_private_networks: bool = False,
    obey_robots: bool = True,
) -> bool:
    """Whether the source must be fetched: forced, never settled, blocked by a
    setting that has been lifted since, or checked at least `retry_interval`
    seconds before `now_epoch`."""
    if force or source.status not in SETTLED or source.fetch is None:
        return True
    if source.status == Status.BLOCKED and source.error is not None:
        # blocked by a setting that is now off: retried at once
        lifted = {"blocked": allow_private_networks, "robots": not obey_robots}
        if lifted.get(source.error.kind, False):
            return True
    checked = epoch_of(source.fetch.checked_at)
    return checked is None or now_epoch - checked >= retry_interval(source, refresh_after)


# What a run did to a source, as users care about it (`fetch --json`, the
# summary, `--quiet`), in the order the summary lists them.
CHANGES = (
    "new",  # a first article
    "changed",  # a new version of the article (the old one kept in `revisions`)
    "unchanged",  # revalidated (304) or the same text
    "recovered",  # was failing, works again
    "archived",  # failing, and an archived copy was stored
    "newly_failing",  # started failing (or fails another way)
    "still_failing",  # fails as it did before
    "fresh",  # not due: no request
)


def change_of(before: Source, action: str, after: Source) -> str:
    """One of CHANGES for a source that was `before` and is `after` once a run
    did `action` (merge_success's, `failed`, `archived`, `internal`, `fresh`)."""
    if action == "fresh":
        return "fresh"
    if action == "archived":
        return "archived"
    was_failing = before.fetch is not None and before.status not in (Status.OK, Status.PENDING)
    if after.status != Status.OK:
        same = (
            was_failing
            and before.status == after.status
            and (before.error.kind if before.error else None)
            == (after.error.kind if after.error else None)
        )
        return "still_failing" if same else "newly_failing"
    if action == "new":
        return "new"
    if was_failing:
        return "recovered"
    return "changed" if action == "changed" else "unchanged"


def parse_time(value: str | None) -> datetime | None:
    """A stored time as an aware datetime (None when absent or unreadable; a time
    without an offset is taken as UTC)."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def epoch_of(value: str | None) -> float | None:
    """Seconds since the epoch of a stored UTC time (None when absent or unreadable)."""
    dt = parse_time(value)
    return None if dt is None else dt.timestamp()


class Failure(msgspec.Struct, frozen=True, kw_only=True):
    """A failed attempt, as the merge functions need it."""

    kind: str
    message: str
    status: Status = Status.ERROR
    http_status: int | None = None
    attempts: int = 1


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """A successful answer (200 or 304), as the merge functions need it."""

    final_url: str
    http_status: int
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[Redirect] = []
    attempts: int = 1
    capture: WarcCapture | None = None  # the WARC record written for it, if any

    @property
    def not_modified(self) -> bool:
        return self.http_status == 304


def merge_failure(source: Source, failure: Failure, when: str) -> Source:
    """The source after a failed attempt: the stored article and revisions stay."""
    fetch = source.fetch or EMPTY_FETCH
    return msgspec.structs.replace(
        source,
        status=failure.status,
        error=SourceError(
            kind=failure.kind, message=failure.message, http_status=failure.http_status, at=when
        ),
        fetch=msgspec.structs.replace(
            fetch,
            consecutive_failures=fetch.consecutive_failures + 1,
            attempts=failure.attempts,
            checked_at=when,
        ),
    )


def is_degraded(old: Article, new: Article) -> bool:
    """A page that now extracts to an empty or tiny body (a block page, a paywall
    teaser, a consent wall) must not replace a good stored article."""
    old_words = old.word_count or len(old.text.split())
    return new.word_count == 0 or new.word_count < old_words * DEGRADED_RATIO


def _fetch_facts(answer: Answer, when: str) -> FetchFacts:
    return FetchFacts(
        final_url=answer.final_url,
        http_status=answer.http_status,
        content_type=answer.content_type,
        charset=answer.charset,
        etag=answer.etag,
        last_modified=answer.last_modified,
        redirects=answer.redirects,
        fetched_at=when,
        checked_at=when,
        attempts=answer.attempts,
        capture=answer.capture,
    )


def merge_success(
    source: Source, answer: Answer, article: Article | None, when: str, keep_revisions: int
) -> tuple[str, Source]:
    """Fold a successful answer into the source; returns (action, new source).

    304 (`not_modified`): only `checked_at` (and the validators sent) change.
    200 with the same text (`unchanged`): times and validators change, the article
    stays (unless a different extractor made the new one).
    200 with new text (`changed`): the previous version goes onto `revisions`,
    newest first, at most `keep_revisions`.
    200 with a degraded body (`degraded`): an error of kind `degraded`, the stored
    article kept. First article (`new`)."""
    if answer.not_modified:
        old_fetch = source.fetch or EMPTY_FETCH
        fetch = msgspec.structs.replace(
            old_fetch,
            checked_at=when,
            consecutive_failures=0,
            attempts=answer.attempts,
            etag=answer.etag or old_fetch.etag,
            last_modified=answer.last_modified or old_fetch.last_modified,
        )
        return "not_modified", msgspec.structs.replace(
            source, status=Status.OK, error=None, fetch=fetch
        )
    if article is None:
        raise ValueError("a 200 answer needs its article")
    old = source.good_article
    fetch = _fetch_facts(answer, when)
    if old is None:
        fetch = msgspec.structs.replace(fetch, changed_at=when)
        new = msgspec.structs.replace(
            source, status=Status.OK, error=None, fetch=fetch, article=article
        )
        return "new", new
    if is_degraded(old, article):
        failure = Failure(
            kind="degraded",
            message=f"page now extracts to {article.word_count} words (stored article has "
            f"{old.word_count}); kept the stored one",
            http_status=answer.http_status,
            attempts=answer.attempts,
        )
        return "degraded", merge_failure(source, failure, when)
    if old.content_sha256 == article.content_sha256:
        fetch = msgspec.structs.replace(
            fetch,
            changed_at=source.fetch.changed_at if source.fetch else None,
            # the same text: a run without --warc-file keeps the capture of it
            capture=fetch.capture or (source.fetch.capture if source.fetch else None),
        )
        keep = old.extractor == article.extractor
        new = msgspec.structs.replace(
            source, status=Status.OK, error=None, fetch=fetch, article=old if keep else article
        )
        return "unchanged", new
    revision = Revision(
        fetched_at=source.fetch.fetched_at if source.fetch else None,
        content_sha256=old.content_sha256,
        title=old.title,
        text=old.text,
    )
    revisions = ([revision] + list(source.revisions))[: max(0, keep_revisions)]
    fetch = msgspec.structs.replace(fetch, changed_at=when)
    new = msgspec.structs.replace(
        source, status=Status.OK, error=None, fetch=fetch, article=article, revisions=revisions
    )
    return "changed", new


def merge_archived(
    failed: Source, answer: Answer, article: Article, snapshot: ArchivedCopy, when: str
) -> Source:
    """A failed source (see merge_failure) that got its article from an archived
    copy: the failure's status and error stay, `archived_from` says where from."""
    fetch = msgspec.structs.replace(
        failed.fetch or EMPTY_FETCH,
        archived_from=snapshot,
        fetched_at=when,
        changed_at=when,
        charset=answer.charset,
        content_type=answer.content_type,
        final_url=answer.final_url,
        http_status=answer.http_status,
        etag=None,
        last_modified=None,
        redirects=answer.redirects,
        capture=answer.capture,
    )
    return msgspec.structs.replace(failed, fetch=fetch, article=article)


def freshest(sources: list[Source]) -> Source:
    """Of several stored copies of one URL (cited by several seeds), the one
    checked last (the first of equals)."""
    best = sources[0]
    for s in sources[1:]:
        if _checked(s) > _checked(best):
            best = s
    return best


def _checked(source: Source) -> str:
    return (source.fetch.checked_at if source.fetch else None) or ""


def with_citations(source: Source, url: str, cited: list[CitedPlace]) -> Source:
    """The stored state of a URL as it goes into one seed's sidecar."""
    if source.url == url and source.cited == cited:
        return source
    return msgspec.structs.replace(source, url=url, cited=cited)
