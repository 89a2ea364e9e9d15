"""A reviewer's attacks on the metadata audit (#12 item 4): the worst values at each of
its boundaries (zone abbreviations in every date form, yes/no spellings, one-letter
site names, surnames that are interface words) and bounded property tests that
nothing raises, hangs or changes type."""

from __future__ import annotations

import json
import time

import pytest
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


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a zone abbreviation after an ISO date-time or an RFC 2822 one is kept as in
        # running text (the time was read, its zone lost: hours off for the user)
        ("2024-03-10 10:00 EST", "2024-03-10T10:00:00-05:00"),
        ("2024-03-10T10:00 CET", "2024-03-10T10:00:00+01:00"),
        ("2024-07-10 10:00:00 CEST", "2024-07-10T10:00:00+02:00"),
        ("Sun, 10 Mar 2024 10:00 BST", "2024-03-10T10:00:00+01:00"),
        ("Mar 10 2024 10:00 JST", "2024-03-10T10:00:00+09:00"),
        ("2024-03-10 10:00 UTC", "2024-03-10T10:00:00Z"),
        # the forms that were already right stay so
        ("Tue, 03 Nov 2026 10:00:00 EST", "2026-11-03T10:00:00-05:00"),
        ("10 March 2024 10:00 BST", "2024-03-10T10:00:00+01:00"),
        ("2024-03-10T10:00:00+02:00", "2024-03-10T10:00:00+02:00"),
        # a word that begins like a zone is no zone; a zone after a date alone changes
        # nothing
        ("2024-03-10 10:00 ESTONIA", "2024-03-10T10:00:00"),
        ("2024-03-10 EST", "2024-03-10"),
        # 12-hour edges
        ("March 10, 2024 12:00 am", "2024-03-10T00:00:00"),
        ("March 10, 2024 12:00 pm", "2024-03-10T12:00:00"),
        ("March 10, 2024 13:30 pm", "2024-03-10"),
        # ISO week 53 only in long years
        ("2026-W53-1", "2026-12-28"),
        ("2025-W53-1", None),
        ("2026-W00-1", None),
        # control characters and lone surrogates: a date or nothing, never a raise
        ("2024-03-10\x0012:00", "2024-03-10"),
        ("2024-03-10\ud80012:00", "2024-03-10"),
        ("\x00", None),
    ],
)
def test_parse_date_review_edges(value, expected):
    assert parse_date(value) == expected


def test_meta_time_with_zone_abbreviation_keeps_its_offset():
    head = '<meta property="article:published_time" content="2024-03-10 21:42 EST">'
    assert extract(page(head)).published_at == "2024-03-10T21:42:00-05:00"


@pytest.mark.parametrize(
    ("published", "modified", "expected"),
    [
        # a change at 02:00Z the next day, shown in the story's zone, is 21:00-05:00:
        # before the 21:42-05:00 publication, so no believable modified time
        ("2024-03-10T21:42:00-05:00", "2024-03-11T02:00:00Z", None),
        ("2024-03-10T21:42:00-05:00", "2024-03-10T21:00:00-05:00", None),
        # later the same evening, in the story's zone
        ("2024-03-10T21:42:00-05:00", "2024-03-11T02:42:00Z", "2024-03-10T21:42:00-05:00"),
        ("2024-03-10T21:42:00-05:00", "2024-03-11T03:00:00Z", "2024-03-10T22:00:00-05:00"),
        # a week apart exactly is still shown in the story's zone, a moment more not
        ("2024-03-03T12:00:00-05:00", "2024-03-10T17:00:00Z", "2024-03-10T12:00:00-05:00"),
        ("2024-03-03T12:00:00-05:00", "2024-03-10T17:00:01Z", "2024-03-10T17:00:01Z"),
        # times without an offset are compared by day only
        ("2024-03-10T21:42:00", "2024-03-10T21:00:00", "2024-03-10T21:00:00"),
    ],
)
def test_modified_never_before_published(published, modified, expected):
    head = (
        f'<meta property="article:published_time" content="{published}">'
        f'<meta property="article:modified_time" content="{modified}">'
    )
    a = extract(page(head))
    assert (a.published_at, a.modified_at) == (published, expected)


# ------------------------------------------------------------------ free access


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", False),  # a template writing the number as text
        ("1", True),
        (" False ", False),
        ({"@value": False}, False),  # JSON-LD's value object
        ({"@value": "true"}, True),
        (2, None),
        ("maybe", None),
        ([], None),
    ],
)
def test_free_access_value_shapes(value, expected):
    head = ld({"@type": "NewsArticle", "headline": "A", "isAccessibleForFree": value})
    assert extract(page(head)).free_access is expected


# ------------------------------------------------------------------ titles

H1_BODY = "<h1>Real Headline Here</h1>" + BODY


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        # a title that names no story gives way to the page's h1
        ("|", H1_BODY, "Real Headline Here"),
        ("--", H1_BODY, "Real Headline Here"),
        ("\u200b", H1_BODY, "Real Headline Here"),
        ("Home", H1_BODY, "Real Headline Here"),
        ("News - Home", H1_BODY, "Real Headline Here"),
        ("Site", H1_BODY, "Real Headline Here"),  # the site's name alone
        ("Home | Site", H1_BODY, "Real Headline Here"),
        # without an h1: a section word is all there is; separators are no title
        ("News", BODY, "News"),
        ("|", BODY, None),
        ("\u200b -- \u200b", BODY, None),
        ("🎉", BODY, "🎉"),  # a symbol is something
        # a real headline stays, with or without the h1
        ("Spider-Man - Far From Home", BODY, "Spider-Man - Far From Home"),
        ("Story - News | Site", BODY, "Story"),
    ],
)
def test_title_that_names_no_story(title, body, expected):
    head = f'<title>{title}</title><meta property="og:site_name" content="Site">'
    assert extract(page(head, body), url="https://site.com/a").title == expected


# ------------------------------------------------------------------ site names


def test_one_character_site_name_needs_the_host():
    # one character of any script is a fragment (a logo's letter, a stray glyph)
    assert md.choose_site_name(["新"], "sina.com.cn", []) == "sina.com.cn"
    assert md.choose_site_name(["X"], "x.com", []) == "X"  # the host confirms it
    assert md.choose_site_name(["新浪"], "sina.com.cn", []) == "新浪"


def test_punycode_host_as_site_name_stays_punycode():
    # the fallback site name is the host as the URL gives it: decoded, this one would
    # read as a well-known brand written in look-alike Cyrillic letters
    assert md.choose_site_name([], "xn--80ak6aa92e.com", []) == "xn--80ak6aa92e.com"
    assert md.choose_site_name([], "www.xn--bcher-kva.de", []) == "xn--bcher-kva.de"
    assert md.choose_site_name([], "192.168.1.1", []) == "192.168.1.1"


# ------------------------------------------------------------------ authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a surname that is also an interface word: the two words are a name
        (["Thomas More"], ["Thomas More"]),
        (["By Kenneth More"], ["Kenneth More"]),
        # the word after a whole name is the interface's, the word alone is no name
        (["Jane Doe More"], ["Jane Doe"]),
        (["Jane Doe Follow"], ["Jane Doe"]),
        (["Share"], []),
        (["Follow"], []),
        # people named like months and weekdays
        (["April Ryan"], ["April Ryan"]),
        (["By June Carter Cash"], ["June Carter Cash"]),
        (["Tuesday Weld"], ["Tuesday Weld"]),
        (["By Jane Doe, March 3, 2024"], ["Jane Doe"]),
        # the outlet a person writes for goes, the name after it stays
        (["Written for The Guardian by Jane Doe"], ["Jane Doe"]),
        (["Photos for AP by John Roe"], ["John Roe"]),
        (["Jane Doe for CNN"], ["Jane Doe"]),
        (["By Jane Doe, special to The Times"], ["Jane Doe"]),
        # agencies alone are no authors
        (["Reuters"], []),
        (["REUTERS"], []),
        (["By Reuters"], []),
    ],
)
def test_clean_authors_review(raw, expected):
    assert md.clean_authors(raw) == expected


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


# ------------------------------------------------------------------ lone surrogates


def test_lone_surrogate_escapes_in_json_ld_become_replacement_characters():
    # json.loads turns "\ud800" into a lone surrogate, which no sidecar can store
    raw = (
        '{"@type": "NewsArticle", "headline": "Bad \\ud800 title \\ud83d\\ude00",'
        ' "author": "Jane \\udc00Doe", "articleBody": "' + "Body words \\udc00 here. " * 30 + '"}'
    )
    a = extract(page(f'<script type="application/ld+json">{raw}</script>'))
    assert a.title == "Bad \ufffd title \U0001f600"  # a real pair stays one character
    assert a.authors == ["Jane \ufffdDoe"]
    json.dumps(a.to_dict(), ensure_ascii=False).encode("utf-8")  # raises on a surrogate


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\\\ud800", "a", " ", "\\n"]),
        max_size=8,
    ).map("".join)
)
def test_json_ld_strings_always_encode(text):
    obj = f'{{"@type": "NewsArticle", "headline": "{text}x", "author": "Jane {text}Doe"}}'
    head = f'<script type="application/ld+json">{obj}</script>'
    a = extract(page(head))
    json.dumps(a.to_dict(), ensure_ascii=False).encode("utf-8")
