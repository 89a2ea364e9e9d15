"""Text kept besides the article (a blog's description, a teaser list, a comment
thread): the rules that leave it out, on small pages written for these tests."""

from __future__ import annotations

from test_body_select import STORY, _text

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


# ------------------------------------------------------------------ signed_thread

COMMENTS = (
    "I took that ferry last summer and the crossing was rough, but the crew were "
    "kind to every passenger on board.",
    "Two crossings a day will not be enough in August, when the island fills up with "
    "visitors and their cars.",
    "The fares matter more than the timetable: a family return costs more than a week "
    "of groceries on the island.",
)


def _signed_page(link: bool = True) -> str:
    def posted(name: str, hour: int) -> str:
        who = f"<a href='/u/{name}'>{name}</a>" if link else name
        return f"<p class='posted'>Posted by: {who} at May 3, 2026 {hour}:12 AM</p>"

    comments = "".join(
        f"<div id='c{i}'><p>{c}</p></div>" + posted(f"reader{i}", i + 8)
        for i, c in enumerate(COMMENTS)
    )
    return (
        "<html><head><title>Harbour Diary: Ferry timetable agreed</title></head><body>"
        "<div class='content'><h3>Ferry timetable agreed</h3>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "<p class='posted'>Posted by <a href='/jane'>Jane</a> at May 3, 2026 7:02 AM</p>"
        "<h2>Comments</h2>" + comments + "</div></body></html>"
    )


def test_a_thread_signed_line_by_line_in_the_posts_box_is_dropped():
    text, trace = _text(_signed_page())
    for paragraph in STORY:
        assert paragraph in text
    for comment in COMMENTS:
        assert comment not in text
    assert trace["signed_thread"] > 0
    text_off, _ = _text(_signed_page(), off=("signed_thread",))
    assert all(comment in text_off for comment in COMMENTS)


def test_dated_lines_without_a_poster_or_a_permalink_are_the_articles():
    # a programme of dated entries: no names, no links, nothing signs a post
    text, trace = _text(_signed_page(link=False))
    assert all(comment in text for comment in COMMENTS)
    assert trace["signed_thread"] == 0


def test_a_front_page_of_dated_posts_without_a_headline_is_kept():
    page = _signed_page().replace("<h3>Ferry timetable agreed</h3>", "<h3>Harbour news</h3>")
    text, trace = _text(page)
    assert all(comment in text for comment in COMMENTS)
    assert trace["signed_thread"] == 0


# ------------------------------------------------------------------ hidden_class


def _hidden_copy_page() -> str:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        "<html><head><title>Ferry timetable agreed</title></head><body>"
        "<h1>Ferry timetable agreed</h1>"
        f"<div class='story snippet hidden'>{story}</div>"
        f"<div class='story full'>{story}</div>"
        "<div class='panel hide'><p>Your session has expired, and the page will now "
        "reload itself, so please sign in again to go on reading the paper.</p></div>"
        "</body></html>"
    )


def test_a_copy_of_the_story_hidden_by_its_class_is_not_taken_twice():
    text, trace = _text(_hidden_copy_page())
    for paragraph in STORY:
        assert text.count(paragraph) == 1
    assert "session has expired" not in text
    assert trace["hidden_class"] >= 1
    text_off, _ = _text(_hidden_copy_page(), off=("hidden_class",))
    assert text_off.count(STORY[0]) == 2


# ------------------------------------------------------------------ headline_story

MODULE_TEXT = (
    "Our readers' club meets in the library on the first Friday of every month to "
    "talk about the paper, the town and the weather, module {i}."
)


def _layout_page() -> str:
    side = "".join(
        f"<td class='side{i}'><div class='module'><p>{MODULE_TEXT.format(i=i)}</p></div></td>"
        for i in range(4)
    )
    return (
        "<html><head><title>Ferry timetable agreed</title></head><body><table><tr>"
        "<td id='main'><div class='story'><h1>Ferry timetable agreed</h1>"
        "<div class='body'>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div></div></td>"
        + side
        + "</tr></table></body></html>"
    )


def test_the_climb_to_a_parent_stops_at_the_headlines_box():
    text, trace = _text(_layout_page())
    for paragraph in STORY:
        assert paragraph in text
    assert "readers' club" not in text
    assert trace["headline_story"] == 1
    text_off, trace_off = _text(_layout_page(), off=("headline_story",))
    assert "readers' club" in text_off
    assert trace_off["climb_to_parent"] == 1
