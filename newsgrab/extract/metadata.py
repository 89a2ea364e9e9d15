"""Metadata from an lxml tree: JSON-LD, OpenGraph, <meta>, microdata, <time>, bylines, URL.

Every field has its sources in order of trust; a value is cleaned (entities decoded,
labels and time stamps out) and checked (a site name must be a name, an author a
person) before it is taken, so a bad value in a better source gives way to a good
one in the next.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import deque
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from html import unescape
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsgrab.extract.dates import MONTHS, find_dates, fold_word

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "techarticle",
    "scholarlyarticle",
    "socialmediaposting",
    "liveblogposting",
    "report",
    "posting",
    "discussionforumposting",
    "webpage",
}


# a lone surrogate cannot be written as UTF-8 (a sidecar could not be stored)
_SURROGATE = re.compile("[\ud800-\udfff]")
# ... nor one escaped in JSON ("\ud800" with no low half after it, or a low half alone)
_LONE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    value = _SURROGATE.sub("\ufffd", value)
    return unicodedata.normalize("NFC", " ".join(value.split()))


# ------------------------------------------------------------------ text values

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,500}>")


def decode_entities(value: str) -> str:
    """Character references decoded, also when encoded twice (`&amp;#8211;`).
    Only complete references (with the `;`): `AT&T` and `&note` stay as they are."""
    for _ in range(2):
        if "&" not in value:
            break
        decoded = _ENTITY.sub(lambda m: unescape(m.group(0)), value)
        if decoded == value:
            break
        value = decoded
    return value


def clean_text(value: object) -> str:
    """A metadata string as a reader should see it: entities decoded, markup
    dropped, whitespace collapsed, NFC. Anything but a string gives ""."""
    if not isinstance(value, str):
        return ""
    value = decode_entities(value)
    if "<" in value:
        value = _MARKUP.sub(" ", value)
    return clean(value)


# ------------------------------------------------------------------ JSON-LD

_LD_NESTED = ("@graph", "mainEntity")


def _walk_ld(node: object, out: list[dict], budget: list[int]) -> None:
    stack = [node]
    while stack and budget[0] > 0:
        budget[0] -= 1
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            out.append(item)
            for key in _LD_NESTED:
                nested = item.get(key)
                if isinstance(nested, list | dict):
                    stack.append(nested)


def _types(item: dict) -> set[str]:
    """The item's @type names, lower case, without a schema.org URL prefix."""
    t = item.get("@type")
    names = [t] if isinstance(t, str) else t if isinstance(t, list) else []
    return {x.rsplit("/", 1)[-1].lower() for x in names if isinstance(x, str)}


_SINGLE_QUOTED = re.compile(r"(?<=[:\[,])(\s*)'((?:[^'\\\n]|\\.){0,10000})'")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _loads(raw: str) -> object:
    """JSON as careless publishers write it: raw newlines in strings, a trailing `;`,
    then single-quoted strings and trailing commas; None when it still is not JSON."""
    attempts = (
        lambda: raw,
        lambda: raw.rstrip(";").replace("\n", " ").replace("\r", " "),
        lambda: _TRAILING_COMMA.sub(
            r"\1",
            _SINGLE_QUOTED.sub(
                lambda m: m.group(1) + json.dumps(m.group(2)),
                raw.rstrip(";").replace("\n", " ").replace("\r", " "),
            ),
        ),
    )
    for attempt in attempts:
        # (RecursionError: nested deeper than the json module goes)
        try:
            return json.loads(attempt())
        except (ValueError, RecursionError):
            continue
    return None


def json_ld_items(scripts: list[str]) -> list[dict]:
    """Every JSON-LD object of the page (graphs and main entities unfolded), in page order."""
    items: list[dict] = []
    for raw in scripts:
        raw = raw.strip()
        if not raw:
            continue
        if "\\ud" in raw or "\\uD" in raw:
            raw = _LONE_ESCAPE.sub(r"\\ufffd", raw)
        data = _loads(raw)
        if data is not None:
            _walk_ld(data, items, [500])
    return items


def json_ld_article(items: list[dict]) -> dict:
    """The most article-like JSON-LD object among `items` (or {})."""
    best: dict = {}
    best_rank = 0
    for item in items:
        types = _types(item)
        if not types & _ARTICLE_TYPES:
            continue
        rank = 1 if types <= {"webpage"} else 2
        if item.get("articleBody"):
            rank += 2
        if item.get("headline"):
            rank += 1
        if rank > best_rank:
            best, best_rank = item, rank
    return best


def _ld_names(value: object) -> list[str]:
    """Person names from a JSON-LD author value: strings, Person objects (name, or
    givenName + familyName), lists of either; organizations are left out."""
    out: list[str] = []
    stack = deque([value])
    budget = 200
    while stack and budget > 0:
        budget -= 1
        v = stack.popleft()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            if _types(v) & _ORG_TYPES:
                continue
            name = v.get("name")
            if isinstance(name, str) and name.strip():
                out.append(name)
            elif isinstance(name, list):
                stack.extend(name)
            else:
                parts = [v.get("givenName"), v.get("additionalName"), v.get("familyName")]
                joined = " ".join(x for x in parts if isinstance(x, str) and x.strip())
                if joined:
                    out.append(joined)
    return out


def _ld_str(value: object) -> str:
    while isinstance(value, list) and value:  # the first item, however deep
        value = value[0]
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("url", "@id", "name", "contentUrl"):
            if isinstance(value.get(key), str):
                return value[key]
    return ""


def _ld_name(value: object) -> str:
    """The name of a JSON-LD thing given as a string, an object (its name, a
    `{"@value": ...}` or a one-item `@graph`) or a list of them: the first that is
    not blank."""
    for _ in range(10):
        if isinstance(value, list):
            value = next((v for v in value if v and (not isinstance(v, str) or v.strip())), "")
        elif isinstance(value, dict):
            value = next(
                (value[k] for k in ("name", "@value", "@graph") if value.get(k) is not None), None
            )
        else:
            break
    return clean_text(value)


_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website"}


# ------------------------------------------------------------------ free access


def _truth(value: object) -> bool | None:
    """A yes/no value: a boolean, 1 or 0 (also written as text), "true"/"false" (also
    "https://schema.org/False"), a JSON-LD value object of one, or the first of a list
    of them."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        value = value.strip().lower().rsplit("/", 1)[-1]  # also http://schema.org/False
        return {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}.get(
            value
        )
    return None


def _part_access(part: object) -> bool | None:
    """isAccessibleForFree over a hasPart value: False when any part is not free."""
    parts = part if isinstance(part, list) else [part]
    found = [_truth(p.get("isAccessibleForFree")) for p in parts[:50] if isinstance(p, dict)]
    found = [f for f in found if f is not None]
    if not found:
        return None
    return all(found)


def free_access(article: dict, items: list[dict], metas: dict[str, str], root=None) -> bool | None:
    """Whether the article is free to read, from schema.org isAccessibleForFree: on the
    article itself or its parts (hasPart: a paywalled section makes the article not
    free) or its mainEntityOfPage, on another JSON-LD object of the page, in microdata
    (on the item or its hasPart items, the same way), or the OpenGraph
    `article:content_tier` (free / locked). None when the page does not say."""
    own = _truth(article.get("isAccessibleForFree"))
    parts = _part_access(article.get("hasPart"))
    if own is None and isinstance(article.get("mainEntityOfPage"), dict):
        own = _truth(article["mainEntityOfPage"].get("isAccessibleForFree"))
    if own is not None or parts is not None:
        return own is not False and parts is not False
    for item in items:
        if item is article:
            continue
        other = _truth(item.get("isAccessibleForFree"))
        if other is None:
            other = _part_access(item.get("hasPart"))
        if other is not None:
            return other
    if root is not None:
        value = _microdata_access(root)
        if value is not None:
            return value
    tier = metas.get("article:content_tier", "").split("\x00")[0].strip().lower()
    return {"free": True, "locked": False}.get(tier)


# (through the attributes: no predicate tested on every element)
_ACCESS_PROPS = etree.XPath(
    "descendant::*/@itemprop[contains(translate(., 'ISACF', 'isacf'), 'isaccessibleforfree')]/.."
)


def _microdata_access(root) -> bool | None:
    """isAccessibleForFree in microdata: a <meta content>, a <link href> or an element's
    text; one inside a hasPart item is the part's (a part not free makes the article
    not free), the first other one the item's own."""
    own: bool | None = None
    parts: list[bool] = []
    for el in _ACCESS_PROPS(root)[:50]:
        if "isaccessibleforfree" not in (el.get("itemprop") or "").lower().split():
            continue
        raw = el.get("content")
        if raw is None:
            raw = el.get("href")
        if raw is None:
            raw = "".join(el.itertext())[:40]
        value = _truth(raw)
        if value is None:
            continue
        scope = next((a for a in el.iterancestors() if a.get("itemscope") is not None), None)
        if scope is not None and "haspart" in (scope.get("itemprop") or "").lower().split():
            parts.append(value)
        elif own is None:
            own = value
    if own is None and not parts:
        return None
    return own is not False and all(parts)


# ------------------------------------------------------------------ authors

# a label before the names: "By", "Von", "Text:", "Analysis by", "Texto y fotos:",
# "Photos for AP by"
_BY_PREFIX = re.compile(
    r"^(?:(?:[^\W\d_]+\s+){0,2}(?:for|special\s+to)\s+(?:\S+\s+){1,5}by(?=\s)|"
    r"(?:[^\W\d_]+\s+){0,2}by|von|par|por|door|av|af|przez|autor(?:a|in|es)?|author|"
    r"written|text[eo]?|words)\b\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
_BY_LOWER = re.compile(r"^(?:di|de|da)\s+")  # only lower case: Di Maio, De Niro are names
_LABEL = re.compile(r"^[^\W\d_]{2,20}(?:\s+[^\W\d_]{1,20}){0,2}\s*:\s+")
_CONTACT = re.compile(
    r"(?:e-?mail|contact|follow)\s+(?:the\s+)?(?:author|me|us|him|her)\b.*$|"
    r"\bon\s+(?:twitter|x|facebook|instagram|linkedin|google\s*\+?)(?:\W.*)?$|"
    r"^(?:twitter|facebook|instagram|linkedin|google\s*\+?)$|\bview\s+(?:my\s+)?.*profile.*$",
    re.IGNORECASE,
)
# where a byline turns into a time stamp: a digit, a month name before a number, or a
# word of time ("Updated", "1 day ago", "yesterday", "vor 2 Stunden", "hace")
_TIME_START = re.compile(
    r"\S*\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\b(?:updated|published|posted|modified|last\s+updated|yesterday|today|ago|just\s+now|"
    r"aktualisiert|veröffentlicht|gestern|heute|vor\s+\d|hace|ayer|actualizado|publicado|"
    r"hier|aujourd'hui|il\s+y\s+a|mis\s+à\s+jour|publié|ontem|hoje|atualizado|há\s+\d|"
    r"ieri|oggi|aggiornato|pubblicato|gisteren|vandaag|bijgewerkt)\b",
    re.IGNORECASE,
)
# one connector or punctuation mark at the end, left over by a cut ("Jane Doe on", "Stand:")
_GLUE_END = re.compile(
    r"(?:\s+(?:on|at|am|um|le|el|em|il|op|the|and|und|et|y|e)|\s+[^\W\d_]{1,30}\s*:|"
    r"\s*[-–—|•·,:;/(\[])\Z",
    re.IGNORECASE,
)


_WEEKDAYS = frozenset((
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "montag", "dienstag", "mittwoch",
    "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi", "mercredi", "jeudi",
    "vendredi", "samedi", "dimanche", "lunes", "martes", "miercoles", "jueves", "viernes",
    "sabado", "domingo",
))  # fmt: skip


# (not the short forms: Jan, Mai, Sun are names too)
_DATE_WORDS = frozenset(m for m in MONTHS if len(m) > 3) | _WEEKDAYS


def _strip_date_words(value: str) -> str:
    """Month and weekday names off the end of a byline cut before a time stamp's digits
    ("Jane Doe Friday, 4 juillet" -> "Jane Doe")."""
    words = value.split()
    n = len(words)
    while n and fold_word(words[n - 1].strip(",.")) in _DATE_WORDS:
        n -= 1
    return " ".join(words[:n]) if n < len(words) else value


def _strip_glue(value: str) -> str:
    """Connectors and punctuation off the end, one at a time (no nested repetition in a
    regular expression: that backtracks exponentially on 'on: on: on: ... x')."""
    for _ in range(50):
        m = _GLUE_END.search(value)
        if not m:
            break
        value = value[: m.start()]
    return value


# an ALL-CAPS name glued to the next capitalized word: "ERIC TUCKERAssociated Press"
_GLUED_CAPS = re.compile(
    r"(\b[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ.'-]*\s+[A-ZÀ-ÖØ-Þ]{2,})(?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])"
)
_SPLIT_NAMES = re.compile(
    r"\s*(?:[,;&|·•/+]|\s(?:and|und|et|en|och|og|und|[-–—])\s|\s(?:y|e|i)\s)\s*", re.IGNORECASE
)
_SPACED_DASH = re.compile(r"\s+[-–—]\s+")
_SPLIT_LOWER_CONJ = re.compile(r"\s(?:y|e|i)\s")
_BRACKETS = re.compile(r"\([^()]{0,80}\)|\[[^\[\]]{0,80}\]")
# news agencies: an agency credit is not an author
_AGENCIES = {
    "ap",
    "associated press",
    "the associated press",
    "reuters",
    "thomson reuters",
    "afp",
    "agence france-presse",
    "agence france presse",
    "dpa",
    "deutsche presse-agentur",
    "epd",
    "kna",
    "apa",
    "sda",
    "ansa",
    "efe",
    "europa press",
    "lusa",
    "agência brasil",
    "upi",
    "pa",
    "pa media",
    "press association",
    "bloomberg",
    "bloomberg news",
    "xinhua",
    "kyodo",
    "kyodo news",
    "yonhap",
    "tass",
    "ria novosti",
    "anp",
    "belga",
    "aap",
    "cp",
    "the canadian press",
    "canadian press",
    "nexstar media wire",
    "cnn wire",
    "wire services",
    "wire reports",
    "staff and agencies",
    "agencies",
    "news agencies",
    "agenturen",
    "agences",
    "agencias",
}
# words for a newsroom rather than a person: "HNN Staff", "Redaktion", "Web Desk"
_COLLECTIVE = re.compile(
    r"(?:^|[\s-])(?:staff|team|desk|newsroom|newsdesk|editors|editorial(?:\s+(?:board|staff|team))?|"
    r"report|reports|publisher|archive|archives|reviews|"
    r"news|media|magazine|press|wire|agency|agencies|verlag|gmbh|ag|inc\.?|ltd\.?|llc|corp\.?|"
    r"e\.\s?v\.|s\.a\.|co\.|"
    r"redaktion|redacción|rédaction|redação|redazione|redactie|online|"
    r"admin|administrator|webmaster|guest|gast|anonymous|anonym|anónimo|anonimo|anonyme|"
    r"unknown|unbekannt|unbenannt|untitled)$",
    re.IGNORECASE,
)
# a person's job after the name: "John Borland Staff Writer", "Jane Doe, Correspondent"
_ROLE_SUFFIX = re.compile(
    r"(?:(?:^|\s+)(?:senior|chief|deputy|contributing|special|political|foreign|national|"
    r"business|sports?|science|health|staff|freelance|guest|associate|managing|executive|"
    r"news|digital|investigative|white\s+house|product|marketing|program|project|software|"
    r"technical|engineering|research|communications|distinguished|principal|lead))*"
    r"\s*(?:^|\s)(?:staff\s+writer|writer|"
    r"correspondent|reporter|editor(?:-at-large|\s+at\s+large)?|contributor|columnist|"
    r"journalist|producer|analyst|photographer|critic|author|blogger|engineer|developer|"
    r"designer|consultant|strategist|scientist|researcher|manager|director|officer|"
    r"specialist|founder|co-founder|president|ceo|cto|intern|"
    r"redakteur(?:in)?|korrespondent(?:in)?|autor(?:in)?|journaliste|periodista|"
    r"jornalista|giornalista|corresponsal)$",
    re.IGNORECASE,
)
_PARTICLES = {
    "de",
    "da",
    "do",
    "dos",
    "das",
    "del",
    "della",
    "di",
    "du",
    "des",
    "la",
    "le",
    "van",
    "von",
    "der",
    "den",
    "ter",
    "ten",
    "zu",
    "y",
    "e",
    "bin",
    "ibn",
    "al",
    "el",
    "af",
    "av",
    "st.",
    "d",
    "l",
    "ben",
    "bint",
    "ap",
    "mac",
    "dalla",
    "degli",
    "vom",
    "zum",
    "zur",
}
_PREFIX = re.compile(r"[-'’]")
_FUNCTION_WORDS = set(
    "the to of for and a an at on in with der die das des le la les el los las".split()  # noqa: SIM905
)
# a name that starts with an article names a publication: "The Economist", "Die Zeit"
_ARTICLES = set("The Die Das Der El La Le Les Los Las Il Lo Het".split())  # noqa: SIM905
_HOSTLIKE = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.IGNORECASE)


def _org_keys(names: list[str]) -> set[str]:
    return {k for name in names for k in _keys(name) if k}


def _is_org(part: str, orgs: AbstractSet[str]) -> bool:
    key = _norm_key(part)
    return key in orgs or part.lower() in _AGENCIES


_CAMEL = re.compile(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")
# "Jane Doe for CNN", "Jane Doe, special to The Times": the outlet a person writes
# for is no part of the name (the connector in lower case, the outlet's name
# capitalized; other languages' "für", "pour" also join the names of institutions)
_FOR_OUTLET = re.compile(r"(?<=\S)\s+(?:special\s+to|for)\s+[A-Z0-9](?:(?!\s[Bb]y\s).){0,60}$")


def _strip_agency_suffix(part: str) -> str:
    """'Eric Tucker Associated Press' -> 'Eric Tucker' (an agency credit glued on, also
    without a space: 'Eric TuckerReuters', 'Eric TuckerAssociated Press')."""
    words = part.split()
    for n in (0, 1, 2):  # the glued word and the n words after it
        if len(words) < n + 2:
            break
        pieces = _CAMEL.split(words[-n - 1])
        for i in range(1, len(pieces)):
            tail = " ".join(["".join(pieces[i:]), *words[len(words) - n :]])
            if tail.lower() in _AGENCIES:
                return " ".join([*words[: -n - 1], "".join(pieces[:i])])
    for n in (3, 2, 1):
        if len(words) > n + 1 and " ".join(words[-n:]).lower() in _AGENCIES:
            return " ".join(words[:-n])
    return part


# a page's buttons beside a byline ("Jane Doe Follow", "Share"); also surnames (Thomas
# More), so one goes only after a name of two words or more
_UI_WORDS = frozenset(("follow", "share", "more", "weiter"))


def _strip_ui_word(part: str) -> str:
    words = part.split()
    if not words or words[-1].lower() not in _UI_WORDS:
        return part
    return part if len(words) == 2 else " ".join(words[:-1])  # "" for the word alone


def _person_name(part: str, orgs: AbstractSet[str]) -> str:
    """The part as a person's name, or "" when it is not one."""
    part = part.strip(" -–—:|,.;()[]\"'“”«»")
    if not part or "@" in part or _HOSTLIKE.match(part):
        return ""
    part = _BY_PREFIX.sub("", part) or part
    part = _FOR_OUTLET.sub("", part)
    part = _strip_ui_word(part)
    if not part:
        return ""
    part = _strip_agency_suffix(part)
    if _COLLECTIVE.search(part) or _is_org(part, orgs):
        return ""
    unroled = _ROLE_SUFFIX.sub("", part).strip(" ,-–—")
    if unroled != part and len(unroled.split()) < 2:
        return ""  # "Senior Correspondent", "CNN Editor-at-large", "No Author"
    part = _strip_agency_suffix(unroled)  # "JOSEPH WHITE AP Sports Writer"
    if _COLLECTIVE.search(part) or _is_org(part, orgs):
        return ""
    words = part.split()
    for i in range(2, len(words) - 1):
        if words[i] in ("The", "THE"):  # "Mirjam Swanson The Press-Enterprise": an outlet after
            words = words[:i]
            part = " ".join(words)
            break
    if words[-1].lower() in _FUNCTION_WORDS or any(_HOSTLIKE.match(w) for w in words):
        return ""
    if len(words) > 1 and words[0] in _ARTICLES:
        return ""
    if len(part) > 60 or len(words) > 5 or not any(c.isalpha() for c in part):
        return ""
    if len(words) == 1 and (part.isupper() and len(part) <= 6 or len(part) <= 2):
        return ""  # an acronym (CNN, HNN, AP) names an organization, not a person
    # a phrase rather than a name: lower-case words (other than de, van, al-) among
    # capitalized ones, or several lower-case words ("view my complete profile")
    lower = [w for w in words if w[:1].islower() and _PREFIX.split(w)[0] not in _PARTICLES]
    if lower and (len(words) > 1 and len(lower) == len(words) or any(c.isupper() for c in part)):
        return ""
    if part.isupper() and len(part) > 3:
        part = " ".join(
            w.lower() if w.lower() in _PARTICLES and i else w.title() for i, w in enumerate(words)
        )
    return part


def _split_names(value: str) -> list[str]:
    if value.isupper():  # "JUAN PÉREZ Y MARÍA LÓPEZ": conjunctions are capitals too
        return [p for p in _SPLIT_NAMES.split(value) if p]
    # a capital Y or E is an initial (Bruce Y. Lee), a lower-case one joins two names
    out: list[str] = []
    for chunk in re.split(r"\s*(?:[,;&|·•/+]|\s(?:and|und|et|en|och|og)\s)\s*", value):
        for piece in _SPLIT_LOWER_CONJ.split(chunk):
            # "Jane Doe - John Roe", "Jane Doe – Staff Writer": a spaced dash between
            # short runs of words (not inside a title: "News of X - The Y Gazette")
            sides = _SPACED_DASH.split(piece)
            if len(sides) > 1 and all(1 <= len(x.split()) <= 3 for x in sides):
                out.extend(sides)
            elif piece:
                out.append(piece)
    return out


def clean_authors(
    raw: list[str],
    site_name: str | None = None,
    orgs: Sequence[str] = (),
    host: str | None = None,
) -> list[str]:
    """Whole person names from raw byline strings: labels ("By", "Text:"), time stamps,
    agencies, newsroom credits, job titles, contact lines and the site's own name (and a
    one-word name that is the host's: "Reuters" on reuters.com) out; several names in one
    string split apart; ALL-CAPS names in title case."""
    org_keys = _org_keys([*orgs, *([site_name] if site_name else [])])
    brand = _keys(host_parts(host)[0])
    site_words = brand | (_keys(site_name) if site_name and " " not in site_name else frozenset())
    out: list[str] = []
    seen: set[str] = set()
    for value in raw[:200]:
        value = clean_text(value)
        if not value or value.startswith(("http://", "https://", "www.")) or len(value) > 500:
            continue
        value = _GLUED_CAPS.sub(r"\1 | ", value)
        value = _BRACKETS.sub(" ", value)
        for _ in range(2):  # "Text: By Jane Doe"; the time stamp before the label, so
            # that "Jane Doe Stand: 05.11." keeps the name
            value = _BY_LOWER.sub("", _BY_PREFIX.sub("", value))
            m = _TIME_START.search(value)
            if m:
                head = value[: m.start()].rstrip()
                first = m.group().split()[0] if m.group().strip() else ""
                if len(head.split()) == 1 and (
                    head.endswith(":") or (first[:1].isalpha() and fold_word(first) not in MONTHS)
                ):
                    head = ""  # a label or a word of the time stamp alone: "Stand: 3.
                    # Mai", "Originally published" (not "Byron November 5")
                value = _strip_glue(_strip_date_words(head))
            value = _LABEL.sub("", value)
        value = _CONTACT.sub("", value)
        pieces = _split_names(value)
        for piece in pieces:
            name = _person_name(piece, set())
            if not name:
                continue
            key = name.lower()
            if key in seen:
                continue
            if _is_org(name, org_keys) or (" " not in name and _keys(name) & brand):
                continue
            words = name.split()
            if len(words) == 2 and _keys(words[0]) & site_words:
                continue  # "CNN Business" beside the site CNN: a desk of the site
            if " " not in name and len(pieces) > 1:
                continue  # "Sebastian Held, Germany": a lone word beside names is no name
            seen.add(key)
            out.append(name)
    # "Amy" next to "Amy Locurto": the same person
    firsts = {n.split()[0].lower() for n in out if " " in n}
    return [n for n in out if " " in n or n.lower() not in firsts][:100]


# ------------------------------------------------------------------ names and hosts

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})


def _norm_key(s: str) -> str:
    return re.sub(r"[\W_]+", "", s.lower())


@functools.lru_cache(maxsize=4096)
def _keys(s: str) -> frozenset[str]:
    """Comparison keys of a name: letters and digits only, lower case, with accents
    dropped and, as a second spelling, German umlauts written out (Mäscot ~ maescot)."""
    low = s.lower()
    out = set()
    for variant in (low, low.translate(_TRANSLIT)):
        plain = unicodedata.normalize("NFKD", variant)
        out.add(re.sub(r"[\W_]+", "", "".join(c for c in plain if not unicodedata.combining(c))))
    out.add(_norm_key(s))
    out.discard("")
    return frozenset(out)


# second-level labels under a country code that are not a site's own (co.uk, com.br)
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gv", "ltd"}


def host_parts(host: str | None) -> tuple[str, list[str]]:
    """(brand label, sub-domain labels) of a host: news.bbc.co.uk -> ('bbc', ['news'])."""
    labels = [x for x in (host or "").lower().removeprefix("www.").split(".") if x]
    if not labels:
        return "", []
    i = len(labels) - 2
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        i = len(labels) - 3
    i = max(i, 0)
    return labels[i], labels[:i]


def _matches_brand(keys: AbstractSet[str], brand: str) -> bool:
    b = brand.replace("-", "")
    if not b:
        return False
    return any(
        k == b or k.startswith(b) or (len(b) >= 3 and b in k) or (len(k) >= 4 and k in b)
        for k in keys
    )


# ------------------------------------------------------------------ site name

_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^www\.|^[\w-]+(?:\.[\w-]+)+/", re.IGNORECASE)


def _site_ok(name: str, titles: AbstractSet[str]) -> bool:
    """A site name must be a name: not a URL, not the page's title, not too long."""
    if not name or not any(c.isalnum() for c in name) or len(name) > 80:
        return False
    if len(name.split()) > 10 or _URLISH.match(name):
        return False
    return not _keys(name) & titles


def site_names(candidates: list[str], host: str | None, title_keys: AbstractSet[str]) -> list[str]:
    """The candidates that are names (cleaned, in order, without repeats)."""
    names: list[str] = []
    for c in candidates:
        c = clean_text(c).removeprefix("@")
        parts = _TITLE_SEPS.split(c)
        if len(parts) > 1 and len(c.split()) > 4:
            c = parts[0]  # "Zillow Blog - Real Estate Market Stats, ...": the name, not the slogan
        if _site_ok(c, title_keys) and c not in names:
            names.append(c)
    return names


# words that name a section, a page or a kind of site, not a site: a template's
# og:site_name ("Home", "News", "U.S.", "Hosted") or a title's section part
_SECTION_WORDS = frozenset(
    _norm_key(w)
    for w in (
        "home", "homepage", "home page", "start", "startseite", "accueil", "inicio", "portada",
        "index", "main", "main page", "welcome", "menu", "site", "website", "web site",
        "my website", "my blog", "my site", "blog", "blogs", "hosted", "sponsored",
        "partner content", "news", "latest news", "breaking news", "top stories", "latest",
        "nachrichten", "aktuelles", "aktuell", "noticias", "notícias", "notizie", "nieuws",
        "actualités", "actualites", "world", "world news", "us", "u.s.", "u.s. news", "uk",
        "uk news", "local", "national", "international", "politics", "politik", "business",
        "economy", "wirtschaft", "opinion", "opinions", "meinung", "sport", "sports", "tech",
        "technology", "science", "health", "entertainment", "culture", "kultur", "lifestyle",
        "travel", "video", "videos", "live", "article", "articles", "story", "stories",
        "page", "post", "posts", "untitled", "default", "none", "null", "undefined",
    )
)  # fmt: skip


def _generic_name(name: str) -> bool:
    """A name that is a section word, or too short to be a name (two Latin letters or
    fewer: "U.S.", "TV"; one character of any script; two Chinese characters make a
    name: 新浪)."""
    key = _norm_key(name)
    return key in _SECTION_WORDS or len(key) <= 1 or (len(key) <= 2 and key.isascii())


def choose_site_name(
    names: list[str], host: str | None, title_parts: list[str], handle: str = ""
) -> str | None:
    """The first name confirmed by the host name, the title or another source; else the
    first name that is not a section word; else the end of the title that names the
    host (`Story - Daily Herald` on dailyherald.com); else the site's social-media
    handle when it is the host's name (@NHL on nhl.com); else the host. A section word
    or a name of two letters ("Home", "News", "U.S.") is taken only when the host
    confirms it."""
    brand, _ = host_parts(host)
    ends = {k for p in title_parts for k in _keys(p)}
    for i, name in enumerate(names):
        keys = _keys(name)
        if _matches_brand(keys, brand):
            return name
        if _generic_name(name):
            continue
        others = {k for j, o in enumerate(names) if j != i for k in _keys(o)}
        if keys & ends or keys & others:
            return name
    for name in names:
        if not _generic_name(name):
            return name
    for part in reversed(title_parts):
        part = part.strip(_EDGE_MARKS)
        if len(part.split()) <= 4 and not _generic_name(part) and _names_host(part, brand):
            return part
    handle = clean_text(handle).removeprefix("@")
    if re.fullmatch(r"[\w.]{1,40}", handle) and _matches_brand(_keys(handle), brand):
        return handle
    # an IDN host stays in punycode: decoded, xn--80ak6aa92e.com would read as a
    # well-known brand in look-alike letters
    return (host or "").lower().removeprefix("www.") or None


_EDGE_MARKS = " |/:;,.!?*~-–—•·»«›‹✂"


def _names_host(part: str, brand: str) -> bool:
    """The part is the host's name written out ("Jamaica Gleaner" on jamaica-gleaner.com,
    "The Everywhereist", "NYTimes.com"): its letters are the brand's, give or take a
    leading article or a short ending (a domain)."""
    b = brand.replace("-", "")
    if len(b) < 2:
        return False
    keys = _keys(part) | _keys(_LEAD_ARTICLE.sub("", part))
    return any(k == b or (k.startswith(b) and len(k) - len(b) <= 4) for k in keys)


def host_of(value: str) -> str | None:
    """The host named by a site name that is a URL ("https://www.example.com/")."""
    value = clean_text(value)
    if not _URLISH.match(value):
        return None
    try:
        return urlsplit(value if "//" in value else "//" + value).hostname
    except ValueError:
        return None


# ------------------------------------------------------------------ title

# a separator between a title's parts: any dash (hyphen, figure dash, en, em, two-
# and three-em, horizontal bar, minus, "--"), bars, colons, bullets, guillemets,
# tildes and a slash between spaces; a bar also without spaces ("Story|Site")
_TRAILING_SEP = re.compile(r"\s+(?:[|\-‐‑‒–—―⸺⸻−﹘﹣－:·•~⋅∙‧/]|::|\|\||--)$")
_TITLE_SEPS = re.compile(
    r"\s+(?:[|\-‐‑‒–—―⸺⸻−﹘﹣－:·•»«›‹~⋅∙‧/]|::|\|\||--)\s+|(?<=[^\s|])\|(?=[^\s|])"
)
_LEAD_ARTICLE = re.compile(r"^(?:the|die|der|das|le|la|les|el|il|lo|het|de)\s+", re.IGNORECASE)
_SITE_PREFIX = re.compile(r"^([^:|]{2,40}):\s+(?=\S)")


def clean_title(
    title: str, site_name: str | list[str] | None, h1: str | None, host: str | None
) -> str:
    """The title without the site's name before or after it ("Story – Site", "Site |
    Story", "Story - Section - Site - Slogan", "Story | example.com")."""
    title = clean_text(title)
    title = _TRAILING_SEP.sub("", title) or title  # "Story |": a site name left empty
    if not title:
        return title
    names = [site_name] if isinstance(site_name, str) else list(site_name or [])
    drop: set[str] = set()
    for name in names:
        drop |= _keys(name)
    brand, subs = host_parts(host)
    for label in (brand, *subs[:1]):
        drop |= _keys(label)
    if host:
        drop |= _keys(host.lower().removeprefix("www."))
    drop.discard("")

    def named(part: str) -> bool:
        return bool(_HOSTLIKE.match(part.strip()) or _keys(part) & drop)

    def sitey(part: str) -> bool:
        part = part.strip()
        if _HOSTLIKE.match(part):
            return True
        keys = _keys(part) | _keys(_LEAD_ARTICLE.sub("", part))  # "The Daily Herald"
        return bool(keys & drop) or any(
            (len(d) >= 3 and k.startswith(d)) or (len(k) >= 4 and d.startswith(k))
            for k in keys
            for d in drop
        )

    if h1 and _norm_key(h1) == _norm_key(title):
        return title
    parts = _TITLE_SEPS.split(title)
    m = _SITE_PREFIX.match(title)
    if m and (sitey(m.group(1)) if len(parts) < 2 else named(m.group(1))):
        # "Site: Story"; before a title of several parts, only the site's very name
        title = clean(title[m.end() :].lstrip(_EDGE_MARKS)) or title
        parts = _TITLE_SEPS.split(title)
    if len(parts) < 2:
        return title
    if h1 and _h1_leads(parts, _norm_key(h1)):
        return clean_text(h1)
    # the first site-like part after the first one: it and what follows it go, and
    # a section word before it ("Story - News - Site")
    for i in range(1, len(parts)):
        if sitey(parts[i]):
            del parts[i:]
            while len(parts) > 1 and _norm_key(parts[-1]) in _SECTION_WORDS:
                parts.pop()
            break
    lead = 0
    while lead < len(parts) - 1 and sitey(parts[lead]):
        lead += 1
    if lead:  # "Site | News | Story"
        while lead < len(parts) - 1 and _norm_key(parts[lead]) in _SECTION_WORDS:
            lead += 1
    del parts[:lead]
    while len(parts) > 1 and not any(c.isalnum() for c in parts[-1]):
        parts.pop()  # "Story » ☆☆☆☆☆"
    if len(parts) > 1 and _norm_key(parts[-1]) in _SECTION_WORDS - {"live"}:
        parts.pop()  # "Story – My website", "Story - News": a placeholder or section
    if len(parts) > 1 and not names:
        # no site name known: a short last part after " | " is a site name
        seps = _TITLE_SEPS.findall(title)
        if seps and seps[-1].strip() in "|·•»" and len(parts[-1]) < len(parts[0]) / 2:
            parts.pop()
    return _rejoin(title, parts)


def _no_headline(title: str, names: list[str]) -> bool:
    """A title that names no story: no letter, digit or symbol (only separators or
    invisible characters), a section word, or the site's name alone."""
    if not any(c.isalnum() or unicodedata.category(c) == "So" for c in title):
        return True
    key = _norm_key(title)
    return key in _SECTION_WORDS or any(n and _norm_key(n) == key for n in names)


def _h1_leads(parts: list[str], key: str) -> bool:
    """Some leading run of the title's parts is the h1 (compared as _norm_key,
    which drops the joining spaces: the run's key is its parts' keys end to end)."""
    keys = "".join(_norm_key(p) for p in parts)
    if not key or not keys.startswith(key):
        return False
    n = 0
    for part in parts:
        n += len(_norm_key(part))
        if n == len(key):
            return True
    return False


def _rejoin(title: str, parts: list[str]) -> str:
    first, last = parts[0], parts[-1]
    start = title.find(first)
    end = title.rfind(last) + len(last)
    if start < 0 or end <= start:
        return " ".join(parts)
    return clean(title[start:end])


# ------------------------------------------------------------------ language

# frequent short words, told apart by the ones each language does not share
_LANG_STOP = {
    "en": "the and of to in is that for with was on are it as be this have from",
    "de": "der die und das ist nicht mit sich ein eine auch auf den dem von zu im für wird",
    "fr": "le la les et des est une pour dans que qui du au sur pas avec sont ce de",
    "es": "el la los las y que del por una con para es en se no al lo más de",
    "pt": "o os as e que do da dos das não uma com para em no na é ao de se",
    "it": "il di che la per non una sono della è gli le dei nel con del un",
    "nl": "de het een van en is dat niet op zijn voor met ook te aan",
    "pl": "w na z się że nie jest jak od po przez oraz",
    "sv": "och att det som är en på för med inte av har till den",
}
_STOP_INDEX: dict[str, list[str]] = {}
for _lang, _words in _LANG_STOP.items():
    for _w in _words.split():
        _STOP_INDEX.setdefault(_w, []).append(_lang)


_SCRIPTS = {
    "ko": re.compile("[\uac00-\ud7a3]"),
    "ja": re.compile("[\u3040-\u30ff]"),
    "zh": re.compile("[\u4e00-\u9fff]"),
    "ru": re.compile("[\u0400-\u04ff]"),
    "ar": re.compile("[\u0600-\u06ff]"),
    "el": re.compile("[\u0370-\u03ff]"),
    "he": re.compile("[\u0590-\u05ff]"),
    "th": re.compile("[\u0e00-\u0e7f]"),
}
_NON_LATIN = re.compile("[\u0370-\u0e7f\u3040-\ud7a3]")
_LATIN = re.compile("[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


def _detect(text: str) -> tuple[str | None, bool]:
    """(language, confident) of a text sample."""
    sample = text[:3000]
    if not sample.strip():
        return None, False
    if _NON_LATIN.search(sample):
        counts = {lang: len(rx.findall(sample)) for lang, rx in _SCRIPTS.items()}
        latin = len(_LATIN.findall(sample))
    else:
        counts, latin = dict.fromkeys(_SCRIPTS, 0), 1
    if counts["ja"] and counts["ja"] * 5 >= counts["zh"]:
        return "ja", counts["ja"] + counts["zh"] > latin
    best = max(counts, key=counts.__getitem__)
    if counts[best] > latin:
        return best, counts[best] >= 20
    words = sample.lower().split()
    if len(words) < 5:
        return None, False
    scores = dict.fromkeys(_LANG_STOP, 0)
    for w in words:
        for lang in _STOP_INDEX.get(w.strip(".,;:!?\"'()«»„“”"), ()):
            scores[lang] += 1
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    top, second = scores[ranked[0]], scores[ranked[1]]
    if top < 2:
        return None, False
    return ranked[0], top >= 8 and top >= 1.5 * second and top >= len(words) / 10


_DETECTABLE = {*_LANG_STOP, "ko", "ja", "zh", "ru", "ar", "el", "he", "th"}


def detect_language(text: str) -> str | None:
    """The language of a text from its script or its most frequent short words."""
    return _detect(text)[0]


_LANG_NAMES = {
    "english": "en",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "italian": "it",
    "italiano": "it",
    "dutch": "nl",
    "nederlands": "nl",
    "russian": "ru",
    "русский": "ru",
    "polish": "pl",
    "polski": "pl",
    "swedish": "sv",
    "svenska": "sv",
    "japanese": "ja",
    "日本語": "ja",
    "chinese": "zh",
    "中文": "zh",
    "korean": "ko",
    "한국어": "ko",
}


def _norm_lang(value: object) -> str | None:
    """A BCP 47 language tag (en, pt-BR) from a declared value, or None: the first of
    a list ("de-DE, en"), locale spelling (pt_BR), a language's name; und, mul, zxx,
    x-default and anything else that names no language give None."""
    value = clean_text(value)
    if not value:
        return None
    value = re.split(r"[,;\s]", value, maxsplit=1)[0].replace("_", "-")
    named = _LANG_NAMES.get(value.lower())
    if named:
        return named
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", value):
        return None
    head, _, rest = value.partition("-")
    head = head.lower()
    if head in ("und", "mul", "zxx", "mis", "xx") or head.startswith("x") and len(head) == 1:
        return None
    return head + ("-" + rest.upper() if rest and len(rest) == 2 else "")


def _text_sample(root, limit: int = 1200) -> str:
    """The first paragraphs' text, for checking a declared language."""
    out: list[str] = []
    n = 0
    for el in root.iter("p"):
        text = " ".join("".join(el.itertext()).split())
        if len(text) >= 40:
            out.append(text)
            n += len(text)
            if n >= limit:
                break
    return " ".join(out)


def choose_language(declared: list[str | None], root) -> str | None:
    """The page's language from its declarations, in order of trust (<html lang>,
    Content-Language, JSON-LD inLanguage, og:locale). When they disagree, or the
    paragraphs are confidently in another language than the one declared (a template's
    default lang="en" on a page in German), the text decides."""
    tags = [t for t in (_norm_lang(d) for d in declared) if t]
    if not tags:
        return None
    bases = {t.split("-")[0] for t in tags}
    found, confident = _detect(_text_sample(root))
    # the detector knows a few languages: it may only overrule one of those
    confident = confident and bases <= _DETECTABLE
    if found and (confident or len(bases) > 1):
        if found in bases:
            # the most specific declared tag of that language (pt-BR over pt)
            same = [t for t in tags if t.split("-")[0] == found]
            return max(same, key=len)
        if confident:
            return found
    first = tags[0]
    base = first.split("-")[0]
    same = [t for t in tags if t.split("-")[0] == base]
    return max(same, key=len)


# ------------------------------------------------------------------ main


def _abs(url: str | None, base: str | None) -> str | None:
    url = clean(url)
    if not url or url.startswith(("data:", "javascript:")):
        return None
    if base:
        try:
            return urljoin(base, url)
        except ValueError:
            return url
    return url


_AUTHOR_METAS = (
    "author",
    "article:author",
    "dc.creator",
    "byl",
    "sailthru.author",
    "parsely-author",
)


def collect(root, url: str | None) -> dict:
    """Read metadata from an lxml document tree (before pruning)."""
    metas: dict[str, str] = {}
    ld_scripts: list[str] = []
    first_base = None
    link_els = []
    # one walk over the tree for the four kinds of element (each in page order)
    for el in root.iter("meta", "script", "base", "link"):
        tag = el.tag
        if tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
            content = el.get("content")
            if key and content is not None:
                key = key.strip().lower()
                # multiple article:tag / author metas: keep them all
                if key in metas:
                    metas[key] += "\x00" + content
                else:
                    metas[key] = content
        elif tag == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json":
                ld_scripts.append(el.text or "")
        elif tag == "base":
            if first_base is None:
                first_base = el
        else:
            link_els.append(el)
    ld_items = json_ld_items(ld_scripts)
    ld = json_ld_article(ld_items)

    def meta(*keys: str) -> str:
        for k in keys:
            v = metas.get(k)
            if v:
                v = clean(v.split("\x00")[0])
                if v:
                    return v
        return ""

    base = url
    if first_base is not None and first_base.get("href"):
        base = _abs(first_base.get("href"), url)

    canonical = None
    for el in link_els:
        rel = (el.get("rel") or "").lower().split()
        if canonical is None and "canonical" in rel and el.get("href"):
            canonical = _abs(el.get("href"), base)
            break
    canonical = canonical or _abs(meta("og:url"), base) or url
    host = urlsplit(canonical or url or "").hostname
    if not host and canonical != url:
        host = urlsplit(url or "").hostname

    h1 = None
    for el in root.iter("h1"):
        h1 = clean("".join(el.itertext()))
        if h1:
            break
    title_el = root.find(".//title")
    page_title = clean_text("".join(title_el.itertext())) if title_el is not None else ""
    raw_title = (
        clean_text(_ld_str(ld.get("headline")))
        or clean_text(meta("og:title", "twitter:title", "dc.title"))
        or page_title
        or clean_text(h1)
    )

    # site name: og:site_name, the JSON-LD publisher (or WebSite), application-name, host
    publisher = _ld_org_name(ld.get("publisher"))
    site_items = [_ld_name(i) for i in ld_items if _types(i) & _ORG_TYPES][:5]
    title_parts = [
        p for t in {raw_title, page_title} if t for p in _title_ends(_TITLE_SEPS.split(t))
    ]
    # (a long title is no site name: some pages put it in application-name)
    title_keys = {k for t in (raw_title, h1 or "") if len(t.split()) >= 5 for k in _keys(t)}
    site_candidates = [
        meta("og:site_name"),
        publisher,
        *site_items,
        meta("application-name"),
        meta("apple-mobile-web-app-title"),
    ]
    names = site_names(site_candidates, host, title_keys)
    if not host:  # a saved page without its URL: a site name given as a URL names the host
        host = next((h for h in map(host_of, site_candidates) if h), None)
    site_name = choose_site_name(names, host, title_parts, meta("twitter:site")) or ""
    title = clean_title(raw_title, names, h1, host) if raw_title else None
    if title and _no_headline(title, [*names, site_name]):
        # "|", "--", "Home", the site's name alone: the page's h1 is the headline;
        # without one, a title of no letter, digit or symbol is none
        if h1 and not _no_headline(h1, [*names, site_name]):
            title = clean_text(h1)
        elif not any(c.isalnum() or unicodedata.category(c) == "So" for c in title):
            title = None

    # authors: the first source that names a person
    orgs = [*names, publisher]
    raw_authors = _raw_authors(root, ld, metas, site_name, orgs, host)
    authors = clean_authors(raw_authors, site_name, orgs, host)

    # dates
    published, modified = find_dates(root, metas, ld_scripts, (canonical, url))

    # language
    lang = None
    html = root if root.tag == "html" else root.find(".//html")
    declared = [
        html.get("lang") or html.get("xml:lang") if html is not None else None,
        meta("content-language", "dc.language", "language"),
        _ld_str(ld.get("inLanguage")) or _ld_page_value(ld_items, "inLanguage"),
        meta("og:locale"),
    ]
    lang = choose_language(declared, root)

    image = _abs(meta("og:image", "og:image:url", "og:image:secure_url", "twitter:image"), base)
    if not image and ld.get("image"):
        image = _abs(_ld_str(ld.get("image")), base)

    tags: list[str] = []
    seen: set[str] = set()
    raw_tags = metas.get("article:tag", "").split("\x00")
    if not any(t.strip() for t in raw_tags):
        kw = ld.get("keywords") or metas.get("news_keywords") or metas.get("keywords") or ""
        raw_tags = kw if isinstance(kw, list) else str(kw).split(",")
    for t in raw_tags:
        t = clean_text(t)
        if t and t not in seen and len(t) < 80:
            seen.add(t)
            tags.append(t)

    free = free_access(ld, ld_items, metas, root)

    body = ld.get("articleBody")
    return {
        "title": title or None,
        "h1": h1,
        "authors": authors,
        "published_at": published,
        "modified_at": modified,
        "language": lang,
        "site_name": site_name or None,
        "description": clean_text(meta("og:description", "description", "twitter:description"))
        or clean_text(ld.get("description"))
        or None,
        "image": image,
        "canonical_url": canonical,
        "tags": tags,
        "free_access": free,
        "ld_body": body if isinstance(body, str) else None,
    }


def _ld_org_name(value: object) -> str:
    """The name of a JSON-LD publisher, unless it is a person."""
    first = value[0] if isinstance(value, list) and value else value
    if isinstance(first, dict) and "person" in _types(first):
        return ""
    return _ld_name(value)


def _ld_page_value(items: list[dict], key: str) -> str:
    """A value given on any JSON-LD object of the page (a WebPage's inLanguage)."""
    for item in items:
        value = _ld_str(item.get(key))
        if value:
            return value
    return ""


def _title_ends(parts: list[str]) -> list[str]:
    return [parts[0], parts[-1]] if len(parts) > 1 else []


def _raw_authors(
    root, ld: dict, metas: dict[str, str], site_name: str, orgs: list[str], host: str | None
) -> list[str]:
    """Byline strings from the first source that names a person: JSON-LD author,
    author <meta> tags, then bylines in the page."""
    first: list[str] = []
    for key in ("@ld", *_AUTHOR_METAS, "@dom"):
        if key == "@ld":
            raw = _ld_names(ld.get("author")) if ld else []
        elif key == "@dom":
            raw = _dom_bylines(root)
        else:
            raw = [x for x in metas.get(key, "").split("\x00") if x.strip()]
        if raw and clean_authors(raw, site_name, orgs, host):
            return raw
        first = first or raw
    return first


_BYLINE_HINT = re.compile(r"byline|author|writer|autor|auteur", re.IGNORECASE)
_NOT_ARTICLE_SCOPE = re.compile(r"comment|review|answer|question", re.IGNORECASE)


def _byline_hint(cls: str) -> bool:
    """_BYLINE_HINT.search(cls), first told by plain substrings of the lower-cased
    text (several times faster on the class names of a page, most of which hold
    none of the words). Besides ASCII capitals, _BYLINE_HINT's IGNORECASE takes
    only İ and ı for i, and lower() maps neither to i: those go to the pattern."""
    low = cls.lower()
    return (
        "byline" in low
        or "author" in low
        or "writer" in low
        or "autor" in low
        or "auteur" in low
        or "\u0130" in cls
        or "\u0131" in cls
    ) and _BYLINE_HINT.search(cls) is not None


def _in_other_item(el) -> bool:
    """The element belongs to a microdata item that is not the article (a comment's author)."""
    for anc in el.iterancestors():
        if anc.get("itemscope") is not None and anc.get("itemprop") != "author":
            return bool(_NOT_ARTICLE_SCOPE.search(anc.get("itemtype") or ""))
    return False


def _dom_bylines(root) -> list[str]:
    out = []
    for el in root.iter("a"):
        if "author" in (el.get("rel") or "").lower().split():
            text = clean(" ".join(el.itertext()))
            if text:
                out.append(text)
    if out:
        return out
    for el in root.iter(etree.Element):  # (no comments, no processing instructions)
        if el.tag in ("html", "body", "meta", "script", "style"):
            continue
        itemprop = el.get("itemprop")
        if itemprop and "author" in itemprop.split():
            if _in_other_item(el):
                continue
            name = el.find(".//*[@itemprop='name']")
            text = clean(" ".join((name if name is not None else el).itertext()))
            if not text and el.get("content"):
                text = clean(el.get("content"))
            if text:
                out.append(text)
            continue
        class_, id_ = el.get("class"), el.get("id")
        if class_ is None and id_ is None:
            continue  # (most elements: no hint to read)
        cls = (class_ or "") + " " + (id_ or "")
        if _byline_hint(cls) and not re.search(r"bio|box|avatar|img|image", cls, re.I):
            if any(anc.tag == "form" for anc in el.iterancestors()):
                continue  # a comment form's "Name" field
            text = clean(" ".join(el.itertext()))
            if 2 < len(text) < 100 and not re.search(r"[{}=;<>]", text):
                out.append(text)
                break
    return out
