"""Text kept besides the article (a blog's description, a teaser list, a comment
thread): the rules that leave it out, on small pages written for these tests."""

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


def _text(html: str, off: tuple[str, ...] = ()) -> tuple[str, Counter]:
    trace: Counter = Counter()
    with rule_switches(off, trace):
        return extract_text(html), trace


# ------------------------------------------------------------------ lead_after_headline

DESCRIPTION = (
    "Every week the island's own reporter writes about the ferry, the harbour and "
    "the people who wait on the quay for the boat to come in."
)


def _blog() -> str:
    return (
        "<html><head><title>Island Notes: Ferry timetable agreed</title></head><body>"
        "<div class='outer'><div class='head-outer'><div class='head-inner'>"
        "<h1>Island Notes</h1>"
        f"<div class='wrapper'><p class='tagline'>{DESCRIPTION}</p></div>"
        "</div></div><div class='columns'><div class='main'><div class='day'>"
        "<div class='post'><h3 class='post-title'>Ferry timetable agreed"
        "</h3><div class='post-body'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div></div></div></div></div></div></body></html>"
    )


def test_a_blogs_description_under_its_name_is_no_lead_of_the_post():
    text, trace = _text(_blog())
    for paragraph in STORY:
        assert paragraph in text
    assert DESCRIPTION not in text
    assert trace["lead_after_headline"] == 1
    # without the rule the description is taken as the post's standfirst
    text_off, _ = _text(_blog(), off=("lead_after_headline",))
    assert DESCRIPTION in text_off


def test_a_standfirst_under_the_headline_is_still_a_lead():
    lead = (
        "The new boat will carry two hundred passengers and forty cars, and the board "
        "says the crossing will take under an hour in fair weather."
    )
    page = (
        "<html><head><title>Ferry timetable agreed - Island Notes</title></head><body>"
        "<div class='head'><h1>Ferry timetable agreed</h1>"
        f"<div class='intro'><p>{lead}</p></div></div>"
        "<div class='body'><div class='text'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div></div></body></html>"
    )
    text, trace = _text(page)
    assert text.startswith(lead)
    assert trace["lead_after_headline"] == 0
