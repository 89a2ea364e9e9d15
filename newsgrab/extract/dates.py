"""Publication and modification dates of a page, kept as the page gave them.

Where a date comes from, best first:

1. structured data: JSON-LD (``datePublished``, ``dateCreated``, ``uploadDate``,
   ``dateModified``, in any item, ``@graph`` and nested parts included; an
   article's item first), ``<meta>`` tags of the usual families (OpenGraph
   ``article:*``, Dublin Core, ``itemprop``, parsely, sailthru, citation, ...:
   recognised by the words in their names, not by a list of sites), microdata
   and RDFa attributes on any element;
2. ``<time datetime>`` / ``pubdate`` and microformat ``<abbr class="published"
   title=...>`` outside comment threads and sidebars;
3. the date in the URL path (canonical URL, ``og:url`` or the URL fetched),
   then a publication-date key in a script's JSON data (never a JavaScript
   variable);
4. dates in the visible text: a labelled one ("Published", "Veröffentlicht am",
   "Publié le", ...) or one in an element named like a date or byline, nearest
   the headline; otherwise the first one near the headline; one in a comment
   thread or sidebar only when the page shows no other.

Dates are read in many languages' month names and in numeric forms (``Y-m-d``,
``d.m.Y``, ``d/m/Y`` or ``m/d/Y`` told apart by the page's other dates and its
language). Plausibility: no year before 1995 and no day after today (by the clock of the
machine: an event's or a scheduled date), copyright notices are no dates,
a date read from the text is never later than the page's structured dates,
and a modified date earlier than the published one is dropped. A time keeps
the offset the page gave (or none): it is never converted, so the calendar
day is the page's own; a UTC time gives way to the page's local form of it
(the same instant with an offset, a local wall-clock time, or the day the
URL or the byline shows).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

from lxml import etree

MIN_YEAR = 1995
MAX_YEAR = 2100


def fold_word(word: str) -> str:
    """Lowercase without accents (März -> marz, décembre -> decembre)."""
    word = word.lower().rstrip(".")
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Month names and abbreviations, accent-folded. One line per month; a name that
# means different months in two languages is left out.
_MONTH_LINES = (
    # en de fr es pt it nl sv/da/no pl cs ru uk tr fi hu
    "january jan januar janner jan janvier janv enero ene janeiro gennaio gen januari "
    "stycznia styczen leden ledna январь января янв січня січень ocak tammikuuta tammikuu "
    "januar",
    "february feb febr februar feber fevrier fevr fev febrero febreiro fevereiro febbraio "
    "februari luty lutego unor unora февраль февраля фев лютого лютий subat helmikuuta "
    "helmikuu",
    "march mar marz maerz mars marzo marco maart mrt marzec marca brezen brezna март марта "
    "березня березень mart maaliskuuta maaliskuu marcius",
    "april apr avril avr abril abr aprile kwiecien kwietnia duben dubna апрель апреля апр "
    "квітня квітень nisan huhtikuuta huhtikuu aprilis",
    "may mai mayo maio maggio mag mei maj maja kveten kvetna май мая травня травень mayis "
    "toukokuuta toukokuu majus",
    "june jun juni juin junio junho giugno giu juni czerwiec czerwca cerven cervna июнь июня "
    "червня червень haziran kesakuuta kesakuu junius",
    "july jul juli juil juillet julio julho luglio lug lipiec lipca cervenec cervence "
    "июль июля липня липень temmuz heinakuuta heinakuu julius",
    "august aug aout agosto ago augustus augusti sierpien sierpnia srpen srpna август "
    "августа авг серпня серпень agustos elokuuta elokuu augusztus",
    "september sep sept septembre septiembre setiembre setembro settembre set wrzesien "
    "wrzesnia zari сентябрь сентября сен вересня вересень eylul syyskuuta syyskuu "
    "szeptember",
    "october oct oktober okt octobre octubre outubro out ottobre ott pazdziernik "
    "pazdziernika rijen rijna октябрь октября окт жовтня жовтень ekim lokakuuta lokakuu "
    "oktober oktober",
    "november nov novembre noviembre novembro listopad listopada listopadu ноябрь ноября "
    "ноя листопада kasim marraskuuta marraskuu",
    "december dec dezember dez decembre diciembre dic dezembro dicembre grudzien grudnia "
    "prosinec prosince декабрь декабря дек грудня грудень aralik joulukuuta joulukuu",
)
MONTHS: dict[str, int] = {
    fold_word(name): number
    for number, line in enumerate(_MONTH_LINES, start=1)
    for name in line.split()
}

# ------------------------------------------------------------------ reading one date

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?"
)
_MONTH = r"([^\W\d_]{3,12}\.?)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|º|°|\.)?"
_YEAR = r"((?:19|20)\d{2})(?!\d)"
# each: (regex, order of the groups as year, month, day; "n" marks a month name)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 2026-11-03, 2026/11/03, 2026.11.03
    (re.compile(r"(?<![\d.])((?:19|20)\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?![\d])"), "ysmd"),
    # 2026年11月3日, 2026년 11월 3일
    (re.compile(r"((?:19|20)\d{2})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})"), "ymd"),
    # 3.11.2026, 03.11.26, 3-11-2026 (day first), 3/11/2026 or 11/3/2026 (see slash)
    (
        re.compile(r"(?<![\d.,/-])(\d{1,2})([./-])\s?(\d{1,2})\2\s?((?:19|20)\d{2}|\d{2})(?![\d])"),
        "dsmy",
    ),
    # 3 November 2026, 3. Nov. 2026, 3 de noviembre de 2026, 26 Mai, 2008
    (re.compile(_DAY + r"\s*(?:de\s+|of\s+)?" + _MONTH + r",?\s*(?:de\s+|del\s+)?" + _YEAR), "dny"),
    # November 3, 2026; Nov. 3rd 2026 (found by the digits, the month word read back)
    (re.compile(r"(?<![\d.,/-])(\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR), "ndy"),
    # 2026. november 3. (hu), 2026 Nov 3
    (re.compile(r"(?<!\d)((?:19|20)\d{2})\.?\s+" + _MONTH + r"\s+(\d{1,2})(?!\d)"), "ynd"),
)
_WORD_BEFORE = re.compile(r"([^\W\d_]{3,12})\.?\s+$")
_TIME_AFTER = re.compile(
    r"(?:[,\s]|&nbsp;)*(?:at|um|à|a las|alle|om|kl\.?|klo|-|–|\||T)?\s*"
    r"(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?:[.,]\d+)?"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?(?![^\W\d_]))?"
    r"(?:\s*(Z(?![^\W\d_])|[+-]\d{2}:?\d{2}(?!\d)|"
    r"(?:UTC|GMT|EST|EDT|MST|MDT|PST|PDT|CET|CEST|MEZ|MESZ|BST|JST|KST|AEST|AEDT)(?![^\W\d_])))?",
)
# zone abbreviations that name one offset (not CST, IST, ET: several zones go by them)
_ZONES = {
    "UTC": "Z", "GMT": "Z", "EST": "-05:00", "EDT": "-04:00", "MST": "-07:00",
    "MDT": "-06:00", "PST": "-08:00", "PDT": "-07:00", "CET": "+01:00", "CEST": "+02:00",
    "MEZ": "+01:00", "MESZ": "+02:00", "BST": "+01:00", "JST": "+09:00", "KST": "+09:00",
    "AEST": "+10:00", "AEDT": "+11:00",
}  # fmt: skip


def _valid(y: int, m: int, d: int) -> bool:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return False
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _offset(tz: str | None) -> str:
    if not tz:
        return ""
    if tz == "Z" or tz in _ZONES:
        return _ZONES.get(tz, "Z")
    digits = tz[1:].replace(":", "")
    if len(digits) == 2:
        digits += "00"
    if int(digits[:2]) > 14 or int(digits[2:4]) > 59:
        return ""
    return f"{tz[0]}{digits[:2]}:{digits[2:4]}"


def _iso_string(value: str) -> str | None:
    m = _ISO.match(value)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not _valid(y, mo, d):
        return None
    if m.group(4) is None:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}" + _offset(m.group(7))


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 50 else 1900
    return y


def _with_time(day: str, text: str, end: int) -> str:
    """The date `day` with the time of day that follows it in `text`, if any."""
    m = _TIME_AFTER.match(text, end, min(len(text), end + 40))
    if not m:
        return day
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        if not 1 <= hour <= 12:
            return day
        hour = hour % 12 + (12 if m.group(4).lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return day
    return f"{day}T{hour:02d}:{minute:02d}:{second:02d}" + _offset(m.group(5))


def _numeric_dm(a: int, b: int, sep: str, month_first: bool | None) -> tuple[int, int] | None:
    """(month, day) of a numeric date written a<sep>b<sep>year."""
    if sep != "/":
        return (b, a) if b <= 12 else None  # d.m.Y and d-m-Y: day first
    if a > 12:
        return (b, a)
    if b > 12:
        return (a, b)
    return (a, b) if month_first in (True, None) else (b, a)


def _from_match(kind: str, m: re.Match[str], month_first: bool | None) -> tuple[str, int] | None:
    """The ISO day a match reads as, and where its text starts."""
    g = m.groups()
    start = m.start()
    if kind == "ysmd":
        y, mo, d = int(g[0]), int(g[2]), int(g[3])
    elif kind == "ymd":
        y, mo, d = int(g[0]), int(g[1]), int(g[2])
    elif kind == "dsmy":
        md = _numeric_dm(int(g[0]), int(g[2]), g[1], month_first)
        if md is None:
            return None
        (mo, d), y = md, _year(g[3])
    else:
        if kind == "dny":
            day, name, year = g
        elif kind == "ndy":
            day, year = g
            word = _WORD_BEFORE.search(m.string, max(0, m.start() - 16), m.start())
            if word is None:
                return None
            name, start = word.group(1), word.start()
        else:
            year, name, day = g
        found = MONTHS.get(fold_word(name))
        if found is None:
            return None
        y, mo, d = int(year), found, int(day)
    if not _valid(y, mo, d):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}", start


# every written date holds a year of four digits or a numeric d.m.yy: the patterns
# are run only around these (one pass over the text, then short windows)
_ANCHOR = re.compile(r"(?:19|20)\d\d|\d[./-]\s?\d{1,2}[./-]\s?\d\d")


def dates_in_text(text: str, month_first: bool | None = None) -> list[tuple[int, int, str]]:
    """Every date written in `text`: (start, end, ISO date with the time when one
    follows), in order, overlapping readings resolved to the longest."""
    found: list[tuple[int, int, str]] = []
    windows: list[list[int]] = []
    for m in _ANCHOR.finditer(text):
        lo, hi = max(0, m.start() - 40), m.end() + 32
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        for pattern, kind in _PATTERNS:
            for m in pattern.finditer(text, lo, hi):
                read = _from_match(kind, m, month_first)
                if read:
                    found.append((read[1], m.end(), read[0]))
    if not found:
        return found
    found.sort(key=lambda f: (f[0], -f[1]))
    out: list[tuple[int, int, str]] = []
    for start, end, day in found:
        if out and start < out[-1][1]:
            continue
        out.append((start, end, _with_time(day, text, end)))
    return out


def parse_date(value: str | None, month_first: bool | None = True) -> str | None:
    """One date string in any common form -> ISO 8601 or None (the first date in it)."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 200:
        return None
    iso = _iso_string(value)
    if iso:
        return _with_zone(iso, value)
    week = _ISO_WEEK.match(value)
    if week:  # 2026-W45-2: the day of an ISO week
        y, w, d = int(week.group(1)), int(week.group(2)), int(week.group(3))
        try:
            day = dt.date.fromisocalendar(y, w, d)
        except ValueError:
            return None
        return day.isoformat() if MIN_YEAR <= day.year <= MAX_YEAR else None
    if (value[:3].isalpha() or "," in value[:5]) and not _AM_PM.search(value):
        try:  # RFC 2822: "Tue, 03 Nov 2026 10:00:00 +0100"
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None and _valid(parsed.year, parsed.month, parsed.day):
            out = parsed.isoformat()
            if parsed.tzinfo is None:  # a zone the email module does not know (BST, CET)
                return _with_zone(out, value)
            return out[:-6] + "Z" if out.endswith("+00:00") and "GMT" in value else out
    if value.isdigit() and len(value) == 8:  # 20261103
        y, mo, d = int(value[:4]), int(value[4:6]), int(value[6:])
        return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None
    found = dates_in_text(value, month_first)
    return found[0][2] if found else None


_ZONE_AT_END = re.compile(r"\s(" + "|".join(_ZONES) + r")$")


def _with_zone(iso: str, value: str) -> str:
    """A time read without an offset, given the one of a zone abbreviation that ends
    the string ("2024-03-10 10:00 EST" -> 10:00-05:00); a date alone stays one."""
    if len(iso) <= 10 or iso.endswith("Z") or iso[-6] in "+-":
        return iso
    m = _ZONE_AT_END.search(value)
    return iso + _offset(m.group(1)) if m else iso


# a 12-hour time: email.utils reads "March 10, 2024 11:45 pm" as 11:45 (the pm lost),
# so such strings are read by the patterns of dates_in_text
_AM_PM = re.compile(r"\d\s*[AaPp]\.?\s?[Mm]\b")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})-?([1-7])(?![\d])")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_.]|$)"
    r"|/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)"  # /2017/7/12/
)
# /29-10-2021, /~02-01-2022-title: day first (a URL writes no m-d-Y with dashes)
_URL_DMY = re.compile(r"[/~_-](0[1-9]|[12]\d|3[01])-(0[1-9]|1[0-2])-((?:19|20)\d{2})(?:[/_.-]|$)")


def date_from_url(url: str | None) -> str | None:
    """The publication day a URL's path gives (/2026/11/03/, /20261103-...)."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    m = _URL_DATE.search(path)
    if m:
        y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    else:
        m = _URL_DMY.search(path)
        if not m:
            return None
        y, mo, d = int(m.group(3)), int(m.group(2)), int(m.group(1))
    return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None


# ------------------------------------------------------------------ the page's dates

# ranks: lower is better
_R_LD_ARTICLE, _R_META, _R_LD_OTHER, _R_MARKUP, _R_URL, _R_TIME = 0, 1, 2, 3, 4, 5
_R_TEXT = 6  # + tier (0 labelled ... 5 in a comment thread, sidebar, footer)
_R_DATE_META = 6.5  # a <meta> named only "date": often the last change
_R_DATA = 5.7  # a publication-date key in a JSON data island of a script

_MOD_WORDS = ("modif", "updat", "revis", "lastmod", "last-mod", "changed", "edited")
_NOT_PUB_WORDS = (
    "expir", "embargo", "valid", "start", "end", "birth", "death", "event", "copyright",
    "print", "access", "retriev", "review", "cache", "sort",
)  # fmt: skip
_PUB_WORDS = (
    "publish", "pubdate", "pub_date", "pub-date", "issued", "created", "creation",
    "uploaddate", "release", "posted", "original", "firstpub", "dateline", "written",
)  # fmt: skip


_MOD_KEY = re.compile("|".join(_MOD_WORDS))
_NOT_PUB_KEY = re.compile("|".join(_NOT_PUB_WORDS))
_PUB_KEY = re.compile("|".join(_PUB_WORDS))


@functools.lru_cache(maxsize=2048)
def key_kind(key: str) -> str | None:
    """What a meta/itemprop/property name says of its date: "pub", "mod", "date"
    (a plain date, taken as published), or None (not the page's date)."""
    k = key.lower()
    if _MOD_KEY.search(k):
        return "mod"
    if _NOT_PUB_KEY.search(k):
        return None
    if _PUB_KEY.search(k):
        return "pub"
    if k.endswith("date") or k.endswith("date_time") or k in ("dc.date", "dcterms.date"):
        return "date"
    return None


_ARTICLE_WORDS = ("article", "posting", "blog", "report", "recipe", "howto")
_SKIP_TYPES = {
    "person", "organization", "newsmediaorganization", "comment", "answer", "question",
    "imageobject", "offer", "event", "review", "rating", "aggregaterating", "place",
}  # fmt: skip


def _ld_types(item: dict) -> list[str]:
    t = item.get("@type")
    if isinstance(t, str):
        return [t.lower()]
    if isinstance(t, list):
        return [x.lower() for x in t if isinstance(x, str)]
    return []


def _ld_value(value: object) -> str | None:
    while isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


class _Found:
    """Candidates: (rank, order, value) for published and for modified."""

    def __init__(self) -> None:
        self.pub: list[tuple[float, int, str]] = []
        self.mod: list[tuple[float, int, str]] = []
        self.n = 0
        # no page was published or changed after today (tomorrow: zones ahead of UTC)
        self.latest = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()

    def add(self, kind: str, rank: float, value: str | None) -> None:
        if not value or value[:10] > self.latest:
            return  # an event's date, a scheduled one, a typo: not when the page was written
        self.n += 1
        (self.mod if kind == "mod" else self.pub).append((rank, self.n, value))

    @staticmethod
    def best(items: list[tuple[float, int, str]]) -> str | None:
        return min(items)[2] if items else None


def _json_ld(scripts: Iterable[str], found: _Found) -> None:
    budget = 2000
    for raw in scripts:
        raw = raw.strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            try:
                data = json.loads(raw.rstrip(";").replace("\n", " ").replace("\r", " "))
            except (ValueError, RecursionError):
                continue
        stack: list[tuple[object, bool]] = [(data, False)]
        while stack and budget > 0:
            budget -= 1
            node, nested = stack.pop()
            if isinstance(node, list):
                stack.extend((x, nested) for x in reversed(node))
                continue
            if not isinstance(node, dict):
                continue
            types = _ld_types(node)
            if any(t in _SKIP_TYPES for t in types):
                continue
            article = any(w in t for t in types for w in _ARTICLE_WORDS)
            rank: float = _R_LD_ARTICLE if article else _R_LD_OTHER
            rank += 0.5 if nested else 0.0
            found.add("pub", rank, parse_date(_ld_value(node.get("datePublished"))))
            found.add("pub", rank + 0.2, parse_date(_ld_value(node.get("uploadDate"))))
            found.add("pub", rank + 0.3, parse_date(_ld_value(node.get("dateCreated"))))
            found.add("mod", rank, parse_date(_ld_value(node.get("dateModified"))))
            for key, child in node.items():
                if isinstance(child, dict | list) and key not in ("author", "publisher"):
                    stack.append((child, nested or key != "@graph"))


def _metas(metas: dict[str, str], found: _Found) -> None:
    for key, values in metas.items():
        kind = key_kind(key)
        if kind is None:
            continue
        value = parse_date(values.split("\x00", 1)[0])
        rank = _R_DATE_META if kind == "date" else _R_META
        found.add("mod" if kind == "mod" else "pub", rank, value)


# class/id words (at a word's start): an element about a date; one about the
# date of its publication or of a change; a place no article date is in
_DATEISH = re.compile(
    r"(?<![a-z])(?:date|time|datum|fecha|zeit|publi|posted|byline|meta|info|author|"
    r"autor|stamp|created|submitted)",
    re.IGNORECASE,
)
_PUBISH = re.compile(
    r"(?<![a-z])(?:publi|posted|created|submitted|entry-date|post-date|pubdate)", re.I
)
_MODISH = re.compile(r"(?<![a-z])(?:updat|modif|revis|edited|changed)", re.IGNORECASE)
_ELSEWHERE = re.compile(
    r"(?<![a-z0-9])(?:comment[a-z]*|repl(?:y|ies)|respon[a-z]*|kommentar[a-z]*|sidebar|"
    r"related|recent|teaser|popular|trending|latest|more)(?![a-z])",
    re.IGNORECASE,
)
# the page's frame: no date in its text, but markup there may be the post's
_FRAME = re.compile(
    r"(?<![a-z0-9])(?:footer|nav|navbar|navigation|menu|archives?|calendar|breadcrumbs?)"
    r"(?![a-z])",
    re.IGNORECASE,
)
# class names that say what a post is tagged with or how the page is laid out
# (tag-popular, category-news, status-publish, has-sidebar), not what it holds
_LABEL_CLASS = re.compile(
    r"^(?:(?:tag|category|categories|status|format|type|has|no|with|without|postid|page-id|"
    r"single|archive|layout|template|lang|js|is)[-_]|post-\d)",
    re.IGNORECASE,
)
_FRAME_TAGS = frozenset(("footer", "nav", "menu", "aside"))
_PUB_LABEL = re.compile(
    r"(?:published|posted|publication|veröffentlicht|erschienen|erstellt|publiziert|"
    r"publié|publiée|publicado|publicada|pubblicato|gepubliceerd|geplaatst|written|"
    r"created|dated|datum|date|fecha|data|opublikowano|julkaistu|publicerad|udgivet|"
    r"mise en ligne|en ligne|online|"
    r"опубликовано|publikováno)\b[^\d]{0,25}$",
    re.IGNORECASE,
)
_MOD_LABEL = re.compile(
    r"(?:updated?|modified|aktualisiert|geändert|bearbeitet|last edited|edited|"
    r"mis à jour|actualizado|actualizada|aggiornato|bijgewerkt|zuletzt|letzte änderung|"
    r"revised|atualizado|обновлено)\b[^\d]{0,25}$",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"(?:©|&copy;|\(c\)|copyright)[^\n]{0,20}$", re.IGNORECASE)


_NEAR = 3  # a date/publish class name holds for this many levels below its element


class _Where:
    """What the elements around a node say of it: named like a date (or like a
    published/modified date) within _NEAR levels up; in a comment thread,
    sidebar or list of other stories (away), or in the page's frame (bad)."""

    __slots__ = ("away", "bad", "dateish", "mod", "pub")

    def __init__(self, el, main: set, hints: dict) -> None:
        """`hints` caches _hint by element for one page (its dates share ancestors)."""
        self.away = self.bad = self.dateish = self.pub = self.mod = False
        level = 0
        node = el
        while node is not None and level < 60:
            tag = node.tag
            if not isinstance(tag, str) or tag in ("html", "body"):
                break
            if node not in main:  # an element that holds the headline is none of these
                hint = hints.get(node)
                if hint is None:
                    hint = hints[node] = _hint(node)
                if tag in _FRAME_TAGS:
                    self.bad = True
                if hint:
                    if _ELSEWHERE.search(hint):
                        self.away = True
                    if _FRAME.search(hint):
                        self.bad = True
                    if level <= _NEAR:
                        self.dateish = self.dateish or bool(_DATEISH.search(hint))
                        self.pub = self.pub or bool(_PUBISH.search(hint))
                        self.mod = self.mod or bool(_MODISH.search(hint))
            node = node.getparent()
            level += 1
        self.bad = self.bad or self.away


def _hint(el) -> str:
    """The element's class, id and itemprop words that may say what it holds."""
    words: list[str] = []
    for value in (el.get("class"), el.get("id"), el.get("itemprop")):
        if value and len(value) < 500:
            words.extend(w for w in value.split() if not _LABEL_CLASS.match(w))
    return " ".join(words)


def _headline(root) -> tuple[object | None, set]:
    """The page's headline <h1> (not one of a menu, and the one the <title> holds
    when several could be) and the elements that hold it."""
    title_el = next(root.iter("title"), None)
    title = " ".join("".join(title_el.itertext()).split()).lower() if title_el is not None else ""
    named = worded = first = None
    for i, el in enumerate(root.iter("h1")):
        if i >= 20:
            break
        if any(a.tag in _FRAME_TAGS for a in el.iterancestors()):
            continue
        text = " ".join("".join(el.itertext()).split())
        if len(text) >= 8 and text.lower() in title:
            named = el
            break
        if worded is None and len(text.split()) >= 2:
            worded = el
        if first is None and text:
            first = el
    h1 = next((el for el in (named, worded, first) if el is not None), None)
    return h1, (set(h1.iterancestors()) if h1 is not None else set())


# the elements with an itemprop, a property, or a title and a class, in document
# order (reached through their attributes: libxml2 then tests no predicate on
# every element, which took longer than all the rest of the markup pass)
_MARKED = etree.XPath(
    "(descendant::*/@itemprop | descendant::*/@property | descendant::*[@class]/@title)/.."
)


def _markup(root, main: set, found: _Found, hints: dict) -> None:
    """Dates in attributes: microdata and RDFa, <time>, microformats."""
    titled = []
    for el in _MARKED(root):
        prop = el.get("itemprop") or el.get("property")
        if not prop:
            titled.append(el)
            continue
        if el.tag == "meta":
            continue  # read with the other <meta> tags
        kind = key_kind(prop.rsplit(":", 1)[-1][:80])
        if kind not in ("pub", "mod"):
            continue
        value = el.get("content") or el.get("datetime") or el.get("title")
        if not value:
            value = "".join(el.itertext())[:120]
        if not _Where(el, main, hints).away:
            found.add(kind, _R_MARKUP, parse_date(value))
    first = True
    for el in root.iter("time"):
        if el.get("itemprop") or el.get("property"):
            continue  # read above
        where = _Where(el, main, hints)
        if where.away:
            continue
        value = parse_date(el.get("datetime")) or parse_date("".join(el.itertext())[:120])
        if where.mod and not where.pub:
            found.add("mod", _R_MARKUP, value)
        elif where.pub or el.get("pubdate") is not None:
            found.add("pub", _R_MARKUP, value)
        elif first:
            found.add("pub", _R_TIME, value)
        first = False
    for el in titled:  # microformats: <abbr class="published" title="2026-11-03T08:15">
        cls = (el.get("class") or "").lower().split()
        kind = "pub" if "published" in cls or "dtstart" in cls else "mod"
        if (kind == "pub" or "updated" in cls) and not _Where(el, main, hints).away:
            found.add(kind, _R_MARKUP, parse_date(el.get("title")))


# text nodes with more than XML white space (libxml2 drops the blank ones, which
# are most, before Python sees them); a body with only blank text is still a body
_TEXTS = etree.XPath("descendant-or-self::body/descendant::text()[normalize-space()]")
_HAS_BODY_TEXT = etree.XPath("boolean(descendant-or-self::body/descendant::text())")
_ALL_TEXTS = etree.XPath("descendant::text()[normalize-space()]")
_HIDDEN = frozenset(
    ("script", "style", "noscript", "template", "option", "textarea", "select", "title")
)
_MAX_TEXT = 400_000


def _visible_text(root, h1, near_h1: bool) -> tuple[str, list[int], list, int]:
    """The page's text: its runs, where each starts, and where the headline does
    (with near_h1, only up to a little after the headline)."""
    nodes = []
    parts = []
    starts: list[int] = []
    size = 0
    h1_at = -1
    inside = {h1, *h1.iterdescendants()} if h1 is not None else set()
    texts = _TEXTS(root)
    if not texts and not _HAS_BODY_TEXT(root):
        texts = _ALL_TEXTS(root)
    for node in texts:
        part = " ".join(node.split())  # (also drops Unicode white space)
        if not part:
            continue
        parent = node.getparent()
        tail = node.is_tail
        if not tail and parent.tag in _HIDDEN:
            continue
        if h1_at < 0 and parent in inside and not (tail and parent is h1):
            h1_at = size
        nodes.append(node)
        parts.append(part)
        starts.append(size)
        size += len(part) + 1
        if size > _MAX_TEXT or (near_h1 and h1_at >= 0 and size > h1_at + 2000):
            break
    return "\n".join(parts), starts, nodes, h1_at


# _SLASHED_AT with its leading (?<!\d) checked in Python: without the
# look-behind in front, re skips to the digits (about twice as fast on the
# development pages' text)
_SLASHED_AT = re.compile(r"(\d{1,2})/(\d{1,2})/(?:19|20)?\d{2}(?!\d)")


def _slashed(text: str) -> Iterable[re.Match[str]]:
    r"""The matches of (?<!\d)(\d{1,2})/(\d{1,2})/(?:19|20)?\d{2}(?!\d), in order."""
    pos = 0
    while (m := _SLASHED_AT.search(text, pos)) is not None:
        start = m.start()
        if start and text[start - 1].isdecimal():  # what \d matches
            pos = start + 1
            continue
        yield m
        pos = m.end()


def _month_first(text: str, lang: str | None) -> bool:
    """Whether this page writes numeric dates month first (11/3/2026)."""
    firsts = seconds = 0
    sample = text[:200_000]
    for m in _slashed(sample) if "/" in sample else ():
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            seconds += 1
        elif b > 12 >= a:
            firsts += 1
    if firsts != seconds:
        return firsts > seconds
    lang = (lang or "").lower()
    return lang in ("en", "en-us", "en_us") or lang.startswith(("en-us", "en-ph", "en-ca"))


def _text_dates(
    root, h1, main: set, lang: str | None, found: _Found, near_h1: bool, hints: dict
) -> None:
    """Dates written in the visible text, ranked by what is around them (with
    near_h1: only those up to a little after the headline)."""
    text, starts, nodes, h1_at = _visible_text(root, h1, near_h1)
    month_first = _month_first(text, lang)
    seen: dict[int, _Where] = {}
    for start, _end, value in dates_in_text(text, month_first)[:300]:
        i = bisect.bisect_right(starts, start) - 1
        if i < 0:
            continue
        where = seen.get(i)
        if where is None:
            node = nodes[i]
            el = node.getparent()
            if node.is_tail and el is not None:
                el = el.getparent()
            where = seen[i] = _Where(el, main, hints)
        before = " ".join(text[max(0, start - 120) : start].split())[-40:]
        if _MOD_LABEL.search(before):
            found.add("mod", _R_TEXT, value)
            continue
        if where.bad or _COPYRIGHT.search(before):
            tier = 5  # a comment's, a sidebar's: only when the page shows no other
        elif where.mod and not where.pub:  # class "updated" (hAtom), no label: often the post's
            found.add("mod", _R_TEXT, value)
            tier = 4
        elif _PUB_LABEL.search(before) or where.pub:
            tier = 0
        elif where.dateish:  # in an element named like a date or byline
            tier = 1 if h1_at < 0 or -300 < start - h1_at < 1000 else 3
        else:
            tier = 2 if h1_at >= 0 and -300 < start - h1_at < 1000 else 4
        if h1_at >= 0:
            distance = start - h1_at
            near = distance if distance >= 0 else -2 * distance
        else:
            near = start
        found.add("pub", _R_TEXT + tier + min(near, 99_999) / 100_000, value)


# "datePublished": "...", "published_at": "...", "publishedDate": "...", "createdAt": "..."
# as JSON keys (quoted, then a colon), in the page's scripts: app state, data islands
_DATA_KEY = re.compile(
    r'"(?:date_?published|published_?(?:at|date|time|on)?|publish_?date|first_?published\w{0,6}|'
    r'date_?created|created_?at|pub_?date)"\s*:\s*"([^"]{8,40})"',
    re.IGNORECASE,
)


def _data_islands(root, found: _Found) -> None:
    """The first publication date a script's JSON gives (not JavaScript variables)."""
    for el in root.iter("script"):
        text = el.text
        if not text or ("ublish" not in text and "reated" not in text and "ubDate" not in text):
            continue
        if (el.get("type") or "").strip().lower() == "application/ld+json":
            continue
        for m in _DATA_KEY.finditer(text, 0, 2_000_000):
            value = parse_date(m.group(1))
            if value:
                found.add("pub", _R_DATA, value)
                return


def _day(value: str) -> str:
    return value[:10]


def find_dates(
    root,
    metas: dict[str, str],
    ld_scripts: Iterable[str],
    urls: Iterable[str | None] = (),
    lang: str | None = None,
) -> tuple[str | None, str | None]:
    """(published, modified) of a parsed page, each ISO 8601 as the page gave it.

    `metas` maps lowercased <meta> names to contents (several joined by NUL),
    `ld_scripts` are the texts of the JSON-LD scripts, `urls` the page's URLs
    (canonical first) for a date in the path, `lang` the page's language (which
    way 3/11/2026 is read when the page does not tell)."""
    found = _Found()
    if lang is None and isinstance(root.tag, str) and root.tag.lower() == "html":
        lang = root.get("lang") or root.get("xml:lang")
    _json_ld(ld_scripts, found)
    _metas(metas, found)
    for url in urls:
        day = date_from_url(url)
        if day:
            found.add("pub", _R_URL, day)
            break
    best = min(found.pub) if found.pub else None
    # the text is read when nothing better than the URL gives the date (the
    # URL's day wins over the text's; the text may hold the time of day), and
    # when the best date is a UTC time: the byline then shows the page's own day
    utc = best is not None and _is_utc(best[2])
    h1, main = _headline(root)
    hints: dict = {}
    if not (
        best is not None
        and best[0] < _R_MARKUP
        and not utc
        and found.mod
        and min(found.mod)[0] < _R_MARKUP
    ):  # else no date in markup could change the outcome
        _markup(root, main, found, hints)
    if not found.pub or min(found.pub)[0] >= _R_URL:
        _data_islands(root, found)
    if not found.pub or min(found.pub)[0] >= _R_URL:
        _text_dates(root, h1, main, lang, found, near_h1=False, hints=hints)
    elif utc and h1 is not None:
        _text_dates(root, h1, main, lang, found, near_h1=True, hints=hints)
    return _choose(found)


def _is_utc(value: str) -> bool:
    return len(value) > 10 and value.endswith(("Z", "+00:00"))


def _choose(found: _Found) -> tuple[str | None, str | None]:
    strong = [v for r, _, v in found.pub + found.mod if r < _R_TEXT]
    ceiling = max((_day(v) for v in strong), default=None)
    pubs = sorted(found.pub)
    published = None
    for rank, _, value in pubs:
        if rank >= _R_TEXT and ceiling and _day(value) > ceiling:
            continue  # a text date later than every structured date of the page
        published = value
        break
    url_day = next((v for r, _, v in pubs if r == _R_URL), None)
    if published and url_day and url_day < _day(published):
        # the URL keeps the day of first publication; a later "published" date of
        # the page is a republication (a UTC day one later is the same day: see _local)
        local = _local(published, pubs)
        if _day(local) != url_day:
            published = url_day
    if published and url_day and published == url_day:
        # the URL gives the day only: a time of the same day from the page is finer
        for rank, _, value in pubs:
            if rank != _R_URL and _day(value) == url_day and len(value) > 10:
                published = value
                break
    if published:
        published = _local(published, pubs)
    modified = _Found.best(found.mod)
    if modified:
        modified = _local(modified, sorted(found.mod))
        if published:
            modified = _in_zone_of(modified, published)
    if (
        modified
        and published
        and (_day(modified) < _day(published) or _earlier(modified, published))
    ):
        modified = None  # modified before published: not believable
    return published, modified


def _earlier(value: str, other: str) -> bool:
    """Both are times with an offset and `value` is the earlier instant (21:00-05:00
    before 21:42-05:00, or 02:00Z the next day before it)."""
    a, b = _aware(value), _aware(other)
    if a is None or b is None or a.tzinfo is None or b.tzinfo is None:
        return False
    return a < b


def _in_zone_of(value: str, other: str) -> str:
    """A UTC time as the wall-clock time of `other`'s offset (the page's own zone, from
    its published time), when the two are within a week (no change of summer time
    between them, as a rule): a change at 02:42Z to a story of 21:42-05:00 was made
    at 21:42-05:00 the same evening, not the next day."""
    if not _is_utc(value) or len(other) <= 10 or _is_utc(other):
        return value
    when, zone = _aware(value), _aware(other)
    if when is None or zone is None or zone.tzinfo is None:
        return value
    if abs(when - zone) > dt.timedelta(days=7):
        return value
    return when.astimezone(zone.tzinfo).isoformat()


def _aware(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _local(value: str, others: list[tuple[float, int, str]]) -> str:
    """A time the page gave in UTC, as the page's own local time when another of
    its dates shows it: the same instant with the local offset, the same instant
    as a local wall-clock time, or (from the URL) the local day."""
    if not _is_utc(value):
        return value
    instant = _aware(value)
    if instant is None:
        return value
    utc_wall = instant.replace(tzinfo=None)
    for rank, _, other in others:
        if other == value:
            continue
        if len(other) == 10:
            if rank != _R_URL and not _R_TEXT <= rank < _R_TEXT + 4:
                continue  # the URL's day, or a byline's day (labelled, named or near the headline)
            gap = (dt.date.fromisoformat(other) - utc_wall.date()).days
            if gap == 0:
                return value  # the page shows the UTC day itself
            # a local day one before the UTC day needs a negative offset of up to 12 h
            if (gap == -1 and utc_wall.hour < 12) or (gap == 1 and utc_wall.hour >= 10):
                return other
            continue
        when = _aware(other)
        if when is None:
            continue
        if when.tzinfo is not None:
            offset = when.utcoffset()
            if offset and abs((when - instant).total_seconds()) < 60:
                return other
            continue
        shift = (when - utc_wall).total_seconds()
        if not shift:
            return value  # the page shows the UTC time itself
        if abs(shift) <= 14 * 3600 and shift % 900 == 0:
            return other
    return value
