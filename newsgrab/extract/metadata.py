"""Metadata from an lxml tree: JSON-LD, OpenGraph, <meta>, <time>, bylines, URL."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import deque
from urllib.parse import urljoin, urlsplit

from newsgrab.extract.dates import find_dates

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


def clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", " ".join(value.split()))


# ------------------------------------------------------------------ JSON-LD


def _walk_ld(node: object, out: list[dict], budget: list[int]) -> None:
    stack = [node]
    while stack and budget[0] > 0:
        budget[0] -= 1
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            out.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list | dict):
                stack.append(graph)


def _types(item: dict) -> set[str]:
    t = item.get("@type")
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {x.lower() for x in t if isinstance(x, str)}
    return set()


def json_ld_article(scripts: list[str]) -> dict:
    """The most article-like JSON-LD object on the page (or {})."""
    items: list[dict] = []
    for raw in scripts:
        raw = raw.strip()
        if not raw:
            continue
        # (RecursionError: nested deeper than the json module goes)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            try:  # a common fault: raw newlines or trailing ;
                data = json.loads(raw.rstrip(";").replace("\n", " ").replace("\r", " "))
            except (ValueError, RecursionError):
                continue
        _walk_ld(data, items, [500])
    best, best_rank = {}, 0
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
    # keep the publisher name from any Organization/WebSite item as a fallback
    if best is not None and "publisher" not in best:
        for item in items:
            if _types(item) & {"website", "organization", "newsmediaorganization"}:
                name = item.get("name")
                if isinstance(name, str):
                    best = dict(best, _site=name)
                    break
    return best


def _ld_names(value: object) -> list[str]:
    out: list[str] = []
    stack = deque([value])
    while stack:
        v = stack.popleft()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            t = _types(v)
            if t & {"organization", "newsmediaorganization"}:
                continue
            name = v.get("name")
            if isinstance(name, str):
                out.append(name)
            elif isinstance(name, list):
                stack.extend(name)
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


# ------------------------------------------------------------------ authors

_BY = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|story|text|photos?|words)\s+)?"
    r"(?:by|von|par|por|di|door|av|af|autor(?:a|in)?|author|text|de)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_AUTHOR_NOISE = re.compile(
    r"(?:e-?mail|contact|follow)\s+(?:the\s+)?(?:author|me|us|him|her)\b.*$|"
    r"\b(?:updated|published|posted)\b.*$|"
    r"\bon\s+(?:twitter|x|facebook|instagram)\b.*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\||·|•|/|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*", re.I)
_DATE_WORDS = re.compile(
    r"\d{1,4}[-/.:]\d{1,2}|\b(?:19|20)\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+\d",
    re.IGNORECASE,
)
_ROLES = re.compile(
    r"^(?:staff|staff writer|reporter|correspondent|editor|contributor|associated press|"
    r"the associated press|ap|reuters|afp|dpa|updated|published|admin|administrator|"
    r"guest|guest author|more|opinion|analysis|news|photo|photos|video)$",
    re.IGNORECASE,
)


def clean_authors(raw: list[str], site_name: str | None = None) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    site = (site_name or "").strip().lower()
    for value in raw:
        value = clean(value)
        if not value or value.startswith(("http://", "https://", "www.")):
            continue
        value = _BY.sub("", value)
        value = _AUTHOR_NOISE.sub("", value)
        m = _DATE_WORDS.search(value)
        if m:
            value = value[: m.start()]
        for part in _SPLIT.split(value):
            part = _BY.sub("", part).strip(" -–—:|,.()[]\"'")
            if not part or len(part) > 60 or len(part.split()) > 5:
                continue
            if _ROLES.match(part) or part.lower() == site or "@" in part:
                continue
            if not any(c.isalpha() for c in part):
                continue
            if part.isupper() and len(part) > 3:
                part = part.title()
            key = part.lower()
            if key not in seen:
                seen.add(key)
                out.append(part)
    return out


# ------------------------------------------------------------------ title

_TITLE_SEPS = re.compile(r"\s+(?:[|\-–—:·•»]|::)\s+")


def _norm_key(s: str) -> str:
    return re.sub(r"\W+", "", s.lower())


def clean_title(title: str, site_name: str | None, h1: str | None, host: str | None) -> str:
    title = clean(title)
    if not title:
        return title
    parts = _TITLE_SEPS.split(title)
    if len(parts) < 2:
        return title
    if h1 and _h1_leads(parts, _norm_key(h1)):
        return clean(h1)
    drop = set()
    if site_name:
        drop.add(_norm_key(site_name))
    if host:
        label = host.lower().removeprefix("www.").split(".")[0]
        drop.add(_norm_key(label))
    # drop site-like parts at either end
    while len(parts) > 1 and (_norm_key(parts[-1]) in drop or _is_sitey(parts[-1], drop)):
        parts.pop()
    lead = 0
    while lead < len(parts) - 1 and (
        _norm_key(parts[lead]) in drop or _is_sitey(parts[lead], drop)
    ):
        lead += 1
    del parts[:lead]
    if len(parts) > 1 and not drop:
        # no site name known: a short last part after " | " is a site name
        seps = _TITLE_SEPS.findall(title)
        if seps and seps[-1].strip() in "|·•»" and len(parts[-1]) < len(parts[0]) / 2:
            parts.pop()
    return _rejoin(title, parts)


def _h1_leads(parts: list[str], key: str) -> bool:
    """Some leading run of the title's parts is the h1 (compared as _norm_key,
    which drops the joining spaces: the run's key is its parts' keys end to end)."""
    keys = "".join(_norm_key(p) for p in parts)
    if not keys.startswith(key):
        return False
    n = 0
    for part in parts:
        n += len(_norm_key(part))
        if n == len(key):
            return True
    return False


def _is_sitey(part: str, drop: set[str]) -> bool:
    key = _norm_key(part)
    return bool(key) and any(d and (key.startswith(d) or d.startswith(key)) for d in drop)


def _rejoin(title: str, parts: list[str]) -> str:
    first, last = parts[0], parts[-1]
    start = title.find(first)
    end = title.rfind(last) + len(last)
    if start < 0 or end <= start:
        return " ".join(parts)
    return clean(title[start:end])


# ------------------------------------------------------------------ language

_LANG_STOP = {
    "en": " the and of to in is that for with was ",
    "de": " der die und das ist nicht mit sich ein eine ",
    "fr": " le la les et des est une pour dans que ",
    "es": " el la los las y que del por una con ",
    "pt": " o os as e que do da não uma com ",
    "it": " il di che la per non una sono della ",
    "nl": " de het een van en is dat niet op ",
}


def detect_language(text: str) -> str | None:
    sample = text[:3000]
    if not sample.strip():
        return None
    counts = {"ko": 0, "ja": 0, "zh": 0, "ru": 0, "ar": 0, "el": 0, "he": 0, "th": 0}
    latin = 0
    for ch in sample:
        o = ord(ch)
        if o < 0x250:
            if ch.isalpha():
                latin += 1
        elif 0xAC00 <= o <= 0xD7A3:
            counts["ko"] += 1
        elif 0x3040 <= o <= 0x30FF:
            counts["ja"] += 1
        elif 0x4E00 <= o <= 0x9FFF:
            counts["zh"] += 1
        elif 0x400 <= o <= 0x4FF:
            counts["ru"] += 1
        elif 0x600 <= o <= 0x6FF:
            counts["ar"] += 1
        elif 0x370 <= o <= 0x3FF:
            counts["el"] += 1
        elif 0x590 <= o <= 0x5FF:
            counts["he"] += 1
        elif 0xE00 <= o <= 0xE7F:
            counts["th"] += 1
    if counts["ja"] and counts["ja"] * 5 >= counts["zh"]:
        return "ja"
    best = max(counts, key=counts.__getitem__)
    if counts[best] > latin:
        return best
    words = sample.lower().split()
    if len(words) < 5:
        return None
    scores = {}
    for lang, stop in _LANG_STOP.items():
        scores[lang] = sum(1 for w in words if f" {w} " in stop)
    lang = max(scores, key=scores.__getitem__)
    return lang if scores[lang] >= 2 else None


# ------------------------------------------------------------------ main


def _norm_lang(value: str | None) -> str | None:
    value = clean(value).replace("_", "-")
    if not value or not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", value):
        return None
    head, _, rest = value.partition("-")
    return head.lower() + ("-" + rest.upper() if rest and len(rest) == 2 else "")


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
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content is not None:
            key = key.strip().lower()
            # multiple article:tag / author metas: keep them all
            if key in metas:
                metas[key] += "\x00" + content
            else:
                metas[key] = content
    ld_scripts = [
        el.text or ""
        for el in root.iter("script")
        if (el.get("type") or "").strip().lower() == "application/ld+json"
    ]
    ld = json_ld_article(ld_scripts)

    def meta(*keys: str) -> str:
        for k in keys:
            v = metas.get(k)
            if v:
                v = clean(v.split("\x00")[0])
                if v:
                    return v
        return ""

    base = url
    for el in root.iter("base"):
        if el.get("href"):
            base = _abs(el.get("href"), url)
        break

    canonical = None
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and el.get("href"):
            canonical = _abs(el.get("href"), base)
            break
    canonical = canonical or _abs(meta("og:url"), base) or url

    host = urlsplit(canonical or url or "").hostname
    publisher = ld.get("publisher") if isinstance(ld.get("publisher"), dict) else {}
    site_name = meta("og:site_name", "application-name", "twitter:site") or clean(
        _ld_str(publisher.get("name")) if publisher else ld.get("_site", "")
    )
    if site_name.startswith("@"):
        site_name = site_name[1:]

    h1 = None
    for el in root.iter("h1"):
        h1 = clean("".join(el.itertext()))
        if h1:
            break
    title_el = root.find(".//title")
    raw_title = (
        clean(_ld_str(ld.get("headline")))
        or meta("og:title", "twitter:title", "dc.title")
        or (clean("".join(title_el.itertext())) if title_el is not None else "")
        or (h1 or "")
    )
    title = clean_title(raw_title, site_name, h1, host) if raw_title else None

    # authors
    raw_authors = _ld_names(ld.get("author")) if ld else []
    if not raw_authors:
        for key in _AUTHOR_METAS:
            v = metas.get(key)
            if v:
                raw_authors.extend(x for x in v.split("\x00") if not x.strip().startswith("http"))
                if raw_authors:
                    break
    if not raw_authors:
        raw_authors = _dom_bylines(root)
    authors = clean_authors(raw_authors, site_name)

    # dates
    published, modified = find_dates(root, metas, ld_scripts, (canonical, url))

    # language
    lang = None
    html = root if root.tag == "html" else root.find(".//html")
    if html is not None:
        lang = _norm_lang(html.get("lang") or html.get("xml:lang"))
    lang = (
        lang
        or _norm_lang(meta("content-language", "dc.language", "language"))
        or _norm_lang(_ld_str(ld.get("inLanguage")))
        or _norm_lang(meta("og:locale"))
    )

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
        t = clean(t) if isinstance(t, str) else ""
        if t and t not in seen and len(t) < 80:
            seen.add(t)
            tags.append(t)

    free = ld.get("isAccessibleForFree")
    if isinstance(free, str):
        free = {"true": True, "false": False}.get(free.strip().lower())
    if not isinstance(free, bool):
        free = None

    body = ld.get("articleBody")
    return {
        "title": title or None,
        "h1": h1,
        "authors": authors,
        "published_at": published,
        "modified_at": modified,
        "language": lang,
        "site_name": site_name or None,
        "description": meta("og:description", "description", "twitter:description")
        or clean(ld.get("description"))
        or None,
        "image": image,
        "canonical_url": canonical,
        "tags": tags,
        "free_access": free,
        "ld_body": body if isinstance(body, str) else None,
    }


_BYLINE_HINT = re.compile(r"byline|author|writer|autor|auteur", re.IGNORECASE)


def _dom_bylines(root) -> list[str]:
    out = []
    for el in root.iter("a"):
        if (el.get("rel") or "").lower() == "author":
            text = clean("".join(el.itertext()))
            if text:
                out.append(text)
    if out:
        return out
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "meta", "script", "style"):
            continue
        if el.get("itemprop") == "author":
            name = el.find(".//*[@itemprop='name']")
            text = clean("".join((name if name is not None else el).itertext()))
            if text:
                out.append(text)
            continue
        cls = (el.get("class") or "") + " " + (el.get("id") or "")
        if _BYLINE_HINT.search(cls) and not re.search(r"bio|box|avatar|img|image", cls, re.I):
            text = clean("".join(el.itertext()))
            if 2 < len(text) < 100 and not re.search(r"[{}=;<>]", text):
                out.append(text)
                break
    return out
