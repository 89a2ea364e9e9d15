"""Article text the extractor used to leave out (issue #12, recall), on small pages
written for these tests: each test fails with its rule's change reverted."""

from __future__ import annotations

from test_body_rules import STORY

from newsgrab.extract import extract_text


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


def _listed(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def test_a_list_of_linked_titles_with_words_of_their_own_inside_the_story_is_kept():
    results = [
        f"<a href='/mail/{n}'>{title}</a> – {rate}"
        for n, (title, rate) in enumerate(
            [
                ("Copy ebook giveaway for readers", "15.7%"),
                ("Bad news from the printer", "16.2%"),
                ("Why we love the new ferry", "17.1%"),
                ("Have you read this book yet", "18.0%"),
            ]
        )
    ]
    html = _page(f"<p>{STORY[0]}</p>{_listed(results)}<p>{STORY[1]}</p><p>{STORY[2]}</p>")
    text = extract_text(html)
    assert "Bad news from the printer – 16.2%" in text
    assert "Have you read this book yet – 18.0%" in text
    # a list that is all links between the same paragraphs still goes
    links = [f"<a href='/more/{n}'>More island news, part {n}</a>" for n in range(4)]
    html = _page(f"<p>{STORY[0]}</p>{_listed(links)}<p>{STORY[1]}</p><p>{STORY[2]}</p>")
    text = extract_text(html)
    assert STORY[1] in text
    assert "More island news" not in text


def test_a_list_of_short_lines_closing_the_story_is_kept_a_few_scraps_are_not():
    ranking = "".join(f"<p>{n}. Ferry number {n}</p>" for n in range(1, 7))
    html = _page("".join(f"<p>{p}</p>" for p in STORY) + ranking)
    text = extract_text(html)
    assert text.endswith("5. Ferry number 5\n\n6. Ferry number 6")
    html = _page("".join(f"<p>{p}</p>" for p in STORY) + "<p>Top video</p><p>Join us</p>")
    assert extract_text(html).endswith(STORY[2])


def test_a_glossary_after_the_story_is_not_taken_for_a_thread_of_posts():
    terms = [
        ("ferry", "a boat that carries people and goods across a stretch of water"),
        ("harbour", "a place on the coast where boats shelter and tie up"),
        ("crossing", "one trip of the ferry from the island to the mainland"),
        ("timetable", "the list of the ferry's departures, read out at the meeting"),
        ("slipway", "the ramp down which cars drive onto the boat at low tide"),
    ]
    glossary = "".join(
        f"<dt><a name='{term}'><strong>{term}</strong></a></dt><dd>{meaning}</dd>"
        for term, meaning in terms
    )
    html = _page("".join(f"<p>{p}</p>" for p in STORY) + f"<h2>Glossary</h2><dl>{glossary}</dl>")
    text = extract_text(html)
    assert STORY[2] in text
    assert "the ramp down which cars drive onto the boat at low tide" in text


def test_a_linked_sentence_among_the_storys_paragraphs_is_kept_a_read_also_line_is_not():
    linked = (
        "<a href='/video/ferry'>This week's film shows the new ferry on its first "
        "crossing, from the slipway to the island harbour</a>."
    )
    also = "Read also: <a href='/news/2'>Island council rejects the plan for a new bridge</a>"
    html = _page(f"<p>{STORY[0]}</p><p>{linked}</p><p>{also}</p><p>{STORY[1]}</p><p>{STORY[2]}</p>")
    text = extract_text(html)
    assert "This week's film shows the new ferry on its first crossing" in text
    assert "Island council rejects" not in text


def test_a_sub_heading_marked_by_a_named_anchor_is_kept():
    parts = [
        f"<h2><a name='part{i}'>Part {i}: the {word}</a></h2><p>{STORY[i]}</p>"
        for i, word in enumerate(("meeting", "residents", "fares"))
    ]
    text = extract_text(_page("".join(parts)))
    assert "Part 1: the residents" in text
    assert "Part 2: the fares" in text
