"""Article text the extractor used to leave out (issue #12, recall), on small pages
written for these tests: each test fails with its rule's change reverted."""

from __future__ import annotations

from newsgrab.extract import extract_text

STORY = (
    "The harbour board met on Tuesday evening, and the chair said the new ferry would "
    "run from March, weather permitting, with two crossings a day.",
    "Residents of the island have waited eleven years for a second boat, and many of "
    "them came to the meeting to hear the timetable read out in full.",
    "The board will publish the fares in January, after a consultation with the "
    "shipping company, the council and the island's own trust.",
)


def _page(inner: str) -> str:
    return (
        "<html><head><title>Ferry timetable</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Ferry timetable</h1>{inner}</article>"
        "<footer>(c) The Island Paper</footer></body></html>"
    )


def test_a_dated_first_sentence_is_the_storys_first_paragraph_not_a_dateline():
    first = "On 3 May 2026 the island's new ferry left the harbour for its first crossing."
    html = _page(f"<p>3 May 2026</p><p>{first}</p>" + "".join(f"<p>{p}</p>" for p in STORY))
    text = extract_text(html)
    assert first in text
    assert not text.startswith("3 May 2026")  # the dateline itself still goes
