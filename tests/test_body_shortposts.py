"""Short posts beside their headline: the rules that find the page's headline (the
heading whose text is the page's title) and keep a short post over longer text in
the boxes around it (a bio, a notice, a comment), on small pages written here."""

from __future__ import annotations

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches

POST = (
    "The ferry timetable for the winter is out, and the first boat leaves at seven.",
    "Two crossings a day until March, weather permitting.",
)
BIO = (
    "Jane Roe writes about islands, boats and the sea. She was born on the coast, "
    "studied geography in the city, worked for a shipping company for ten years and "
    "now lives on the island with her dog, her bicycle and far too many books about "
    "lighthouses, harbours, tides and the old trade routes of the northern seas."
)


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


def _page(aside: str, *, title: str = "Winter timetable - Island News") -> str:
    post = "".join(f"<p>{p}</p>" for p in POST)
    return (
        f"<html><head><title>{title}</title></head><body><div id='content'>"
        f"<div class='item'><h2>Winter timetable</h2><div class='inner'>{post}</div></div>"
        f"{aside}</div></body></html>"
    )


# ------------------------------------------------------------------ boxed_off_headline


def test_a_bio_in_a_sidebar_is_not_the_main_run_beside_a_short_post():
    page = _page(f"<div id='sidebar'><div class='profile'><p>{BIO}</p><p>{BIO}</p></div></div>")
    text = _text(page)
    assert POST[0] in text
    assert "Jane Roe" not in text
    # without the rule the bio, the longest run of the page, spares its sidebar and wins
    assert "Jane Roe" in _text(page, off=("boxed_off_headline",))


def test_a_long_comment_is_not_the_main_run_beside_a_short_post():
    comment = f"<div class='comment-text'><p>{BIO} {BIO} {BIO} {BIO}</p></div>"
    page = _page(f"<ol class='commentlist'><li class='item'>{comment}</li></ol>")
    text = _text(page)
    assert POST[0] in text
    assert "Jane Roe" not in text
    assert "Jane Roe" in _text(page, off=("boxed_off_headline",))


def test_a_notice_in_the_footer_is_not_the_text_of_a_post_without_prose():
    page = (
        "<html><head><title>Velvet | Street Photos</title></head><body>"
        "<div class='post'><h2>Velvet</h2><img src='a.jpg'></div>"
        f"<div id='footer'><p>{BIO}</p></div></body></html>"
    )
    assert _text(page) == ""
    assert "Jane Roe" in _text(page, off=("boxed_off_headline",))


def test_a_sidebar_that_holds_the_headline_is_the_post():
    # (broken markup, or a layout that names its main column after the sidebar)
    page = (
        "<html><head><title>Winter timetable</title></head><body>"
        f"<div id='sidebar'><h1>Winter timetable</h1><p>{BIO}</p></div></body></html>"
    )
    assert "Jane Roe" in _text(page)


def test_a_layout_named_after_its_sidebar_still_holds_the_article():
    # a compound name ("sidebar-layout") is a layout wrapping the article, not a sidebar
    story = "".join(f"<p>{BIO} {p}</p>" for p in POST)
    page = (
        "<html><head><title>Winter timetable</title></head><body>"
        "<header><h1>Winter timetable</h1></header>"
        f"<div class='row fixed-sidebar-layout'><div class='col'>{story}</div>"
        "<div class='col'><ul><li><a href='/a'>Other news</a></li></ul></div></div>"
        "</body></html>"
    )
    assert "Jane Roe" in _text(page)


def test_the_headline_is_the_longest_heading_named_in_the_title():
    # "Site: Headline": the h1 holding the site's name (here atop the sidebar) is
    # not the headline, the h2 holding the rest of the title is
    page = _page(
        f"<div id='sidebar'><h1>Island News</h1><p>{BIO}</p></div>",
        title="Island News: Winter timetable",
    )
    text = _text(page)
    assert POST[0] in text
    assert "Jane Roe" not in text


# ------------------------------------------------------------------ headline_post

NOTICE = (
    "This page is best viewed in an up-to-date web browser with style sheets enabled, "
    "although you will be able to read the content of this page in your current "
    "browser, you will not get the full visual experience, so please consider "
    "upgrading your browser software, or enabling style sheets, if you are able to."
)


def _news(notice_box: str, after_headline: str) -> str:
    return (
        "<html><head><title>Island News - Winter timetable</title></head><body>"
        f"{notice_box}<div class='wrap'><div class='block-a'><h1>Winter timetable</h1>"
        f"{after_headline}</div></div></body></html>"
    )


def test_a_short_post_after_its_headline_beats_one_longer_block_elsewhere():
    post = "<div class='desc'>" + "".join(f"<p>{p}</p>" for p in POST) + "</div>"
    page = _news(f"<div class='note'><p>{NOTICE}</p></div>", post)
    text = _text(page)
    assert POST[0] in text and POST[1] in text
    assert "best viewed" not in text
    assert "best viewed" in _text(page, off=("headline_post",))


def test_a_standfirst_alone_under_the_headline_does_not_beat_the_body():
    # the article's header holds the headline and a standfirst; the body after it is
    # one long paragraph: the body stays
    page = (
        "<html><head><title>Winter timetable</title></head><body><div class='piece'>"
        "<div class='head'><h1>Winter timetable</h1>"
        f"<p class='sub'>{POST[0]} {POST[1]}</p></div>"
        f"<div class='copy'><p>{NOTICE}</p></div></div></body></html>"
    )
    assert "best viewed" in _text(page)


# ------------------------------------------------------------------ headline_box

LINKS = (
    "<a href='/a'>Ferry fares for the winter season are now published</a> by the "
    "harbour board, Monday",
    "<a href='/b'>Harbour works will start in the middle of May next year</a>, the "
    "council says on Friday",
    "<a href='/c'>The island trust opens its new village hall on the green</a> on "
    "Sunday morning at ten",
    "<a href='/d'>Lighthouse tours are back for the summer months again</a> from the "
    "first day of June on",
)


def test_a_post_that_is_a_list_of_links_under_its_headline_is_kept():
    items = "".join(f"<li>{item}</li>" for item in LINKS)
    page = (
        "<html><head><title>Weekly links: the harbour - Island News</title></head><body>"
        "<h1><a href='/'>Island News</a></h1><div class='entry'>"
        "<h3>Weekly links: the harbour</h3>"
        f"<div class='inner'><ul>{items}</ul></div></div>"
        "<div class='nav'><a href='/prev'>Previous post</a></div></body></html>"
    )
    text = _text(page)
    assert "Ferry fares for the winter season are now published by the harbour" in text
    assert "Lighthouse tours are back for the summer months again from the first" in text
    assert "Previous post" not in text
    assert "Ferry fares" not in _text(page, off=("headline_box",))


def test_a_headline_followed_by_links_only_gives_no_text():
    # previous / next links after the headline: no post
    page = (
        "<html><head><title>Video of the day</title></head><body><div class='entry'>"
        "<h2>Video of the day</h2><div class='nav'>"
        "<a href='/p'>Previous post: the harbour at night, seen from the lighthouse</a> "
        "<a href='/n'>Next post: the ferry timetable for the winter season</a>"
        "</div></div></body></html>"
    )
    assert _text(page) == ""


# ------------------------------------------------------------------ headline_text

CAPTION = (
    "The new ferry leaves the harbour on its first crossing, with the island's brass "
    "band on deck and half the village waving from the pier in the morning sun."
)


def test_a_caption_is_the_text_of_a_picture_page_without_paragraphs():
    page = (
        "<html><head><title>First crossing</title></head><body><div class='main'>"
        "<div class='intro'><div class='hl'><h1>First crossing</h1></div></div>"
        f"<div class='media'><div class='slide'><div class='caption'>{CAPTION}</div>"
        "</div></div></div>"
        f"<div class='other'><div class='caption'>Elsewhere: {CAPTION}</div></div>"
        "</body></html>"
    )
    text = _text(page)
    assert CAPTION in text
    assert "Elsewhere" not in text
    assert CAPTION not in _text(page, off=("headline_text",))


def test_a_caption_beside_paragraphs_stays_out():
    story = "".join(f"<p>{p} {BIO}</p>" for p in POST)
    page = (
        "<html><head><title>First crossing</title></head><body><div class='main'>"
        f"<h1>First crossing</h1><div class='caption'>{CAPTION}</div>"
        f"<div class='body'>{story}</div></div></body></html>"
    )
    text = _text(page)
    assert POST[0] in text
    assert CAPTION not in text


# ------------------------------------------------------------------ single_post


def test_teasers_built_like_the_post_elsewhere_on_the_page_are_not_taken():
    post = "".join(f"<p>{p} {BIO}</p>" for p in POST)
    teasers = "".join(
        f"<div class='entry-text'><p>Teaser {i}: {POST[0]}</p></div>" for i in range(3)
    )
    page = (
        "<html><head><title>Winter timetable</title></head><body>"
        "<div class='page'><div class='col'><div class='one'><div class='hentry'>"
        f"<h1>Winter timetable</h1><div class='entry-text'>{post}</div></div></div>"
        f"</div><div class='others'>{teasers}</div></div></body></html>"
    )
    text = _text(page)
    assert POST[0] in text
    assert "Teaser" not in text
    assert "Teaser 1" in _text(page, off=("single_post",))


def test_forum_posts_under_the_thread_title_are_all_taken():
    posts = "".join(
        f"<div class='msg'><div class='who'><a href='/u{i}'>user{i}</a></div>"
        f"<div class='entry-text'><p>Reply {i}: {BIO}</p></div></div>"
        for i in range(3)
    )
    page = (
        "<html><head><title>Winter timetable?</title></head><body>"
        f"<div class='thread'><h1>Winter timetable?</h1>{posts}</div></body></html>"
    )
    text = _text(page)
    assert "Reply 0" in text and "Reply 2" in text


def test_a_text_widget_is_not_the_main_run_beside_a_short_post():
    archive = "".join(
        f"<li><a href='/{i}'>Island News archive, month {i}</a></li>" for i in range(40)
    )
    page = _page(f"<div class='widget'><p>{BIO}</p><p>{BIO}</p></div><ul>{archive}</ul>")
    text = _text(page)
    assert POST[0] in text
    assert "Jane Roe" not in text
