"""Seed files and the URLs they cite.

    find_seed_files(paths, globs) -> [Path]        seed files, deterministic order, recursive
    read_seed(path) -> str                         text of a seed (UTF-8, BOMs, other charsets)
    find_citations(text, html=False) -> [Citation] each URL once, in order of first citation
    scan_citations(text, html=False) -> ([Citation], [Rejected])
                                                   the same, plus what looked like a URL
                                                   but cannot be one (line, text, reason)
    normalize_url(url) -> str | None               canonical form, None if not a valid http(s) URL
    display_path(path) -> str                      a file name safe to print (undecodable
                                                   bytes and controls escaped); visible(text)
                                                   the same for any text

Rules (the README section "Seed files" says the same for users):

* URLs are found in prose (`http://`, `https://`, and bare `www.host.tld/...`, taken
  as https), Markdown inline links `[label](url "title")`, reference definitions
  `[id]: url`, autolinks `<url>`, and in HTML seeds the `href` of `<a>`/`<area>` plus
  bare URLs in the text. Images (`![alt](src)`, `<img>`) are not citations.
* In HTML, relative hrefs count only when a `<base href="http(s)://...">` makes them
  absolute; `#fragment`, `mailto:`, `javascript:`, `tel:` ... never count.
* A URL in prose ends at whitespace, `< > " `` ` ``, and at any non-ASCII punctuation
  or symbol (curly quotes, guillemets, dashes, ellipsis, CJK punctuation). Letters of
  any script may be part of a URL (`https://ru.wikipedia.org/wiki/Москва`), except that
  CJK text glued to an ASCII word ends the URL (`https://x.cn/news获取` -> `.../news`),
  while CJK right after a delimiter such as `/` or `=` stays (`/wiki/北京`).
  Trailing `.,;:!?'|` and unbalanced closing brackets are dropped; `*`, `_`, `~` are
  dropped at the end only when the same character opens the URL (Markdown emphasis).
* Normalized URLs are ASCII: IDN hosts in punycode, non-ASCII and other characters not
  allowed in a URL percent-encoded as UTF-8; existing %-escapes are kept as written.
  Every URL is validated by urlutil.parse_url (host, port, length); a candidate that
  starts like a web URL (`http://`, `https://`, `www.`, an http(s) link or href) but
  fails is a `Rejected` with its line and reason, and the rest of the seed goes on.
* Time is linear in the size of the text: prose candidates never overlap, the
  regular expressions have no nested ambiguous repetition, labels are cut before
  they are cleaned.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import html
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from newsgrab.errors import SeedError
from newsgrab.urlutil import BadURL, WebURL, parse_url

log = logging.getLogger("newsgrab.seeds")

SIDECAR_SUFFIX = ".sources.json"
HTML_SUFFIXES = (".html", ".htm")


@dataclasses.dataclass(slots=True)  # one per citation: a run may hold many thousands
class Place:
    line: int  # 1-based line number in the seed
    label: str | None = None  # e.g. the title from a "Related article: <title>" line


@dataclasses.dataclass(slots=True)
class Citation:
    """One distinct URL of a seed, with every place that cites it (first one first)."""

    url: str
    places: list[Place]

    @property
    def line(self) -> int:
        return self.places[0].line

    @property
    def label(self) -> str | None:
        """The label of the first place that has one."""
        return next((p.label for p in self.places if p.label), None)


MAX_REJECTED_TEXT = 200  # characters of a rejected candidate kept for the report


@dataclasses.dataclass(frozen=True, slots=True)
class Rejected:
    """Text of a seed that looks like a web URL but cannot be fetched as one."""

    line: int  # 1-based line number in the seed
    text: str  # as written, without `user:pass@`, cut to MAX_REJECTED_TEXT characters
    reason: str  # e.g. "invalid port '99999'", "invalid IPv6 address"


# ---------------------------------------------------------------- printing names

_UNSAFE_IN_NAME = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def _escape_char(m: re.Match[str]) -> str:
    cp = ord(m.group(0))
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{cp - 0xDC00:02x}"
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def visible(text: str) -> str:
    """`text` with what a terminal would hide or obey escaped: bytes that are not
    UTF-8 (surrogate-escaped, as in Linux file names) as `\\xff`, controls, bidi
    and invisible characters as `\\x1b` or `\\u202e`; everything else as it is."""
    return _UNSAFE_IN_NAME.sub(_escape_char, text)


def display_path(path: str | os.PathLike[str]) -> str:
    """A file name as it can be printed anywhere (see `visible`)."""
    return visible(os.fspath(path))


# ---------------------------------------------------------------- seed files


def _excluded_name(name: str) -> bool:
    return name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or ".corrupt-" in name


def is_seed_name(name: str, globs: Iterable[str]) -> bool:
    """True if a file called `name` is a seed: matches a glob (case-insensitively),
    and is not hidden, a sidecar or a moved-aside corrupt sidecar."""
    if _excluded_name(name):
        return False
    return any(fnmatch.fnmatch(name.lower(), g.lower()) for g in globs)


def _matches(rel: str, globs: tuple[str, ...]) -> bool:
    name = rel.rpartition("/")[2]
    if _excluded_name(name):
        return False
    for g in globs:
        target = rel if "/" in g else name
        if fnmatch.fnmatch(target.lower(), g.lower()):
            return True
    return False


def _is_symlink(path: Path) -> bool:
    try:
        return stat.S_ISLNK(path.lstat().st_mode)
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):  # gone, a symlink loop, a name too long
        return False


def find_seed_files(paths: Iterable[str | Path], globs: Iterable[str]) -> list[Path]:
    """Seed files in `paths`, in the order given; folders are searched recursively
    (sorted, hidden folders skipped). A file named explicitly is a seed whatever its
    name, unless it is hidden or a sidecar. Raises SeedError for a missing path."""
    globs = tuple(globs)
    found: dict[Path, Path] = {}  # resolved -> as given

    def add(path: Path) -> None:
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, an unreadable folder
            key = path.absolute()
        found.setdefault(key, path)

    for raw in paths:
        path = Path(raw)
        shown = display_path(path)
        try:
            mode = path.stat().st_mode
        except ValueError:  # a NUL in the name (from a config file, say)
            raise SeedError(f"{shown}: not a valid file name") from None
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and _is_symlink(path):
                raise SeedError(f"{shown}: broken symlink") from None
            if isinstance(exc, FileNotFoundError | NotADirectoryError):
                raise SeedError(f"{shown}: no such file or folder") from None
            raise SeedError(f"{shown}: {exc.strerror or exc}") from None
        if stat.S_ISREG(mode):
            if _excluded_name(path.name):
                log.info("%s: hidden file or sidecar, not a seed", shown)
            else:
                add(path)
            continue
        if not stat.S_ISDIR(mode):
            raise SeedError(f"{shown}: not a file or folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise SeedError(f"{shown}: cannot read folder")
        hits: list[tuple[tuple[str, ...], Path]] = []

        def skipped(exc: OSError) -> None:
            log.warning("%s: cannot read folder, skipped", display_path(exc.filename or "?"))

        for folder, dirs, files in os.walk(path, onerror=skipped):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(folder)
            rel_parts = base.relative_to(path).parts
            for name in files:
                rel = "/".join((*rel_parts, name))
                child = base / name
                if _matches(rel, globs) and _is_file(child):
                    hits.append(((*rel_parts, name), child))
        for _, child in sorted(hits, key=lambda hit: hit[0]):
            add(child)
    return list(found.values())


MAX_SEED_BYTES = 64 * 1024 * 1024  # a larger "seed" is a log or a dump, not a document


def read_seed(path: str | Path) -> str:
    """The text of a seed file: UTF-8 (with or without BOM), UTF-16/32 with BOM,
    else the charset charset-normalizer detects. SeedError if unreadable, not text
    or larger than MAX_SEED_BYTES."""
    path = Path(path)
    shown = display_path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SEED_BYTES + 1)
    except OSError as exc:
        raise SeedError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except ValueError:
        raise SeedError(f"{shown}: not a valid file name") from None
    if len(data) > MAX_SEED_BYTES:
        raise SeedError(f"{shown}: larger than {MAX_SEED_BYTES // (1024 * 1024)} MiB, not read")
    return decode_seed(data, shown)[0]


def decode_seed(data: bytes, shown: str) -> tuple[str, str]:
    """The text of a seed's bytes and the codec it was read with (`read_seed`'s
    rules; `shown` names the seed in a SeedError). Also for standard input and
    for `add`, which writes the file back in the same codec."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                raise SeedError(f"{shown}: not valid {codec.upper()} text") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SeedError(f"{shown}: not a text file (unknown encoding)")
    log.info("%s: not UTF-8, read as %s", shown, best.encoding)
    return str(best), best.encoding


# ---------------------------------------------------------------- normalization

# Query parameters that only track the reader; they never select content.
TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|"
    r"igshid|twclid|ttclid|li_fat_id|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|"
    r"vero_id|wickedid)$",
    re.I,
)


def _is_tracking(piece: str) -> bool:
    key = unquote(piece.partition("=")[0])
    return bool(TRACKING.match(key))


def canonical_url(url: str) -> WebURL:
    """The validated canonical form of an http(s) URL (urlutil.parse_url) without
    tracking parameters; BadURL (with a reason) if it cannot be fetched."""
    value = parse_url(url)
    if value.query:
        query = "&".join(p for p in value.query.split("&") if not _is_tracking(p))
        if query != value.query:
            value = dataclasses.replace(value, query=query)
    return value


def normalize_url(url: str) -> str | None:
    """The canonical form of an http(s) URL, or None if it is not a valid one.

    Lowercases scheme and host (IDN hosts become punycode, IPv4 dotted-quad), drops
    a default port, the fragment and tracking parameters (other parameters keep
    their order and spelling), %-encodes characters not allowed in a URL (non-ASCII
    as UTF-8) and keeps the path otherwise as written (an empty path becomes "/").
    Credentials (`user:pass@`) are kept: they are needed to fetch. A bad host, port
    or IPv6 literal, or a URL over urlutil.MAX_URL_LENGTH, gives None.
    """
    try:
        return str(canonical_url(url))
    except BadURL:
        return None


# ---------------------------------------------------------------- finding URLs

# Where a URL may start: a scheme, or "www." + host (taken as https). Not glued to an
# ASCII word before it (so "访问https://..." works but "xhttps://" does not).
_START = re.compile(
    r"(?<![A-Za-z0-9+.\-])https?://"
    r"|(?<![A-Za-z0-9+.\-/@:_%=])www\.(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9-]))",
    re.I,
)
_RUN = re.compile(r"[^\s<>\"`|\x00-\x1f\x7f]*")
# Non-ASCII characters _cut must look at: all but letters and digits inside a run
# of them (a letter right after an ASCII character may be CJK glued to a word).
_NON_ASCII = re.compile(r"[^\x00-\x7f\w]|(?<=[\x00-\x7f])[^\x00-\x7f]")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_TRAILING = set(".,;:!?'")
_WRAPPERS = set("*_~")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_DELIMS = set("/=?&#-_+%~:,")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_BARE_SCHEME = re.compile(r"(?i)https?:/*")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
        or 0x1100 <= o <= 0x11FF
    )


def _cut(text: str, start: int, end: int) -> int:
    """Where the URL that starts at `start` ends within the run text[start:end]:
    at the first non-ASCII punctuation, symbol, space or control, or CJK glued to
    an ASCII word. An invisible format character (U+200B, U+00AD...) or a lone
    surrogate inside the host does not end it: the URL is then rejected, not cut
    to a different host.
    Skips over ASCII at C speed, so the cost is linear in the URL's length."""
    authority = text.find("//", start, min(start + 8, end))
    searched = start if authority < 0 else authority + 2  # the host starts here
    authority_end = -1  # not known yet: searched lazily, each character once
    pos = start
    while True:
        m = _NON_ASCII.search(text, pos, end)
        if not m:
            return end
        i = m.start()
        ch = text[i]
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cs") and authority_end < 0:
            found = _AUTHORITY_END.search(text, searched, i)
            if found:
                authority_end = found.start()
            else:
                searched = i
                pos = i + 1
                continue
        if cat[0] in "PSZC":
            return i
        if _is_cjk(ch):
            prev = text[i - 1]
            if prev.isascii() and prev not in _DELIMS:
                return i
        pos = i + 1


def _trim(url: str, before: str) -> str:
    counts: dict[str, int] = {}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _CLOSERS and not counts:  # counted once, only when needed
            counts = {ch: url.count(ch) for ch in "()[]{}"}
        unbalanced = last in _CLOSERS and counts[_CLOSERS[last]] < counts[last]
        if (
            last in _TRAILING
            or (last in _WRAPPERS and last == before)
            or unbalanced
            or (not last.isascii() and unicodedata.category(last) == "Cf")
        ):
            end -= 1
            if last in counts:
                counts[last] -= 1
        else:
            break
    return url[:end]


def _prose_urls(text: str, markdown: bool = True) -> list[tuple[int, str]]:
    """(offset, raw URL) of the URLs written out in `text`, in order. Candidates
    never overlap: each is scanned once, so the time is linear in len(text)."""
    hits: list[tuple[int, str]] = []
    pos = 0
    run_end = -1  # end of the current maximal run of URL characters
    while True:
        m = _START.search(text, pos)
        if not m:
            return hits
        start = m.start()
        if start >= run_end:
            run = _RUN.match(text, start)
            run_end = run.end() if run else start
        cut = _cut(text, start, run_end)
        url = text[start:cut]
        if markdown:  # Markdown escapes (https://x.org/a\_b), &amp; copied from HTML
            url = _MD_ESCAPE.sub(r"\1", url).replace("&amp;", "&")
        before = text[start - 1] if start else ""
        url = _trim(url, before)
        if url.lower().startswith("www."):
            url = "https://" + url
        if url:
            hits.append((start, url))
        pos = max(cut, start + 1)


_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"  # [label], one level of nesting
    r"\(\s*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))"  # (dest
    r"(?:\s+(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)))?\s*\)"
)  # title)
_REFDEF = re.compile(
    r"^ {0,3}\[([^\]\n]+)\]:[ \t]*(?:<([^<>\n]*)>|(\S+))"
    r"(?:[ \t]+(\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$"
)
_REFUSE = re.compile(r"(?<![\]\\])\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\][ ]?\[([^\[\]\n]*)\]")
_IMAGE = re.compile(r"!\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\([^)\n]*\)")
_LABEL_LINE = re.compile(
    r"^\s*(?:[-*+•>]\s*)*[*_]{0,2}(?:related(?:\s+(?:article|articles|story|stories|link|"
    r"reading|coverage|content|news))?|see\s+also|read\s+(?:more|also)|more\s+on\s+this|"
    r"further\s+reading)[*_]{0,2}\s*[:：][*_]{0,2}\s*(?P<title>.*)$",
    re.I,
)
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by for from has in is it its "
        "of on or that the to was were will with",
    )
)


MAX_LABEL = 300  # characters; longer labels are cut with an ellipsis


def _clean_label(text: str | None) -> str | None:
    if not text:
        return None
    text = text[: 4 * MAX_LABEL]  # bounds the work; the label is cut shorter below
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = re.sub(r"\*\*|`", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1].rstrip() + "\u2026"
    for pair in (
        "**",
        "__",
        "*",
        "_",
        "`",
        '"',
        "'",
        "\u201c\u201d",
        "\u2018\u2019",
        "\u00ab\u00bb",
    ):
        opener, closer = (
            (pair[0], pair[1]) if len(pair) == 2 and pair[0] != pair[1] else (pair, pair)
        )
        if (
            len(text) > len(opener) + len(closer)
            and text.startswith(opener)
            and text.endswith(closer)
        ):
            text = text[len(opener) : -len(closer)].strip()
    if not text or _START.match(text) or normalize_url(text):
        return None
    return text


def _unquote_title(title: str | None) -> str | None:
    return title[1:-1] if title else None


@dataclasses.dataclass
class _Hit:
    line: int
    col: int
    url: str
    label: str | None


_CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s]*@")  # never printed
_WEB_LIKE = re.compile(r"\s*(?:https?:|www\.)", re.I)


class _Found:
    """The hits of one seed and what was rejected, each with line and column."""

    def __init__(self) -> None:
        self.hits: list[_Hit] = []
        self.rejected: list[tuple[int, int, str, str]] = []
        self._checked: dict[str, str | BadURL] = {}

    def check(self, line: int, col: int, raw: str) -> str | None:
        """The normalized URL of `raw`, or None; a `raw` that looks like a web URL
        but is not a valid one is recorded as rejected."""
        result = self._checked.get(raw)  # a seed often cites one URL many times
        if result is None:
            try:
                result = str(canonical_url(raw))
            except BadURL as exc:
                result = exc
            if len(self._checked) < 100_000:
                self._checked[raw] = result
        if isinstance(result, str):
            return result
        if _WEB_LIKE.match(raw) and not _BARE_SCHEME.fullmatch(raw.strip()):
            self.reject(line, col, raw, result.reason)
        return None

    def reject(self, line: int, col: int, raw: str, reason: str) -> None:
        text = _CREDENTIALS.sub(r"\1", raw.strip(), count=1)
        if len(text) > MAX_REJECTED_TEXT:
            text = text[: MAX_REJECTED_TEXT - 1] + "\u2026"
        self.rejected.append((line, col, text, reason))

    def add(self, line: int, col: int, raw: str, label: str | None = None) -> bool:
        url = self.check(line, col, raw)
        if url is None:
            return False
        self.hits.append(_Hit(line, col, url, label))
        return True


def _markdown_hits(lines: list[str], found: _Found) -> None:
    text = "\n".join(lines)
    usage: dict[str, str] = {}
    for m in _REFUSE.finditer(text):
        key = (m.group(2) or m.group(1)).strip().lower()
        usage.setdefault(key, m.group(1))
    for number, line in enumerate(lines, 1):
        d = _REFDEF.match(line)
        if d:
            group = 2 if d.group(2) is not None else 3
            url = found.check(number, d.start(group), d.group(group))
            if url:
                ref = d.group(1).strip()
                label = (
                    _clean_label(_unquote_title(d.group(4)))
                    or _clean_label(usage.get(ref.lower()))
                    or (ref if re.search(r"[^\W\d_]{2}", ref) else None)
                )
                found.hits.append(_Hit(number, d.start(group), url, _clean_label(label)))
                continue
            if _WEB_LIKE.match(d.group(group)):  # rejected: not a prose URL either
                continue

        def link(m: re.Match[str], number: int = number) -> str:
            if not m.group(1):  # not an image
                dest = m.group(3) if m.group(3) is not None else m.group(4)
                dest = _MD_ESCAPE.sub(r"\1", dest).replace("&amp;", "&")
                label = _clean_label(m.group(2)) or _clean_label(_unquote_title(m.group(5)))
                found.add(number, m.start(), dest, label)
            return " " * (m.end() - m.start())

        masked = _LINK.sub(link, line)
        for col, raw in _prose_urls(masked):
            found.add(number, col, raw)
    found.hits.sort(key=lambda h: (h.line, h.col))
    _label_lines(lines, found.hits)


def _words(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['\u2019\u02bc]", "", text)
    return {w for w in _WORD.findall(text) if len(w) > 1 and w not in _STOPWORDS}


def _slug_words(url: str) -> set[str]:
    parts = urlsplit(url)
    return _words(unquote(parts.path + " " + parts.query))


LABEL_WINDOW = 6  # lines after a label line in which its URL may be


def _label_lines(lines: list[str], hits: list[_Hit]) -> None:
    """Give the title of "Related article: <title>" lines to the URL they refer to.

    * A URL on the label line itself gets the title (the line without its URLs).
    * Otherwise the candidates are the unlabelled URLs on the next LABEL_WINDOW lines,
      skipping blank lines and other label lines, up to the first line of prose
      without a URL, or a blank line after the first URL lines.
    * The candidate whose path shares most of the title's words gets it; with no
      word in common, a lone candidate gets it, and several get nothing.
    """
    by_line: dict[int, list[_Hit]] = {}
    for h in hits:
        by_line.setdefault(h.line, []).append(h)
    claimed: set[int] = set()
    for number, line in enumerate(lines, 1):
        m = _LABEL_LINE.match(line)
        if not m:
            continue
        on_line = by_line.get(number, [])
        if on_line:
            rest = _LINK.sub(" ", m.group("title"))
            rest = re.sub(r"<?(?:https?://|www\.)\S*", " ", rest, flags=re.I)
            label = _clean_label(rest.strip(" \t-–—:|"))
            free = [h for h in on_line if h.label is None]
            if label and free:
                free[0].label = label
            continue
        title = _clean_label(m.group("title"))
        if not title:
            continue
        candidates: list[_Hit] = []
        for after in range(number + 1, min(number + LABEL_WINDOW, len(lines)) + 1):
            text = lines[after - 1]
            if not text.strip():
                if candidates:
                    break
                continue
            if after in by_line:
                candidates += [
                    h for h in by_line[after] if h.label is None and id(h) not in claimed
                ]
                continue
            if _LABEL_LINE.match(text):
                continue
            break
        if not candidates:
            continue
        title_words = _words(title)
        scores = [len(title_words & _slug_words(h.url)) for h in candidates]
        best = max(scores)
        if best > 0:
            chosen = candidates[scores.index(best)]
        elif len(candidates) == 1:
            chosen = candidates[0]
        else:
            continue
        chosen.label = title
        claimed.add(id(chosen))


_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/=>]*")
_SPACE_SLASH = re.compile(r"[\s/]*")
_EQUALS = re.compile(r"\s*=\s*")
_UNQUOTED = re.compile(r"[^\s>]*")
_RAW_TEXT = ("script", "style")  # their content is not markup (nor text to read)
_SKIPPED = ("script", "style", "template")


class _Lines:
    """(line, column) of offsets asked in increasing order, in linear total time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        if offset > self.offset:
            newlines = self.text.count("\n", self.offset, offset)
            if newlines:
                self.line += newlines
                self.line_start = self.text.rindex("\n", self.offset, offset) + 1
            self.offset = offset
        return self.line, offset - self.line_start


class _HrefScanner:
    """Collect <a>/<area> hrefs (with line and anchor text), <base href>, and bare URLs
    in the text outside links, scripts and styles.

    A small HTML tokenizer of its own (tags, attributes, comments, declarations,
    raw-text script/style, character references): every character is looked at a
    bounded number of times, whatever the markup, so a hostile or broken page costs
    time linear in its size (the standard library's html.parser is quadratic on
    unclosed tags and raises on some declarations). Unfinished markup at the end
    is dropped, as HTML5 parsers do."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.base: str | None = None
        self.base_pos = (1, 0)
        self.links: list[list] = []  # [line, col, href, text parts, title]
        self.text_urls: list[tuple[int, int, str]] = []
        self._open: list | None = None
        self._skip = 0
        self._data: list[str] = []
        self._data_at = 0

    # ---- events

    def _flush(self) -> None:
        if not self._data:
            return
        data = html.unescape("".join(self._data))
        self._data = []
        if self._skip:
            return
        if self._open is not None:
            self._open[3].append(data)
            return
        line, col = self.lines.at(self._data_at)
        counted = 0  # newlines before `counted` are in `line` already
        for offset, raw in _prose_urls(data, markdown=False):
            line += data.count("\n", counted, offset)
            counted = offset
            self.text_urls.append((line, col + offset, raw))

    def _text(self, start: int, end: int) -> None:
        if start < end:
            if not self._data:
                self._data_at = start
            self._data.append(self.text[start:end])

    def _start(self, tag: str, attrs: dict[str, str], at: int, href_at: int) -> None:
        if tag == "base" and self.base is None and attrs.get("href"):
            self.base = attrs["href"].strip()
            self.base_pos = self.lines.at(at)
        elif tag in _SKIPPED:
            self._skip += 1
        elif tag == "img" and self._open is not None and attrs.get("alt"):
            self._open[3].append(attrs["alt"])
        elif tag in ("a", "area") and "href" in attrs:
            line, col = self.lines.at(at)
            line = self.lines.at(href_at)[0]
            parts: list[str] = [attrs.get("alt") or ""] if tag == "area" else []
            link = [line, col, attrs["href"], parts, attrs.get("title")]
            self.links.append(link)
            if tag == "a":
                self._open = link

    def _end(self, tag: str) -> None:
        if tag in _SKIPPED and self._skip:
            self._skip -= 1
        elif tag == "a":
            self._open = None

    # ---- tokenizer

    def _attributes(self, pos: int) -> tuple[dict[str, str], int, int]:
        """The attributes from `pos`, the offset after the tag's ">" (-1 if the tag
        never ends) and the offset of its href attribute."""
        text, end = self.text, len(self.text)
        attrs: dict[str, str] = {}
        href_at = pos
        while True:
            pos = _SPACE_SLASH.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                return attrs, -1, href_at
            if text[pos] == ">":
                return attrs, pos + 1, href_at
            m = _ATTR_NAME.match(text, pos)
            if not m:  # cannot happen: any other character starts a name
                return attrs, -1, href_at
            name, name_at = m.group(0).lower(), pos
            pos = m.end()
            value = ""
            eq = _EQUALS.match(text, pos)
            if eq:
                pos = eq.end()
                quote = text[pos : pos + 1]
                if quote in ("'", '"'):
                    close = text.find(quote, pos + 1)
                    if close < 0:  # an unclosed quote runs to the end: drop the tag
                        return attrs, -1, href_at
                    value, pos = text[pos + 1 : close], close + 1
                else:
                    m = _UNQUOTED.match(text, pos)
                    value, pos = m.group(0), m.end()  # type: ignore[union-attr]
            if name not in attrs:
                attrs[name] = html.unescape(value)
                if name == "href":
                    href_at = name_at

    def run(self) -> None:
        text, end = self.text, len(self.text)
        i = 0
        while 0 <= i < end:
            j = text.find("<", i)
            if j < 0:
                self._text(i, end)
                break
            self._text(i, j)
            nxt = text[j + 1 : j + 2]
            if text.startswith("<!--", j):
                if text.startswith(("<!-->", "<!--->"), j):  # empty comments (HTML5)
                    i = text.index(">", j) + 1
                else:
                    k = text.find("-->", j + 4)
                    i = end if k < 0 else k + 3
                self._flush()
            elif nxt in ("!", "?"):  # a declaration, processing instruction, bogus comment
                k = text.find(">", j + 2)
                i = end if k < 0 else k + 1
                self._flush()
            elif nxt == "/":
                m = _TAG_NAME.match(text, j + 2)
                k = text.find(">", j + 2)
                i = end if k < 0 else k + 1
                self._flush()
                if m and k >= 0:
                    self._end(m.group(0).lower())
            elif nxt.isascii() and nxt.isalpha():
                m = _TAG_NAME.match(text, j + 1)
                assert m is not None
                tag = m.group(0).lower()
                attrs, i, href_at = self._attributes(m.end())
                self._flush()
                if i < 0:
                    break  # an unfinished tag at the end
                self._start(tag, attrs, j, href_at)
                if tag in _RAW_TEXT:
                    close = re.compile(rf"</{tag}(?=[\s/>]|\Z)", re.I).search(text, i)
                    i = end if close is None else close.start()
            else:  # a "<" that starts no markup is text
                self._text(j, j + 1)
                i = j + 1
        self._flush()


_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _html_hits(text: str, found: _Found) -> None:
    parser = _HrefScanner(text)
    parser.run()
    base = found.check(*parser.base_pos, parser.base) if parser.base else None
    for line, col, href, parts, title in parser.links:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        if not _HAS_SCHEME.match(href):  # relative
            if not base:
                continue
            try:
                href = urljoin(base, href)
            except ValueError:  # e.g. "//[::1/": a broken host
                found.reject(line, col, href, "invalid relative link")
                continue
        label = _clean_label("".join(parts)) or _clean_label(title)
        found.add(line, col, href, label)
    for line, col, raw in parser.text_urls:
        found.add(line, col, raw)
    found.hits.sort(key=lambda h: (h.line, h.col))


def scan_citations(text: str, html: bool = False) -> tuple[list[Citation], list[Rejected]]:
    """The citations of `text` (as find_citations) and, in order, each text that
    looks like a web URL (`http://`, `https://`, `www.`, an http(s) link or href)
    but is not a valid one, with its line and the reason. Never raises for any
    text; time and memory are linear in its length."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = _Found()
    if html:
        _html_hits(text, found)
    else:
        _markdown_hits(text.split("\n"), found)
    seen: dict[str, Citation] = {}
    places: dict[tuple[str, int], Place] = {}
    for h in found.hits:
        same = places.get((h.url, h.line))
        if same is not None:  # cited twice on one line: one place
            same.label = same.label or h.label
            continue
        place = places[h.url, h.line] = Place(h.line, h.label)
        if h.url in seen:
            seen[h.url].places.append(place)
        else:
            seen[h.url] = Citation(h.url, [place])
    rejected: dict[tuple[int, str], Rejected] = {}
    for line, _col, raw, reason in sorted(found.rejected, key=lambda r: (r[0], r[1])):
        rejected.setdefault((line, raw), Rejected(line, raw, reason))
    return list(seen.values()), list(rejected.values())


def find_citations(text: str, html: bool = False) -> list[Citation]:
    """Each distinct normalized URL cited in `text` once, in order of first citation,
    with every place (1-based line, label) that cites it."""
    return scan_citations(text, html)[0]


# ---------------------------------------------------------------- adding a citation
# (`newsgrab add URL --label TEXT --to SEED`)

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


@dataclasses.dataclass(frozen=True)
class Added:
    """What `add_citation` did: the URL as written, its line, and whether the
    seed cited it already (then nothing was written) or was created."""

    url: str
    line: int
    already: bool = False
    created: bool = False


def clean_added_label(label: str | None) -> str | None:
    """A label for `add`: controls, bidi and invisible characters removed,
    whitespace (newlines included) collapsed to single spaces; None when
    nothing is left. SeedError when it holds a URL (it would be a citation of
    its own) or is longer than MAX_LABEL characters."""
    if label is None:
        return None
    from newsgrab.plain import sanitize  # escape sequences go whole

    text = " ".join(_CONTROLS.sub(" ", sanitize(label)).split())
    if not text:
        return None
    if len(text) > MAX_LABEL:
        raise SeedError(f"--label: longer than {MAX_LABEL} characters ({len(text)})")
    found, rejected = scan_citations(text)
    if found or rejected or _START.search(text):
        raise SeedError(f"--label: must not contain a URL, got {visible(text)!r}")
    return text


def _line_ending(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def _citation_texts(kind: str, url: str, label: str | None, eol: str) -> list[str]:
    """The ways to write the citation in a seed of `kind`, preferred first."""
    md_label = label.replace("[", "(").replace("]", ")") if label else None
    md_link = f"- [{md_label}](<{url}>){eol}" if md_label else f"- <{url}>{eol}"
    if kind == "html":
        anchor = html.escape(label) if label else html.escape(url)
        return [f'<p><a href="{html.escape(url, quote=True)}">{anchor}</a></p>{eol}']
    if kind == "markdown":
        return [md_link]
    if label is None:
        return [f"{url}{eol}"]
    # A "Related: label url" line; where an earlier "Related:" line of the
    # document would claim the URL first, a Markdown link (read in text seeds too)
    return [f"Related: {label} {url}{eol}", f"[{md_label}](<{url}>){eol}"]


def _inside(path: Path, roots: Iterable[str | Path]) -> bool:
    """Whether the file `path` is one of `roots` or in a folder under one
    (symlinks resolved)."""
    real = os.path.realpath(path)
    folder = os.path.realpath(path.parent)
    for root in roots:
        top = os.path.realpath(os.path.expanduser(root))
        if real == top or folder == top or folder.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def _seed_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"


def _named_as_seed(path: Path, roots: list[str | Path], globs: tuple[str, ...]) -> bool:
    """Whether a run over a folder would read `path` as a seed: its name (or its
    path under one of `roots`) matches one of `globs`."""
    if _matches(path.name, globs):
        return True
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(os.path.expanduser(root))
        inside = real.startswith(top.rstrip(os.sep) + os.sep)
        if inside and _matches(os.path.relpath(real, top).replace(os.sep, "/"), globs):
            return True
    return False


def add_citation(
    path: Path,
    url: str,
    label: str | None,
    roots: Iterable[str | Path],
    globs: Iterable[str] | None = None,
) -> Added:
    """Append a citation of `url` (with `label`) to the seed `path`, in the seed's
    own format: `- [label](<url>)` in Markdown, `<p><a href="url">label</a></p>`
    before `</body>` in HTML, `Related: label url` (or the URL alone) in text.

    The file keeps its encoding (BOM included) and line endings, and is written
    atomically (a temporary file in the same folder, fsync, rename); a missing
    seed is created (UTF-8). Refused (SeedError, nothing written): a URL that
    cannot be fetched, a label holding a URL, a seed that is a symlink or not a
    regular file, outside `roots` (the folders newsgrab works on), hidden, a
    sidecar, named so that a run would not read it (`globs`, the seed_globs
    setting, when given), not decodable, or whose new text would not read back
    as the old citations plus this one. A seed that cites the URL already is
    left as it is."""
    shown = display_path(path)
    url = url.strip()
    if url[:4].lower() == "www.":  # as in prose: a bare www. address is https
        url = "https://" + url
    try:
        wanted = str(canonical_url(url))
    except BadURL as exc:
        raise SeedError(f"{visible(url)[:200]}: not a URL ({exc.reason})") from None
    label = clean_added_label(label)
    roots = list(roots)
    if not _inside(path, roots):
        where = ", ".join(display_path(r) for r in roots)
        raise SeedError(
            f"{shown}: outside the seed folders ({where}); run newsgrab from the "
            "seed's folder or set `seeds`"
        )
    if _excluded_name(path.name):
        raise SeedError(f"{shown}: a hidden file or a sidecar, not a seed; not changed")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise SeedError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise SeedError(f"{shown}: is a symlink; refused (newsgrab never writes through one)")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise SeedError(f"{shown}: not a regular file")
    if st is None and not path.parent.is_dir():
        raise SeedError(f"{shown}: no such folder {display_path(path.parent)}")
    if globs is not None and not _named_as_seed(path, roots, tuple(globs)):
        raise SeedError(
            f"{shown}: not named as a seed ({', '.join(globs)}: the seed_globs setting), "
            "so a run over its folder would not read it; not changed"
        )
    data = b""
    if st is not None:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_SEED_BYTES + 1)
        except OSError as exc:
            raise SeedError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        if len(data) > MAX_SEED_BYTES:
            raise SeedError(f"{shown}: larger than {MAX_SEED_BYTES // (1024 * 1024)} MiB")
    text, codec = decode_seed(data, shown) if data else ("", "utf-8")
    bom = b""
    for mark, plain_codec in _BOMS:
        if data.startswith(mark):
            bom, codec = mark, plain_codec
            break
    try:
        same = bom + text.encode(codec) == data
    except (UnicodeError, LookupError):
        same = False
    if not same:
        raise SeedError(f"{shown}: its bytes do not read back the same as {codec}; not changed")
    kind = _seed_kind(path)
    before, rejected_before = scan_citations(text, html=kind == "html")
    for c in before:
        if c.url == wanted or redact(c.url) == redact(wanted):
            return Added(wanted, c.line, already=True)
    eol = _line_ending(text)
    at = len(text)
    if kind == "html":
        lower = text.lower()
        at = next((i for i in (lower.rfind("</body"), lower.rfind("</html")) if i >= 0), at)
    head = text[:at]
    if head and not head.endswith(("\n", "\r")):
        head += eol
    old_urls = sorted([*(c.url for c in before), wanted])
    chosen: tuple[str, list[Citation]] | None = None
    for addition in _citation_texts(kind, wanted, label, eol):
        candidate = head + addition + text[at:]
        after, rejected_after = scan_citations(candidate, html=kind == "html")
        if sorted(c.url for c in after) != old_urls or len(rejected_after) != len(rejected_before):
            continue  # this form would not read back as the old citations plus this one
        chosen = (candidate, after)
        mine = next(c for c in after if c.url == wanted)
        if mine.label == label:
            break  # read back exactly as given
    if chosen is None:
        raise SeedError(f"{shown}: the citation would not read back as written; not changed")
    new_text, after = chosen
    try:
        payload = bom + new_text.encode(codec)
    except UnicodeEncodeError:
        raise SeedError(
            f"{shown}: the label cannot be written in {codec}, the file's encoding"
        ) from None
    line = next(c.line for c in after if c.url == wanted)
    _replace_file(path, payload, st)
    return Added(wanted, line, created=st is None)


def redact(url: str) -> str:
    """`url` without `user:password@`."""
    return _CREDENTIALS.sub(r"\1", url)


def _replace_file(path: Path, payload: bytes, st: os.stat_result | None) -> None:
    """Write `payload` to `path` atomically, keeping its permission bits. A seed
    changed or created meanwhile (an editor saving it) is not overwritten."""
    from newsgrab.errors import WriteError

    shown = display_path(path)
    folder = path.parent
    tmp = folder / f".newsgrab-tmp-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666
        )
    except OSError as exc:
        raise WriteError(shown, f"cannot write: {exc.strerror or exc}; not changed") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if st is not None:
                os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if st is None:
            os.link(tmp, path)  # fails if a file of that name appeared meanwhile
            os.unlink(tmp)
        else:
            now = os.lstat(path)
            if (now.st_ino, now.st_size, now.st_mtime_ns) != (
                st.st_ino,
                st.st_size,
                st.st_mtime_ns,
            ):
                raise SeedError(f"{shown}: changed while newsgrab was adding to it; try again")
            os.replace(tmp, path)
    except FileExistsError:
        _unlink(tmp)
        raise SeedError(f"{shown}: created meanwhile by another program; try again") from None
    except OSError as exc:
        _unlink(tmp)
        raise WriteError(shown, f"cannot write: {exc.strerror or exc}; not changed") from None
    except BaseException:
        _unlink(tmp)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
