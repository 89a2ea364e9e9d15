"""Pages where the extractor found nothing: a post whose body is a picture or a
video, on small pages written for these tests."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from test_body_shortposts import LINKS as POST_LINKS

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


NAV = (
    "<div class='post-nav'><p>Previous post: <a href='/p'>the harbour at night</a></p>"
    "<p>Next post: <a href='/n'>the winter timetable</a></p></div>"
)
STORY = (
    "The harbour board met on Tuesday evening, and the chair said the new ferry would "
    "run from March, weather permitting, with two crossings a day.",
    "Residents of the island have waited eleven years for a second boat, and many of "
    "them came to the meeting to hear the timetable read out in full.",
)


# ------------------------------------------------------------------ post_header


def _picture_post(header: str, title: str = "The ferry at dawn - Island News") -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<div id='top'><h1><a href='/'><img src='/logo.png'></a></h1></div>"
        "<div class='wrap'><div id='post'><h2>The ferry at dawn</h2>"
        f"{header}<p><img src='/ferry.jpg'></p></div></div>{NAV}</body></html>"
    )


def test_a_picture_posts_text_is_its_headline_and_dated_byline():
    page = _picture_post("<div class='date'><span>By Jane Roe, 28 May 2024</span></div>")
    assert _text(page) == "The ferry at dawn\n\nBy Jane Roe, 28 May 2024"
    assert _text(page, off=("post_header",)) == ""


def test_the_header_lines_after_the_date_come_with_it():
    page = _picture_post(
        "<div class='when'><p>Posted July 8th, 2024</p><p>Photos by Jane in Paris</p></div>"
    )
    assert _text(page) == "The ferry at dawn\n\nPosted July 8th, 2024\n\nPhotos by Jane in Paris"


def test_a_headline_without_a_dated_line_still_gives_no_text():
    # a shop's product or a gallery: a headline and short lines, no date
    page = _picture_post("<div class='price'><span>Print, 30 x 40 cm: 25 EUR</span></div>")
    text = _text(page)
    assert "The ferry at dawn" not in text
    assert text == _text(page, off=("post_header",))


def test_a_box_of_many_lines_around_the_headline_is_no_posts_header():
    lines = "".join(f"<p>Item {i} of the list, 3 May 2024</p>" for i in range(8))
    page = _picture_post(f"<div class='when'>{lines}</div>")
    assert "The ferry at dawn" not in _text(page)


def test_a_post_with_a_body_does_not_get_its_header():
    story = "".join(f"<p>{p}</p>" for p in STORY)
    page = _picture_post(
        f"<div class='date'><span>By Jane Roe, 28 May 2024</span></div>{story}"
    ).replace("<p><img src='/ferry.jpg'></p>", "")
    text = _text(page)
    assert text.startswith(STORY[0])
    assert "Jane Roe" not in text


# ------------------------------------------------------------------ header_date


def _meta_post(body: str) -> str:
    return (
        "<html><head><title>The ferry at dawn | Island News</title></head><body>"
        "<div id='content'><div class='post'><div class='headline_area'>"
        "<h1>The ferry at dawn</h1>"
        "<p class='headline_meta'>by Jane Roe on July 21, 2024</p></div>"
        f"<div class='entry-content'>{body}</div></div>{NAV}</div></body></html>"
    )


def test_a_byline_named_as_boilerplate_beside_the_headline_is_a_picture_posts_header():
    page = _meta_post("<p><img src='/ferry.jpg'></p>")
    assert _text(page) == "The ferry at dawn\n\nby Jane Roe on July 21, 2024"
    assert _text(page, off=("header_date",)) == ""


def test_a_byline_named_as_boilerplate_stays_out_of_a_story():
    story = "".join(f"<p>{p}</p>" for p in STORY)
    text = _text(_meta_post(story))
    assert text == "\n\n".join(STORY)


# ------------------------------------------------------------------ scant_text

LINKS = (
    "<a href='/a'>Ferry fares for the winter</a>",
    "<a href='/b'>Harbour works start in May</a> (<a href='/c'>the plans</a>)",
    "<a href='/d'>The new village hall</a>.",
    "<a href='/e'>Lighthouse tours are back</a>.",
    "The trust's <a href='/f'>annual report</a>.",
)


NOTE = "Replies to this post are open until Sunday, and the best ones will be printed."


def _links_post(intro: str) -> str:
    items = "".join(f"<li>{item}</li>" for item in LINKS)
    return (
        "<html><head><title>Weekly links - Island News</title></head><body>"
        "<div id='content'><div class='post'><h2>Weekly links</h2>"
        "<div class='by'>Written by Jane Roe</div>"
        f"<div class='entry'><p>{intro}</p><ul>{items}</ul></div>"
        f"<div class='after'><p>{NOTE}</p></div></div></div>"
        "<div class='bottom'><p>Island News is printed on the island every Friday.</p>"
        "</div></body></html>"
    )


def test_a_post_of_links_is_kept_when_only_a_line_of_it_was_found():
    # the intro's box is mostly links: only the note under the post is found
    intro = "A short week on the island."
    page = _links_post(intro)
    assert _text(page, off=("scant_text",)) == NOTE
    text = _text(page)
    assert intro in text
    assert "Ferry fares for the winter" in text
    assert "Lighthouse tours are back." in text
    assert NOTE in text
    assert "printed on the island" not in text


def test_a_story_of_a_few_paragraphs_before_a_link_list_keeps_the_list_out():
    story = "</p><p>".join(STORY)
    text = _text(_links_post(story))
    assert STORY[1] in text
    assert "Ferry fares" not in text


# ------------------------------------------------------------------ a self-closed root


def test_a_self_closed_html_or_body_tag_is_read_as_opened():
    story = "".join(f"<p>{p}</p>" for p in STORY)
    pages = (
        f"<html lang='en' /><head><title>Ferry</title></head><body>{story}</body></html>",
        f"<html><head><title>Ferry</title></head><body class='site'/>{story}</body></html>",
        # a capture cut inside the <html> tag, an image's attributes glued to it
        f'<html xmlo.jpg" alt="Island &amp; Co" border="0" /></a></td>{story}</html>',
    )
    for page in pages:
        assert _text(page) == "\n\n".join(STORY), page


_NAMES = st.text(alphabet=st.sampled_from(list("abcxyz-_.:0123456789")), min_size=1, max_size=8)
_VALUES = st.text(alphabet=st.sampled_from(list("abc &;/=-_.'0123456789")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["html", "HTML", "body", "Body"]),
    attrs=st.lists(st.tuples(_NAMES, _VALUES), max_size=4),
    space=st.sampled_from(["", " ", "\n"]),
)
def test_any_self_closed_root_tag_keeps_the_story(name, attrs, space):
    # balanced attributes, any names and values (a quote left open would take the
    # page into its value, for a browser too)
    tag = "".join(f' {key}="{value}"' for key, value in attrs)
    page = f"<{name}{tag}{space}/>" + "".join(f"<p>{p}</p>" for p in STORY)
    assert STORY[1] in _text(page)


def test_a_list_of_bare_links_after_a_one_line_post_is_not_taken_with_it():
    # a blogroll after the headline in its box: links alone, no words of their own
    post = (
        "Happy Friday! A short week on the island, and a long weekend ahead of us: the "
        "ferry runs twice on Saturday, and the market opens early on Sunday morning."
    )
    roll = "".join(
        f"<li><a href='/b{i}'>The island blog of boats and tides, part {i}</a></li>"
        for i in range(12)
    )
    page = (
        "<html><head><title>Friday - Island News</title></head><body><div id='main'>"
        f"<h2>Friday</h2><div class='entry'><p>{post}</p></div>"
        f"<div class='roll'><ul>{roll}</ul></div></div></body></html>"
    )
    assert _text(page) == post


# ------------------------------------------------------------------ headline_kept


def test_a_headline_in_a_box_that_goes_stays_for_the_rules_that_read_it():
    # the headline's own header box is boilerplate by its name or tag; without the
    # headline, a post that is a list of links under it was not found
    items = "".join(f"<li>{item}</li>" for item in POST_LINKS)
    for header in (
        "<header><h3>Weekly links: the harbour</h3></header>",
        "<div class='page-header'><h3>Weekly links: the harbour</h3></div>",
    ):
        page = (
            "<html><head><title>Weekly links: the harbour - Island News</title></head>"
            f"<body><div class='entry'>{header}<div class='inner'><ul>{items}</ul></div>"
            "</div><div class='nav'><a href='/prev'>Previous post</a></div></body></html>"
        )
        text = _text(page)
        assert "Harbour works will start in the middle of May next year" in text, header
        assert "Weekly links" not in text
        assert "Previous post" not in text
        assert _text(page, off=("headline_kept",)) == ""
        # counted, so that benchmarks/extraction.py --rules re-runs its pages
        trace: Counter = Counter()
        with rule_switches((), trace):
            extract_text(page)
        assert trace["headline_kept"] >= 1


def test_a_kept_headline_alone_is_no_text():
    page = (
        "<html><head><title>Weekly links: the harbour - Island News</title></head>"
        "<body><div class='entry'><header><h3>Weekly links: the harbour</h3></header>"
        "<div class='inner'><p><img src='/a.jpg'></p></div></div></body></html>"
    )
    assert _text(page) == ""
