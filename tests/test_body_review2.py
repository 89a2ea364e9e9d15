"""A second review of the body rules added for #12, on small pages written for these
tests: the article text a reader would call the article must survive the newest
rules (filed_under) and the chain of fallbacks, and the headline the walk found must
not outlive the page."""

from __future__ import annotations

from test_body_select import STORY, _text

from newsgrab.extract import extract_text

HEADLINE = "Ferry timetable agreed"
# a term linked by a blog's auto-tagging plug-in: rel="tag" inside the prose
TAGGED = "<a href='/tag/ferry' rel='tag'>ferry</a>"
TAGS_FOOTER = (
    "<p class='postmeta'>Tags: <a href='/tag/ferry' rel='tag'>ferry</a>, "
    "<a href='/tag/harbour' rel='tag'>harbour</a></p>"
)


def _post(after: str, footer: str = TAGS_FOOTER) -> str:
    return (
        f"<html><head><title>Harbour Diary: {HEADLINE}</title></head><body>"
        f"<div class='post'><h1>{HEADLINE}</h1><div class='entry'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + after
        + footer
        + "</div></div></body></html>"
    )


# ------------------------------------------------------------------ filed_under


def test_a_short_last_paragraph_with_an_auto_tagged_term_is_the_articles():
    last = f"The first {TAGGED} sails on the tenth."
    text, _ = _text(_post(f"<p>{last}</p>"))
    assert "The first ferry sails on the tenth." in text
    assert "Tags:" not in text  # (the footer still goes)


def test_a_footer_sentence_named_by_the_theme_still_goes_after_a_short_last_paragraph():
    footer = (
        "<p class='postmeta'>This note went up on a Tuesday evening in May and is filed "
        "under <a href='/t/ferry' rel='category tag'>Ferry</a>.</p>"
    )
    text, trace = _text(_post("<p>More next week.</p>", footer))
    assert "More next week." in text
    assert "filed under" not in text
    assert trace["filed_under"] == 1


def test_a_last_list_item_with_an_auto_tagged_term_is_the_articles():
    item = (
        f"The {TAGGED} will carry forty cars and two hundred passengers, and the "
        "board says the crossing will take about fifty minutes in good weather."
    )
    text, _ = _text(_post(f"<ul><li>{item}</li></ul>"))
    assert "The ferry will carry forty cars" in text


def test_a_short_list_ending_the_article_keeps_its_tagged_item():
    items = f"<ul><li>Route: the {TAGGED} to the island</li><li>Fare: four pounds</li></ul>"
    text, _ = _text(_post(items))
    assert "Route: the ferry to the island" in text


# ------------------------------------------------------------------ the fallback chain

BRIEF = (
    "Police closed the coast road between the two villages overnight after a landslip "
    "brought down rocks and mud in heavy rain. Drivers are told to use the inland route; "
    "the road should reopen by noon, the council said on Friday."
)
SIGN_UP = (
    "Sign up for our newsletter to get the day's news from the coast in your inbox "
    "every morning, free of charge, and never miss a story from the towns you love."
)
FOOTER = (
    "This entry was posted on Friday evening and is filed under "
    "<a rel='category tag' href='/c/roads'>Roads</a>. You can follow any responses "
    "through the <a href='/feed'>feed</a>."
)


def _brief(after: str) -> str:
    title = "Landslip closes the coast road"
    return (
        f"<html><head><title>{title} - Gazette</title></head><body>"
        f"<div class='post'><h1>{title}</h1><div class='entry'><p>{BRIEF}</p>{after}"
        "</div></div></body></html>"
    )


def test_scant_text_does_not_undo_the_sign_up_and_footer_rules_under_a_short_brief():
    # a news brief under 300 characters: scant_text looks in the headline's box for
    # more, and must not take back the paragraphs call_to_action and filed_under cut
    page = _brief(f"<p>{SIGN_UP}</p><p class='postmeta'>{FOOTER}</p>")
    text, trace = _text(page)
    assert text == BRIEF
    assert trace["call_to_action"] == 1
    assert trace["scant_text"] == 0


def test_scant_text_still_takes_a_short_posts_list_of_links():
    items = "".join(
        f"<li><a href='https://example.org/{i}'>Harbour story number {i}</a> - worth a read</li>"
        for i in range(8)
    )
    text, trace = _text(_brief(f"<p>{SIGN_UP}</p><ul>{items}</ul>"))
    assert "Harbour story number 7 - worth a read" in text
    assert trace["scant_text"] > 0


# ------------------------------------------------------------------ headline_kept


def test_a_headline_split_by_a_line_break_alone_is_no_text():
    # README: "the headline alone is never the text"; a <br> cuts it into two blocks
    title = "Storm closes the coast road between the two villages overnight"
    page = (
        f"<html><head><title>{title}</title></head><body><div class='post'>"
        "<h1>Storm closes the coast road<br>between the two villages overnight</h1>"
        "</div></body></html>"
    )
    assert extract_text(page) == ""
