"""Line-level rules of the extractor on the blocks it keeps: headings left without
text of their own and scraps before the first paragraph. Small pages written for
these tests."""

from __future__ import annotations

from test_body_rules import STORY

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches

FARES = (
    "A return ticket for an adult will cost about twelve pounds, the chair said, and "
    "children under five will travel free of charge on every crossing."
)


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


def _links(prefix: str, count: int = 4) -> str:
    items = "".join(
        f"<li><a href='/{prefix}{i}'>Another story about the island, part {i}</a></li>"
        for i in range(count)
    )
    return f"<ul>{items}</ul>"


def _article(tail: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return f"<html><body><article><h1>Ferry</h1>{paragraphs}{tail}</article></body></html>"


def test_a_heading_whose_list_of_links_went_goes_with_it():
    page = _article(f"<h2>Around the island</h2>{_links('a')}<h2>Fares</h2><p>{FARES}</p>")
    text = _text(page)
    assert "Around the island" not in text
    # the next heading has text of its own: it stays
    assert "Fares" in text and FARES in text
    assert all(p in text for p in STORY)
    assert "Around the island" in _text(page, off=("orphan_label",))


def test_a_label_ending_with_a_colon_before_another_heading_goes():
    page = _article(f"<p>Read on:</p>{_links('b')}<h3>Fares</h3><p>{FARES}</p>")
    text = _text(page)
    assert "Read on:" not in text
    assert FARES in text
    assert "Read on:" in _text(page, off=("orphan_label",))


def test_a_last_heading_whose_links_went_goes():
    page = _article(f"<h2>On the coast and on the other islands this week</h2>{_links('c')}")
    text = _text(page)
    assert text.endswith(STORY[-1])
    assert "On the coast and on the other islands this week" in _text(page, off=("orphan_label",))


def test_headings_with_text_of_their_own_stay():
    page = _article(
        f"<h2>Timetable</h2><p>{STORY[0]}</p><h2>Fares</h2><p>Photo: Island Trust</p><p>{FARES}</p>"
    )
    text = _text(page)
    assert "Timetable" in text and "Fares" in text and FARES in text


def test_a_last_label_with_a_colon_stays_when_nothing_after_it_went():
    # a closing line such as "Sources:" with its list cut before extraction is
    # taken as the page gives it (the rule needs a removed block to act on)
    page = _article("<p>More about the ferry in the next issue:</p>")
    assert "More about the ferry in the next issue:" in _text(page)


LEAD = (
    "On 3 March 2026 the harbour board met in the island hall and voted to buy a "
    "second ferry for the winter crossings."
)


def test_a_first_paragraph_holding_a_date_is_kept():
    paragraphs = "".join(f"<p>{p}</p>" for p in (LEAD, *STORY))
    page = f"<html><body><article><h1>Ferry</h1>{paragraphs}</article></body></html>"
    text = _text(page)
    assert text.startswith(LEAD)
    assert all(p in text for p in STORY)


def test_a_date_line_before_the_first_paragraph_still_goes():
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><body><article><h1>Ferry</h1><p>Published 3 March 2026, 10:12</p>"
        f"<p>Tuesday, 3 March 2026.</p>{paragraphs}</article></body></html>"
    )
    assert _text(page).startswith(STORY[0])


BIO = (
    "Jane Roe has written about the islands and their boats for the paper since 2019, "
    "and lives on the north shore with two dogs."
)


def _body_with(after: str, story: tuple[str, ...] = (*STORY, FARES)) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in story)
    return (
        "<html><body><h1>Ferry</h1><div itemprop='articleBody'>"
        f"<div class='text'>{paragraphs}</div>{after}</div></body></html>"
    )


def test_a_short_box_after_the_box_holding_the_story_goes():
    page = _body_with(f"<div class='x'><p>{BIO}</p></div>")
    text = _text(page)
    assert all(p in text for p in STORY) and FARES in text
    assert BIO not in text
    assert BIO in _text(page, off=("after_main_box",))


def test_a_long_text_after_the_box_holding_the_story_stays():
    # more than max_after_share of the story: a part of the article, not a bio
    page = _body_with(f"<div class='x'><p>{BIO}</p><p>{STORY[0]}</p><p>{STORY[1]}</p></div>")
    assert BIO in _text(page)


def test_a_story_of_two_paragraphs_keeps_what_follows_its_box():
    story = (f"{STORY[0]} {STORY[1]}", f"{STORY[2]} {FARES}")
    page = _body_with(f"<div class='x'><p>{BIO}</p></div>", story=story)
    assert BIO in _text(page)


def test_a_last_line_closed_by_a_german_or_french_quote_is_a_sentence():
    for reply in ("– „Ja.“", "– «Oui.»", "– »Ja.«"):
        page = _article(
            f"<p>The chair was asked if the boat would run in storms.</p><p>{reply}</p>"
        )
        assert _text(page).endswith(reply), reply


def test_a_sub_heading_opening_the_article_is_kept_a_short_scrap_is_not():
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><body><article><h1>Ferry</h1><p>Island | News</p>"
        f"<h2>The winter timetable</h2>{paragraphs}</article></body></html>"
    )
    text = _text(page)
    assert text.startswith("The winter timetable")
    assert "Island | News" not in text


def test_a_last_list_item_of_25_characters_stays_a_shorter_scrap_goes():
    page = _article(
        "<ul><li>Two crossings every weekday</li><li>One crossing on each Sunday</li></ul>"
        "<p>Top stories today</p>"
    )
    text = _text(page)
    assert text.endswith("Two crossings every weekday\n\nOne crossing on each Sunday")
    assert "Top stories today" not in text
