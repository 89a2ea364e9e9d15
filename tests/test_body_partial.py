"""Rules that keep the whole article where only part of it was given (precise but
partial output), on small pages written for these tests."""

from __future__ import annotations

from test_body_rules import STORY

from newsgrab.extract import extract_text
from newsgrab.extract.body import rule_switches


def _page(*tail: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in (*STORY, *tail))
    return (
        "<html><head><title>A second ferry for the island</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<article><h1>A second ferry for the island</h1>"
        f"<div class='body'>{paras}</div></article>"
        "<footer><p>The Island Gazette, 4 Quay Street</p></footer></body></html>"
    )


def _text(html: str, off: tuple[str, ...] = ()) -> str:
    with rule_switches(off):
        return extract_text(html)


# ------------------------------------------------------------- call_to_action


# the author's closing paragraph, 150 characters or more, that mentions
# following or subscribing in passing
OWN_CLOSE = (
    "Each week this column looks at one of the island's boats and the people who "
    "crew them; if you would like to see all the past columns as they come out, "
    "subscribe to the feed."
)
# a sign-up pitch as long
SIGN_UP = (
    "Missing out on the island's news? Enter your email below to receive the "
    "newsletter every Friday, with the week's stories, the tide tables and the "
    "ferry timetable straight to your inbox."
)


def test_a_long_closing_paragraph_that_mentions_subscribing_is_the_authors_own():
    assert len(OWN_CLOSE) >= 150
    text = _text(_page(OWN_CLOSE))
    assert text.endswith(OWN_CLOSE)


def test_a_long_newsletter_sign_up_and_short_calls_to_action_still_go():
    assert len(SIGN_UP) >= 150
    text = _text(_page(SIGN_UP, "Follow us on Twitter and Instagram."))
    assert text.endswith(STORY[-1])
    with_rule_off = _text(_page(SIGN_UP), ("call_to_action",))
    assert with_rule_off.endswith(SIGN_UP)


# ------------------------------------------------------------- section_header


def _fold_out_page() -> str:
    """A story whose last part is fold-out sections, each titled by a <header>
    holding only its sub-heading; a box beside the story has a header too."""
    folds = "".join(
        f"<li class='fold'><header class='fold-head'><h3>{title}</h3></header>"
        f"<div class='fold-body'><p>{body}</p></div></li>"
        for title, body in (
            (
                "What the new ferry brings:",
                "Two crossings a day all year, a covered deck for foot passengers and "
                "room for twelve cars, twice what the old boat could carry.",
            ),
            (
                "What it costs the island:",
                "The council pays a third of the running costs for ten years, and the "
                "trust pays for the new waiting room at the quay.",
            ),
        )
    )
    paras = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        "<html><head><title>A second ferry for the island</title></head><body>"
        "<header class='site'><a href='/'>The Island Gazette</a></header>"
        "<article><h1>A second ferry for the island</h1>"
        f"<div class='body'>{paras}<ul class='folds'>{folds}</ul></div></article>"
        "<section class='more'><header><h2>More from the harbour</h2></header>"
        "<ul><li><a href='/a'>The lighthouse gets a new lamp after forty years</a></li>"
        "<li><a href='/b'>Fishing boats stay in port as the storm comes in</a></li></ul>"
        "</section></body></html>"
    )


def test_a_header_holding_only_a_sections_sub_heading_in_the_story_is_kept():
    text = _text(_fold_out_page())
    assert "What the new ferry brings:" in text
    assert "What it costs the island:" in text
    assert "More from the harbour" not in text and "The Island Gazette" not in text
    assert "What the new ferry brings:" not in _text(_fold_out_page(), ("section_header",))


# --------------------------------------------------------------- kin_sections

REST = (
    "The new boat was built in a yard on the mainland and sailed over on Monday, "
    "with the harbour master and two of the board's members on board for the trip.",
    "It carries twelve cars and two hundred foot passengers, and its covered deck "
    "will keep the school children dry on the winter crossings.",
    "The old ferry, which has served the island since the year the pier was last "
    "rebuilt, will run on Sundays until the summer and then go to the museum.",
    "The board thanked the islanders for their patience, and said the timetable "
    "would be posted at the quay, the shop and the school by the end of the month.",
)


def _parted_page() -> str:
    """A story printed in two parts around a side rail: the lead in one box, the
    rest in another, each an <article> in a box of the same kind."""
    lead = "".join(f"<p>{p}</p>" for p in STORY[:2])
    rest = "".join(f"<p>{p}</p>" for p in (STORY[2], *REST))
    return (
        "<html><head><title>A second ferry for the island</title></head><body>"
        "<h1>A second ferry for the island</h1><div id='story'>"
        f"<div class='story-body lead-part'><article>{lead}</article></div>"
        "<div class='rail'><a href='/c'>Comments</a> <a href='/p'>Print</a> "
        "<a href='/e'>E-mail</a></div>"
        f"<div class='story-body'><article>{rest}</article></div>"
        "</div><div class='more'><a href='/x'>The lighthouse gets a new lamp</a></div>"
        "</body></html>"
    )


def test_the_lead_printed_in_a_box_like_the_storys_before_a_side_rail_is_kept():
    text = _text(_parted_page())
    assert text.startswith(STORY[0])
    assert text.endswith(REST[-1])
    assert "Print" not in text and "lighthouse" not in text
    assert not _text(_parted_page(), ("kin_sections",)).startswith(STORY[0])


# ----------------------------------------------------------- between_sections

INTRO = (
    "Last Friday the harbour board approved the plan for a second ferry, after a "
    "meeting that ran late into the evening. The boat will run from March, and the "
    "islanders, who asked for it for eleven years, will pay the old fares until June."
)


def _intro_page() -> str:
    """The story's intro in a paragraph of its own between the header (headline and
    standfirst, the headline no h1) and the box of the body."""
    body = "".join(f"<p>{p}</p>" for p in (*STORY, *REST))
    return (
        "<html><head><title>A second ferry for the island</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><div class='wrap'>"
        "<header class='story-head'><h2>A second ferry for the island</h2>"
        "<p>Eleven years of waiting end as the harbour board says yes to a second boat "
        "for the people of the island.</p></header>"
        f"<p class='intro'>{INTRO}</p>"
        f"<div class='col'><div class='col-inner'>{body}</div></div>"
        "</div><footer><p>The Island Gazette, 4 Quay Street</p></footer></body></html>"
    )


def test_prose_between_the_storys_header_and_its_body_is_taken():
    assert len(INTRO) > 200
    text = _text(_intro_page())
    assert INTRO in text
    assert text.endswith(REST[-1])
    assert "Island Gazette" not in text
    assert INTRO not in _text(_intro_page(), ("between_sections",))


# -------------------------------------------------------------- pre_body_lead


def _standfirst_and_intro_page() -> str:
    """A standfirst in the header (taken as the header's lead), then the intro in a
    paragraph of its own beside the box of the body."""
    body = "".join(f"<p>{p}</p>" for p in (*STORY, *REST))
    return (
        "<html><head><title>A second ferry for the island</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><div class='wrap'>"
        "<div class='story-head'><h1>A second ferry for the island</h1>"
        "<p>Eleven years of waiting end as the board says yes to a second boat.</p></div>"
        f"<div class='inner'><p class='intro'>{INTRO}</p>"
        f"<div class='col'><div class='col-inner'>{body}</div></div></div>"
        "</div><footer><p>The Island Gazette, 4 Quay Street</p></footer></body></html>"
    )


def test_the_intro_after_a_header_standfirst_is_still_the_storys_lead():
    text = _text(_standfirst_and_intro_page())
    assert text.startswith("Eleven years of waiting")
    assert INTRO in text
    assert text.endswith(REST[-1])
    # (the standfirst alone, without the intro, when the lead rule is off)
    assert INTRO not in _text(_standfirst_and_intro_page(), ("pre_body_lead",))
