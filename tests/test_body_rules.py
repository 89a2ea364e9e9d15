"""The extractor's rules as data (newsgrab/extract/body.py RULES), and the layouts
the shape rules were made for, on small pages written for these tests."""

from __future__ import annotations

import gc
import math
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from newsgrab.extract import extract_text
from newsgrab.extract.body import RULES, Rule, rule_switches

STAGES = ("prune", "element", "select", "block", "text")

STORY = (
    "The harbour board met on Tuesday evening, and the chair said the new ferry would "
    "run from March, weather permitting, with two crossings a day.",
    "Residents of the island have waited eleven years for a second boat, and many of "
    "them came to the meeting to hear the timetable read out in full.",
    "The board will publish the fares in January, after a consultation with the "
    "shipping company, the council and the island's own trust.",
)


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


# ------------------------------------------------------------------ the table


def test_every_rule_is_a_named_entry_with_its_stage_action_and_function():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names)), "rule names are unique"
    stages = [STAGES.index(rule.stage) for rule in RULES]
    assert stages == sorted(stages), "the table lists the rules in the order a page meets them"
    for rule in RULES:
        assert isinstance(rule, Rule)
        assert rule.action in ("remove", "keep"), rule.name
        assert rule.matches and rule.where, rule.name
        assert all(isinstance(v, int | float) for v in rule.limits.values()), rule.name
        assert callable(rule.test), rule.name


def test_the_readme_lists_every_rule_under_its_stage():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    listed = {}
    for stage in STAGES:
        row = re.search(rf"^\| `{stage}` \| (.*?) \|", readme, re.MULTILINE)
        assert row, stage
        listed[stage] = re.findall(r"`(\w+)`", row.group(1))
    assert listed == {
        stage: [rule.name for rule in RULES if rule.stage == stage] for stage in STAGES
    }


def test_an_unknown_rule_name_is_refused():
    with pytest.raises(ValueError, match="no_such_rule"), rule_switches(["no_such_rule"]):
        pass


def test_the_trace_counts_what_each_rule_did_and_off_rules_do_nothing():
    page = (
        "<html><body><article><h1>Ferry</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "<p>Advertisement - Island Bakery, open all winter.</p></article></body></html>"
    )
    trace: Counter = Counter()
    with rule_switches((), trace):
        text = extract_text(page)
    assert "Advertisement" not in text
    assert trace["boiler_line"] == 1
    trace_off: Counter = Counter()
    with rule_switches(["boiler_line"], trace_off):
        text_off = extract_text(page)
    assert text_off.endswith("Advertisement - Island Bakery, open all winter.")
    assert trace_off["boiler_line"] == 0
    # outside the block, every rule is on again
    assert "Advertisement" not in extract_text(page)


# ------------------------------------------------------------------ layouts


def _cell_page(lines: int = 1) -> str:
    story = "<br>\n<br>\n".join(STORY * lines)
    related = "".join(
        f"<br><a href='/a{i}'>Another story about the harbour, number {i}</a>" for i in range(40)
    )
    return (
        "<html><head><title>Ferry</title></head><body>"
        "<table><tr><td><a href='/'>Home</a> | <a href='/news'>News</a></td></tr>"
        f"<tr><td width='77%'><font>{story}</font><br><b>Related:</b>{related}</td>"
        "<td><a href='/x'>Sidebar link one</a><br><a href='/y'>Sidebar link two</a></td>"
        "</tr></table></body></html>"
    )


def test_text_in_br_runs_in_a_table_cell_next_to_a_list_of_links_is_kept():
    text = _text(_cell_page(3))
    for paragraph in STORY:
        assert paragraph in text
    assert "Another story about the harbour" not in text
    assert "Sidebar link" not in text


def test_page_read_into_the_head_by_an_unknown_tag_gives_its_text():
    page = (
        "<html><head><title>Ferry</title><mbox><table><tr><td>"
        + "<br><br>".join(STORY)
        + "</td></tr></table></body></html>"
    )
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)


def test_an_unclosed_link_around_the_page_does_not_make_it_a_list_of_links():
    page = (
        "<html><body><a href='/top'><div><table><tr><td>"
        + "".join(f"<p>{p}</p>" for p in STORY * 3)
        + "</td></tr></table></div></body></html>"
    )
    assert STORY[1] in _text(page)
    assert _text(page, off=("unclosed_link",)) == ""


def _thread_page(kind: str) -> str:
    article = "".join(f"<p>{p}</p>" for p in STORY)
    comment = (
        "I went to that meeting myself, and I have to say the chair did not answer a "
        "single question about the winter timetable, which is what most of us wanted "
        "to hear about; the board should hold another meeting before Christmas. "
    ) * 3
    if kind == "dl":
        posts = "".join(
            f"<dt class='c'><a href='/u{i}'>Reader {i}</a> said:</dt>"
            f"<dd class='c'><p>{comment}</p><p>{comment}</p></dd>"
            for i in range(5)
        )
        thread = f"<div id='talk'><dl>{posts}</dl></div>"
    else:
        posts = "".join(
            f"<li class='c'><div class='who'><img src='/a{i}.png'><a href='/u{i}'>Reader {i}"
            f"</a></div><div class='said'><p>{comment}</p><p>{comment}</p></div></li>"
            for i in range(5)
        )
        thread = f"<ol class='replies'>{posts}</ol>"
    return (
        "<html><body><div id='page'><div class='post'><h1>Ferry</h1>"
        f"{article}</div>{thread}</div></body></html>"
    )


@pytest.mark.parametrize("kind", ["dl", "ol"])
def test_comment_thread_after_the_article_is_dropped_by_its_shape(kind):
    page = _thread_page(kind)
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)
    assert "I went to that meeting myself" not in text
    # without the rule, the thread's long paragraphs win over the article
    assert "I went to that meeting myself" in _text(page, off=("comment_thread", "nested_thread"))


def test_forum_thread_without_an_article_before_it_keeps_every_post():
    posts = "".join(
        f"<li class='c'><div class='who'><a href='/u{i}'>Member {i}</a></div>"
        f"<div class='said'><p>Post {i}: {STORY[i % 3]}</p></div></li>"
        for i in range(5)
    )
    page = f"<html><body><h1>Ferry timetable?</h1><ol class='posts'>{posts}</ol></body></html>"
    text = _text(page)
    assert all(f"Post {i}:" in text for i in range(5))


def test_comments_printed_inside_the_articles_own_box_are_dropped():
    comment = (
        "Did you know the old ferry ran on the same route for forty years, and never "
        "once missed a crossing in winter, whatever the board says about the weather? "
    )
    posts = "".join(
        f"<div class='entry{i % 2 + 1}'><a name='c{i}'></a><div class='avatar'>"
        f"<img src='/a{i}.png'></div><span>written by reader {i}</span><br>"
        f"<div class='said'>{comment * 2}</div></div>"
        for i in range(6)
    )
    page = (
        "<html><body><div class='article-content'><h1>Ferry</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + f"<span><div id='talk'>{posts}</div></span></div></body></html>"
    )
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)
    assert "never once missed a crossing" not in text
    assert "never once missed a crossing" in _text(page, off=("nested_thread",))


def test_a_story_split_by_a_box_in_nested_layout_tables_is_kept_whole():
    nest = "<table><tr><td>" * 4
    unnest = "</td></tr></table>" * 4
    first = "<br><br>".join(STORY)
    later = [
        "Later in the evening the chair took questions from the floor, and most of them "
        "were about the winter months, when the crossing is often rough.",
        "She said the new boat was built for heavier seas, and that the company had "
        "promised a relief vessel for the weeks when it is in dock.",
        "The trust thanked the board, and asked for the timetable to be posted in the "
        "harbour office, at the shop and in the school.",
        "A second meeting will be held in the spring, before the first crossings, so "
        "that the island can see the boat and ask more questions.",
    ]
    page = (
        "<html><body><table><tr><td><a href='/'>Home</a></td></tr>"
        f"<tr><td>{first}<br><br>"
        "<table><tr><td class='caption'><a href='/v'>Play video</a></td></tr></table>"
        f"{nest}<p>{later[0]}</p><p>{later[1]}</p><p>{later[2]}</p><p>{later[3]}</p>{unnest}"
        "</td></tr></table></body></html>"
    )
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY + tuple(later))
    assert STORY[0] not in _text(page, off=("climb_to_parent",))


def test_a_hidden_copy_of_the_article_for_a_script_is_not_taken_twice():
    article = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        f"<html><body><div class='entry'><h1>Ferry</h1>{article}</div>"
        f"<div class='box'><div style='display: none' id='copy'>{article}</div></div>"
        "</body></html>"
    )
    text = _text(page)
    assert all(text.count(paragraph) == 1 for paragraph in STORY), text
    assert _text(page, off=("hidden_style",)).count(STORY[1]) == 2


def test_a_short_post_before_a_long_comment_in_a_comments_box_is_the_article():
    post = (
        "The harbour board met on Tuesday and said the new ferry would run from "
        "March, with two crossings a day; the fares follow in January."
    )
    comment = " ".join(STORY)
    page = (
        "<html><body><div id='main'><div class='entry'><h2>Ferry</h2>"
        f"<p>{post}</p></div>"
        "<div id='comments'><h3>1 Comment</h3><ol><li>"
        f"<p>{comment}</p><p><a href='/u'>A reader</a></p></li></ol></div>"
        "</div></body></html>"
    )
    text = _text(page)
    assert post in text
    assert STORY[0] not in text
    # without the rule, the comment's run of paragraphs is the page's main one
    assert STORY[0] in _text(page, off=("article_before_box",))


def test_one_long_comment_after_a_story_told_without_paragraphs_is_dropped():
    story = " ".join(STORY)
    said = "".join(f"<p>I was there too. {p} {p}</p>" for p in STORY)
    page = (
        "<html><body><div class='item'><h2>Ferry</h2>"
        f"<div class='intro'>{story} {story}</div></div>"
        f"<div class='wrap'><div class='cw' id='comment_1'><div>{said}</div></div></div>"
        "</body></html>"
    )
    text = _text(page)
    assert STORY[0] in text
    assert "I was there too" not in text
    assert "I was there too" in _text(page, off=("comments_box",))


def test_a_forum_thread_in_a_comments_box_with_nothing_before_it_is_kept():
    comment = " ".join(STORY)
    page = (
        "<html><body><div id='main'><h1>Ferry timetable?</h1>"
        f"<div id='comments'><ol><li><p>{comment}</p></li><li><p>{comment}</p></li></ol>"
        "</div></div></body></html>"
    )
    assert STORY[0] in _text(page)


def test_one_long_notice_elsewhere_on_the_page_does_not_pull_the_page_in():
    notice = (
        "This site is run by the island trust, which holds the rights to every text "
        "and picture on it; nothing may be copied without written leave, and the "
        "trust answers for no loss that comes from reading it. "
    ) * 3
    story = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><body><div id='page'><div id='main'><div class='story'><h1>Ferry</h1>"
        f"{story}</div></div><div id='rail'><ul><li><a href='/a'>Ferry fares</a></li>"
        "<li><a href='/b'>Island school</a></li></ul></div>"
        f"<div id='legal'><div>{notice}</div></div></div></body></html>"
    )
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)
    assert "written leave" not in text, text


def test_a_link_alone_between_the_storys_paragraphs_is_kept_a_link_list_after_is_not():
    story = (
        f"<p>{STORY[0]}<br><a href='/ports/north'>North Harbour (pier two)</a><br>"
        f"<a href='/ports/south'>South Quay</a><br>{STORY[1]}</p><p>{STORY[2]}</p>"
        "<p><a href='/ferry-fares'>Ferry fares for next year</a></p>"
        "<p><a href='/school'>The island school reopens</a></p>"
    )
    page = f"<html><body><div class='story'><h1>Ferry</h1>{story}</div></body></html>"
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)
    assert "North Harbour (pier two)" in text and "South Quay" in text, text
    assert "Ferry fares" not in text and "island school" not in text, text


def _short_post_page() -> str:
    note = (
        "Pictures on this blog are credited where we know their makers; if one of "
        "yours is here without credit write to us and we will credit it or take it "
        "down as you prefer within a day of hearing from you."
    )
    links = "".join(f"<li><a href='/b{i}'>Island blog {i}</a></li>" for i in range(5))
    return (
        "<html><body><div id='main'><div class='entry'><h2>Ferry day</h2>"
        f"<div class='entry-body'><p>{STORY[0]}</p></div></div></div>"
        "<div id='side'><p>This blog is written on the island itself.</p>"
        f"<ul>{links}</ul><p>Its pictures are by the islanders, mostly.</p>"
        f"<ul><li><div>{note}</div></li></ul></div></body></html>"
    )


def test_a_short_post_is_not_lost_to_the_whole_page_for_one_long_sidebar_note():
    # (the page's text is not scattered over many modules: one long note alone in
    # its box does not count)
    text = _text(_short_post_page())
    assert STORY[0] in text
    assert "credit it or take it down" not in text, text
    assert "Island blog 3" not in text and "written on the island" not in text, text


def test_a_forms_messages_beside_the_story_are_not_a_section_of_it():
    story = "".join(f"<p>{p}</p>" for p in STORY)
    messages = (
        "<p>That address does not look right: it needs an @ and a domain that exists.</p>"
        "<p>The password needs eight characters or more, one of them a capital letter.</p>"
    )
    page = (
        f"<html><body><div id='page'><div class='story'><h1>Ferry</h1>{story}</div>"
        f"<div class='signup'><form action='/join'>{messages}</form></div></div></body></html>"
    )
    text = _text(page)
    assert all(paragraph in text for paragraph in STORY)
    assert "password" not in text and "domain" not in text, text


# ------------------------------------------------------------------ time


def _threads_page(n: int) -> str:
    article = "".join(f"<p>{p}</p>" for p in STORY)
    posts = "".join(
        f"<li class='c'><div class='who'><img src='/a.png'><a href='/u{i}'>Reader {i}</a>"
        f"</div><div class='said'><p>{STORY[i % 3]} {STORY[(i + 1) % 3]}</p>"
        f"<a href='/r{i}'><div>reply {i}</div></a></div></li>"
        for i in range(n)
    )
    return f"<html><body><div class='post'>{article}</div><ol>{posts}</ol></body></html>"


def test_thread_and_link_passes_take_time_linear_in_the_page():
    small, large = _threads_page(300), _threads_page(1200)
    times = {"small": math.inf, "large": math.inf}
    for _ in range(5):  # best of five, in turn (a busy machine)
        for name, html in (("small", small), ("large", large)):
            gc.collect()
            start = time.process_time()
            extract_text(html)
            times[name] = min(times[name], time.process_time() - start)
    assert times["large"] < 6 * times["small"], times


def _hidden_copies_page(n: int) -> str:
    article = "".join(f"<p>{p}</p>" for p in STORY)
    nest = "".join(f"<div style='display:none'><p>{STORY[i % 3]}</p>" for i in range(n))
    copies = f"{nest}{'</div>' * n}"
    return f"<html><body><div class='entry'>{article}</div>{copies}</body></html>"


def test_nested_hidden_copies_take_time_linear_in_the_page():
    # (each box's check reads its text: checking them all would be quadratic)
    small, large = _hidden_copies_page(40), _hidden_copies_page(200)
    assert _text(large).count(STORY[0]) == 1
    times = {"small": math.inf, "large": math.inf}
    for _ in range(5):  # best of five, in turn (a busy machine)
        for name, html in (("small", small), ("large", large)):
            gc.collect()
            start = time.process_time()
            extract_text(html)
            times[name] = min(times[name], time.process_time() - start)
    assert times["large"] < 5 * times["small"], times
