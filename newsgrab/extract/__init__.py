"""Article extraction: a pure function of (html, url, content type) -> Article.

    >>> from newsgrab.extract import extract
    >>> article = extract(html_bytes, url="https://example.org/news/1")
    >>> article.title, article.text

No I/O, no clock, no network.
"""

from __future__ import annotations

import re
import unicodedata

from bs4 import BeautifulSoup, UnicodeDammit

from newsgrab.extract.article import Article

__all__ = ["Article", "extract", "extract_text"]

_SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form"}


def _decode(html: bytes | str, content_type: str | None) -> tuple[str, str | None]:
    if isinstance(html, str):
        return html, None
    declared = []
    if content_type and "charset=" in content_type.lower():
        declared.append(content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'"))
    dammit = UnicodeDammit(html, declared, is_html=True)
    return dammit.unicode_markup or "", dammit.original_encoding


def extract(html: bytes | str, url: str | None = None, content_type: str | None = None) -> Article:
    """Extract the article from one HTML page (bytes or str)."""
    markup, encoding = _decode(html, content_type)
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_SKIP):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    paragraphs = []
    for p in soup.find_all("p"):
        text = re.sub(r"\s+", " ", p.get_text(" ")).strip()
        if text:
            paragraphs.append(unicodedata.normalize("NFC", text))
    lang = soup.html.get("lang") if soup.html else None
    return Article(title=title or None, text="\n\n".join(paragraphs), language=lang,
                   canonical_url=url, encoding=encoding)


def extract_text(html: bytes | str, url: str | None = None) -> str:
    return extract(html, url=url).text
