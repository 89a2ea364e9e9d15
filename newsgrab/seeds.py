"""Seed files and the URLs they cite.

    find_seed_files(paths, globs) -> [Path]        seed files, deterministic order, recursive
    read_seed(path) -> str                         text of a seed (UTF-8, BOMs, other charsets)
    find_citations(text, html=False) -> [Citation] each URL once, in order of first citation
    normalize_url(url) -> str | None               canonical form, None if not http(s)

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
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import idna  # the IDNA 2008 encoder httpx uses to fetch

from newsgrab.errors import SeedError

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


def find_seed_files(paths: Iterable[str | Path], globs: Iterable[str]) -> list[Path]:
    """Seed files in `paths`, in the order given; folders are searched recursively
    (sorted, hidden folders skipped). A file named explicitly is a seed whatever its
    name, unless it is hidden or a sidecar. Raises SeedError for a missing path."""
    globs = tuple(globs)
    found: dict[Path, Path] = {}  # resolved -> as given

    def add(path: Path) -> None:
        try:
            key = path.resolve()
        except OSError:
            key = path.absolute()
        found.setdefault(key, path)

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            kind = "broken symlink" if path.is_symlink() else "no such file or folder"
            raise SeedError(f"{path}: {kind}")
        if path.is_file():
            if _excluded_name(path.name):
                log.info("%s: hidden file or sidecar, not a seed", path)
            else:
                add(path)
            continue
        if not path.is_dir():
            raise SeedError(f"{path}: not a file or folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise SeedError(f"{path}: cannot read folder")
        hits: list[tuple[tuple[str, ...], Path]] = []

        def skipped(exc: OSError) -> None:
            log.warning("%s: cannot read folder, skipped", exc.filename)

        for folder, dirs, files in os.walk(path, onerror=skipped):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(folder)
            rel_parts = base.relative_to(path).parts
            for name in files:
                rel = "/".join((*rel_parts, name))
                child = base / name
                if _matches(rel, globs) and child.is_file():
                    hits.append(((*rel_parts, name), child))
        for _, child in sorted(hits, key=lambda hit: hit[0]):
            add(child)
    return list(found.values())


def read_seed(path: str | Path) -> str:
    """The text of a seed file: UTF-8 (with or without BOM), UTF-16/32 with BOM,
    else the charset charset-normalizer detects. SeedError if unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise SeedError(f"{path}: not valid {codec.upper()} text") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SeedError(f"{path}: not a text file (unknown encoding)")
    log.info("%s: not UTF-8, read as %s", path, best.encoding)
    return str(best)


# ---------------------------------------------------------------- normalization

# Query parameters that only track the reader; they never select content.
TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|"
    r"igshid|twclid|ttclid|li_fat_id|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|"
    r"vero_id|wickedid)$",
    re.I,
)

# Characters kept as they are in a path, query or userinfo; anything else is %-encoded.
_URL_SAFE = "!$&'()*+,;=:@/?%-._~[]"
_HOST_OK = re.compile(
    r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*"
    r"[a-z0-9_])?)*$"
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def _encode(part: str) -> str:
    return quote(part, safe=_URL_SAFE)


def _ascii_host(host: str) -> str | None:
    host = host.rstrip(".").lower()
    if not host:
        return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (UnicodeError, ValueError):
            return None
    if _IPV4.match(host):
        return host if all(int(n) < 256 for n in host.split(".")) else None
    return host if _HOST_OK.match(host) else None


def _is_tracking(piece: str) -> bool:
    key = unquote(piece.partition("=")[0])
    return bool(TRACKING.match(key))


def normalize_url(url: str) -> str | None:
    """The canonical form of an http(s) URL, or None if it is not one.

    Lowercases scheme and host (IDN hosts become punycode), drops a default port,
    the fragment and tracking parameters (other parameters keep their order and
    spelling), %-encodes characters not allowed in a URL (non-ASCII as UTF-8) and
    keeps the path otherwise as written (an empty path becomes "/").
    Credentials (`user:pass@`) are kept: they are needed to fetch.
    """
    if not isinstance(url, str):
        return None
    url = re.sub(r"[\t\n\r]", "", url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return None
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    hostname = parts.hostname
    if not hostname:
        return None
    if hostport.startswith("["):  # IPv6 literal
        host = "[" + hostname.lower() + "]"
    else:
        ascii_host = _ascii_host(hostname)
        if ascii_host is None:
            return None
        host = ascii_host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host += f":{port}"
    if at:
        host = _encode(userinfo) + "@" + host
    query = parts.query
    if query:
        query = "&".join(p for p in query.split("&") if not _is_tracking(p))
    return urlunsplit((scheme, host, _encode(parts.path) or "/", _encode(query), ""))


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
_TRAILING = set(".,;:!?'")
_WRAPPERS = set("*_~")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_DELIMS = set("/=?&#-_+%~:,")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
        or 0x1100 <= o <= 0x11FF
    )


def _cut(candidate: str) -> str:
    """The URL part of a run of non-space characters that starts with a URL."""
    for i, ch in enumerate(candidate):
        if ch.isascii():
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "PSZC":
            return candidate[:i]
        if _is_cjk(ch):
            prev = candidate[i - 1]
            if prev.isascii() and prev not in _DELIMS:
                return candidate[:i]
    return candidate


def _trim(url: str, before: str) -> str:
    counts = {ch: url.count(ch) for ch in "()[]{}"}
    end = len(url)
    while end:
        last = url[end - 1]
        unbalanced = last in _CLOSERS and counts[_CLOSERS[last]] < counts[last]
        if last in _TRAILING or (last in _WRAPPERS and last == before) or unbalanced:
            end -= 1
            if last in counts:
                counts[last] -= 1
        else:
            break
    return url[:end]


def _prose_urls(text: str, markdown: bool = True) -> list[tuple[int, str]]:
    """(offset, raw URL) of the URLs written out in `text`."""
    hits: list[tuple[int, str]] = []
    pos = 0
    while True:
        m = _START.search(text, pos)
        if not m:
            return hits
        start = m.start()
        run_match = _RUN.match(text, start)
        run = run_match.group(0) if run_match else ""
        if markdown:  # Markdown escapes (https://x.org/a\_b), &amp; copied from HTML
            run = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", run).replace("&amp;", "&")
        before = text[start - 1] if start else ""
        url = _trim(_cut(run), before)
        if url.lower().startswith("www."):
            url = "https://" + url
        if url:
            hits.append((start, url))
        pos = start + max(len(url), 1)


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
    r"further\s+reading)[*_]{0,2}\s*[:：][*_]{0,2}\s*(?P<title>.*?)\s*$",
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


def _markdown_hits(lines: list[str]) -> list[_Hit]:
    text = "\n".join(lines)
    usage: dict[str, str] = {}
    for m in _REFUSE.finditer(text):
        key = (m.group(2) or m.group(1)).strip().lower()
        usage.setdefault(key, m.group(1))
    hits: list[_Hit] = []
    for number, line in enumerate(lines, 1):
        masked = line
        d = _REFDEF.match(line)
        if d:
            url = normalize_url(d.group(2) if d.group(2) is not None else d.group(3))
            if url:
                ref = d.group(1).strip()
                label = (
                    _clean_label(_unquote_title(d.group(4)))
                    or _clean_label(usage.get(ref.lower()))
                    or (ref if re.search(r"[^\W\d_]{2}", ref) else None)
                )
                hits.append(
                    _Hit(
                        number,
                        d.start(2) if d.group(2) is not None else d.start(3),
                        url,
                        _clean_label(label),
                    )
                )
                continue
        for m in _LINK.finditer(line):
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
            if m.group(1):  # an image
                continue
            dest = m.group(3) if m.group(3) is not None else m.group(4)
            dest = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", dest).replace("&amp;", "&")
            url = normalize_url(dest)
            if url:
                label = _clean_label(m.group(2)) or _clean_label(_unquote_title(m.group(5)))
                hits.append(_Hit(number, m.start(), url, label))
        for col, raw in _prose_urls(masked):
            url = normalize_url(raw)
            if url:
                hits.append(_Hit(number, col, url, None))
    hits.sort(key=lambda h: (h.line, h.col))
    _label_lines(lines, hits)
    return hits


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


class _HrefParser(HTMLParser):
    """Collect <a>/<area> hrefs (with line and anchor text), <base href>, and bare URLs
    in the text outside links, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[list] = []  # [line, col, href, text parts, title]
        self.text_urls: list[tuple[int, int, str]] = []
        self._open: list | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"].strip()
        elif tag in ("script", "style", "template"):
            self._skip += 1
        elif tag == "img" and self._open is not None and a.get("alt"):
            self._open[3].append(a["alt"])
        elif tag in ("a", "area") and "href" in a:
            line, col = self.getpos()
            raw = self.get_starttag_text() or ""
            m = re.search(r"\bhref\s*=", raw, re.I)
            if m:
                line += raw.count("\n", 0, m.start())
            parts: list[str] = [a.get("alt") or ""] if tag == "area" else []
            link = [line, col, a["href"], parts, a.get("title")]
            self.links.append(link)
            if tag == "a":
                self._open = link

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._open is not None:
            self._open[3].append(data)
            return
        line, col = self.getpos()
        for offset, raw in _prose_urls(data, markdown=False):
            self.text_urls.append((line + data.count("\n", 0, offset), col + offset, raw))


def _html_hits(text: str) -> list[_Hit]:
    parser = _HrefParser()
    parser.feed(text)
    parser.close()
    base = normalize_url(parser.base) if parser.base else None
    hits: list[_Hit] = []
    for line, col, href, parts, title in parser.links:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", href):  # relative
            if not base:
                continue
            href = urljoin(base, href)
        url = normalize_url(href)
        if url:
            label = _clean_label("".join(parts)) or _clean_label(title)
            hits.append(_Hit(line, col, url, label))
    for line, col, raw in parser.text_urls:
        url = normalize_url(raw)
        if url:
            hits.append(_Hit(line, col, url, None))
    hits.sort(key=lambda h: (h.line, h.col))
    return hits


def find_citations(text: str, html: bool = False) -> list[Citation]:
    """Each distinct normalized URL cited in `text` once, in order of first citation,
    with every place (1-based line, label) that cites it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    hits = _html_hits(text) if html else _markdown_hits(text.split("\n"))
    seen: dict[str, Citation] = {}
    places: dict[tuple[str, int], Place] = {}
    for h in hits:
        same = places.get((h.url, h.line))
        if same is not None:  # cited twice on one line: one place
            same.label = same.label or h.label
            continue
        place = places[h.url, h.line] = Place(h.line, h.label)
        if h.url in seen:
            seen[h.url].places.append(place)
        else:
            seen[h.url] = Citation(h.url, [place])
    return list(seen.values())
