"""Article extraction: a pure function of (html, url, content type) -> Article.

    >>> from newsgrab.extract import extract
    >>> article = extract(html_bytes, url="https://example.org/news/1")
    >>> article.title, article.text

No I/O, no clock, no network.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

from newsgrab.extract import metadata
from newsgrab.extract.article import Article
from newsgrab.extract.body import body_text, parse_lxml, prune
from newsgrab.extract.decode import charset_from_content_type, decode

__all__ = ["Article", "extract", "extract_text"]

_TAGS = re.compile(r"<[^>]{0,500}>")
_CODE_OPEN = re.compile(r"<(script|style)\b", re.IGNORECASE)
_CODE_CLOSE = {
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
}


def _drop_code(raw: str) -> str:
    """Each <script>/<style> element, up to its end tag, becomes a line break.
    One pass (a regular expression would search on to the end of the text again
    from every start tag that has no end tag)."""
    parts: list[str] = []
    start = pos = 0
    unclosed: set[str] = set()
    while (m := _CODE_OPEN.search(raw, pos)) is not None:
        name = m.group(1).lower()
        pos = m.end()
        if name in unclosed:
            continue
        end = _CODE_CLOSE[name].search(raw, pos)
        if end is None:
            unclosed.add(name)  # none later either
            continue
        parts += (raw[start : m.start()], "\n")
        start = pos = end.end()
    parts.append(raw[start:])
    return "".join(parts)


def _ld_body_text(raw: str) -> str:
    """JSON-LD articleBody as paragraphs: markup and embedded scripts out, entities decoded."""
    if "<" not in raw and "&lt;" in raw:
        raw = unescape(raw)  # markup escaped once more
    if "<" in raw and ">" in raw:
        raw = _TAGS.sub("\n", _drop_code(raw))
    if "&" in raw:
        raw = unescape(raw)
    lines = (" ".join(line.split()) for line in re.split(r"\n\s*\n|\r\n|\n", raw))
    return "\n\n".join(line for line in lines if line)


def _choose(dom: str, ld: str | None) -> str:
    """Weigh JSON-LD articleBody against the DOM text and keep the better one."""
    if not ld:
        return dom
    ld_text = _ld_body_text(ld)
    if not ld_text:
        return dom
    if not dom:
        return ld_text
    # the DOM text keeps paragraphs and sub-headings: prefer it unless it misses much
    if len(dom) >= 0.7 * len(ld_text):
        return dom
    return ld_text


def extract(html: bytes | str, url: str | None = None, content_type: str | None = None) -> Article:
    """Extract the article (text and metadata) from one HTML page, bytes or str."""
    encoding: str | None
    if isinstance(html, bytes | bytearray):
        markup, encoding = decode(bytes(html), content_type)
    else:
        markup, encoding = html, charset_from_content_type(content_type)
    root = parse_lxml(markup) if markup and markup.strip() else None
    if root is None:
        return Article(canonical_url=url, encoding=encoding)
    meta = metadata.collect(root, url)
    prune(root)
    text = body_text(root, meta["h1"] or meta["title"])
    text = _choose(text, meta.pop("ld_body"))
    text = unicodedata.normalize("NFC", text)
    del meta["h1"]
    if not meta["language"]:
        meta["language"] = metadata.detect_language(text)
    return Article(text=text, encoding=encoding, **meta)


def extract_text(html: bytes | str, url: str | None = None) -> str:
    """Only the article body text of one HTML page."""
    return extract(html, url=url).text
