"""The prune passes spare a box by what it holds, not by its name: synthetic pages
written for these tests (never dev-set pages)."""

from __future__ import annotations

from collections import Counter

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches

LINES = [
    f"Line {i} of the review: the keyboard's piano voices are warm and the weighted "
    f"keys respond evenly across the range, which matters for practice number {i}."
    for i in range(30)
]


def _review_page(box_class: str) -> str:
    # an article written as one block of lines split by <br> (no <p>), in a table
    # cell whose class is a template's navigation name; a short run of <p> elsewhere
    body = "<br>\n".join(LINES)
    return (
        "<html><head><title>Review</title></head><body>"
        "<table><tr><td><p>Product rating: four stars out of five.</p>"
        "<p>Posted in July by a reader.</p></td></tr>"
        f'<tr><td class="{box_class}"><span>{body}</span></td></tr></table>'
        '<div class="footer"><a href="/a">About</a> <a href="/b">Contact</a></div>'
        "</body></html>"
    )


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


def test_a_box_named_navigation_holding_the_pages_block_of_prose_is_kept():
    html = _review_page("nav-cell")
    text = _text(html)
    assert LINES[0] in text and LINES[-1] in text
    # without the rule, the box goes with its name
    assert LINES[0] not in _text(html, off=("prose_block",))


def test_the_rules_benchmark_sees_prose_block_fire():
    # benchmarks/extraction.py --rules re-runs only the pages where a rule fired:
    # a rule the trace does not count would be reported as doing nothing
    trace: Counter = Counter()
    with rule_switches((), trace):
        extract_text(_review_page("nav-cell"))
    assert trace["prose_block"] == 1


def test_a_comments_box_of_many_short_posts_still_goes():
    # most of the page's text, but no one long block: comments, not the article
    story = "".join(
        f"<p>{s} The council will meet again next week to settle the details.</p>"
        for s in LINES[:4]
    )
    posts = "".join(
        f'<div class="post"><b>reader{i}</b><div>{line}</div></div>'
        for i, line in enumerate(LINES[4:])
    )
    html = (
        f'<html><body><article>{story}</article><div class="comments">{posts}</div></body></html>'
    )
    text = _text(html)
    assert LINES[0] in text
    assert LINES[10] not in text


def test_a_short_block_in_a_navigation_box_still_goes():
    story = "".join(f"<p>{s}</p>" for s in LINES[:6])
    nav = "<br>".join(LINES[6:9])
    html = f'<html><body><div>{story}</div><div class="nav">{nav}</div></body></html>'
    text = _text(html)
    assert LINES[0] in text
    assert LINES[7] not in text


def test_a_block_in_a_sidebar_away_from_the_headline_still_goes():
    # a short post under its headline; a long bio written as lines in the sidebar
    bio = "<br>".join(LINES[:20])
    html = (
        "<html><head><title>Harbour ferry - Island Blog</title></head><body>"
        "<div><h1>Harbour ferry</h1>"
        "<p>The board said the new ferry runs from March, two crossings a day, "
        "weather permitting, after eleven years of waiting on the island.</p></div>"
        f'<div class="sidebar"><div>{bio}</div></div></body></html>'
    )
    text = _text(html)
    assert "two crossings a day" in text
    assert LINES[3] not in text
