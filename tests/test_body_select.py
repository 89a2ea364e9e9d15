"""The choice of the article's container (newsgrab/extract/body.py, `select` rules),
on small pages written for these tests."""

from __future__ import annotations

from collections import Counter

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches

STORY = (
    "The harbour board met on Tuesday evening, and the chair said the new ferry would "
    "run from March, weather permitting, with two crossings a day.",
    "Residents of the island have waited eleven years for a second boat, and many of "
    "them came to the meeting to hear the timetable read out in full.",
    "The board will publish the fares in January after a consultation with the "
    "shipping company and the council, and the first sailing is set for the second "
    "Monday of March.",
)

# a column of other stories' teasers: each a headline link and a line of prose
TEASERS = tuple(
    f"<p><a href='/story/{i}'>Council meets on the roads, number {i}</a> Another town, "
    f"another council, another vote on roads, schools, bins, parks, buses, decided.</p>"
    for i in range(4)
)


# boxes of the site's own, each one short line of prose, all over the page
MODULES = tuple(
    f"<div class='m{i}'><p>Our readers' club meets in the library on the first Friday "
    f"of every month to talk about the paper and the town, meeting {i}.</p></div>"
    for i in range(6)
)


def _page(teasers: int = 2, modules: int = 0) -> str:
    return (
        "<html><head><title>Ferry timetable agreed</title></head><body><div id='page'>"
        "<div id='columns'>"
        "<div class='box'><h1>Ferry timetable agreed</h1><div class='wrap'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div></div><div class='column'>"
        + "".join(TEASERS[:teasers])
        + "</div></div></div>"
        + "".join(MODULES[:modules])
        + "</body></html>"
    )


def _text(html: str, off: tuple[str, ...] = ()) -> tuple[str, Counter]:
    trace: Counter = Counter()
    with rule_switches(off, trace):
        return extract_text(html), trace


def test_a_short_story_by_its_headline_beats_a_teaser_column_beside_it():
    text, trace = _text(_page())
    for paragraph in STORY:
        assert paragraph in text
    assert "Another town" not in text
    assert trace["headline_rival"] == 1
    # without the rule the column, which scores a little higher, is taken
    text_off, _ = _text(_page(), ("headline_rival",))
    assert "Another town" in text_off


def test_a_teaser_column_far_stronger_than_the_story_by_the_headline_still_wins():
    # (the story scores under 0.8 of the column: the rule leaves the choice alone)
    text, trace = _text(_page(teasers=3))
    assert "Another town" in text
    assert trace["headline_rival"] == 0


def test_the_story_by_its_headline_is_not_lost_to_a_page_of_modules():
    # the story holds little of the page's prose, but it won by its headline: the
    # page is not taken as scattered, whole
    text, trace = _text(_page(modules=6))
    for paragraph in STORY:
        assert paragraph in text
    assert "readers' club" not in text
    assert "Another town" not in text
    assert trace["headline_rival"] == 1
