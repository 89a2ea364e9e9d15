"""Property tests: no page shape breaks the extractor, with every rule on or with any
one rule switched off (as `benchmarks/extraction.py --rules` runs it).

A page that breaks the extractor loses its source's article for the run, so the
worst trees are generated here: the headline inside a tag that is dropped whole
(a <noscript>, an <svg>, a <button>), boilerplate names all over, hidden boxes,
unclosed links, headings without text, posts in lists and tables."""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgrab.extract import extract
from newsgrab.extract.body import RULES, rule_switches

HEADLINE = "The Council Votes On The River Bridge Tonight"
SENTENCE = (
    "The council met on Tuesday, heard from residents, engineers and the mayor, "
    "and put off the vote on the bridge until the spring."
)

TAGS = [
    "div", "p", "h1", "h2", "h3", "span", "a", "ul", "li", "table", "tr", "td", "article",
    "section", "aside", "nav", "header", "footer", "main", "form", "noscript", "svg",
    "button", "video", "template", "figure", "figcaption", "dl", "dt", "dd", "blockquote",
    "pre", "time", "iframe", "picture", "select", "math", "object",
]  # fmt: skip
NAMES = ["", "caption", "comments", "sidebar", "related", "byline", "content", "post",
         "article-body", "footer", "widget", "share", "bio", "entry"]  # fmt: skip
TEXTS = [HEADLINE, SENTENCE, "Read more", "By Jane Doe", "3 December 2026", "Share",
         "Comments (12)", "", "  ", "x", SENTENCE * 4, "Next: " + HEADLINE]  # fmt: skip


@st.composite
def _element(draw, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = ""
    name = draw(st.sampled_from(NAMES))
    if name:
        attrs += f' class="{name}"'
    flag = draw(st.sampled_from(["", ' hidden', ' style="display:none"', ' role="navigation"',
                                 ' href="/x"', ' aria-hidden="true"']))  # fmt: skip
    attrs += flag
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 0))):
        if draw(st.booleans()):
            parts.append(f" {html.escape(draw(st.sampled_from(TEXTS)))} ")
        else:
            parts.append(draw(_element(depth + 1)))
    if draw(st.booleans()):
        parts.append(f"<br> {html.escape(draw(st.sampled_from(TEXTS)))} ")
    close = "" if draw(st.integers(0, 9)) == 0 else f"</{tag}>"  # now and then unclosed
    return f"<{tag}{attrs}>{''.join(parts)}{close}"


@st.composite
def _page(draw) -> str:
    title = draw(st.sampled_from([HEADLINE, HEADLINE + " - Daily Herald", "Daily Herald", ""]))
    meta = draw(st.sampled_from(["", f'<meta property="og:title" content="{HEADLINE}">']))
    body = "".join(draw(st.lists(_element(), min_size=1, max_size=5)))
    return f"<html><head><title>{title}</title>{meta}</head><body>{body}</body></html>"


VOCAB = {word for text in TEXTS for word in text.split()}
_NAMES = [None] + [rule.name for rule in RULES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=_page(), off=st.sampled_from(_NAMES))
def test_no_page_shape_breaks_the_extractor(page: str, off: str | None) -> None:
    with rule_switches([off] if off else []):
        article = extract(page, url="https://example.org/news/bridge")
    if off != "kill_tags":  # (without it, an <iframe>'s or <script>'s source is text)
        # only words of the page's own text, never markup or attribute values
        assert set(article.text.split()) <= VOCAB


def test_a_headline_inside_a_dropped_tag_is_not_the_page_headline() -> None:
    # the heading inside a <button> (or <noscript>, <svg>, ...) goes with it; the
    # caption near where it stood is still the page's post, and nothing breaks
    for wrap in ["noscript", "svg", "button", "video", "template", "object"]:
        page = (
            f"<html><head><title>{HEADLINE}</title></head><body><div><div>"
            f"<{wrap}><h1>{HEADLINE}</h1></{wrap}></div></div>"
            f'<div class="caption">{SENTENCE}</div></body></html>'
        )
        assert extract(page).text == SENTENCE, wrap
