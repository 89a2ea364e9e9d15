"""A reviewer's attacks on the metadata audit (#12 item 4): the worst values at each of
its boundaries (zone abbreviations in every date form, yes/no spellings, one-letter
site names, surnames that are interface words) and bounded property tests that
nothing raises, hangs or changes type."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgrab.extract import extract
from newsgrab.extract import metadata as md
from newsgrab.extract.dates import parse_date

BODY = "".join(
    f"<p>Paragraph {i} of the story, long enough to count as real article text, "
    "with a comma, and a full stop.</p>"
    for i in range(1, 5)
)


def page(head: str = "", body: str = BODY) -> str:
    return (
        f'<html lang="en"><head><meta charset="utf-8">{head}</head>'
        f"<body><article>{body}</article></body></html>"
    )


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


# ------------------------------------------------------------------ properties

_WORDS = st.sampled_from(
    [
        "News",
        "Home",
        "-",
        "|",
        "–",
        ":",
        "/",
        "Reuters",
        "April",
        "More",
        "Jane",
        "Doe",
        "新",
        "",
        " ",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.lists(_WORDS | st.text(max_size=6), max_size=8).map(" ".join),
    site=st.none() | _WORDS,
    host=st.none() | st.sampled_from(["news.com", "xn--80ak6aa92e.com", "10.0.0.1", "localhost"]),
)
def test_title_and_site_never_raise_and_keep_types(title, site, host):
    out = md.clean_title(title, site, None, host)
    assert isinstance(out, str)
    if md.clean_text(title):
        assert out  # a title is never cleaned away to nothing
    name = md.choose_site_name([site] if site else [], host, [out])
    assert name is None or (isinstance(name, str) and name)


@settings(max_examples=200, deadline=None)
@given(
    value=st.text(
        alphabet=st.sampled_from("0123456789-:T WZ+apmAPM,.\x00\ud800ESTCBJU"), max_size=40
    )
)
def test_parse_date_returns_iso_or_none(value):
    out = parse_date(value)
    assert out is None or (isinstance(out, str) and out[:4].isdigit() and out[4] == "-")


@settings(max_examples=50, deadline=None)
@given(value=st.one_of(st.booleans(), st.integers(), st.text(max_size=8), st.none()))
def test_free_access_is_bool_or_none(value):
    head = ld({"@type": "NewsArticle", "headline": "A", "isAccessibleForFree": value})
    assert extract(page(head)).free_access in (None, True, False)


def test_huge_inputs_stay_linear():
    """10x the input costs at most ~20x the time (linear, with room for a noisy
    machine): a long title of separators, many authors, a long byline."""

    def cost(n: int) -> float:
        title = "Story - News | " * n
        authors = [{"@type": "Person", "name": f"Jane Doe{i}"} for i in range(n)]
        head = f"<title>{title}</title>" + ld(
            {"@type": "NewsArticle", "headline": title, "author": authors}
        )
        start = time.perf_counter()
        a = extract(page(head))
        assert isinstance(a.title, str)
        assert len(a.authors) <= 100
        return time.perf_counter() - start

    small, big = cost(300), cost(3000)
    assert big < max(small, 0.01) * 20
