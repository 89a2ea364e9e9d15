"""A post's own footer after the article (the topics it is filed under): the rules
that leave it out, on small pages written for these tests."""

from __future__ import annotations

from test_body_select import STORY, _text

FOOTER = (
    "This note went up on a Tuesday evening in May and sits in the folders "
    "<a href='/t/ferry' rel='category tag'>Ferry</a> and "
    "<a href='/t/harbour' rel='category tag'>Harbour</a>, where the older notes wait."
)


def _page(footer: str = FOOTER, rel: str = "category tag") -> str:
    return (
        "<html><head><title>Harbour Diary: Ferry timetable agreed</title></head><body>"
        "<div class='post'><h1>Ferry timetable agreed</h1><div class='entry'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div><p class='postmeta'><small>"
        + footer.replace("category tag", rel)
        + "</small></p></div></body></html>"
    )


# ------------------------------------------------------------------ filed_under


def test_a_footer_filing_the_post_under_tagged_topics_is_dropped():
    text, trace = _text(_page())
    assert all(paragraph in text for paragraph in STORY)
    assert "older notes wait" not in text
    assert trace["filed_under"] == 1
    text_off, _ = _text(_page(), off=("filed_under",))
    assert "older notes wait" in text_off


def test_the_same_footer_without_tag_links_is_kept():
    text, trace = _text(_page(rel="author"))
    assert "older notes wait" in text
    assert trace["filed_under"] == 0


def test_a_tag_link_inside_the_articles_last_paragraph_is_kept():
    last = STORY[2].replace("council", "<a href='/t/council' rel='tag'>council</a>")
    page = _page().replace(STORY[2], last).replace(FOOTER, "")
    text, trace = _text(page)
    assert STORY[2] in text
    assert trace["filed_under"] == 0
