"""The article body.

Two stages, each walking the tree once:

1. lxml (C speed): parse, drop what is never article text (scripts, navigation,
   forms, figures, hidden nodes) and subtrees whose class/id names boilerplate
   (share bars, related lists, comments, newsletters, ...), unless they hold the
   page's main run of paragraphs.
2. beautifulsoup4 (lxml builder, public API only) on what is left, serialized
   by lxml and parsed again: one iterative walk cuts the tree into text blocks,
   scores containers by the paragraphs they hold (length, punctuation, link
   density, class hints), picks the best container plus the siblings that belong
   to it, and emits its blocks in order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from lxml import etree

from newsgrab.extract.dates import parse_date

# ------------------------------------------------------------------ stage 1: lxml

_KILL_TAGS = (
    "script",
    "style",
    "noscript",
    "svg",
    "math",
    "iframe",
    "template",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "picture",
    "button",
    "select",
    "textarea",
    "input",
    "label",
    "figcaption",
    "link",
    "meta",
    # raw text to the parser (never shown by a browser that runs the page)
    "noframes",
    "noembed",
)
# raw text to the parser but shown as preformatted text: read as a <pre>
_RAW_TEXT_SHOWN = ("xmp", "plaintext", "listing")
_NEGATIVE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menus?|footer|header|masthead|breadcrumbs?|"
    r"share|sharing|sharebar|social|socials|related|relateds|recommend\w*|more-?stories|"
    r"most-?(?:read|popular|viewed)|popular|trending|read-?more|readmore|"
    r"comments?|comment-?list|disqus|newsletter|subscri\w*|signup|sign-up|"
    r"promo\w*|sponsor\w*|ads?|adv|advert\w*|advertising|dfp|banner|"
    r"cookies?|consent|gdpr|sidebar|side-bar|widgets?|tags?|tag-?list|keywords|"
    r"author-?(?:bio|box|info|card)|bio|about-?(?:the-)?author|caption|credits?|"
    r"modal|popup|pop-up|overlay|outbrain|taboola|paywall|disclaimer|"
    r"pagination|pager|toolbar|rating|skip|byline|dateline|meta|"
    r"more|listing|topics|series|carousel|slider|"
    r"visually-?hidden|sr-only|screen-?reader\w*|tooltip|toc|"
    r"feedback|survey|donate|donation|callout|cta|inline-?related)(?=$|[\s_-])",
    re.IGNORECASE,
)
# names never spared, however much text they hold
_STRONG_NEGATIVE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menus?|footer|sidebar|side-bar|comments?|"
    r"comment-?list|disqus|related|recommend\w*|share|sharing|social|newsletter|"
    r"cookies?|consent|dsgvo|most-?(?:read|popular|viewed))(?=$|[\s_-])",
    re.IGNORECASE,
)
# the box that follows an article (of the names never spared; a share or social box
# can wrap the whole article)
_AFTER_ARTICLE = re.compile(
    r"(?:^|[\s_-])(?:comments?|comment-?list|disqus)(?=$|[\s_-])", re.IGNORECASE
)
_POSITIVE = re.compile(
    r"(?:^|[\s_-])(?:article|articles|body|content|main|post|entry|story|text|"
    r"prose|richtext|rich-text|blog|news)(?:$|[\s_-])",
    re.IGNORECASE,
)
# structural tags that are boilerplate unless they wrap the article (broken markup does)
_BOILER_TAGS = frozenset(["nav", "aside", "footer", "header", "figure", "dialog", "menu"])
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_DEPTH_LIMIT = re.compile(r"depth", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_SELF_CLOSED_ROOT = re.compile(r"<(html|body)(\s[^<>]*?)?/>", re.IGNORECASE)
# tags kept when a pathologically deep page is flattened
_FLAT_KEEP = re.compile(
    r"<(?!/?(?:p|br|h[1-6]|title|meta|head|body|html|script|style)\b)/?[A-Za-z][^>]*>"
)


def parse_lxml(markup: str):
    """Parse with lxml; a page nested deeper than libxml2 allows is flattened first."""
    markup = _XML_DECL.sub("", markup, count=1)
    # a self-closed <html .../> or <body .../> is read as opened, as browsers read it
    # (libxml2 would drop the page after it, or leave the body empty)
    markup = _SELF_CLOSED_ROOT.sub(r"<\1\2>", markup, count=2)
    if "\x00" in markup:
        markup = markup.replace("\x00", "")
    for attempt in range(2):
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        try:
            root = etree.fromstring(markup, parser)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None
        if attempt == 0 and any(
            e.type_name == "ERR_RESOURCE_LIMIT" or _DEPTH_LIMIT.search(e.message)
            for e in parser.error_log
        ):
            markup = _FLAT_KEEP.sub("\n", markup)
            continue
        break
    if root is not None and root.find("body") is None:
        _body_out_of_head(root)
    return root


_HEAD_TAGS = frozenset(["title", "meta", "link", "style", "script", "base", "noscript", "template"])


def _body_out_of_head(root) -> None:
    """An unknown tag early in the <head> makes the parser read the whole page into
    the head, with no <body>: from the first element a head cannot hold on, the
    head's content is the body."""
    head = root.find("head")
    if head is None:
        return
    stray = next(
        (i for i, el in enumerate(head) if isinstance(el.tag, str) and el.tag not in _HEAD_TAGS),
        None,
    )
    if stray is None:
        return
    body = etree.SubElement(root, "body")
    for el in list(head)[stray:]:
        body.append(el)


def _drop(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _class_id(el) -> str:
    cls = el.get("class")
    ident = el.get("id")
    if cls and ident:
        return cls + " " + ident
    return cls or ident or ""


# compiled once (el.xpath would compile its expression on every call)
_STRING = etree.XPath("string(.)")
_STRING_LENGTH = etree.XPath("string-length(.)")


def _text_len(el) -> int:
    return int(_STRING_LENGTH(el))


_LEAF_BLOCKS = ("p", "div", "span", "h2", "h3", "h4", "h5", "h6")
_INNER_BLOCKS = frozenset(["p", "div", "ul", "ol", "table", "section", "article", "header"])


def _holds_lead(header, near: set) -> bool:
    """An article header (headline, standfirst) rather than the site's: a run of
    prose in it (a leaf block of 80+ characters, ten words, mostly not links), and
    no navigation unless it sits right by the page's main run of paragraphs."""
    if (
        header.getparent() not in near
        and header.find(".//h1") is None
        and (header.find(".//nav") is not None or header.find(".//ul") is not None)
    ):
        return False
    for el in header.iter(_LEAF_BLOCKS):
        if any(child.tag in _INNER_BLOCKS for child in el):
            continue
        text = _STRING(el)
        n = len(text)
        if n < 80 or (text.count(" ") < 9 and not _CJK.search(text)):
            continue
        links = sum(len(_STRING(a)) for a in el.iter("a"))
        if links < 0.2 * n:
            return True
    return False


def _drop_link_cards(root, limits: Mapping[str, float], trace, name: str) -> None:
    """A box of links nested inside a paragraph of prose (a hover card on a name,
    an inline list of related links) goes: it would make the paragraph look like
    a link list. Deepest first, so the link the card hangs on stays.

    Linear in the page: the boxes (elements other than links holding two links or
    more) are found by counting each link once per ancestor within its paragraph
    (libxml2's XPath merges node sets in quadratic time), and each paragraph's
    length is measured once, then lowered as boxes are dropped from it."""
    boxes: list = []
    seen: set = set()
    for p in root.iter("p"):
        if p in seen:
            continue  # a paragraph inside a paragraph: done with its outer one
        counts: dict = {}
        for a in p.iter("a"):
            for anc in a.iterancestors():
                if anc is p:
                    break
                counts[anc] = counts.get(anc, 0) + 1
        if not any(n > 1 for n in counts.values()):
            continue
        for el in p.iterdescendants():
            if el.tag == "p":
                seen.add(el)
            if el.tag != "a" and counts.get(el, 0) > 1:
                boxes.append(el)
    para_len: dict = {}
    for el in reversed(boxes):
        parent = el.getparent()
        if parent is None:
            continue
        n = _text_len(el)
        if n < limits["min_chars"]:
            continue
        links = sum(len(_STRING(a)) for a in el.iter("a"))
        if links < limits["min_link_share"] * n:
            continue
        para = next(el.iterancestors("p"), None)
        if para is None:
            continue
        if para not in para_len:
            para_len[para] = _text_len(para)
        if para_len[para] - n >= limits["min_prose_left"]:
            tail = el.tail
            _drop(el)
            _count(trace, name)
            gone = n + (len(tail) if tail and not tail.strip() else 0)
            node = parent
            while node is not None:
                if node in para_len:
                    para_len[node] -= gone
                node = node.getparent()


def _swallowed(header, limits: Mapping[str, float]) -> bool:
    """A <header> holding far more running text than a header does, few of it
    links: an unclosed tag in it made the parser put the content inside."""
    n = _text_len(header)
    if n < limits["swallowed_chars"]:
        return False
    links = sum(len(_STRING(a)) for a in header.iter("a"))
    return links < limits["swallowed_link_share"] * n


# attributes that can hide an element or name it boilerplate, other than class/id
_FLAG_ATTRS = frozenset(["hidden", "aria-hidden", "style", "role"])
_BOILER_ROLES = frozenset(
    ["navigation", "banner", "contentinfo", "complementary", "dialog", "menu"]
)
_STRONG = "strong"
_NAMED = "named"


def _name_kind(names: str) -> str:
    """'' for class/id names that say nothing (or say content), _NAMED for names of
    boilerplate, _STRONG for names of boilerplate never spared."""
    if _POSITIVE.search(names):
        return ""
    if _STRONG_NEGATIVE.search(names):
        return _STRONG
    return _NAMED if _NEGATIVE.search(names) else ""


# verdicts of an element rule (None: no opinion, the next rule looks)
_DROP = "drop"
_KEEP = "keep"  # kept by this rule
_SPARED = "spared"  # would go, but holds the page's main run of paragraphs


@dataclass(slots=True)
class _PruneCtx:
    """What the element rules know of the page, measured once per page."""

    root: Any
    protected: set = field(default_factory=set)
    main_line: set = field(default_factory=set)
    near: set = field(default_factory=set)
    kinds: dict = field(default_factory=dict)  # class/id names -> _name_kind
    total: int = -1  # the body's text length, measured when first needed
    top_run: Any = None  # the container of the page's main run of <p>
    opening: str | None = None  # its opening words, read when first needed
    copy_checks: int = 0  # hidden boxes read for a copy of the main run so far
    headline: Any = None  # the heading that is the page's title (see _find_headline)
    headline_line: set = field(default_factory=set)  # it and its ancestors
    block: Any = None  # (length, line) of the longest block of prose (see _prose_block)

    run_len: int = -1  # the main run's text length, measured when first needed

    def top_run_len(self, at_least: float) -> bool:
        if self.run_len < 0:
            self.run_len = _text_len(self.top_run)
        return self.run_len >= at_least

    def page_len(self) -> int:
        if self.total < 0:
            body = self.root.find("body")
            self.total = _text_len(body if body is not None else self.root)
        return self.total

    def kind(self, el) -> str:
        names = _class_id(el)
        if not names:
            return ""
        kind = self.kinds.get(names)
        if kind is None:
            kind = self.kinds[names] = _name_kind(names)
        return kind


def _pass_noscript(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    # a <noscript> holding real paragraphs is the page's own no-JS rendering of the
    # article (the scripted copy is dropped with the scripts): keep it as a <div>
    for el in root.iter("noscript"):
        if el.find(".//p") is not None and _text_len(el) > rule.limits["min_chars"]:
            el.tag = "div"
            _count(trace, rule.name)


def _pass_kill_tags(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    if trace is not None:
        _count(trace, rule.name, sum(1 for _ in root.iter(_KILL_TAGS)))
    etree.strip_elements(root, *_KILL_TAGS, with_tail=False)


def _pass_unclosed_link(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    """A link holding boxes with a long text (an <a> never closed swallows the rest
    of the page) is read as plain text, not as one long link."""
    for el in root.iter("a"):
        for _box in el.iter("div", "p", "table", "td", "li"):
            if _text_len(el) >= rule.limits["min_chars"]:
                el.tag = "span"
                _count(trace, rule.name)
            break


def _pass_link_cards(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    _drop_link_cards(root, rule.limits, trace, rule.name)


# the parts of a page's title: "Headline - Site", "Site | Section | Headline",
# "Site: Headline"
_TITLE_PARTS = re.compile(r"\s+(?:[|\-–—:·•»«~]|::)\s+|:\s+")
_TITLE_METAS = frozenset(["og:title", "twitter:title"])
_TITLE_CHARS = 1000  # (a title is read up to here, cut at its first few separators)
_TITLE_CUTS = 8
# the attribute marking the headline for the second stage
_HEADLINE_MARK = "data-newsgrab-headline"


def _find_headline(root):
    """The page's headline: the heading (h1, h2 or h3) whose text is the page's
    title, its og:title, or one part of the title ("Headline - Site"); of several,
    the longest (a site's name is a part of the title too), then the highest level,
    then the first in the page. None when no heading is."""
    keys = set()
    title = root.find(".//title")
    if title is not None:
        # the title and each run of its parts ("Headline: Sub - Site" gives
        # "Headline: Sub" too); a few separators at most
        text = str(_STRING(title))[:_TITLE_CHARS]
        cuts = [(m.start(), m.end()) for m in _TITLE_PARTS.finditer(text)][:_TITLE_CUTS]
        starts = [0] + [end for _, end in cuts]
        ends = [start for start, _ in cuts] + [len(text)]
        for i, start in enumerate(starts):
            for end in ends[i:]:
                keys.add(_norm(text[start:end]))
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in _TITLE_METAS:
            keys.add(_norm(meta.get("content") or ""))
    keys = {k for k in keys if len(k) >= 4}
    if not keys:
        return None
    found, rank = None, (0, "")
    for el in root.iter("h1", "h2", "h3"):
        if any(isinstance(anc.tag, str) and anc.tag in _KILL_TAGS for anc in el.iterancestors()):
            continue  # inside a <noscript>, an <svg>, a <button>: gone with it
        key = _norm(_STRING(el))
        if key in keys:
            mine = (-len(key), el.tag)
            if found is None or mine < rank:
                found, rank = el, mine
    return found


def _pass_headline(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    headline = _find_headline(root)
    if headline is None:
        return
    headline.set(_HEADLINE_MARK, "1")
    ctx.headline = headline
    ctx.headline_line.add(headline)
    ctx.headline_line.update(headline.iterancestors())
    _count(trace, rule.name)


# boxes that are never the post beside a headline outside them: a class or id that
# is the word alone ("sidebar", "footer2"; a compound such as "sidebar-layout" can be
# a layout wrapping the article) or that names the comments
_BOXED_OFF_WORDS = frozenset(["sidebar", "footer", "nav", "navigation", "menu", "widget"])


def _boxed_off(el) -> bool:
    names = _class_id(el)
    if not names:
        return False
    if _AFTER_ARTICLE.search(names):
        return True
    return any(_DIGITS.sub("", word).lower() in _BOXED_OFF_WORDS for word in names.split())


def _off_headline(runs: dict, ctx: _PruneCtx) -> set:
    """The runs inside a box of a sidebar, a footer, a menu, a widget or comments
    that does not hold the page's headline: a bio, a notice, a comment beside a
    short post."""
    memo: dict = {}
    off = set()
    for run in runs:
        path = []
        node = run
        found = False
        while node is not None and node not in ctx.headline_line:
            if node in memo:
                found = memo[node]
                break
            path.append(node)
            node = node.getparent()
        for el in reversed(path):
            found = found or _boxed_off(el)
            memo[el] = found
        if found:
            off.add(run)
    return off


def _pass_main_run(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    """Containers holding the page's main runs of <p>: they and their ancestors are
    spared by the element rules (broken markup can wrap a whole page in a <header>)."""
    runs: dict = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None:
            n = len(p.text or "") + sum(len(c.tail or "") + len(c.text or "") for c in p)
            runs[parent] = runs.get(parent, 0) + n
    if ctx.headline is not None and runs and _on("boxed_off_headline"):
        off = _off_headline(runs, ctx)
        if off:
            runs = {run: n for run, n in runs.items() if run not in off}
            _count(_SWITCHES.get()[1], "boxed_off_headline", len(off))
    if not runs:
        return
    top_run = max(runs, key=runs.__getitem__)
    if _on("hidden_class"):
        top_run = _shown_run(top_run, runs)
    thread = _lx_thread(top_run, runs) if _on("comment_thread") else None
    if thread is not None:
        # the main run is a post of a thread after the article: the article's run
        # (the longest before the thread) is the main one, the thread's are not
        top_run, inside = thread
        runs = {node: n for node, n in runs.items() if node not in inside}
        _count(_SWITCHES.get()[1], "comment_thread")
    elif _on("article_before_box"):
        before = _run_before_box(top_run, runs, ctx, _RULE["article_before_box"].limits)
        if before is not None:
            top_run = before
            _count(_SWITCHES.get()[1], "article_before_box")
    top = runs[top_run]
    ctx.top_run = top_run
    protected = ctx.protected
    for node, n in runs.items():
        if n < rule.limits["share_of_top_run"] * top:
            continue
        while node is not None and node not in protected:
            protected.add(node)
            node = node.getparent()
    node = top_run
    while node is not None:
        ctx.main_line.add(node)
        node = node.getparent()
    node = top_run
    for _ in range(2):  # the main run's container and its parent
        if node is None:
            break
        ctx.near.add(node)
        node = node.getparent()


def _outermost(node, memo: dict, test):
    """The outermost element among the node and its ancestors that passes the test,
    or None; each element tested once per memo (a page's runs share their boxes)."""
    path = []
    found = None
    while node is not None:
        if node in memo:
            found = memo[node]
            break
        path.append(node)
        node = node.getparent()
    for el in reversed(path):  # from the top down: the outermost wins
        if found is None and test(el):
            found = el
        memo[el] = found
    return found


def _strong_box(node, ctx: _PruneCtx, memo: dict):
    """The outermost box around the node whose class/id names the comments that
    follow an article, or None; each element looked at once per page."""
    return _outermost(
        node,
        memo,
        lambda el: ctx.kind(el) == _STRONG and _AFTER_ARTICLE.search(_class_id(el)),
    )


def _run_before_box(top_run, runs: dict, ctx: _PruneCtx, limits: Mapping[str, float]):
    """When the page's longest run of <p> sits in a box named as comments, and a run
    of prose comes before that box, outside any such box, long enough to be an
    article (a short post followed by a long comment): that run. Else None."""
    memo: dict = {}
    box = _strong_box(top_run, ctx, memo)
    if box is None:
        return None
    need = max(limits["min_chars"], limits["min_share"] * runs[top_run])
    best, best_n = None, 0
    for run, n in runs.items():  # (in the order of the page)
        if _strong_box(run, ctx, memo) is box:
            break  # the box's own runs: what comes after is not before it
        if n > best_n and _strong_box(run, ctx, memo) is None:
            best, best_n = run, n
    return best if best_n >= need else None


def _lx_posts(node, limits: Mapping[str, float]) -> bool:
    """_thread_items on the lxml tree: three or more children built alike (same tag
    and class), most with a link or picture and two boxes or more inside; or a
    definition list of three or more poster lines (dt) and posts (dd)."""
    need = limits["min_posts"]
    if node.tag == "dl":
        dts = dds = 0
        for kid in node:
            dts += kid.tag == "dt"
            dds += kid.tag == "dd"
        if dts >= need and dds >= need:
            return True
    groups: dict[tuple, list] = {}
    for kid in node:
        if kid.tag in _ITEM_TAGS:
            groups.setdefault((kid.tag, _kind_of(kid.get("class"))), []).append(kid)
    for (name, kind), items in groups.items():
        if len(items) < need or (not kind and name not in _BARE_ITEMS):
            continue
        shaped = sum(
            1
            for it in items
            if (it.find(".//a") is not None or it.find(".//img") is not None)
            and sum(1 for k in it if k.tag in _BLOCK) >= 2
        )
        if shaped * 2 >= len(items) and shaped >= need:
            return True
    return False


def _lx_thread(top_run, runs: dict) -> tuple[Any, set] | None:
    """(the article's run, the run containers inside the thread) when the page's
    longest run of <p> is a post of a thread (a few levels up) and a run of prose
    comes before the thread, outside it."""
    limits = _RULE["comment_thread"].limits
    node = top_run
    thread = None
    for _ in range(int(limits["levels"])):
        if node is None:
            return None
        if _lx_posts(node, limits):
            thread = node
            break
        node = node.getparent()
    if thread is None:
        return None
    inside: set = set()
    before = True
    best, best_n = None, 0
    for run, n in runs.items():  # (in the order of the page)
        anc = run
        for _ in range(int(limits["levels"]) + 4):
            if anc is None or anc is thread:
                break
            anc = anc.getparent()
        if anc is thread:
            inside.add(run)
            before = False
        elif before and n > best_n:
            best, best_n = run, n
    if best is None or best_n < limits["min_article_chars"]:
        return None
    return best, inside


def _el_header_lead(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """An article header (headline and lead, or one that swallowed the post)."""
    if tag != "header" or el in ctx.protected:
        return None
    if _holds_lead(el, ctx.near) or _swallowed(el, rule.limits):
        return _KEEP
    return None


_SUB_HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def _el_section_header(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """A <header> that is only a section's sub-heading (all its text in one h2-h6,
    no link) with the section's text after it in the same box, in a box holding the
    page's main run of <p> at most `levels` above it: a part of the article (a
    fold-out section's title), not the site's header."""
    if tag != "header" or el.find(".//a") is not None:
        return None
    heads = [h for h in el.iter(_SUB_HEADINGS)]
    if len(heads) != 1:
        return None
    text = _STRING(el).strip()
    if not text or len(text) > rule.limits["max_chars"] or _STRING(heads[0]).strip() != text:
        return None
    up = el.getparent()
    while up is not None and up not in ctx.main_line:
        up = up.getparent()
    node, levels = ctx.top_run, 0
    while node is not None and node is not up and levels < rule.limits["levels"]:
        node, levels = node.getparent(), levels + 1
    if up is None or node is not up:
        return None  # (a box beside the article, not in it)
    after = el.getnext()
    if after is None:
        return None
    n = len(_STRING(after).strip())
    links = sum(len(_STRING(a)) for a in after.iter("a"))
    if n < rule.limits["min_after_chars"] or links > rule.limits["max_link_share"] * n:
        return None  # (a list of teasers under "You may also like")
    return _KEEP


def _el_boiler_tag(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    if tag not in _BOILER_TAGS:
        return None
    return _SPARED if el in ctx.protected else _DROP


def _el_hidden(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return _SPARED if el in ctx.protected else _DROP
    return None


def _el_hidden_style(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    style = el.get("style")
    if (
        style
        and _HIDDEN_STYLE.search(style)
        and el not in ctx.main_line
        and (el not in ctx.protected or _copy_of_main_run(el, ctx))
    ):
        return _DROP
    return None


_COPY_CHECKS = 8  # hidden boxes looked at for a copy, per page
# class names that hide a box (the usual CSS frameworks' utility classes), as words
# of their own: "hidden-xs" hides on small screens only
_HIDING_CLASSES = frozenset(["hidden", "hide", "d-none", "is-hidden", "invisible"])


def _class_hidden(el) -> bool:
    cls = el.get("class")
    if not cls:
        return False
    low = cls.lower()
    if "hid" not in low and "none" not in low and "invisible" not in low:
        return False  # (most classes: no word to split for)
    return any(word in _HIDING_CLASSES for word in low.split())


def _shown_run(top_run, runs: dict):
    """The page's longest run of <p> in a box not hidden by its class (a copy of the
    article hidden for a script comes first in the page as often as not): the
    longest such run, when it is as long as the longest run; else top_run."""
    memo: dict = {}

    def hidden(node) -> bool:
        return _outermost(node, memo, _class_hidden) is not None

    if not hidden(top_run):
        return top_run
    best, best_n = top_run, 0
    for run, n in runs.items():
        if n > best_n and not hidden(run):
            best, best_n = run, n
    return best if best_n >= runs[top_run] else top_run


def _el_hidden_class(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """A box hidden by its class ("hidden", "d-none"), as hidden_style."""
    if (
        _class_hidden(el)
        and el not in ctx.main_line
        and (el not in ctx.protected or _copy_of_main_run(el, ctx))
    ):
        return _DROP
    return None


def _copy_of_main_run(el, ctx: _PruneCtx) -> bool:
    """A hidden box holding a copy of the page's main run of paragraphs (the article
    kept again for a script to read), not other text (the hidden slides of a
    gallery): the opening words of the main run's first paragraph (of 40 characters
    or more) are in it."""
    if ctx.top_run is None or ctx.copy_checks >= _COPY_CHECKS:
        return False  # (a bound: each check reads the box's text)
    ctx.copy_checks += 1
    if ctx.opening is None:
        ctx.opening = ""
        for p in ctx.top_run.iter("p"):
            words = " ".join(_STRING(p).split())
            if len(words) >= 40:
                ctx.opening = words[:80]
                break
    return bool(ctx.opening) and ctx.opening in " ".join(_STRING(el).split())


def _el_boiler_role(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    if el.get("role") in _BOILER_ROLES:
        return _SPARED if el in ctx.protected else _DROP
    return None


def _el_strong_name(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """Class/id names of boxes never spared by their own paragraphs (comments,
    cookie consent, related): only when they wrap the page's main run (or the
    page's one long block of prose, see _holds_prose_block)."""
    if ctx.kind(el) != _STRONG:
        return None
    if el in ctx.main_line:
        return _SPARED
    if _on("prose_block") and _holds_prose_block(el, ctx):
        _count(_SWITCHES.get()[1], "prose_block")  # (counted as main_run's spare too)
        return _SPARED
    return _DROP


def _loose_len(el, memo: dict) -> int:
    """The text of the element read as one block: its own text, the text of its
    inline children (not of its block children) and their tails; children first
    (memo holds them)."""
    n = len(el.text or "")
    for kid in el:
        n += len(kid.tail or "")
        if isinstance(kid.tag, str) and kid.tag not in _BLOCK:
            n += memo.get(kid, 0)
    return n


def _prose_block(ctx: _PruneCtx) -> tuple[int, set]:
    """The length of the page's longest block of text read as one (prose split by
    <br>, not by <p>) and the set of its element and their ancestors; measured once
    per page, and only on a page whose main run of <p> holds less than half its
    text (else no block can be longer than the main run and half a box too)."""
    if ctx.block is None:
        ctx.block = (0, set())
        limits = _RULE["prose_block"].limits
        if ctx.top_run is not None and _text_len(ctx.top_run) >= limits["min_share"] * (
            ctx.page_len()
        ):
            return ctx.block
        memo: dict = {}
        best, best_n = None, 0
        for el in reversed(list(ctx.root.iter())):  # (children before parents)
            if not isinstance(el.tag, str):
                continue
            n = memo[el] = _loose_len(el, memo)
            if n > best_n and el.tag in _BLOCK:
                best, best_n = el, n
        if best is not None:
            ctx.block = (best_n, {best, *best.iterancestors()})
    return ctx.block


def _holds_prose_block(el, ctx: _PruneCtx) -> bool:
    """The box holds most of the page's text (and the headline, when the page has
    one), and in it the page's longest block of prose, longer than the page's main
    run of <p> (an article written as one block of lines: a box named as navigation
    or comments around it is a template's)."""
    limits = _RULE["prose_block"].limits
    if ctx.headline is not None and el not in ctx.headline_line:
        return False  # (a bio in a sidebar beside a short post)
    n, line = _prose_block(ctx)
    if el not in line or n < limits["min_chars"]:
        return False
    if ctx.top_run is not None and n <= _text_len(ctx.top_run):
        return False
    size = _text_len(el)
    return size >= limits["min_share"] * ctx.page_len() and n >= limits["min_share"] * size


def _el_headline_text(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """On a page without paragraphs, a box named as boilerplate (a caption, a
    description) near the headline, holding text: the page's post."""
    if ctx.top_run is not None or ctx.headline is None or ctx.kind(el) != _NAMED:
        return None
    levels = int(rule.limits["levels"])
    node = el
    for _ in range(levels + 8):
        node = node.getparent()
        if node is None:
            return None
        if node in ctx.headline_line:
            break
    else:
        return None
    up = ctx.headline
    for _ in range(levels):
        up = up.getparent()
        if up is None:  # the headline's box went with an earlier pass
            return None
        if up is node:
            return _KEEP if _text_len(el) >= rule.limits["min_chars"] else None
    return None


def _el_header_date(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """On a page without paragraphs (no main run, or a short one), a short dated line
    named as boilerplate (a byline, a date) beside the headline, in its parent: the
    header of a post whose body is a picture or a video (see post_header)."""
    if ctx.headline is None or ctx.kind(el) != _NAMED:
        return None
    if el.getparent() is not ctx.headline.getparent():
        return None
    if ctx.top_run is not None and ctx.top_run_len(rule.limits["max_run_chars"]):
        return None
    text = " ".join(str(_STRING(el)).split())
    if len(text) > rule.limits["max_chars"] or not _dated(text):
        return None
    return _KEEP


def _el_boiler_name(rule: Rule, el, tag: str, ctx: _PruneCtx) -> str | None:
    """Class/id names of boilerplate, unless the box holds much of the page or is
    the article's header (headline and lead)."""
    if ctx.kind(el) != _NAMED:
        return None
    if el in ctx.protected:
        return _SPARED
    if _text_len(el) >= rule.limits["max_share"] * ctx.page_len():
        return _KEEP
    if el.find(".//h1") is not None and _holds_lead(el, ctx.near):
        return _KEEP
    return _DROP


def _pass_elements(rule: Rule, root, ctx: _PruneCtx, trace) -> None:
    """One walk over the tree; the element rules, in table order, give each element
    a verdict (the first rule with an opinion decides); the doomed go at the end."""
    off = _SWITCHES.get()[0]
    tag_rules = [r for r in _ELEMENT_RULES if r.name not in off and r.where == "tags"]
    attr_rules = [r for r in _ELEMENT_RULES if r.name not in off and r.where == "attributes"]
    spare = "main_run"
    doomed = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in ("html", "body", "main", "article"):
            continue
        if tag in _BOILER_TAGS:
            rules = tag_rules
        elif not el.keys():
            continue  # (most elements: the other rules are about attributes)
        else:
            rules = attr_rules
        for r in rules:
            verdict = r.test(r, el, tag, ctx)
            if verdict is None:
                continue
            if verdict is _DROP:
                doomed.append(el)
                _count(trace, r.name)
            elif trace is not None:
                _count(trace, spare if verdict is _SPARED else r.name)
            break
    _count(trace, rule.name, len(doomed))
    headline = ctx.headline if _on("headline_kept") else None
    for el in doomed:
        if headline is not None and el in ctx.headline_line:
            _keep_headline(el, headline)
            _count(trace, "headline_kept")
            continue
        _drop(el)


def _keep_headline(el, headline) -> None:
    """The box going holds the page's headline: the box goes, the headline stays in
    its place (the rules that read the page by its headline still find it)."""
    if el is headline:
        return
    if el.getparent() is None or not any(up is el for up in headline.iterancestors()):
        _drop(el)  # (an outer box took the headline out of it already)
        return
    headline.tail = None
    el.addprevious(headline)
    _drop(el)


def prune(root) -> None:
    """Remove what can never be article text, in place: the prune rules of RULES,
    in table order."""
    off, trace = _SWITCHES.get()
    ctx = _PruneCtx(root)
    for el in root.iter(_RAW_TEXT_SHOWN):
        el.tag = "pre"
    for rule in _PRUNE_PASSES:
        if rule.name not in off:
            rule.test(rule, root, ctx, trace)


# ------------------------------------------------------------------ stage 2: bs4

_BLOCK = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "address",
        "center",
        "details",
        "summary",
        "form",
        "fieldset",
        "hr",
        "body",
        "html",
        "header",
        "footer",
    ]
)
_PARA = frozenset(
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt"]
)
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# where _cut ends a block of text
_CUTS = _BLOCK | {"br", "hr"}
_SKIP = frozenset(["img", "br", "hr", "wbr", "source", "track", "area", "map", "head", "title"])
_BOILER_LINE = re.compile(
    r"^(?:advertisement|advertising|anzeige|werbung|publicité|publicidad|publicidade|"
    r"pubblicità|sponsored|share(?: this)?(?: article| story)?|read more|read next|"
    r"continue reading|click here|sign up|subscribe|related(?: articles?| stories)?|"
    r"more from|see also|also read|recommended|you may also like|loading|"
    r"follow us|tags?|topics?|image|photo|getty images|reuters|ap photo)\b.{0,60}$",
    re.IGNORECASE,
)
# image and source credits: "Foto: dpa", "Source: City Archive", "Jane Doe, AP"
_CREDIT = re.compile(
    r"^(?:(?:fotos?|photos?|bild(?:er)?|images?|pictures?|quelle|sources?|credits?|crédits?|"
    r"crédito|fuente|fonte|copyright)\s*[:©]|©)"
    r"|(?:^|[\s,/|(])(?:the )?(?:associated press|ap|afp|reuters|dpa|epa|getty images|imago|"
    r"picture alliance|shutterstock|istock(?:photo)?|keystone|apa|ansa|efe)\)?$",
    re.IGNORECASE,
)
# a picture's caption, told by its credit ("... (Foto: dpa)", "... © AFP / Jane Roe"),
# its label ("Titelbild: ...", "Photograph by ...", "Vergrößern ...") or the wire
# services' wording ("In this May 3, 2026, file photo, ...")
_CAPTION_CREDIT = re.compile(
    r"\((?:fotos?|photos?|bild(?:er)?|credits?|quelle|source|images?)\s*:[^()]{1,80}\)\.?$"
    r"|(?:^|[\s.|(\u2013-])(?:fotos?|photos?|bild|credits?|fotocredits?|crédit photo|"
    r"photo credit)\s*:\s*[^:]{1,60}$"
    r"|©[^©]{1,60}$",
    re.IGNORECASE,
)
# a line opening with a picture's label, or with the reading time
_LABEL = re.compile(
    r"(?:titelbild|beitragsbild|featured image|photograph by|(?:estimated )?reading time)\b",
    re.IGNORECASE,
)
_WIRE_CAPTION = re.compile(
    r"^(?:in )?this\b.{0,40}\b(?:file (?:photo|image)|(?:photo|image|picture)s? "
    r"(?:provided|released|taken|made available|distributed|obtained)\b)",
    re.IGNORECASE,
)
# the page talking to its reader: log in to comment, "5 min read"
_COMMENTING = ("comment", "komment", "diskussion", "netiquette", "komentarz", "comentar")
_LOGIN_PROMPT = re.compile(
    r"\b(?:log(?:ged)? ?in|sign in|einloggen|loggen sie sich|anmelden|melden sie sich|"
    r"registrieren sie sich|connectez-vous|inicia sesión|zaloguj)\b.{0,60}"
    r"\b(?:comment|komment|diskussion|netiquette|commentaire|comentar|komentarz)"
    r"|\b(?:comment|komment|diskussion|commentaire|comentar|komentarz)\w*\b.{0,60}"
    r"\b(?:log(?:ged)? ?in|sign in|einloggen|anmelden|registrieren|connecté|zalogowany)",
    re.IGNORECASE,
)
_READ_MINUTES = re.compile(r"\b\d+\s*min(?:ute)?s?\.? read$", re.IGNORECASE)
# interface words left as a line of their own
_UI_LINE = re.compile(
    r"^(?:close|caption|toggle caption|expand|collapse|menu|search|print|e-?mail|share|tweet|"
    r"comments?|back to top|schließen|drucken|teilen|suche|fermer|cerrar|chiudi)$",
    re.IGNORECASE,
)
# "Updated at 1:23 p.m.", "Veröffentlicht am ..." among the first lines
_STAMP = re.compile(
    r"^(?:updated|published|posted|last updated|first published|aktualisiert|"
    r"veröffentlicht|publié|mis à jour|publicado|actualizado|pubblicato|aggiornato)\b",
    re.IGNORECASE,
)
# agency credits closing a story: "X contributed to this report", "Reporting by X"
_TAIL_CREDIT = re.compile(
    r"contributed (?:reporting )?to (?:this|the) (?:report|story|article)|"
    r"^(?:additional )?(?:reporting|writing|editing) by\b",
    re.IGNORECASE,
)
# headings of the boxes that follow an article
_SECTION_END = re.compile(
    r"^(?:about the authors?|über den autor|über die autorin|zum autor|zur autorin|"
    r"die autorin|der autor|l'auteur|sobre el autor|sobre o autor|"
    r"related(?: articles| posts| stories| content)?|more on this(?: topic| story)?|"
    r"more (?:stories|articles) from|read (?:also|more|next)|see also|also read|"
    r"you (?:may|might) also (?:like|enjoy)|recommended(?: for you)?|"
    r"mehr zum thema|weitere (?:artikel|beiträge|meldungen|nachrichten|themen)|"
    r"(?:das )?(?:thema )?könnte (?:dich|sie) auch interessieren|"
    r"auch interessant|lesen sie auch|lies auch|"
    r"à lire aussi|lire aussi|sur le même sujet|te puede interesar|leia também|leggi anche|"
    r"comments?|\d+ comments?|kommentare?|\d+ kommentare?|leave a (?:reply|comment)|"
    r"schreibe? einen kommentar|kommentar schreiben|keine kommentare|no comments(?: yet)?|"
    r"commentaires?|comentarios?|"
    r"share(?: this)?(?: article| post| story)?|diesen artikel teilen|artikel teilen|"
    r"tags|schlagworte|schlagwörter|"
    r"was this (?:article|page|post) (?:helpful|useful)|"
    r"war (?:der|dieser) artikel (?:hilfreich|nützlich)|"
    r"wie (?:bewerten|gefällt) (?:sie|ihnen) diese[nr]? (?:artikel|beitrag)|"
    r"rate this (?:article|post))"
    r"\s*[:?!.]?\s*$",
    re.IGNORECASE,
)
# the site's own calls to action after a story: newsletters, subscriptions, apps,
# social accounts, donations
_CALL_TO_ACTION = re.compile(
    r"newsletter|\bsubscribe\b|\bsubscription|abonnieren sie|\babonnez|"
    r"\bsign up (?:here|now|today|for)\b|melde dich|"
    r"follow (?:us|\w+(?: \w+)?) on|folg(?:e|t|en sie) uns|"
    r"download (?:the|our)\b.{0,40}\bapps?\b|\bapps? (?:for|für) (?:ios|android)|"
    r"support (?:our|us)\b|\bunterstütze (?:uns|unser\w*)\b|unterstützen sie (?:uns|unser\w*)\b|"
    r"^unterstütze\b|"
    r"(?:uns|us|our|unser\w*|wir)\b.{0,30}\b(?:whatsapp|telegram|instagram|youtube)|"
    r"(?:whatsapp|telegram|youtube)[- ]?(?:kanal|channel)|"
    r"never miss|enter your e-?mail",
    re.IGNORECASE,
)
# a newsletter or e-mail sign-up: a call to action even as a long paragraph (a long
# paragraph that only mentions following, subscribing or an app is the author's own)
_SIGN_UP = re.compile(
    r"newsletter|\bsign up (?:here|now|today|for)\b|melde dich|abonnieren sie|\babonnez|"
    r"enter your e-?mail",
    re.IGNORECASE,
)
# a sentence's end, also inside closing quotes: "…" “…” „…“ »…« «…» ‘…’
_SENTENCE_END = re.compile(r"[.!?。！？\"”»)“«’]\s*$")
_BYLINE = re.compile(r"^(?i:by|von|par|por|di|door|av|af|from)\s+[A-ZÀ-Þ]\S*(?:\s+\S+){0,6}$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\xad"))
_SLASH_DATE = re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d{2}\b")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")


@dataclass(slots=True)
class _Stats:
    tag: Tag
    text: int = 0
    links: int = 0
    score: float = 0.0
    paras: int = 0
    good: int = 0
    longest: int = 0  # the longest clean block inside
    order: int = 0  # the container's place in the page (start tags in order)


@dataclass(slots=True)
class _Block:
    text: str
    ancestors: list = field(default_factory=list)
    links: int = 0
    kind: str = "p"


def _weight(tag: Tag) -> float:
    names = " ".join(tag.get("class") or ()) + " " + str(tag.get("id") or "")
    w = 0.0
    if _POSITIVE.search(names):
        w += 15
    if _NEGATIVE.search(names):
        w -= 15
    if tag.get("itemprop") == "articleBody":
        w += 30
    if tag.name in ("article", "main"):
        w += 10
    return w


def _is_link(tag: Tag) -> bool:
    """An <a> that leads somewhere (or runs a script), not a named anchor: an <a>
    with a name or id and no href marks a place in the text (a glossary's term, a
    section's heading)."""
    return tag.get("href") is not None or (tag.get("name") is None and tag.get("id") is None)


def _cut(body: Tag) -> tuple[list[_Block], dict[int, _Stats]]:
    """One iterative walk: text blocks in order, plus per-container stats."""
    blocks: list[_Block] = []
    stats: dict[int, _Stats] = {}
    open_blocks: list[Tag] = [body]
    stats[id(body)] = _Stats(body)
    buf: list[str] = []
    link_chars = 0
    in_link = 0
    headline = None

    def flush() -> None:
        nonlocal link_chars
        if not buf:
            return
        raw = "".join(buf)
        if not raw.isascii():
            raw = raw.translate(_ZERO_WIDTH)
        text = " ".join(raw.split())
        buf.clear()
        links = min(link_chars, len(text))
        link_chars = 0
        if not text:
            return
        owner = open_blocks[-1]
        blocks.append(_Block(text, list(open_blocks), links, owner.name))
        n = len(text)
        for anc in open_blocks:
            st = stats[id(anc)]
            st.text += n
            st.links += links
        if n < 25 and not _CJK.search(text):
            return
        if n < 10:
            return
        score = 1.0 + text.count(",") + text.count("、") + text.count("，") + min(n / 100, 3.0)
        if links > n / 2:
            return
        for anc in open_blocks:
            st = stats[id(anc)]
            st.good += n
            if n > st.longest:
                st.longest = n
        targets = open_blocks[-3:-1] if owner.name in _PARA else open_blocks[-2:]
        if len(targets) == 2:
            stats[id(targets[1])].score += score
            stats[id(targets[1])].paras += 1
            stats[id(targets[0])].score += score / 2
        elif targets:
            stats[id(targets[0])].score += score
            stats[id(targets[0])].paras += 1

    stack: list = [(body, iter(body.contents))]
    while stack:
        tag, it = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            name = tag.name
            if name in _BLOCK and len(stack) > 0:
                flush()
                open_blocks.pop()
            elif name == "a" and _is_link(tag):
                in_link -= 1
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:
                buf.append(child)
                if in_link:
                    link_chars += len(child.strip())
            continue
        name = child.name
        if name in _SKIP:
            if name == "br" or name == "hr":
                flush()
            continue
        if name in _BLOCK:
            flush()
            open_blocks.append(child)
            stats[id(child)] = _Stats(child, order=len(stats))
            if headline is None and name in _HEADINGS and _HEADLINE_MARK in child.attrs:
                headline = child
        elif name == "a" and _is_link(child):
            in_link += 1
        stack.append((child, iter(child.contents)))
    flush()
    _HEADLINE_SEEN.set((body, headline))
    return blocks, stats


# the headline the walk of _cut met, for the tree it walked: a search of the whole
# tree per page saved
_HEADLINE_SEEN: ContextVar[tuple[Tag | None, Tag | None]] = ContextVar(
    "newsgrab_headline_seen", default=(None, None)
)


_NON_WORD = re.compile(r"\W+")


def _norm(s: str) -> str:
    return _NON_WORD.sub("", s.lower())


def _drop_blank_text(body) -> None:
    """Whitespace-only text that _cut would drop anyway goes before bs4 sees it:
    first in a block, or right after one (where a block ends, the text before it
    is cut off, so such whitespace could only lead the next block's text)."""
    for el in body.iter(_CUTS):
        text = el.text
        if text is not None and text.isspace():
            el.text = None
        tail = el.tail
        if tail is not None and tail.isspace():
            el.tail = None


def body_text(root, title: str | None = None) -> str:
    """The article text of a pruned lxml tree ('' when the page holds none)."""
    body = root.find("body")
    if body is None:
        body = root
    _drop_blank_text(body)
    soup = BeautifulSoup(etree.tostring(body, encoding="unicode", method="html"), "lxml")
    top = soup.body or soup
    blocks, stats = _cut(top)
    try:
        return _body_of(top, blocks, stats, title)
    finally:
        _HEADLINE_SEEN.set((None, None))  # the tree is not kept past the page


def _body_of(top: Tag, blocks: list[_Block], stats: dict[int, _Stats], title: str | None) -> str:
    if not blocks:
        return ""
    picked = _select(top, stats)
    out = _emit(blocks, stats, *picked, title) if picked is not None else []
    if _headline_only(out, top) and _on("marked_article"):
        found = _marked_article(blocks, title)
        _count(_SWITCHES.get()[1], "marked_article", len(found))
        out = found or out
    if _headline_only(out, top) and _on("headline_box"):
        found = _headline_box(top, blocks, stats)
        _count(_SWITCHES.get()[1], "headline_box", len(found))
        out = found or out
    elif _on("scant_text") and _on("headline_box"):
        found = _scant_text(out, top, blocks, stats, _RULE["scant_text"].limits)
        _count(_SWITCHES.get()[1], "scant_text", len(found))
        out = found or out
    if _headline_only(out, top) and _on("post_header"):
        found = _post_header(top, blocks, _RULE["post_header"].limits)
        _count(_SWITCHES.get()[1], "post_header", len(found))
        out = found or out
    if out and _on("headline_kept") and _headline_only(out, top):
        return ""  # (the headline alone is no text)
    return "\n\n".join(out)


def _headline_only(out: list[str], top: Tag) -> bool:
    """Nothing found, or only the page's headline: the fallbacks may do better."""
    if not out:
        return True
    headline = _headline(top)
    if headline is None:
        return False
    text = headline.get_text(" ")
    if sum(map(len, out)) > len(text):
        return False  # (more than the headline)
    # (a headline split by <br> or into boxes is cut into blocks: all of them)
    return _norm("".join(out)) == _norm(text)


def _marked_article(blocks: list[_Block], title: str | None) -> list[str]:
    """No prose found, but the page marks one article (a single <article>): a post
    that is a list of links, say. Its blocks are taken as they are, links too."""
    articles = {id(a) for block in blocks for a in block.ancestors if a.name == "article"}
    if len(articles) != 1:
        return []
    (key,) = articles
    title_key = _norm(title or "")
    return _trim_tail(
        [
            block.text
            for block in blocks
            if any(id(anc) == key for anc in block.ancestors)
            and not (block.kind in _HEADINGS and _norm(block.text) == title_key)
        ]
    )


def _headline_box(top: Tag, blocks: list[_Block], stats: dict[int, _Stats]) -> list[str]:
    """No prose found, but the page's headline is followed in its box by text (a post
    that is a list of links, a caption): the blocks after the headline in that box,
    links too."""
    found = _post_box(top, stats, _RULE["headline_box"].limits, lambda st: st.text - st.links)
    if found is None:
        return []
    box = found[0]
    headline = _headline(top)
    out: list[str] = []
    after = False
    for block in blocks:
        inside = any(anc is box for anc in block.ancestors)
        if not after:
            after = inside and any(anc is headline for anc in block.ancestors)
        elif inside:
            out.append(block.text)
    return _trim_tail(out)


def _post_header(top: Tag, blocks: list[_Block], limits: Mapping[str, float]) -> list[str]:
    """No text found, but the headline's box (its parent or a box a few levels up)
    holds a dated line beside it and nothing but a few short lines: a post whose body
    is a picture or a video. Its header is all the text it has: the headline and the
    lines around it in that box, in page order."""
    headline = _headline(top)
    if headline is None:
        return []
    at = next(
        (i for i, block in enumerate(blocks) if any(a is headline for a in block.ancestors)),
        None,
    )
    if at is None:
        return []
    ups = [anc for anc in reversed(blocks[at].ancestors) if anc is not headline]
    most = int(limits["max_lines"])
    for node in ups[: int(limits["levels"])]:
        if node is top:
            return []
        first = last = at
        while first > 0 and any(a is node for a in blocks[first - 1].ancestors):
            first -= 1
            if last - first >= most:
                return []
        while last + 1 < len(blocks) and any(a is node for a in blocks[last + 1].ancestors):
            last += 1
            if last - first >= most:
                return []
        lines = blocks[first : last + 1]
        if any(len(block.text) > limits["max_chars"] for block in lines):
            return []
        if any(
            _dated(block.text) and not any(a is headline for a in block.ancestors)
            for block in lines
        ):
            return [block.text for block in lines]
    return []


def _scant_text(
    out: list[str],
    top: Tag,
    blocks: list[_Block],
    stats: dict[int, _Stats],
    limits: Mapping[str, float],
) -> list[str]:
    """The text found is a line or two (a post's one-line intro, a note under it)
    while the headline's box holds much more after the headline (the post is a list
    of links): that box's blocks, as headline_box gives them, or [] to keep what was
    found."""
    found = sum(map(len, out))
    if found >= limits["max_chars"]:
        return []
    box = _headline_box(top, blocks, stats)
    if sum(map(len, box)) <= limits["min_growth"] * found:
        return []
    # (all it would add is paragraphs of prose the text found left out: each was left
    # out by a rule that read it, a sign-up, a post's footer, a bio; not a list)
    kept = set(out)
    added = {line for line in box if line not in kept}
    if all(_prose(b, stats) for b in blocks if b.text in added):
        return []
    # (a post's links come with words of their own; lines that are all link, most of
    # what follows the headline, are the page's list of links: a blogroll, a menu)
    lines = set(box)
    bare = sum(1 for block in blocks if block.text in lines and block.links >= len(block.text))
    return [] if bare > limits["max_bare_share"] * len(box) else box


def _repeats(best: _Stats, stats: dict[int, _Stats], limits: Mapping[str, float]) -> list[int]:
    """Containers built like the best one (same tag and classes) that hold prose
    too: the other posts of a forum thread, the other steps of a how-to. Only when
    most of that kind do (a layout class used all over the page does not count)."""
    classes = best.tag.get("class")
    if not classes:
        return []
    name, key = best.tag.name, tuple(classes)
    found, total = [], 0
    for st in stats.values():
        tag = st.tag
        if st is best or tag.name != name or tuple(tag.get("class") or ()) != key:
            continue
        total += 1
        if tag.parent is best.tag.parent:
            continue  # siblings are weighed on their own below
        if st.good >= limits["min_chars"] and st.links < limits["max_link_share"] * st.text:
            found.append(id(tag))
    return found if len(found) * 2 >= total else []


_ALTERNATING = frozenset(["alt", "odd", "even", "first", "last"])
_DIGITS = re.compile(r"\d+")


def _kind_of(classes) -> tuple:
    """The classes that make items alike: without numbers (depth-2, entry1) and
    without the classes that alternate along a list (odd, even, alt)."""
    if not classes:
        return ()
    if isinstance(classes, str):
        classes = classes.split()
    return tuple(
        sorted({_DIGITS.sub("", c) for c in classes if c.lower() not in _ALTERNATING} - {""})
    )


_TABLE_TAGS = frozenset(["table", "tbody", "thead", "tfoot", "tr", "td", "th"])
_BARE_ITEMS = frozenset(["li", "dd", "article"])  # items even without a class
_ITEM_TAGS = frozenset(["div", "li", "dd", "article", "section", "table"])


def _thread_items(node: Tag, stats: dict[int, _Stats], limits: Mapping[str, float]) -> bool:
    """A list of posts: three or more children built alike (same tag and classes)
    holding text, most of them with a link or picture (the poster's name, avatar,
    permalink) and more than one box inside (header and text); or a definition
    list of poster lines (dt) and posts (dd)."""
    groups: dict[tuple, list] = {}
    for kid in node.children:
        if isinstance(kid, Tag) and kid.name in _ITEM_TAGS:
            groups.setdefault((kid.name, _kind_of(kid.get("class"))), []).append(kid)
    need = limits["min_posts"]
    if node.name == "dl":
        dts = sum(1 for kid in node.children if isinstance(kid, Tag) and kid.name == "dt")
        dds = len(groups.get(("dd", ()), ())) + sum(
            len(v) for k, v in groups.items() if k[0] == "dd" and k[1]
        )
        if dts >= need and dds >= need and _dl_posts(node):
            return True
    for (name, kind), items in groups.items():
        if not kind and name not in _BARE_ITEMS:
            continue  # boxes without a class: layout, not posts
        posts = [it for it in items if (st := stats.get(id(it))) is not None and st.good]
        if len(posts) < need:
            continue
        shaped = sum(1 for it in posts if _post_shaped(it, stats[id(it)]))
        if shaped * 2 >= len(posts):
            return True
    return False


def _dl_posts(dl: Tag) -> bool:
    """A definition list of posts, not a glossary: most of its terms name a poster
    (a link) or a date."""
    dts = [k for k in dl.children if isinstance(k, Tag) and k.name == "dt"]
    posters = sum(
        1 for dt in dts if dt.find("a", href=True) is not None or _dated(dt.get_text(" "))
    )
    return 2 * posters >= len(dts)


def _post_shaped(item: Tag, st: _Stats) -> bool:
    """Two boxes or more inside (header and text), and a link or a picture (the
    poster's name, permalink or avatar), looked for two levels down at most (so
    that each box is looked at once, however the lists nest)."""
    boxes, pictured = 0, False
    for kid in item.children:
        if not isinstance(kid, Tag):
            continue
        if kid.name in _BLOCK:
            boxes += 1
        if kid.name == "img" or (not pictured and kid.find("img", recursive=False) is not None):
            pictured = True
    return boxes >= 2 and (st.links > 0 or pictured)


def _b_nested_thread(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A block in a list of posts inside the chosen container, after an article
    with prose of its own (comments printed inside the article's box)."""
    memo = ctx.threads
    whole = ctx.stats[id(block.ancestors[anchor])].good
    limits = _RULE["comment_thread"].limits
    for anc in block.ancestors[anchor + 1 :]:
        key = id(anc)
        found = memo.get(key)
        if found is None:
            st = ctx.stats[key]
            found = memo[key] = whole - st.good >= limits["min_article_chars"] and _thread_items(
                anc, ctx.stats, limits
            )
        if found:
            return True
    return False


def _thread_after_article(
    best: _Stats, best_score: float, finals: list, stats: dict[int, _Stats]
) -> tuple[_Stats, set, set] | None:
    """(the article's container, ids of the thread and its ancestors) when the best
    container sits in a list of posts (a few levels up) and a container before that
    list, outside it, holds prose of its own: the article the thread comments on."""
    limits = _RULE["comment_thread"].limits
    node: Tag | None = best.tag
    thread = None
    for _ in range(int(limits["levels"])):
        if node is None:
            break
        if id(node) in stats and _thread_items(node, stats, limits):
            thread = node
            break
        node = node.parent
    by_name = False
    if thread is None and _on("comments_box"):
        thread = _comments_box(best.tag, int(limits["levels"]))
        by_name = thread is not None
    if thread is None or id(thread) not in stats:
        return None  # (a box named as the comments with no text of its own: no thread)
    start = stats[id(thread)].order
    up = {id(anc) for anc in thread.parents}
    up.add(id(thread))
    alt, alt_score = None, 0.0
    for final, st in finals:
        if (
            st.order < start
            and id(st.tag) not in up
            and final > alt_score
            and st.good >= limits["min_article_chars"]
        ):
            alt, alt_score = st, final
    if alt is None or alt_score < limits["min_article_score"] * best_score:
        return None
    if by_name:
        _count(_SWITCHES.get()[1], "comments_box")
    # the thread and its own ancestors up to (not including) the article's ancestors
    article_up = {id(anc) for anc in alt.tag.parents}
    return alt, {key for key in up if key not in article_up}, up


def _comments_box(tag: Tag, levels: int) -> Tag | None:
    """The box a few levels up named as the comments that follow an article (a
    single long comment is no list of posts), or None."""
    node: Tag | None = tag
    for _ in range(levels):
        if node is None or node.name == "body":
            return None
        names = " ".join(node.get("class") or ()) + " " + str(node.get("id") or "")
        if _AFTER_ARTICLE.search(names) and not _POSITIVE.search(names):
            return node
        node = node.parent
    return None


def _holds_thread(node: Tag, stats: dict[int, _Stats]) -> int:
    """The prose of a list of posts among the box's children or their children,
    when it is much of the box's prose (climbing to the box would take the thread),
    else 0."""
    limits = _RULE["comment_thread"].limits
    whole = stats[id(node)].good
    for kid in node.children:
        if not isinstance(kid, Tag):
            continue
        st = stats.get(id(kid))
        if st is None or st.good < 0.3 * whole:
            continue
        if _thread_box(kid, stats, limits):
            return st.good
    return 0


def _thread_box(box: Tag, stats: dict[int, _Stats], limits: Mapping[str, float]) -> bool:
    """The box, or one of its children, is a list of posts."""
    return _thread_items(box, stats, limits) or any(
        isinstance(k, Tag) and id(k) in stats and _thread_items(k, stats, limits)
        for k in box.children
    )


def _thread_good(thread: set, stats: dict[int, _Stats]) -> int:
    """The prose of the thread (its outermost box holds it all)."""
    return max((stats[key].good for key in thread if key in stats), default=0)


def _select(top: Tag, stats: dict[int, _Stats]) -> tuple[set, set] | None:
    """The ids of the chosen containers, and of those chosen as a header's lead."""
    off, trace = _SWITCHES.get()
    finals: list[tuple[float, _Stats]] = []
    best, best_score = None, 0.0
    for st in stats.values():
        if st.score <= 0:
            continue
        density = st.links / st.text if st.text else 1.0
        final = (st.score + _weight(st.tag)) * (1.0 - density)
        finals.append((final, st))
        if final > best_score:
            best, best_score = st, final
    if best is None:
        return None
    # the best container is a post of a comment thread that follows an article: the
    # article's container wins, and the thread is never taken with it
    thread: set = set()  # ids of the thread and of its ancestors below the article's
    above: set = set()  # ids of the thread and of all its ancestors
    skipped = 0  # the prose of threads left out on the way
    if "comment_thread" not in off:
        found = _thread_after_article(best, best_score, finals, stats)
        if found is not None:
            best, thread, above = found
            _count(trace, "comment_thread")
    # the best container sits far from the page's headline and a near rival sits by
    # it (a sidebar's teaser list edging out a short story): the headline's wins
    rivalled = False  # the headline's container won over the best one
    if "headline_rival" not in off and not thread:
        rival = _headline_rival(top, best, best_score, finals, _RULE["headline_rival"].limits)
        if rival is not None:
            best, rivalled = rival, True
            _count(trace, "headline_rival")
    # a winner holding only part of its parent's clean paragraph text (one table row,
    # one section of a page-builder layout) gives way to the parent
    climb = _RULE["climb_to_parent"].limits
    moved = "climb_to_parent" not in off
    # (the best container in the headline's box: the climb stops at that box)
    story = _by_headline(top, best) if moved and "headline_story" not in off else None
    beyond = {id(anc) for anc in story.parents} if story is not None else set()
    while moved:
        moved = False
        node = best.tag
        levels, steps, below = 0, 0, best.text
        # (the cells, rows and tables of nested layout tables adding no text are not
        # levels)
        while levels < climb["levels"] and steps < climb["max_steps"]:
            if node is top or node.parent is None:
                break
            node = node.parent
            steps += 1
            up = stats.get(id(node))
            if up is None or id(node) in above:
                break
            if id(node) in beyond:
                _count(trace, "headline_story")
                break
            if up.text > below or node.name not in _TABLE_TAGS:
                levels += 1
            below = up.text
            held = _holds_thread(node, stats) if "comment_thread" not in off else 0
            if held:
                skipped += held
                _count(trace, "comment_thread")
                break
            # (the growth is prose around the winner, not one long block elsewhere:
            # a copyright notice, a disclaimer)
            growth = up.good - best.good
            alone = up.longest if up.longest > best.longest and 2 * up.longest > growth else 0
            if (
                up.good - alone >= climb["min_growth"] * best.good
                and up.links < climb["max_link_share"] * up.text
            ):
                best, moved = up, True
                _count(trace, "climb_to_parent")
                break
    # the best container is one block away from the headline and the headline's own
    # box holds a post of its own: the post wins, and the block is never taken with it
    if "headline_post" not in off and not thread:
        posted = _headline_post(top, best, stats, _RULE["headline_post"].limits)
        if posted is not None:
            best, thread = posted
            _count(trace, "headline_post")
    chosen = {id(best.tag)}
    if "repeated_posts" not in off:
        repeats = _repeats(best, stats, _RULE["repeated_posts"].limits)
        if repeats and "single_post" not in off:
            in_post = _in_headline_post(top, best, repeats, stats)
            _count(trace, "single_post", len(repeats) - len(in_post))
            repeats = in_post
        chosen.update(repeats)
        _count(trace, "repeated_posts", len(repeats))
    sib_limits = _RULE["sibling_sections"].limits
    siblings = "sibling_sections" not in off
    kin_sections = "kin_sections" not in off
    between = _RULE["between_sections"].limits if "between_sections" not in off else None
    kin_limits = _RULE["kin_sections"].limits
    standfirst = "header_standfirst" not in off
    lead_limits = _RULE["header_standfirst"].limits
    thread_limits = _RULE["comment_thread"].limits
    leads: set = set()
    # siblings of the best container and of its near ancestors that also hold
    # article paragraphs (multi-section articles, text split around embeds)
    node, base = best.tag, best.good
    max_links = sib_limits["max_link_share"]
    for level in range(int(sib_limits["levels"])):
        parent = node.parent
        if parent is None or node is top:
            break
        signature = (node.name, tuple(node.get("class") or ()))
        kids = [k for k in parent.children if isinstance(k, Tag)]
        picked = [k is node for k in kids]
        here = picked.index(True)  # the best container's own place
        small = [False] * len(kids)
        first = picked.index(True)  # the first picked sibling, kept up to date
        for i, sib in enumerate(kids):
            info = stats.get(id(sib))
            if sib is node or info is None or not info.text or id(sib) in thread:
                continue
            density = info.links / info.text
            if not siblings:
                pass
            elif signature[1] and (sib.name, tuple(sib.get("class") or ())) == signature:
                if info.good >= max(80, 0.1 * base) and density < 0.3:
                    picked[i] = True
                elif density < 0.3 and info.text < sib_limits["small_chars"]:
                    small[i] = True  # e.g. the sub-heading of one section
            elif level == 0:
                small[i] = density < 0.3 and info.text < sib_limits["small_chars"]
                picked[i] = density < max_links and (
                    info.good >= max(200, 0.3 * base)
                    or (info.good > 60 and info.good > 0.8 * info.text)
                )
            else:
                # (after the article: a section of prose, not one long block such
                # as a copyright notice)
                picked[i] = (
                    density < max_links
                    and info.good >= max(300, 0.5 * base)
                    and info.good > 0.6 * info.text
                    and (i < here or info.longest < 0.8 * info.good)
                )
            if (
                not picked[i]
                and kin_sections
                and density < max_links
                and _kin_section(sib, info, best.tag, stats, kin_limits)
            ):
                picked[i] = True  # another part of the article, in a box like its own
                _count(trace, "kin_sections")
            if picked[i] and (sib.name == "form" or sib.find("form") is not None):
                picked[i] = False  # a login, sign-up or comment form's messages
            if picked[i] and "comment_thread" not in off and _thread_box(sib, stats, thread_limits):
                picked[i] = False
                skipped += info.good
                _count(trace, "comment_thread")
            if picked[i]:
                first = min(first, i)
                _count(trace, "sibling_sections")
            elif (
                standfirst
                and level < lead_limits["levels"]
                and i < first
                and density < lead_limits["max_link_share"]
                and lead_limits["min_chars"] <= info.good < lead_limits["max_chars"]
                and info.good >= 0.5 * info.text
                and info.text < 0.5 * base
                and (sib.name == "header" or sib.find("h1") is not None)
            ):
                picked[i] = True  # a standfirst or lead in the article's header
                leads.add(id(sib))
                first = i
                _count(trace, "header_standfirst")
        last = len(picked) - 1 - picked[::-1].index(True)
        if between and level < between["levels"]:
            for i in range(first + 1, last):
                info = stats.get(id(kids[i]))
                if not picked[i] and info is not None and _between_prose(kids[i], info, between):
                    picked[i] = True  # prose between two parts of the article is its own
                    _count(trace, "between_sections")
        for i, sib in enumerate(kids):
            if sib is not node and (picked[i] or (small[i] and first < i < last)):
                chosen.add(id(sib))
        node = parent
    # the text is scattered over many boxes (a landing or product page built from
    # modules): the best container and its kin hold little of it, so the whole
    # page is taken, block by block
    good = stats[id(top)].good - _thread_good(thread, stats) - skipped
    limits = _RULE["scattered_page"].limits
    kept = [stats[i] for i in chosen if i in stats]
    held = sum(st.good for st in kept)
    scattered = (
        "scattered_page" not in off
        and not rivalled  # (the teasers that lost to it are not the page's text)
        and good > 0
        and held < limits["max_share"] * good
    )
    # (one long block alone in its box away from the article, a sidebar's notice or
    # disclaimer, does not make the page scattered: not counted)
    longest = stats[id(top)].longest
    if (
        scattered
        and longest > max((st.longest for st in kept), default=0)
        and _alone(longest, stats, int(limits["alone_levels"]))
    ):
        scattered = held < limits["max_share"] * (good - longest)
    if scattered:
        _count(trace, "scattered_page")
        return {id(top)}, leads
    return chosen, leads


def _by_headline(top: Tag, best: _Stats) -> Tag | None:
    """The headline's box (its parent or a box up to ``levels`` above it, below the
    top) when it holds the best container and that holds ``min_chars`` of prose:
    the story under its headline. Else None."""
    limits = _RULE["headline_story"].limits
    headline = _headline(top)
    if headline is None or best.good < limits["min_chars"]:
        return None
    node: Tag | None = headline.parent
    for _ in range(int(limits["levels"])):
        if node is None or node is top:
            return None
        if node is best.tag or any(anc is node for anc in best.tag.parents):
            return node
        node = node.parent
    return None


def _between_prose(sib: Tag, info: _Stats, limits: Mapping[str, float]) -> bool:
    """A box of clean prose (a paragraph at least, few links, no form)."""
    return (
        info.good >= limits["min_chars"]
        and info.good >= limits["min_clean_share"] * info.text
        and info.links < limits["max_link_share"] * info.text
        and sib.name != "form"
        and sib.find("form") is None
    )


def _kin_section(
    sib: Tag, info: _Stats, best: Tag, stats: dict[int, _Stats], limits: Mapping[str, float]
) -> bool:
    """The box beside the article holds, as most of its prose, a box built like the
    article's container (same tag and classes; an <article> or a box with a class):
    the article printed in parts around a side rail or an embed."""
    classes = tuple(best.get("class") or ())
    if not classes and best.name != "article":
        return False
    if info.good < limits["min_chars"] or info.good < limits["min_clean_share"] * info.text:
        return False
    for el in sib.find_all(best.name):
        if tuple(el.get("class") or ()) != classes:
            continue
        st = stats.get(id(el))
        if st is not None and st.good >= limits["min_share"] * info.good:
            return True
    return False


def _headline(top: Tag) -> Tag | None:
    """The headline marked by the first stage, or None."""
    walked, seen = _HEADLINE_SEEN.get()
    if walked is top:
        return seen
    mark: dict[str, Any] = {_HEADLINE_MARK: "1"}
    found = top.find(True, mark)
    return found if isinstance(found, Tag) else None


def _post_box(
    top: Tag,
    stats: dict[int, _Stats],
    limits: Mapping[str, float],
    measure: Callable[[_Stats], int],
    two_blocks: bool = False,
) -> tuple[Tag, int] | None:
    """(the box of the headline's post, the measure of what follows the headline in
    it): the headline's parent, or the first box a few levels up, in which the boxes
    after the headline measure min_chars or more (in two blocks or more, if asked)."""
    headline = _headline(top)
    if headline is None:
        return None
    node: Tag | None = headline.parent
    below: Any = headline
    for _ in range(int(limits["levels"])):
        if node is None or node is top:
            return None
        after = longest = 0
        seen = False
        for kid in node.children:
            if kid is below:
                seen = True
            elif seen and (st := stats.get(id(kid))) is not None:
                after += measure(st)
                longest = max(longest, st.longest)
        if after >= limits["min_chars"] and (after > longest or not two_blocks):
            return node, after
        node, below = node.parent, node
    return None


def _in_headline_post(top: Tag, best: _Stats, repeats: list[int], stats: dict) -> list[int]:
    """The repeats inside the box that holds both the headline (a few levels up
    from it) and the best container: the headline is one post's, so boxes built like
    it elsewhere are other posts' teasers (a forum's posts all sit under its title)."""
    headline = _headline(top)
    if headline is None:
        return repeats
    node: Tag | None = headline.parent
    for _ in range(int(_RULE["single_post"].limits["levels"])):
        if node is None or node is top:
            return repeats
        if node is best.tag or any(anc is node for anc in best.tag.parents):
            return [key for key in repeats if any(anc is node for anc in stats[key].tag.parents)]
        node = node.parent
    return repeats


def _headline_post(
    top: Tag, best: _Stats, stats: dict[int, _Stats], limits: Mapping[str, float]
) -> tuple[_Stats, set] | None:
    """(the headline's box, ids of the best container and its ancestors below their
    common one) when the best container is one block of prose (a bio, a notice, a
    trailer) outside the box of the page's headline, and that box (the headline's
    parent or a few levels up) holds a post after the headline: prose in two blocks
    or more, not much less than the block."""
    if best.longest < best.good:
        return None
    found = _post_box(top, stats, limits, lambda st: st.good, two_blocks=True)
    if found is None:
        return None
    node, after = found
    post = stats.get(id(node))
    if post is None or post is best or after < limits["min_share"] * best.good:
        return None
    ups = {id(anc) for anc in node.parents}
    if id(best.tag) in ups or any(anc is node for anc in best.tag.parents):
        return None  # the one holds the other
    displaced = {id(best.tag)}
    for anc in best.tag.parents:
        if id(anc) in ups:
            break
        displaced.add(id(anc))
    return post, displaced


def _headline_rival(
    top: Tag,
    best: _Stats,
    best_score: float,
    finals: list[tuple[float, _Stats]],
    limits: Mapping[str, float],
) -> _Stats | None:
    """The container that shares a box with the page's headline nearer to it than
    the best one does (the headline's parent or a box at most `levels` above it) and
    scores not much less than the best one: the best of those, or None."""
    headline = _headline(top)
    if headline is None:
        return None
    ups: dict[int, int] = {}
    for level, anc in enumerate(headline.parents):
        if anc is top:
            break
        ups[id(anc)] = level

    def near(tag: Tag) -> int:
        """The level above the headline of the box shared with it (a large one
        when only the top box is shared)."""
        for node in (tag, *tag.parents):
            if id(node) in ups:
                return ups[id(node)]
        return 1 << 20

    most = min(int(limits["levels"]), near(best.tag) - 1)
    if most < 0 or any(anc is best.tag for anc in headline.parents):
        return None
    found, found_score = None, limits["min_share"] * best_score
    for final, st in finals:
        if final < found_score or st is best or near(st.tag) > most:
            continue
        if any(anc is st.tag for anc in best.tag.parents):
            continue  # it holds the best one: the climb weighs it
        found, found_score = st, final
    return found


def _alone(longest: int, stats: dict[int, _Stats], levels: int) -> bool:
    """The page's longest clean block is the only clean text of its innermost box
    and of the boxes up to `levels` above it (one pass over the containers; the
    innermost is the last of the smallest, as the walk records boxes in order)."""
    inner = None
    for st in stats.values():
        if st.longest == longest and (inner is None or st.text <= inner.text):
            inner = st
    if inner is None:
        return False
    node: Any = inner.tag
    for _ in range(levels + 1):
        up = stats.get(id(node))
        if up is None or up.good != longest:
            return False
        node = node.parent
        if node is None:
            return False
    return True


def _dated(text: str) -> bool:
    """The line holds a date, in any form parse_date knows or as 11/19/2019 (month
    and day order unknown: good enough to tell a date line, not to read it)."""
    return parse_date(text) is not None or _SLASH_DATE.search(text) is not None


def _dateline(text: str) -> bool:
    """A short line that is a date ("Published 3 May 2026, 10:12"), not a sentence."""
    return not _SENTENCE_END.search(text) and _dated(text)


def _prose(block: _Block, stats: dict[int, _Stats]) -> bool:
    """A paragraph of running text (80+ characters, ten words, few links), outside
    any link-heavy box."""
    n = len(block.text)
    if n < 80 or block.links > 0.2 * n:
        return False
    if block.text.count(" ") < 9 and not _CJK.search(block.text):
        return False
    for anc in block.ancestors[-3:]:
        st = stats[id(anc)]
        if st.text and st.links > 0.5 * st.text:
            return False
    return True


def _pre_body_leads(
    blocks: list[_Block], stats: dict[int, _Stats], anchors: list[int], leads: set
) -> set:
    """Indexes of the prose blocks between the headline (h1) and the chosen body
    (a standfirst taken from the header is not the body): a standfirst or intro
    kept in a box of its own."""
    first = next(
        (k for k, a in enumerate(anchors) if a >= 0 and id(blocks[k].ancestors[a]) not in leads),
        -1,
    )
    if first <= 0:
        return set()
    h1 = -1
    gap = int(_RULE["pre_body_lead"].limits["max_gap_blocks"])
    for k in range(first - 1, max(-1, first - 1 - gap), -1):
        if blocks[k].kind == "h1":
            h1 = k
            break
    if h1 < 0:
        return set()
    start = h1 + 1
    if _on("lead_after_headline"):
        start = _after_headline(blocks, h1, first)
        if start < 0:
            return set()
    heading = {id(anc) for anc in blocks[h1].ancestors}
    leads = set()
    for k in range(start, first):
        block = blocks[k]
        # near the headline: their common container is at most two levels up
        # (a promo or sign-up box between headline and body sits further away)
        if id(block.ancestors[-3 if len(block.ancestors) > 2 else 0]) not in heading:
            continue
        if _prose(block, stats):
            leads.add(k)
    return leads


def _after_headline(blocks: list[_Block], h1: int, first: int) -> int:
    """Where a lead may start when the h1 is not the page's headline (a blog's or a
    site's name above a post titled by another heading): after the headline, when it
    comes between the h1 and the body; -1 when it does not (a lead follows the
    headline, never the site's name alone: the blog's description there is not one)."""
    headline = _HEADLINE_SEEN.get()[1]
    if headline is None or _norm(blocks[h1].text) == _norm(headline.get_text(" ")):
        return h1 + 1  # (the headline, or a copy of it)
    for k in range(h1 + 1, first):
        if any(anc is headline for anc in blocks[k].ancestors):
            _count(_SWITCHES.get()[1], "lead_after_headline")
            return k + 1
    _count(_SWITCHES.get()[1], "lead_after_headline")
    return -1


def _card_list(tag: Tag, stats: dict[int, _Stats], limits: Mapping[str, float]) -> bool:
    """A row of teaser cards: four or more boxes built alike (same tag and
    classes), each short and each holding a link (its headline or picture)."""
    kids = [k for k in tag.children if isinstance(k, Tag)]
    if len(kids) < limits["min_cards"] or tag.name in ("ul", "ol", "table", "tbody", "dl"):
        return False
    first = kids[0]
    if first.name not in ("div", "article", "section") or not first.get("class"):
        return False
    key = (first.name, tuple(first.get("class") or ()))
    total = 0
    for kid in kids:
        if (kid.name, tuple(kid.get("class") or ())) != key or kid.find("a") is None:
            return False
        st = stats.get(id(kid))
        total += st.text if st else 0
    return total < limits["max_chars_per_card"] * len(kids)


@dataclass(slots=True)
class _EmitCtx:
    stats: dict
    leads: set
    title_key: str
    out: list
    cards: dict = field(default_factory=dict)
    threads: dict = field(default_factory=dict)  # box id -> a list of posts in the article
    inside: set = field(default_factory=set)  # blocks with prose of their container on both sides
    blocks: list = field(default_factory=list)  # all blocks and their anchors, for a look ahead
    anchors: list = field(default_factory=list)
    k: int = 0  # the index of the block the rules look at
    main_box: tuple | None = None  # (box id, index of its last block), found once
    signed: set | None = None  # ids of the blocks of a thread after a post's sign-off
    filed: set | None = None  # ids of the blocks after the prose that hold a tag link


def _own_boxes(block: _Block, anchor: int) -> list:
    """The boxes between a block and its chosen container (the whole page taken:
    only the block's own three or four)."""
    lo = max(anchor + 1, len(block.ancestors) - 4 if anchor == 0 else 0)
    return block.ancestors[lo:]


def _b_link_block(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    # (a link alone between paragraphs of the article's own running text is part of
    # it, as an item of a list of places or sources; a link box is link_box's)
    return block.links > n * rule.limits["max_link_share"] and id(block) not in ctx.inside


def _inside_prose(blocks: list[_Block], anchors: list[int], stats: dict[int, _Stats]) -> set:
    """The ids of the blocks that have a prose block of the same chosen container
    (not the whole page) before and after them: one pass each way."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k, block in enumerate(blocks):
        anchor = anchors[k]
        if anchor > 0 and _prose(block, stats):
            key = id(block.ancestors[anchor])
            first.setdefault(key, k)
            last[key] = k
    inside = set()
    for k, block in enumerate(blocks):
        anchor = anchors[k]
        if anchor > 0:
            key = id(block.ancestors[anchor])
            if first.get(key, k) < k < last.get(key, k):
                inside.add(id(block))
    return inside


def _b_link_box(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    limit = rule.limits["max_link_share"]
    prose = rule.limits["spare_prose_chars"]
    # (a line with words of its own besides its link, among the article's own
    # paragraphs, is an item of the article's list: a source, a result, a title)
    if (
        block.kind == "li"
        and id(block) in ctx.inside
        and block.links < rule.limits["inside_link_share"] * n
    ):
        return False
    # (a sentence of 80+ characters among the article's paragraphs, all or mostly
    # link, is the article's own: its box is the block, which link_block spared)
    inside = id(block) in ctx.inside and n >= 80 and _SENTENCE_END.search(block.text) is not None
    for anc in _own_boxes(block, anchor):
        st = ctx.stats[id(anc)]
        if inside and st.text == n:
            continue  # the block's own box: link_block judged the block itself
        if st.text and st.links > st.text * limit:
            # a box holding a long text of its own besides its links (a table cell
            # with the story and a list of related links) is not a link box
            return not (st.text - st.links >= prose and n >= 80 and block.links < 0.2 * n)
    return False


def _b_card_list(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    cards = ctx.cards
    for anc in _own_boxes(block, anchor):
        key = id(anc)
        if key not in cards:
            cards[key] = _card_list(anc, ctx.stats, rule.limits)
        if cards[key]:
            return True
    return False


def _b_boiler_line(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return n < rule.limits["max_chars"] and _BOILER_LINE.match(block.text) is not None


def _b_ui_line(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return n < rule.limits["max_chars"] and _UI_LINE.match(block.text) is not None


def _b_credit(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return (
        n < rule.limits["max_chars"]
        and _CREDIT.search(block.text) is not None
        and not (n > rule.limits["sentence_chars"] and _SENTENCE_END.search(block.text))
    )


def _b_caption_label(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return n < rule.limits["max_chars"] and _LABEL.match(block.text) is not None


def _b_caption_credit(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    text = block.text
    return (
        n < rule.limits["max_chars"]
        and ("©" in text or ":" in text)
        and _CAPTION_CREDIT.search(text) is not None
    )


def _b_login_prompt(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    if n >= rule.limits["max_chars"]:
        return False
    low = block.text.lower()
    return any(word in low for word in _COMMENTING) and _LOGIN_PROMPT.search(block.text) is not None


def _b_reading_time(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return (
        n < rule.limits["max_chars"]
        and "read" in block.text.lower()
        and _READ_MINUTES.search(block.text) is not None
    )


def _b_wire_caption(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    return n < rule.limits["max_chars"] and _WIRE_CAPTION.match(block.text) is not None


def _b_lead_byline(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A byline or date next to a standfirst taken from the article's header."""
    return (
        id(block.ancestors[anchor]) in ctx.leads
        and n < rule.limits["max_chars"]
        and not _SENTENCE_END.search(block.text)
    )


def _b_headline(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """The headline, as a heading or as a paragraph above the story."""
    return bool(
        ctx.title_key
        and (block.kind in _HEADINGS or len(ctx.out) < rule.limits["first_blocks"])
        and _norm(block.text) == ctx.title_key
    )


def _label(block: _Block, n: int, max_chars: float) -> bool:
    """A heading, or a short line ending with a colon ("Read more:", "Contact:")."""
    return n <= max_chars and (block.kind in _HEADINGS or block.text.endswith(":"))


def _b_orphan_label(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A heading or label left without text of its own: the next block the rules keep
    is another heading or label and the blocks between all went (the title of a
    removed list of links), or nothing is kept after it (an article does not end on a
    heading). Looks ahead at most ``look_ahead`` blocks."""
    limit = rule.limits["max_chars"]
    if not ctx.out or not _label(block, n, limit) or _SECTION_END.match(block.text):
        return False
    others = [r for r in _BLOCK_RULES if r is not rule and _on(r.name)]
    blocks, anchors = ctx.blocks, ctx.anchors
    dropped = 0
    stop = min(len(blocks), ctx.k + 1 + int(rule.limits["look_ahead"]))
    for j in range(ctx.k + 1, stop):
        anc = anchors[j]
        if anc < 0:
            continue
        nxt = blocks[j]
        m = len(nxt.text)
        if any(r.test(r, nxt, m, anc, ctx) for r in others):
            dropped += 1
            continue
        return dropped > 0 and _label(nxt, m, limit)
    return dropped > 0 and stop == len(blocks) and block.kind in _HEADINGS


def _main_box(rule: Rule, ctx: _EmitCtx) -> tuple:
    """The deepest box under the chosen containers holding ``min_share`` of the
    article's prose, and the index of its last block ((0, len) when none)."""
    blocks, anchors, stats = ctx.blocks, ctx.anchors, ctx.stats
    held: dict[int, int] = {}
    paras: dict[int, int] = {}
    depth: dict[int, int] = {}
    total = 0
    for k, block in enumerate(blocks):
        anchor = anchors[k]
        if anchor < 0 or not _prose(block, stats):
            continue
        n = len(block.text)
        total += n
        for d in range(anchor + 1, len(block.ancestors)):
            key = id(block.ancestors[d])
            held[key] = held.get(key, 0) + n
            paras[key] = paras.get(key, 0) + 1
            depth[key] = d
    if total < rule.limits["min_chars"]:
        return (0, len(blocks))
    best = max(
        (
            key
            for key, n in held.items()
            if n >= total * rule.limits["min_share"] and paras[key] >= rule.limits["min_paras"]
        ),
        key=lambda key: depth[key],
        default=0,
    )
    if not best:
        return (0, len(blocks))
    last = max(k for k, b in enumerate(blocks) if any(id(a) == best for a in b.ancestors))
    after = sum(len(b.text) for k, b in enumerate(blocks[last + 1 :], last + 1) if anchors[k] >= 0)
    if after > total * rule.limits["max_after_share"]:
        return (0, len(blocks))
    return (best, last)


def _b_after_main_box(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A block after the box that holds most of the article's prose, outside it: an
    author's bio, a support appeal or a teaser in a box of its own after the story."""
    if ctx.main_box is None:
        ctx.main_box = _main_box(rule, ctx)
    best, last = ctx.main_box
    return ctx.k > last and best != 0 and all(id(a) != best for a in block.ancestors)


def _signed_thread(rule: Rule, ctx: _EmitCtx) -> set:
    """The ids of the blocks from the first sign-off line after the article on: short
    dated lines built alike (same tag and classes; "Posted by X at 10:12 AM, May 3"),
    most with a link (the poster's name, a permalink), not in a quotation, that
    close three posts or more under the chosen containers, on a page with a
    headline; the first of them after ``min_article_chars`` of prose past the
    headline is the article's own sign-off, the posts after it are a thread printed
    in the article's box, without boxes of their own. A page of dated posts without a
    headline is a blog's front page: kept."""
    limits = rule.limits
    blocks, anchors, stats = ctx.blocks, ctx.anchors, ctx.stats
    headline = _HEADLINE_SEEN.get()[1]
    if headline is None:
        return set()  # (dated posts on a page with no headline: a blog's front page)
    top = next((k for k, b in enumerate(blocks) if any(a is headline for a in b.ancestors)), None)
    if top is None:
        return set()
    groups: dict[tuple, list[int]] = {}
    for k, block in enumerate(blocks):
        if anchors[k] < 0 or len(block.text) > limits["max_chars"]:
            continue
        if _SENTENCE_END.search(block.text):
            continue
        if any(anc.name == "blockquote" for anc in block.ancestors[anchors[k] :]):
            continue  # (a post quoted in the article, an embedded tweet: the article's)
        owner = block.ancestors[-1]
        groups.setdefault((owner.name, tuple(owner.get("class") or ())), []).append(k)
    need = int(limits["min_posts"])
    checks = int(limits["max_checks"])  # (a bound: each check parses a line's date)
    cut = len(blocks)
    start = None
    for members in groups.values():
        if len(members) < need or checks <= 0:
            continue
        dated = []
        for k in members:
            if checks <= 0:
                break
            checks -= 1
            if _dated(blocks[k].text):
                dated.append(k)
        if len(dated) < need or 2 * len(dated) < len(members):
            continue
        if 2 * sum(1 for d in dated if blocks[d].links) < len(dated):
            continue  # (a poster's name or a permalink: a dated list has neither)
        # (each line closes a post: lines one after the other are a list of dates)
        dated = [d for i, d in enumerate(dated) if i == 0 or dated[i - 1] < d - 1]
        if len(dated) < need:
            continue
        if start is None:  # the block where the article's prose after the headline
            prose, start = 0, len(blocks)  # reaches min_article_chars (found once)
            for k in range(top + 1, len(blocks)):
                if anchors[k] >= 0 and _prose(blocks[k], stats):
                    prose += len(blocks[k].text)
                    if prose >= limits["min_article_chars"]:
                        start = k
                        break
        first = next((d for d in dated if d > start), None)
        if first is not None and len([d for d in dated if d >= first]) >= need:
            cut = min(cut, first)
    return {id(block) for block in blocks[cut:]}


def _b_signed_thread(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A block from the first sign-off line after the article on, when such lines
    close three posts or more (see _signed_thread)."""
    if ctx.signed is None:
        ctx.signed = _signed_thread(rule, ctx)
    return id(block) in ctx.signed


def _filed_under(rule: Rule, ctx: _EmitCtx) -> set:
    """The ids of the short blocks after the article's last prose block whose own
    element holds a link marked as a tag or category (rel="tag"): a post's footer
    that files it under its topics, labels or categories."""
    blocks, anchors = ctx.blocks, ctx.anchors
    last = max(
        (k for k, b in enumerate(blocks) if anchors[k] >= 0 and _prose(b, ctx.stats)), default=-1
    )
    limit = rule.limits["max_chars"]
    # (the last prose block itself, when its element is built unlike the one of the
    # prose block before it: a footer sentence, not the article's last paragraph)
    prior = next(
        (k for k in range(last - 1, -1, -1) if anchors[k] >= 0 and _prose(blocks[k], ctx.stats)), -1
    )
    body = _signature(blocks[last]) if last >= 0 else ()
    if last >= 0 and prior >= 0 and _signature(blocks[last]) != _signature(blocks[prior]):
        body = _signature(blocks[prior])
        last -= 1
    owners: dict[int, list[_Block]] = {}
    for k in range(last + 1, len(blocks)):
        block = blocks[k]
        if anchors[k] >= 0 and block.ancestors and len(block.text) < limit:
            # (a footer is mostly its links, or a box the theme names, built unlike
            # the article's paragraphs: a short last paragraph or a list item holding
            # an auto-tagged term is the article's own)
            sig = _signature(block)
            if 2 * block.links >= len(block.text) or (sig[1:] != ((),) and sig != body):
                owners.setdefault(id(block.ancestors[-1]), []).append(block)
    if last < 0 or not owners:
        return set()
    root = blocks[last].ancestors[0]
    filed: set[int] = set()
    for link in root.find_all("a", rel=True):
        rel = link.get("rel") or ()
        if "tag" not in (rel.split() if isinstance(rel, str) else rel):
            continue
        node, steps = link.parent, 0
        while node is not None and steps < rule.limits["max_levels"]:
            if id(node) in owners:
                filed.update(id(block) for block in owners[id(node)])
                break
            node, steps = node.parent, steps + 1
    return filed


def _signature(block: _Block) -> tuple:
    owner = block.ancestors[-1] if block.ancestors else None
    return (owner.name, tuple(owner.get("class") or ())) if owner is not None else ()


def _b_filed_under(rule: Rule, block: _Block, n: int, anchor: int, ctx: _EmitCtx) -> bool:
    """A short block after the article's prose that files the post under tags or
    categories (see _filed_under)."""
    if ctx.filed is None:
        ctx.filed = _filed_under(rule, ctx)
    return id(block) in ctx.filed


def _emit(
    blocks: list[_Block], stats: dict[int, _Stats], chosen: set, leads: set, title: str | None
) -> list[str]:
    """The text of the blocks under the chosen containers, less what the block rules
    drop (each block meets the rules in table order; the first that matches drops
    it), then less what the text rules cut from the sequence."""
    off, trace = _SWITCHES.get()
    anchors = []
    for block in blocks:
        anchor = -1
        for i, anc in enumerate(block.ancestors):
            if id(anc) in chosen:
                anchor = i
                break
        anchors.append(anchor)
    lead_rule = _RULE["pre_body_lead"]
    lead_blocks = set() if lead_rule.name in off else _pre_body_leads(blocks, stats, anchors, leads)
    rules = [r for r in _BLOCK_RULES if r.name not in off]
    out: list[str] = []
    ctx = _EmitCtx(stats, leads, _norm(title or ""), out, blocks=blocks, anchors=anchors)
    share = _RULE["link_block"].limits["max_link_share"]
    if "link_block" not in off and any(
        anchors[k] > 0 and block.links > share * len(block.text) for k, block in enumerate(blocks)
    ):
        ctx.inside = _inside_prose(blocks, anchors, stats)
    for k, block in enumerate(blocks):
        anchor = anchors[k]
        if k in lead_blocks:
            out.append(block.text)
            _count(trace, lead_rule.name)
            continue
        if anchor < 0:
            continue
        n = len(block.text)
        ctx.k = k
        for r in rules:
            if r.test(r, block, n, anchor, ctx):
                _count(trace, r.name)
                break
        else:
            out.append(block.text)
    for r in _TEXT_RULES:
        if r.name in off:
            continue
        before = len(out)
        out = r.test(r, out)
        _count(trace, r.name, before - len(out))
    return out


def _t_leading_scraps(rule: Rule, out: list[str]) -> list[str]:
    """Datelines, bylines and scraps before the first real paragraph (a dated
    sentence of ten words or more, or of more than ``sentence_chars``, is the
    story's first paragraph, not a dateline)."""
    skip = 0
    while skip < len(out) - 1 and len(out[skip]) < rule.limits["max_chars"]:
        first = out[skip]
        ended = _SENTENCE_END.search(first) is not None
        if (len(first) < rule.limits["scrap_chars"] and not ended) or (
            _dated(first)
            and not _dated_sentence(first, rule.limits["sentence_words"])
            and not (ended and len(first) > rule.limits["sentence_chars"])
        ):
            skip += 1
        else:
            break
    return out[skip:]


def _dated_sentence(text: str, words: float) -> bool:
    """A sentence that holds a date: ends as a sentence and has `words` words or more."""
    return _SENTENCE_END.search(text) is not None and text.count(" ") + 1 >= words


def _t_byline_after_lead(rule: Rule, out: list[str]) -> list[str]:
    """A byline or a date line among the first blocks (right after a standfirst)."""
    head = int(rule.limits["first_blocks"])
    limit = rule.limits["max_chars"]
    return [
        b
        for b in out[:head]
        if not (len(b) < limit and (_BYLINE.match(b) or _STAMP.match(b) or _dateline(b)))
    ] + out[head:]


def _t_section_end(rule: Rule, out: list[str]) -> list[str]:
    """A boilerplate section opening in the second half ("About the author",
    "Comments", "You may also like"): it and what follows go."""
    total = sum(len(b) for b in out)
    seen = 0
    for i, b in enumerate(out):
        if (
            seen >= total * rule.limits["after_share"]
            and len(b) < rule.limits["max_chars"]
            and _SECTION_END.match(b)
        ):
            return out[:i]
        seen += len(b)
    return out


def _t_call_to_action(rule: Rule, out: list[str]) -> list[str]:
    """Calls to action closing the story (short blocks among the last four; a longer
    paragraph only when it asks for a sign-up)."""
    tail = max(len(out) - int(rule.limits["last_blocks"]), (len(out) + 1) // 2)
    return out[:tail] + [b for b in out[tail:] if not _call_to_action(b, rule.limits)]


def _call_to_action(block: str, limits: Mapping[str, float]) -> bool:
    n = len(block)
    if n >= limits["sign_up_chars"] or _CALL_TO_ACTION.search(block) is None:
        return False
    return n < limits["max_chars"] or _SIGN_UP.search(block) is not None


def _t_tail_credit(rule: Rule, out: list[str]) -> list[str]:
    """Agency credits among the last three blocks."""
    last = int(rule.limits["last_blocks"])
    head, tail = out[:-last], out[-last:]
    return head + [
        b for b in tail if not (len(b) < rule.limits["max_chars"] and _TAIL_CREDIT.search(b))
    ]


def _t_trim_tail(rule: Rule, out: list[str]) -> list[str]:
    # (a longer run of short lines closing the text is a list of the article's, the
    # last lines of a poem or a song: not scraps)
    limit = rule.limits["max_chars"]
    run = 0
    for b in reversed(out):
        if len(b) >= limit or _SENTENCE_END.search(b):
            break
        run += 1
    if run > rule.limits["max_blocks"]:
        return out
    return _trim_tail(out, limit)


def _trim_tail(out: list[str], max_chars: float = 30) -> list[str]:
    """Trailing scraps after the last sentence ("Top video", "Join the conversation")."""
    while out and len(out[-1]) < max_chars and not _SENTENCE_END.search(out[-1]):
        out.pop()
    return out


# ------------------------------------------------------------------ the rules, as data


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the extractor: its name, the stage it belongs to, what it does to
    what it matches, where it applies, its thresholds, and the function applying it.

    Stages, in the order a page meets them: ``prune`` (passes over the lxml tree),
    ``element`` (one walk, each element meets the element rules in table order;
    ``where`` is ``tags`` for the boilerplate tags, ``attributes`` for elements with
    attributes), ``select`` (which containers hold the article), ``block`` (each text
    block under them meets the block rules in table order) and ``text`` (the
    sequence of blocks, cut at its head or tail)."""

    name: str
    stage: str
    action: str  # "remove" or "keep"
    matches: str
    where: str
    limits: Mapping[str, float]
    # applies the rule (the select rules are applied in place, in _select)
    test: Callable[..., Any] = field(default=lambda *args: None)


def _limits(**kw: float) -> Mapping[str, float]:
    return kw


RULES: tuple[Rule, ...] = (
    # -- prune: passes over the parsed tree
    Rule("page_headline", "prune", "keep",
         "the heading whose text is the page's title (or one part of it): the place "
         "of the post", "h1, h2, h3", _limits(), _pass_headline),
    Rule("noscript_article", "prune", "keep",
         "a <noscript> holding paragraphs: the page's own no-script copy of the article",
         "noscript", _limits(min_chars=300), _pass_noscript),
    Rule("kill_tags", "prune", "remove",
         "scripts, styles, media, forms and other tags that are never article text",
         "tags", _limits(), _pass_kill_tags),
    Rule("unclosed_link", "prune", "keep",
         "a link holding boxes with a long text: an unclosed <a>, read as plain text",
         "<a>", _limits(min_chars=1000), _pass_unclosed_link),
    Rule("link_cards", "prune", "remove",
         "a box of links inside a paragraph of prose (hover card, inline related list)",
         "inside <p>",
         _limits(min_chars=60, min_link_share=0.8, min_prose_left=50), _pass_link_cards),
    Rule("main_run", "prune", "keep",
         "containers of the page's main runs of <p>, and their ancestors: spared by "
         "the element rules", "<p> parents",
         _limits(share_of_top_run=0.3), _pass_main_run),
    Rule("article_before_box", "prune", "keep",
         "the main run of <p> is in a box named as comments, and a run of prose before "
         "it, outside such boxes, is long enough: that run is the main one (a short "
         "post, then a long comment)", "<p> parents",
         _limits(min_chars=100, min_share=0.2), lambda *args: None),
    Rule("boxed_off_headline", "prune", "remove",
         "a run of <p> in a sidebar, footer, nav, menu, widget or comments box that "
         "does not hold the headline is no main run (a bio, a notice or a comment "
         "beside a short post)", "<p> parents", _limits(), lambda *args: None),
    Rule("prose_block", "prune", "keep",
         "a box named as navigation or comments (strong_name) holding half the page's "
         "text or more, and in it the page's longest block of prose (lines split by "
         "<br>, not <p>) of half the box or more, longer than the main run of <p>",
         "strong_name boxes", _limits(min_share=0.5, min_chars=1000), lambda *args: None),
    Rule("elements", "prune", "remove", "the walk applying the element rules",
         "every element", _limits(), _pass_elements),
    # -- element rules (first with an opinion decides)
    Rule("headline_kept", "element", "keep",
         "a box the element rules remove that holds the page's headline: the headline "
         "stays in its place", "the headline's ancestors", _limits(), lambda *args: None),
    Rule("header_lead", "element", "keep",
         "a <header> holding the headline's lead (a prose paragraph) or the whole post",
         "tags", _limits(swallowed_chars=500, swallowed_link_share=0.1), _el_header_lead),
    Rule("section_header", "element", "keep",
         "a <header> that is only a sub-heading (one h2-h6, no link) followed in its box "
         "by the section's text (mostly not links), in the box of the main run of <p> or "
         "one up to `levels` above it", "tags",
         _limits(max_chars=150, min_after_chars=80, max_link_share=0.3, levels=3),
         _el_section_header),
    Rule("boiler_tag", "element", "remove", "nav, aside, footer, header, figure, dialog, menu",
         "tags", _limits(), _el_boiler_tag),
    Rule("hidden", "element", "remove", "hidden or aria-hidden elements",
         "attributes", _limits(), _el_hidden),
    Rule("hidden_style", "element", "remove",
         "display:none / visibility:hidden (spared with the page's main runs of <p>, "
         "unless a copy of the main one)",
         "attributes", _limits(), _el_hidden_style),
    Rule("hidden_class", "element", "remove",
         "a box hidden by a class of its own (hidden, hide, d-none, is-hidden, "
         "invisible), as hidden_style; the main run of <p> is never one in such a box "
         "when a shown run is as long", "attributes", _limits(), _el_hidden_class),
    Rule("boiler_role", "element", "remove",
         "ARIA roles navigation, banner, contentinfo, complementary, dialog, menu",
         "attributes", _limits(), _el_boiler_role),
    Rule("strong_name", "element", "remove",
         "class/id naming navigation, comments, related, sharing, consent boxes",
         "attributes", _limits(), _el_strong_name),
    Rule("headline_text", "element", "keep",
         "on a page without paragraphs, a box named as boilerplate (a caption) near "
         "the headline (their common box at most a few levels above it), holding text",
         "attributes", _limits(levels=3, min_chars=100), _el_headline_text),
    Rule("header_date", "element", "keep",
         "on a page without paragraphs, a short dated line named as boilerplate (a "
         "byline) beside the headline, in its parent: a picture or video post's header",
         "attributes", _limits(max_run_chars=150, max_chars=120), _el_header_date),
    Rule("boiler_name", "element", "remove",
         "class/id naming other boilerplate (ads, bios, tags, captions, ...), unless it "
         "holds much of the page or the article's header", "attributes",
         _limits(max_share=0.5), _el_boiler_name),
    # -- select: which containers hold the article
    Rule("comment_thread", "select", "remove",
         "the best container is a post in a list of posts (3+ alike items each with a "
         "link or picture and a header box, or dt/dd pairs whose terms hold a link or a "
         "date) after an article with prose "
         "of its own: the article wins, the thread is never taken", "4 levels up",
         _limits(levels=4, min_posts=3, min_article_chars=400, min_article_score=0.1)),
    Rule("comments_box", "select", "remove",
         "the best container is in a box named as comments (a few levels up) after an "
         "article with prose of its own: as comment_thread", "4 levels up", _limits()),
    Rule("climb_to_parent", "select", "keep",
         "the best container gives way to an ancestor holding much more prose",
         "best container", _limits(levels=3, max_steps=12, min_growth=1.6, max_link_share=0.25)),
    Rule("headline_story", "select", "keep",
         "the best container sits in the headline's box (a few levels up from it) "
         "with prose of its own: the climb to a parent stops at that box",
         "the headline's box", _limits(levels=3, min_chars=300)),
    Rule("headline_rival", "select", "keep",
         "the best container shares no box near the headline with it, and a container "
         "that does (the headline's parent or a box a few levels up) scores not much "
         "less: that one wins", "the headline's container",
         _limits(levels=2, min_share=0.8)),
    Rule("headline_post", "select", "keep",
         "the best container is one block outside the headline's box, and that box (a "
         "few levels up from the headline) holds prose after it in two blocks or "
         "more: the box wins, the block is never taken with it", "the headline's box",
         _limits(levels=3, min_chars=100, min_share=0.3)),
    Rule("repeated_posts", "select", "keep",
         "containers built like the best one (same tag and classes) holding prose: "
         "forum posts, how-to steps", "whole page",
         _limits(min_chars=80, max_link_share=0.3)),
    Rule("single_post", "select", "remove",
         "repeats outside the box holding the headline (a few levels up) and the best "
         "container: the page is one post, boxes built alike elsewhere are teasers",
         "the headline's box", _limits(levels=3)),
    Rule("sibling_sections", "select", "keep",
         "siblings of the best container and its ancestors holding prose too",
         "six levels up", _limits(levels=6, max_link_share=0.2, small_chars=200)),
    Rule("kin_sections", "select", "keep",
         "a box beside the chosen container (or a near ancestor) whose prose is mostly in "
         "a box built like the container (same tag and classes; an <article> or a box "
         "with a class): another part of the article", "as sibling_sections",
         _limits(min_chars=80, min_clean_share=0.8, min_share=0.8)),
    Rule("between_sections", "select", "keep",
         "a box of clean prose between two boxes taken as parts of the article (a "
         "standfirst and the body, two sections) is taken, however short",
         "siblings, as sibling_sections",
         _limits(levels=3, min_chars=80, min_clean_share=0.8, max_link_share=0.2)),
    Rule("header_standfirst", "select", "keep",
         "a standfirst in a header or headline box before the body",
         "siblings before the body",
         _limits(levels=3, max_link_share=0.2, min_chars=80, max_chars=800)),
    Rule("scattered_page", "select", "keep",
         "the prose is spread over many modules: the whole page is taken",
         "whole page", _limits(max_share=0.35, alone_levels=2)),
    Rule("marked_article", "select", "keep",
         "no prose found but one <article>: its blocks, links too", "<article>", _limits()),
    Rule("headline_box", "select", "keep",
         "no prose found but text after the headline in its box (a few levels up): "
         "those blocks, links too", "the headline's box", _limits(levels=3, min_chars=100)),
    Rule("scant_text", "select", "keep",
         "the text found is under 300 characters, and the headline's box (as for "
         "headline_box) holds more than twice as much after the headline: those blocks "
         "(not when all they add is prose paragraphs the text found left out)",
         "the headline's box", _limits(max_chars=300, min_growth=2, max_bare_share=0.5)),
    Rule("post_header", "select", "keep",
         "no text found, but a dated line beside the headline in its box (a few levels "
         "up) holding only a few short lines: a picture or video post, its header is "
         "its text", "the headline's box", _limits(levels=4, max_lines=5, max_chars=120)),
    Rule("pre_body_lead", "select", "keep",
         "prose blocks between the h1 and the body: an intro in its own box",
         "after the h1", _limits(max_gap_blocks=12)),
    Rule("lead_after_headline", "select", "remove",
         "when the h1 is not the page's headline (a blog's name above a post titled by "
         "another heading), pre_body_lead takes only blocks after the headline: the "
         "blog's description under its name is no lead", "after the h1", _limits()),
    # -- block rules (first that matches drops the block)
    Rule("nested_thread", "block", "remove",
         "a block in a list of posts (as comment_thread) inside the chosen container, "
         "when the container holds prose of its own besides", "boxes under the chosen "
         "container", _limits(), _b_nested_thread),
    Rule("signed_thread", "block", "remove",
         "the blocks from the first sign-off line after the article's prose on, when "
         "short dated lines built alike (same tag and classes), most with a link, "
         "none in a quotation, close three posts or more on a page with a headline: "
         "a thread printed in the article's box", "blocks under the chosen "
         "containers", _limits(max_chars=120, min_posts=3, min_article_chars=150,
                               max_checks=200), _b_signed_thread),
    Rule("link_block", "block", "remove",
         "a block that is mostly link text (a named anchor, <a> with a name or id and "
         "no href, is not a link)",
         "chosen blocks", _limits(max_link_share=0.5), _b_link_block),
    Rule("link_box", "block", "remove",
         "a block inside a link-heavy box, unless the block is prose and the box holds "
         "a long text besides its links, or a list item with words of its own besides "
         "its link, or a linked sentence (80+ characters) alone in its box, among the "
         "article's paragraphs", "boxes under the chosen container",
         _limits(max_link_share=0.5, spare_prose_chars=1000, inside_link_share=0.9), _b_link_box),
    Rule("card_list", "block", "remove",
         "a block in a row of teaser cards (4+ boxes built alike, short, each with a link)",
         "boxes under the chosen container",
         _limits(min_cards=4, max_chars_per_card=200), _b_card_list),
    Rule("boiler_line", "block", "remove",
         "a short line opening with advertisement / share / read more / related ...",
         "short blocks", _limits(max_chars=80), _b_boiler_line),
    Rule("ui_line", "block", "remove", "an interface word alone: close, menu, print, ...",
         "short blocks", _limits(max_chars=80), _b_ui_line),
    Rule("credit", "block", "remove", "an image or source credit (Foto: dpa, Reuters)",
         "short blocks", _limits(max_chars=100, sentence_chars=60), _b_credit),
    Rule("caption_label", "block", "remove",
         "a line opening with a picture's label or the reading time",
         "short blocks", _limits(max_chars=200), _b_caption_label),
    Rule("caption_credit", "block", "remove", "a caption ending with its credit",
         "short blocks", _limits(max_chars=200), _b_caption_credit),
    Rule("login_prompt", "block", "remove", "log in to comment", "short blocks",
         _limits(max_chars=200), _b_login_prompt),
    Rule("reading_time", "block", "remove", "'5 min read'", "short blocks",
         _limits(max_chars=200), _b_reading_time),
    Rule("wire_caption", "block", "remove", "'In this file photo, ...'", "blocks",
         _limits(max_chars=400), _b_wire_caption),
    Rule("lead_byline", "block", "remove", "a byline or date next to a header's standfirst",
         "header leads", _limits(max_chars=80), _b_lead_byline),
    Rule("headline", "block", "remove", "the headline repeated as a heading or first line",
         "headings, first blocks", _limits(first_blocks=3), _b_headline),
    Rule("after_main_box", "block", "remove",
         "a block after the box holding most of the article's prose, outside it, when "
         "such blocks are short beside the article (a bio, an appeal, a teaser box)",
         "after the article's box",
         _limits(min_chars=400, min_share=0.8, min_paras=3, max_after_share=0.3),
         _b_after_main_box),
    Rule("filed_under", "block", "remove",
         "a short block after the article's last prose block whose own element holds "
         "a link marked rel=\"tag\": the post's footer filing it under topics or "
         "categories (mostly links, or a box with a class built unlike the article's "
         "paragraphs)", "after the article's prose",
         _limits(max_chars=300, max_levels=4), _b_filed_under),
    Rule("orphan_label", "block", "remove",
         "a heading or a short line ending with a colon whose own blocks all went (the "
         "next kept block is another heading) or that nothing kept follows",
         "headings, labels", _limits(max_chars=80, look_ahead=40), _b_orphan_label),
    # -- text rules (on the sequence of kept blocks)
    Rule("leading_scraps", "text", "remove",
         "datelines and scraps before the first paragraph", "head",
         _limits(max_chars=150, scrap_chars=20, sentence_words=10, sentence_chars=60),
         _t_leading_scraps),
    Rule("byline_after_lead", "text", "remove", "a byline, stamp or date line",
         "first four blocks", _limits(first_blocks=4, max_chars=60), _t_byline_after_lead),
    Rule("section_end", "text", "remove",
         "a boilerplate section heading (About the author, Comments, ...) and all after",
         "second half", _limits(after_share=0.5, max_chars=70), _t_section_end),
    Rule("call_to_action", "text", "remove",
         "newsletter, subscribe, follow us, apps (a paragraph of max_chars or more only "
         "for a newsletter or e-mail sign-up)",
         "last four blocks", _limits(last_blocks=4, max_chars=150, sign_up_chars=300),
         _t_call_to_action),
    Rule("tail_credit", "text", "remove", "'X contributed to this report'",
         "last three blocks", _limits(last_blocks=3, max_chars=400), _t_tail_credit),
    Rule("trim_tail", "text", "remove",
         "short scraps after the last sentence (not a run of more than four: a list)", "tail",
         _limits(max_chars=25, max_blocks=4), _t_trim_tail),
)  # fmt: skip
_RULE = {rule.name: rule for rule in RULES}
_PRUNE_PASSES = tuple(r for r in RULES if r.stage == "prune")
_ELEMENT_RULES = tuple(r for r in RULES if r.stage == "element")
_BLOCK_RULES = tuple(r for r in RULES if r.stage == "block")
_TEXT_RULES = tuple(r for r in RULES if r.stage == "text")

# the rules switched off and the counter of what each rule did, for this context
# (the benchmark's --rules; extraction itself never switches a rule off)
_SWITCHES: ContextVar[tuple[frozenset[str], Counter | None]] = ContextVar(
    "newsgrab_body_rules", default=(frozenset(), None)
)


def _on(name: str) -> bool:
    return name not in _SWITCHES.get()[0]


def _count(trace: Counter | None, name: str, n: int = 1) -> None:
    if trace is not None and n:
        trace[name] += n


@contextmanager
def rule_switches(off: Iterable[str] = (), trace: Counter | None = None) -> Iterator[None]:
    """Within the block, extraction runs without the rules named in ``off``, and adds
    to ``trace`` how many elements, containers or blocks each rule removed or kept.
    For measuring the rules (benchmarks/extraction.py --rules)."""
    names = frozenset(off)
    unknown = names - _RULE.keys()
    if unknown:
        raise ValueError(f"unknown rule(s): {', '.join(sorted(unknown))}")
    token = _SWITCHES.set((names, trace))
    try:
        yield
    finally:
        _SWITCHES.reset(token)
