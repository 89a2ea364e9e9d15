"""Reading the collection back: sidecars across seeds and folders, filters,
sorting, finding one source by URL, and word-level diffs between revisions.

Data in, data out: nothing here prints or touches the network. `render.py`
turns what this module returns into rich, text, Markdown or JSON output.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from newsgrab.errors import ConfigError, ExitCode, NewsgrabError, StoreError
from newsgrab.model import (
    EMPTY_FETCH,
    Article,
    FetchFacts,
    Sidecar,
    Source,
    SourceError,
    Status,
    parse_time,
    to_builtins,
)
from newsgrab.seeds import find_seed_files, normalize_url
from newsgrab.store import (
    SIDECAR_SUFFIX,
    legacy_sidecar,
    read_sidecar,
    sidecar_path,
    stored_seed_name,
)

STATUSES = tuple(Status)
SORT_KEYS = ("date", "site", "status")


class SourceNotFoundError(NewsgrabError):
    """No stored source has the URL asked for."""

    exit_code = ExitCode.SOURCES_FAILED


def _str(value: str | None) -> str | None:
    return value or None


_NO_ARTICLE = Article(title=None, text="", word_count=0, content_sha256="0" * 64)


@dataclasses.dataclass
class Entry:
    """One source as stored in one seed's sidecar."""

    seed: Path  # the seed file (it may no longer exist)
    sidecar: Path  # the sidecar file the source was read from
    source: Source  # the source, as stored

    @property
    def url(self) -> str:
        return self.source.url

    @property
    def status(self) -> Status:
        return self.source.status

    @property
    def article(self) -> Article:
        """The stored article (an empty one when there is none)."""
        return self.source.article or _NO_ARTICLE

    @property
    def fetch(self) -> FetchFacts:
        return self.source.fetch or EMPTY_FETCH

    @property
    def error(self) -> SourceError | None:
        return self.source.error

    @property
    def title(self) -> str | None:
        return _str(self.article.title)

    @property
    def host(self) -> str:
        try:
            return (urlsplit(self.url).hostname or "").removeprefix("www.")
        except ValueError:
            return ""

    @property
    def site(self) -> str:
        """The site's name as the page gives it, else the URL's host."""
        return _str(self.article.site_name) or self.host

    @property
    def published(self) -> datetime | None:
        return parse_date(self.article.published_at)

    @property
    def checked(self) -> datetime | None:
        return parse_time(self.fetch.checked_at)

    @property
    def words(self) -> int | None:
        return self.source.article.word_count if self.source.article else None

    @property
    def revisions(self) -> int:
        """Earlier versions of the article kept: it changed that many times
        (at least; `keep_revisions` bounds the count)."""
        return len(self.source.revisions)

    @property
    def changed(self) -> datetime | None:
        """When the stored article last changed (or first came; None in a
        sidecar written before newsgrab recorded it)."""
        return parse_time(self.fetch.changed_at)

    def to_dict(self) -> dict:
        """The stable JSON object for `show --format json|jsonl`: the stored source
        with `seed` and `sidecar` (paths as found) in front."""
        return {"seed": str(self.seed), "sidecar": str(self.sidecar)} | to_builtins(self.source)


@dataclasses.dataclass
class Collection:
    entries: list[Entry]
    errors: list[StoreError]  # sidecars that could not be read
    seeds: list[Path]  # every seed found
    unfetched: list[Path]  # seeds without a sidecar yet


def parse_date(value: str | None) -> datetime | None:
    """A page's date (`2026-11-25`, `2026-11-25T10:00:00+03:00`, ...) as aware UTC."""
    if not value:
        return None
    dt = parse_time(value.strip())
    if dt is None:
        try:
            dt = datetime.combine(date.fromisoformat(value.strip()[:10]), time(), UTC)
        except ValueError:
            return None
    return dt.astimezone(UTC)


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", re.I | re.A)
_DATE_LIKE = re.compile(r"[+-]?\d{4,}-", re.A)
_SINCE_HELP = "expected a date such as 2026-11-01 or an age such as 7d"


def parse_since(value: str, now: datetime, option: str = "--since") -> datetime:
    """`--since` (or `option`): a date (2026-11-01), a date and time (2026-11-01T08:00,
    2026-11-01T08:00+03:00; no offset: UTC), or an age (90, 30m, 12h, 7d, 2w).
    Anything else, or a moment outside years 1 to 9999, is a ConfigError (exit 2)."""
    text = value.strip()
    if _DATE_LIKE.match(text):
        year = text.lstrip("+-").partition("-")[0]
        if text[0] in "+-" or len(year) > 4:
            raise ConfigError(f"{option}: {value!r} is outside the calendar (years 1 to 9999)")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(f"{option}: {value!r} is not a valid date ({exc})") from None
        try:
            return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+05:00
            raise ConfigError(
                f"{option}: {value!r} is outside the calendar (years 1 to 9999)"
            ) from None
    m = _AGE.fullmatch(text)
    if not m:
        raise ConfigError(f"{option}: {_SINCE_HELP}, got {value!r}")
    seconds = float(m.group(1)) * _AGE_UNITS[m.group(2).lower()]
    try:
        return now - timedelta(seconds=seconds)
    except OverflowError:
        raise ConfigError(
            f"{option}: {value!r} goes back past the calendar (before year 1)"
        ) from None


_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seed_and_sidecar(path: Path) -> tuple[Path, Path]:
    if path.name.endswith(SIDECAR_SUFFIX):
        stem = path.name[: -len(SIDECAR_SUFFIX)]
        return path.with_name(stem), path
    return path, sidecar_path(path)


class Sidecars:
    """The sources stored next to the seeds under `paths` (files or folders), read
    one sidecar at a time as they are iterated, so that a collection of any size
    is never held whole. A sidecar named directly (`notes/a.md.sources.json`) is
    read as is. A seed with no sidecar yet is read from its old-style
    `<stem>.sources.json` when that file names it in `seed.path` (the next
    `fetch` renames it). Each pass records the sidecars it could not read
    (`errors`) and the seeds with no sidecar yet (`unfetched`)."""

    def __init__(self, paths: Iterable[str | Path], globs: Iterable[str]):
        given = [Path(p) for p in paths]
        direct = [p for p in given if p.name.endswith(SIDECAR_SUFFIX) and p.is_file()]
        others = [p for p in given if p not in direct]
        self.seeds: list[Path] = direct + (find_seed_files(others, globs) if others else [])
        self.errors: list[StoreError] = []
        self.unfetched: list[Path] = []

    def __iter__(self) -> Iterator[Entry]:
        self.errors, self.unfetched = [], []
        seen: set[Path] = set()
        for found in self.seeds:
            seed, path = _seed_and_sidecar(found)
            if path in seen:
                continue
            seen.add(path)
            try:
                data = read_sidecar(path)
                if data is None and found == seed:
                    path, data = _legacy(seed, path, seen)
            except StoreError as exc:
                self.errors.append(exc)
                continue
            if data is None:
                self.unfetched.append(seed)
                continue
            stored_name = data.seed.path
            if path.name.endswith(SIDECAR_SUFFIX) and found == path and stored_name:
                seed = path.with_name(Path(stored_name).name)
            for src in data.sources:
                yield Entry(seed, path, src)


def load(paths: Iterable[str | Path], globs: Iterable[str]) -> Collection:
    """Every source stored next to the seeds under `paths`, in memory (see
    `Sidecars` to read them one sidecar at a time)."""
    found = Sidecars(paths, globs)
    entries = list(found)
    return Collection(entries, found.errors, found.seeds, found.unfetched)


def _legacy(seed: Path, path: Path, seen: set[Path]) -> tuple[Path, Sidecar | None]:
    """(the seed's old-style sidecar, its content when it names this seed). One
    that cannot be read raises its StoreError (reported once, like any sidecar)."""
    legacy = legacy_sidecar(seed)
    if legacy is None or legacy in seen:
        return path, None
    try:
        data = read_sidecar(legacy)
    except StoreError:
        seen.add(legacy)
        raise
    if data is None or data.seed.path != stored_seed_name(seed):
        return legacy, None
    seen.add(legacy)
    return legacy, data


# ------------------------------------------------------------------ filters


def filter_entries(
    entries: Iterable[Entry],
    *,
    statuses: Iterable[str] = (),
    site: str | None = None,
    stale_after: float | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    changed: bool = False,
    changed_since: datetime | None = None,
) -> list[Entry]:
    """`select` as a list."""
    return list(
        select(
            entries,
            statuses=statuses,
            site=site,
            stale_after=stale_after,
            since=since,
            now=now,
            changed=changed,
            changed_since=changed_since,
        )
    )


def select(
    entries: Iterable[Entry],
    *,
    statuses: Iterable[str] = (),
    site: str | None = None,
    stale_after: float | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    changed: bool = False,
    changed_since: datetime | None = None,
) -> Iterator[Entry]:
    """Keep entries with one of `statuses`; whose site name or host contains `site`
    (case-insensitive); not checked within `stale_after` seconds (never-checked
    ones included); published at or after `since` (undated ones left out); with
    `changed`, whose article changed (it has revisions), at or after
    `changed_since` when given."""
    now = now or datetime.now(UTC)
    wanted = set(statuses)
    needle = site.casefold() if site else None
    for e in entries:
        if wanted and e.status not in wanted:
            continue
        if needle and needle not in e.site.casefold() and needle not in e.host.casefold():
            continue
        if stale_after is not None:
            checked = e.checked
            if checked is not None and (now - checked).total_seconds() < stale_after:
                continue
        if since is not None:
            published = e.published
            if published is None or published < since:
                continue
        if changed:
            if not e.revisions:
                continue
            if changed_since is not None:
                when = e.changed
                if when is None or when < changed_since:
                    continue
        yield e


_OLDEST = datetime.min.replace(tzinfo=UTC)


def sort_entries(entries: Iterable[Entry], key: str | None) -> list[Entry]:
    """`date`: newest published first, undated last; `site`: by site name, then
    newest first; `status`: problems first (error, gone, blocked, unsupported,
    pending, ok). Ties keep the stored order (seed, then citation order)."""
    entries = list(entries)
    if key is None:
        return entries
    by_date = sorted(entries, key=lambda e: e.published or _OLDEST, reverse=True)
    if key == "date":
        return by_date
    if key == "site":
        return sorted(by_date, key=lambda e: e.site.casefold())
    if key == "status":
        return sorted(entries, key=lambda e: e.status.rank)
    raise ValueError(f"unknown sort key {key!r}")


def status_counts(entries: Iterable[Entry]) -> dict[str, int]:
    """Counts per status, in Status order."""
    counts = Counter(e.status for e in entries)
    return {str(s): counts[s] for s in Status if s in counts}


# ------------------------------------------------------------------ by URL


def _url_key(url: str) -> str:
    return normalize_url(url) or url.strip()


def find_url(entries: Iterable[Entry], url: str) -> list[Entry]:
    """The entries whose URL, final URL or canonical URL is `url` (normalized)."""
    return find_urls(entries, [url])[0]


def find_urls(entries: Iterable[Entry], urls: Sequence[str]) -> list[list[Entry]]:
    """`find_url` for each of `urls`, in one pass over `entries`."""
    keys = [_url_key(url) for url in urls]
    found: list[list[Entry]] = [[] for _ in urls]
    for e in entries:
        candidates = {_url_key(c) for c in (e.url, e.fetch.final_url, e.article.canonical_url) if c}
        for key, matches in zip(keys, found, strict=True):
            if key in candidates:
                matches.append(e)
    return found


def group_by_url(entries: Iterable[Entry]) -> list[tuple[Entry, list[Path]]]:
    """One entry per URL (the most recently checked copy) with every seed citing it."""
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.url, []).append(e)
    out = []
    for copies in groups.values():
        best = max(copies, key=lambda e: e.checked or _OLDEST)
        out.append((best, [c.seed for c in copies]))
    return out


# ------------------------------------------------------------------ revisions


@dataclasses.dataclass
class Version:
    fetched_at: str | None
    content_sha256: str | None
    title: str | None
    text: str
    current: bool

    @property
    def words(self) -> int:
        return len(self.text.split())

    def to_dict(self) -> dict:
        return {
            "fetched_at": self.fetched_at,
            "content_sha256": self.content_sha256,
            "title": self.title,
            "text": self.text,
            "word_count": self.words,
            "current": self.current,
        }


def versions(source: Source) -> list[Version]:
    """The stored article first (if any), then its revisions, newest first."""
    out = []
    article = source.article
    if article is not None and article.text:
        fetched = source.fetch.fetched_at if source.fetch else None
        out.append(
            Version(fetched, _str(article.content_sha256), article.title, article.text, True)
        )
    for rev in source.revisions:
        out.append(Version(rev.fetched_at, _str(rev.content_sha256), rev.title, rev.text, False))
    return out


PARAGRAPH = "\n\n"  # the token that stands for a paragraph break in a word diff


@dataclasses.dataclass
class Fold:
    """A run of unchanged paragraphs."""

    paragraphs: int


@dataclasses.dataclass
class Change:
    """Changed paragraphs as runs of words: ("=", words) unchanged, ("-", words)
    removed, ("+", words) added. A PARAGRAPH token in a run is a paragraph break."""

    runs: list[tuple[str, list[str]]]


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _tokens(paras: list[str]) -> list[str]:
    out: list[str] = []
    for i, p in enumerate(paras):
        if i:
            out.append(PARAGRAPH)
        out.extend(p.split())
    return out


# The work one word diff (two versions) may do, in comparisons: a few tenths of
# a second of CPU at most, whatever the texts. Past it, what is left is shown
# paragraph by paragraph (old paragraphs removed, new ones added) under NOTE.
DIFF_BUDGET = 2_000_000
# Up to this many cells (old words x new words), difflib's matcher (which reads
# best: longest runs first) is used; its worst case grows faster than the cells,
# so larger blocks go to the Myers algorithm, whose work is bounded by the size
# of the texts times the number of changed words, and counted as it goes.
_DIFFLIB_CELLS = 250_000
COARSE_NOTE = "[… too many changes here for a word diff: paragraphs shown whole …]"

Opcode = tuple[str, int, int, int, int]


class _Budget:
    def __init__(self, units: int):
        self.left = units

    def spend(self, units: int) -> bool:
        if units > self.left:
            self.left = 0
            return False
        self.left -= units
        return True


def _opcodes(a: list[str], b: list[str], budget: _Budget) -> list[Opcode]:
    """difflib-style opcodes turning `a` into `b`. A common head and tail are
    matched first, at linear cost; when the budget cannot pay for comparing
    what is between them, that part is one opcode tagged "coarse"."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    budget.spend(head + tail + 1)
    mid_a, mid_b = a[head : n - tail], b[head : m - tail]
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    mid: Sequence[Opcode] | None
    if mid_a and mid_b:
        cells = len(mid_a) * len(mid_b)
        if cells > _DIFFLIB_CELLS:
            mid = _myers(mid_a, mid_b, budget)
        elif budget.spend(cells):
            mid = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_opcodes()
        else:
            mid = None
        if mid is None:
            mid = [("coarse", 0, len(mid_a), 0, len(mid_b))]
        ops += [(t, i1 + head, i2 + head, j1 + head, j2 + head) for t, i1, i2, j1, j2 in mid]
    elif mid_a:
        ops.append(("delete", head, n - tail, head, head))
    elif mid_b:
        ops.append(("insert", head, head, head, m - tail))
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def _myers(a: list[str], b: list[str], budget: _Budget) -> list[Opcode] | None:
    """A shortest edit script (E. Myers, "An O(ND) difference algorithm", 1986):
    work about (len(a) + len(b)) x edits, every step counted against `budget`."""
    n, m = len(a), len(b)
    # round d costs at least d steps (and a copy of d numbers): the budget
    # bounds the number of rounds, and so the size of V
    rounds = min(n + m, math.isqrt(max(budget.left, 0)) + 1)
    offset = rounds + 1
    v = [0] * (2 * offset + 1)
    trace: list[list[int]] = []  # V before each round d: k from -d-1 to d+1
    steps = 0
    for d in range(rounds + 1):
        trace.append(v[offset - d - 1 : offset + d + 2])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[offset + k] = x
            steps += 1 + x - start
            if x >= n and y >= m:
                if not budget.spend(steps + d * d):
                    return None
                return _script(trace, n, m)
        if steps + d * d > budget.left:
            break
    budget.spend(budget.left + 1)  # spent: what is left of this diff goes coarse
    return None


def _script(trace: list[list[int]], n: int, m: int) -> list[Opcode]:
    """Walk the Myers trace back from (n, m) into difflib-style opcodes."""
    moves: list[tuple[str, int, int]] = []  # (tag, x, y) of each unit step, backwards
    x, y = n, m
    for d in range(len(trace) - 1, -1, -1):
        row, base = trace[d], d + 1  # row[k + base] is V[k]
        k = x - y
        down = k == -d or (k != d and row[k - 1 + base] < row[k + 1 + base])
        prev_k = k + 1 if down else k - 1
        prev_x = row[prev_k + base]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            moves.append(("equal", x, y))
        if d:
            moves.append(("insert" if x == prev_x else "delete", prev_x, prev_y))
        x, y = prev_x, prev_y
    ops: list[Opcode] = []
    for tag, i, j in reversed(moves):
        di, dj = (0, 1) if tag == "insert" else (1, 0) if tag == "delete" else (1, 1)
        if ops:
            last = ops[-1]
            same = last[0] == tag or (last[0] != "equal" and tag != "equal")
            if same and last[2] == i and last[4] == j:
                merged = tag if last[0] == tag else "replace"
                ops[-1] = (merged, last[1], i + di, last[3], j + dj)
                continue
        ops.append((tag, i, i + di, j, j + dj))
    return ops


def _coarse(old_words: list[str], new_words: list[str]) -> Change:
    """A block shown paragraph by paragraph, under COARSE_NOTE."""
    runs: list[tuple[str, list[str]]] = [("=", [*COARSE_NOTE.split(), PARAGRAPH])]
    if old_words:
        runs.append(("-", old_words))
    if new_words:
        runs.append(("+", [PARAGRAPH, *new_words] if old_words else new_words))
    return Change(runs)


def word_diff(old: str, new: str) -> list[Fold | Change]:
    """What changed from `old` to `new`: unchanged paragraphs folded, changed ones
    diffed word by word.

    Bounded: paragraphs are compared first (as whole strings), then words only
    within changed paragraphs, all within DIFF_BUDGET comparisons; past it,
    the remaining changes are shown as whole paragraphs under COARSE_NOTE."""
    a, b = paragraphs(old), paragraphs(new)
    budget = _Budget(DIFF_BUDGET)
    out: list[Fold | Change] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b, budget):
        if tag == "equal":
            out.append(Fold(i2 - i1))
            continue
        old_words, new_words = _tokens(a[i1:i2]), _tokens(b[j1:j2])
        if tag == "coarse":
            out.append(_coarse(old_words, new_words))
            continue
        words = _opcodes(old_words, new_words, budget)
        if any(op[0] == "coarse" for op in words):
            out.append(_coarse(old_words, new_words))
            continue
        runs: list[tuple[str, list[str]]] = []
        for wtag, k1, k2, m1, m2 in words:
            if wtag == "equal":
                runs.append(("=", old_words[k1:k2]))
                continue
            if k2 > k1:
                runs.append(("-", old_words[k1:k2]))
            if m2 > m1:
                runs.append(("+", new_words[m1:m2]))
        out.append(Change(runs))
    return out


def diff_counts(blocks: list[Fold | Change]) -> tuple[int, int]:
    """(words added, words removed)."""
    added = removed = 0
    for block in blocks:
        if isinstance(block, Change):
            for tag, words in block.runs:
                n = sum(1 for w in words if w != PARAGRAPH)
                if tag == "+":
                    added += n
                elif tag == "-":
                    removed += n
    return added, removed


@dataclasses.dataclass
class Step:
    """One version and what changed since the version before it (None: the oldest)."""

    version: Version
    previous: Version | None
    blocks: list[Fold | Change] | None


def history(source: Source) -> list[Step]:
    """Every stored version, newest first, each diffed against the one before it."""
    vs = versions(source)
    steps = []
    for i, v in enumerate(vs):
        prev = vs[i + 1] if i + 1 < len(vs) else None
        steps.append(Step(v, prev, word_diff(prev.text, v.text) if prev else None))
    return steps
