"""The article extractor, pinned on small pages written for these tests."""

from __future__ import annotations

import gc
import json
import math
import time
from pathlib import Path

import pytest

from newsgrab.extract import extract, extract_text
from newsgrab.extract.dates import date_from_url, parse_date

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SIDECAR_KEYS = {
    "title",
    "authors",
    "published_at",
    "modified_at",
    "language",
    "site_name",
    "description",
    "image",
    "canonical_url",
    "tags",
    "free_access",
    "text",
    "word_count",
    "content_sha256",
    "extractor",
}


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def article_page(head: str = "", byline: str = "", lang: str = "en") -> str:
    paras = "".join(
        f"<p>Paragraph {i} of the story, long enough to count as real article text, "
        f"with a comma, and a full stop.</p>"
        for i in range(1, 5)
    )
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>A Story</title>{head}</head>'
        f"<body><article><h1>A Story</h1>{byline}<div class='body'>{paras}</div></article>"
        "</body></html>"
    )


# ------------------------------------------------------------------ JSON-LD


def test_json_ld_body_and_metadata():
    a = extract(page("jsonld.html"), url="https://courier.example/x?utm_source=feed")
    assert a.title == "Harbour Bridge Reopens After Repairs"
    assert a.authors == ["Mira Okafor", "Tom Lind"]
    assert a.published_at == "2026-11-03T08:15:00+01:00"
    assert a.modified_at == "2026-11-04T10:00:00+01:00"
    assert a.site_name == "Coastal Courier"
    assert a.language == "en-GB"
    assert a.canonical_url == "https://courier.example/news/2026/11/bridge-reopens"
    assert a.image == "https://courier.example/img/bridge.jpg"
    assert a.tags == ["transport", "harbour"]
    assert a.free_access is False
    assert a.description == "The bridge carries traffic again."
    # the DOM only holds a teaser: the JSON-LD body is the better text
    assert a.text.startswith("The harbour bridge reopened on Tuesday after eight months")
    assert "tolls will rise next year." in a.text
    assert "Subscribe" not in a.text
    assert a.text.count("\n\n") == 2


def test_dom_body_preferred_when_json_ld_body_is_a_teaser():
    ld = '{"@type": "NewsArticle", "headline": "A Story", "articleBody": "Paragraph 1 only."}'
    a = extract(article_page(f'<script type="application/ld+json">{ld}</script>'))
    assert "Paragraph 4 of the story" in a.text


def test_json_ld_body_markup_scripts_and_entities_are_cleaned():
    body = (
        "<p>The caf&eacute; on the square reopened on Friday, with a new terrace and "
        "longer hours.</p><script>googletag.display('ad-1');</script>"
        "<p>Its owners say &quot;the wait was worth it&quot; &amp; thank the neighbours "
        "for their patience during the works.</p>"
    )
    ld = json.dumps({"@type": "NewsArticle", "headline": "A Story", "articleBody": body})
    ld = ld.replace("</", "<\\/")  # as pages escape it inside a <script>
    html = (
        '<html><head><script type="application/ld+json">' + ld + "</script></head>"
        "<body><article><h1>A Story</h1><p>The café reopened.</p></article></body></html>"
    )
    text = extract_text(html)
    assert text.startswith("The café on the square reopened on Friday")
    assert 'say "the wait was worth it" & thank' in text
    assert "googletag" not in text
    assert text.count("\n\n") == 1


def test_to_dict_has_exactly_the_sidecar_keys():
    d = extract(page("jsonld.html")).to_dict()
    assert set(d) == SIDECAR_KEYS
    json.dumps(d)


# ------------------------------------------------------------------ boilerplate


def test_comments_related_captions_and_boxes_removed():
    a = extract(page("boilerplate.html"), url="https://riverside.example/news/library")
    text = a.text
    for kept in (
        "The town council voted seven to two",
        "Funding questions",
        "A maker space with printers",
        "cheapest university",
        "Construction is expected to start",
    ):
        assert kept in text
    assert (
        text.index("seven to two")
        < text.index("Funding questions")
        < text.index("Construction is expected")
    )
    for gone in (
        "artist's impression",  # caption
        "City Archive",  # credit
        "Share on",
        "cookies",
        "newsletter",
        "Ana Ruiz covers",  # author bio
        "Council budget passes",  # related
        "Flood warning",  # most read
        "Finally! This town",  # comments
        "3 comments",
        "All rights reserved",
        "By Ana Ruiz",  # byline is metadata, not body
        "Town Council Approves New Library",  # headline is not body
    ):
        assert gone not in text, gone
    assert a.title == "Town Council Approves New Library"
    assert a.authors == ["Ana Ruiz"]
    assert a.site_name == "Riverside Daily"


def test_page_without_article_gives_empty_text():
    a = extract(page("noarticle.html"), url="https://shop.example/")
    assert a.text == ""
    assert a.word_count == 0


def test_empty_and_garbage_input():
    assert extract(b"").text == ""
    assert extract("   ").text == ""
    assert extract(b"\x00\x01\x02 not html at all").text == ""


# ------------------------------------------------------------------ bylines


@pytest.mark.parametrize(
    ("head", "byline", "expected"),
    [
        ("", '<p class="byline">By Jane Doe</p>', ["Jane Doe"]),
        (
            "",
            '<div class="author">By JANE DOE and John Roe | Nov. 3, 2026</div>',
            ["Jane Doe", "John Roe"],
        ),
        ('<meta name="author" content="Jane Doe, Lee Chan">', "", ["Jane Doe", "Lee Chan"]),
        ("", '<span class="byline">Written by Jane Doe · Email the author</span>', ["Jane Doe"]),
        ("", '<a rel="author" href="/staff/jd">Jane Doe</a>', ["Jane Doe"]),
        (
            '<script type="application/ld+json">{"@type": "Article", "author": '
            '{"@type": "Person", "name": "By Jane Doe"}, "publisher": '
            '{"@type": "Organization", "name": "Daily"}}</script>',
            "",
            ["Jane Doe"],
        ),
        (
            '<meta property="og:site_name" content="Daily Planet">',
            '<p class="byline">By Jane Doe, Daily Planet</p>',
            ["Jane Doe"],
        ),
    ],
)
def test_bylines(head, byline, expected):
    a = extract(article_page(head, byline))
    assert a.authors == expected
    assert "Jane Doe" not in a.text


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-03T08:15:00+01:00", "2026-11-03T08:15:00+01:00"),
        ("2026-11-03T08:15:00.123Z", "2026-11-03T08:15:00Z"),
        ("2026-11-03", "2026-11-03"),
        ("2026-11-03 08:15:00+0530", "2026-11-03T08:15:00+05:30"),
        ("Tue, 03 Nov 2026 08:15:00 +0100", "2026-11-03T08:15:00+01:00"),
        ("Tue, 3 Nov 2026 08:15:00 -0500", "2026-11-03T08:15:00-05:00"),
        ("Nov. 3, 2026", "2026-11-03"),
        ("November 3rd, 2026 at 4:05 pm", "2026-11-03T16:05:00"),
        ("3 November 2026", "2026-11-03"),
        ("3. November 2026", "2026-11-03"),
        ("03.11.2026", "2026-11-03"),
        ("yesterday", None),
        ("2026-13-45", None),
        ("", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("head", "byline", "published"),
    [
        (
            '<meta property="article:published_time" content="2026-11-03T08:15:00+09:00">',
            "",
            "2026-11-03T08:15:00+09:00",
        ),
        (
            '<meta name="pubdate" content="Tue, 03 Nov 2026 08:15:00 +0100">',
            "",
            "2026-11-03T08:15:00+01:00",
        ),
        ("", "<time>Nov. 3, 2026</time>", "2026-11-03"),
        (
            "",
            '<time datetime="2026-11-03T08:15:00-05:00">Tuesday</time>',
            "2026-11-03T08:15:00-05:00",
        ),
    ],
)
def test_published_date_sources(head, byline, published):
    assert extract(article_page(head, byline)).published_at == published


def test_modified_date_is_never_the_published_one():
    head = '<meta property="article:modified_time" content="2026-11-05T10:00:00Z">'
    a = extract(article_page(head))
    assert a.modified_at == "2026-11-05T10:00:00Z"
    assert a.published_at is None
    byline = '<time class="updated" datetime="2026-11-05">Updated Nov. 5, 2026</time>'
    assert extract(article_page("", byline)).published_at is None


def test_date_never_taken_from_script_or_comment():
    head = '<script>var published = "2026-11-03T08:15:00Z";</script><!-- 2026-11-03 -->'
    assert extract(article_page(head)).published_at is None


def test_date_from_url():
    assert date_from_url("https://x.example/2026/11/03/story") == "2026-11-03"
    assert date_from_url("https://x.example/news/20261103-story") == "2026-11-03"
    assert date_from_url("https://x.example/news/story-42") is None
    a = extract(article_page(), url="https://x.example/2026/11/03/a-story.html")
    assert a.published_at == "2026-11-03"


# ------------------------------------------------------------------ decoding


def test_windows_1252_declared_only_in_meta():
    a = extract(page("windows-1252.html"))
    assert a.encoding == "cp1252"
    assert "crème brûlée" in a.text
    assert "“finally”" in a.text and "5€" in a.text
    assert a.title == "Café culture returns to the old town"
    assert "Ã" not in a.text


def test_shift_jis_declared_only_in_meta():
    a = extract(page("shift-jis.html"))
    assert a.encoding in ("cp932", "shift_jis")
    assert a.title == "桜の開花が早まる"
    assert a.text.startswith("今年は暖かい冬の影響で")
    assert a.language == "ja"


def test_header_charset_wins_and_str_input_is_used_as_is():
    raw = page("windows-1252.html")
    assert "crème" in extract(raw, content_type="text/html; charset=windows-1252").text
    assert "crème" in extract(raw.decode("cp1252")).text


def test_undeclared_non_utf8_is_detected():
    text = "Ein schöner Tag für die Bürger, sagte der Bürgermeister, und alle waren glücklich."
    html = f"<html><body><article><p>{text}</p><p>{text}</p></article></body></html>"
    a = extract(html.encode("cp1252"))
    assert "schöner Tag für die Bürger" in a.text


# ------------------------------------------------------------------ robustness


def test_100k_deep_nesting_does_not_recurse():
    depth = 100_000
    html = (
        "<html><body><p>The opening paragraph of a pathological page, long enough to count.</p>"
        + "<div>" * depth
        + "deep text"
        + "</div>" * depth
        + "<p>The closing paragraph of the pathological page, also long enough to count.</p>"
        + "</body></html>"
    )
    a = extract(html.encode())
    assert "opening paragraph" in a.text
    assert "closing paragraph" in a.text


def test_text_is_normalized():
    html = (
        "<html><body><article><p>Cafe\u0301   with\n\n  spaces,\u00a0and a long sentence "
        "that makes this paragraph count as article text.</p></article></body></html>"
    )
    text = extract_text(html)
    assert text.startswith("Café with spaces, and a long")
    assert "  " not in text


def test_extract_text_matches_extract():
    raw = page("boilerplate.html")
    assert extract_text(raw) == extract(raw).text


# ------------------------------------------------------------------ regression


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.html")))
def test_regression_exact_text(name):
    expected = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    assert extract(page(f"{name}.html"), url=f"https://example.org/{name}").text == expected


# ------------------------------------------------------------------ generic layouts


def test_noscript_rendering_of_the_article_is_kept():
    text = extract_text(page("noscript.html"))
    assert text.startswith("Night trains will run again")
    assert "enable JavaScript" not in text
    assert "all rights reserved" not in text


def test_weak_boilerplate_name_on_a_wrapper_holding_the_page_is_not_pruned():
    # "banner" and "widget" inside page-builder wrapper names; the sidebar still goes
    text = extract_text(page("builder.html"))
    assert text.startswith("Orchids like a snug pot")
    assert text.endswith("so the cut roots can heal.")
    assert "Popular" not in text and "windowsill" not in text


def test_winner_holding_a_small_part_of_its_parents_text_gives_way():
    # many short comma-rich table cells outscore three long paragraphs on their own
    text = extract_text(page("table-signatures.html"))
    assert text.startswith("We write as readers")
    assert "schools of last resort" in text
    assert text.endswith("Walt Yelland, Fjord University")


def test_standfirst_in_the_article_header_is_kept_without_byline_or_site_header():
    text = extract_text(page("standfirst.html"))
    assert text.startswith("Islanders will pay a third less")
    assert "By Lena Moss" not in text
    assert "Ferry Fares to Fall" not in text  # the headline stays out of the body
    assert "independent newspaper" not in text  # the site's own header
    assert text.endswith("at the counter.")


def test_article_header_lead_kept_next_to_breadcrumbs_and_a_print_class():
    # a lead without a full stop, in a header that also holds breadcrumbs; the body
    # container's "print-full" class is no boilerplate; the date line goes
    text = extract_text(page("header-lead.html"))
    assert text.startswith("A warm spring has pushed the apple harvest forward")
    assert "12 September 2026" not in text
    assert "upper valley, its farms" not in text  # the site's own header
    assert "News" not in text and "Orchard Harvest Starts Early" not in text
    assert text.endswith("two years ago.")


def test_intro_between_headline_and_body_kept_but_not_a_box_further_away():
    # the intro shares a container with the headline; the sign-up strip between
    # headline and body does not, and stays out
    text = extract_text(page("intro-box.html"))
    assert text.startswith("Crossings to the outer islands will run every ninety minutes")
    assert "morning briefing" not in text
    assert text.endswith("crossings in the autumn.")


def test_forum_posts_nested_deep_are_all_kept():
    # each post's text sits seven levels below its post box: the other posts are
    # found as containers built like the best one
    text = extract_text(page("forum.html"))
    assert text.startswith("My tomato seedlings have purple undersides")
    assert "phosphorus from the compost" in text
    assert text.endswith("the new leaves are a healthy green.")
    assert "Forum rules" not in text


def test_credit_stamp_and_interface_lines_dropped():
    text = extract_text(page("credits.html"))
    assert text.startswith("Engineers found several hairline cracks")
    for gone in ("Updated at", "Photo:", "Close", "Maria Lopez", "contributed", "\u200b"):
        assert gone not in text, gone
    assert text.endswith("publish its report in full.")
    assert text.count("\n\n") == 3


def test_boilerplate_section_after_the_article_is_cut():
    # "About the author" and "Comments" open boxes that follow the article, even
    # with no class names to tell them apart
    text = extract_text(page("tail-sections.html"))
    assert text.endswith("before the rot spreads to its neighbours on the shelf.")
    assert "Ruth Olsen" not in text and "butternuts" not in text


def test_article_header_with_headline_topics_nav_and_lead_is_kept():
    # a <header> holding the h1, a topics nav and the lead, away from the body
    text = extract_text(page("header-nav-h1.html"))
    assert text.startswith("From next month the central library will stay open")
    assert "Culture" not in text and "Town Post" not in text


def test_row_of_teaser_cards_inside_the_article_is_dropped():
    cards = "".join(
        f'<div class="rail-item"><h3>KICKER {i}</h3><span>Teaser text number {i} about '
        f'another story</span><a href="/s{i}"></a></div>'
        for i in range(5)
    )
    html = article_page().replace(
        "</div></article>", f'<div class="rail">{cards}</div></div></article>'
    )
    text = extract_text(html)
    assert text.endswith("and a full stop.")
    assert "KICKER" not in text and "Teaser text" not in text


def test_text_scattered_over_page_modules_is_all_taken():
    # six page-builder modules of about the same size: the best one holds a small
    # share of the page's prose, so the whole page is taken, less its link bars
    text = extract_text(page("modules.html"))
    assert text.startswith("Our tiles look like ordinary clay tiles")
    assert "four days, including the wiring" in text
    assert text.endswith("said one owner.")
    assert "Imprint" not in text and "Products" not in text


def test_data_protection_consent_box_named_dsgvo_is_pruned():
    consent = "".join(
        f"<p>Wir verwenden Cookies und ähnliche Technologien, Absatz {i}, um Inhalte zu "
        f"personalisieren, und geben Informationen an unsere Partner weiter.</p>"
        for i in range(2)
    )
    html = article_page().replace("<body>", f'<body><div class="sp-dsgvo-popup">{consent}</div>')
    text = extract_text(html)
    assert text.startswith("Paragraph 1 of the story")
    assert "Cookies" not in text


def test_hover_card_inside_a_paragraph_does_not_make_it_a_link_list():
    card = (
        '<span class="card"><img src="/p.jpg" alt=""><a href="/p/ada">Ada Quist</a>'
        '<a href="/s/1">Quist opens the new harbour office after months of delays</a> '
        '<a href="/s/2">Council backs Quist on the ferry timetable</a>'
        '<a href="/p/ada">MORE</a></span>'
    )
    lead = (
        f'<p>The harbour master, <span class="name"><a href="/p/ada">Ada Quist</a>{card}</span>'
        ", said on Friday that the new quay will open in the spring.</p>"
    )
    html = article_page().replace("<div class='body'>", f"<div class='body'>{lead}")
    text = extract_text(html)
    assert text.startswith(
        "The harbour master, Ada Quist, said on Friday that the new quay will open in the spring."
    )
    assert "MORE" not in text and "ferry timetable" not in text


def test_picture_captions_told_by_credit_label_or_wire_wording_dropped():
    text = extract_text(page("captions.html"))
    for gone in ("Foto:", "AFP", "Photograph by", "file photo", "Titelbild"):
        assert gone not in text, gone
    assert "In this image, the old and the new edge" in text  # prose about a picture stays
    assert text.count("\n\n") == 3


def test_calls_to_action_closing_the_story_are_dropped():
    # newsletter, social accounts and app promotion after the last paragraph
    text = extract_text(page("cta.html"))
    assert text.endswith("until half past midnight.")
    assert "newsletter" not in text and "Twitter" not in text


def test_headline_as_a_paragraph_and_a_numeric_date_line_above_the_story_go():
    html = (
        '<html><head><meta charset="utf-8"><title>Library Opens on Sundays</title></head><body>'
        '<div class="news"><p class="headline">Library Opens on Sundays</p>'
        "<small><b>11/19/2026</b> - Posted by: Ann Lee - Category: Culture</small><br>"
        + "".join(
            f"<p>Paragraph {i} of the story, long enough to count as real article text, "
            f"with a comma, and a full stop.</p>"
            for i in range(1, 5)
        )
        + "</div></body></html>"
    )
    text = extract_text(html)
    assert text.startswith("Paragraph 1 of the story")
    assert "Library Opens" not in text and "Posted by" not in text


def test_reading_time_and_log_in_to_comment_prompts_dropped():
    html = (
        article_page()
        .replace("<div class='body'>", "<div class='body'><p>Estimated reading time: 4 minutes</p>")
        .replace(
            "</div></article>",
            "<p>Sie müssen sich einloggen, um sich an der Diskussion zu beteiligen.</p>"
            "<p>You must be logged in to post a comment.</p></div></article>",
        )
    )
    text = extract_text(html)
    assert text.startswith("Paragraph 1 of the story")
    assert text.endswith("and a full stop.")
    assert "reading time" not in text and "einloggen" not in text


def test_header_that_swallowed_the_post_is_not_pruned():
    # broken markup puts a forum post inside its attribution <header>; the site's
    # own header, all links, still goes
    text = extract_text(page("swallowed-header.html"))
    assert text.startswith("The night market event now starts")
    assert text.endswith("have already been done today.")
    assert "Contact us" not in text


def test_post_that_is_a_list_of_links_in_the_pages_one_article_is_kept():
    items = "".join(
        f'<li><p><a href="https://news.example/{i}">Story number {i} about the harbour</a></p>'
        f'<p>via <a href="https://news.example/">Harbour News</a>, the port weekly</p></li>'
        for i in range(4)
    )
    post = f"<article><h1>Links of the week</h1><ul>{items}</ul><p>Gefällt mir:</p></article>"
    html = f"<html><head><title>Links of the week</title></head><body>{post}</body></html>"
    text = extract_text(html)
    assert text.startswith("Story number 0 about the harbour\n\nvia Harbour News, the port weekly")
    assert text.endswith("via Harbour News, the port weekly")
    assert "Links of the week" not in text and "Gefällt" not in text
    # two articles (a list of teasers) are no marked article: nothing is taken
    teasers = html.replace("</article>", "</article><article><a href='/x'>Another</a></article>")
    assert extract_text(teasers) == ""


# ------------------------------------------------------------------ time and depth


def _long_page(n: int) -> str:
    """A page that grows with n in each way a real one can: boxes of links before the
    article, paragraphs holding links, keywords, title parts, JSON-LD authors and an
    articleBody full of markup (start tags without end tags)."""
    boxes = "".join(f"<div><a href='/m{i}'>Menu {i}</a></div>" for i in range(n))
    paras = "".join(
        f"<p>Paragraph {i} of the story, with a <a href='/p{i}'>link</a>, a comma, "
        f"and enough words to count as running text.</p>"
        for i in range(n)
    )
    keywords = ",".join(f"topic {i}" for i in range(4 * n))
    title = " | ".join(f"part {i}" for i in range(n))
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "author": [{"name": f"Author {i}"} for i in range(n)],
            "articleBody": "<script> code, " * n,
        }
    ).replace("</", "<\\/")
    return (
        f"<html><head><title>{title}</title><meta name='keywords' content='{keywords}'>"
        f"<script type='application/ld+json'>{ld}</script></head>"
        f"<body><div class='page'>{boxes}<div class='story'>{paras}</div></div></body></html>"
    )


def test_extraction_time_grows_linearly_with_the_page():
    small, large = _long_page(250), _long_page(1000)
    assert extract(small).text.startswith("Paragraph 0 of the story")
    times: dict[str, float] = {"small": math.inf, "large": math.inf}
    for _ in range(5):  # the best of five, small and large in turn (a busy machine)
        for name, html in (("small", small), ("large", large)):
            gc.collect()
            start = time.process_time()
            extract(html)
            times[name] = min(times[name], time.process_time() - start)
    # four times the page: about four times the time (the quadratic steps there were
    # gave 8-10x)
    assert times["large"] < 6 * times["small"], times


DEEP = 100_000


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * DEEP + "<p>The one paragraph, deep down in the page, long enough.</p>",
        "<p>" + "<span>" * DEEP + "The one paragraph, deep down in the page, long enough.",
        "<table><tr><td>" * DEEP + "The one paragraph, deep down in the page, long enough.",
        "<ul><li>" * DEEP + "The one paragraph, deep down in the page, long enough.",
        "<blockquote>" * DEEP + "The one paragraph, deep down in the page, long enough.",
        "<script type='application/ld+json'>" + "[" * DEEP + "]" * DEEP + "</script>"
        "<p>The one paragraph, deep down in the page, long enough.</p>",
        "<script type='application/ld+json'>"
        + '{"@type": "NewsArticle", "a": ' * DEEP
        + "1"
        + "}" * DEEP
        + "</script><p>The one paragraph, deep down in the page, long enough.</p>",
    ],
    ids=["unclosed-divs", "spans", "tables", "lists", "quotes", "ld-list", "ld-object"],
)
def test_page_nested_100000_deep_gives_its_text_or_nothing(html):
    # (closed <div>s: test_100k_deep_nesting_does_not_recurse)
    text = extract(f"<html><body>{html}</body></html>").text  # no RecursionError
    assert text in ("", "The one paragraph, deep down in the page, long enough.")
