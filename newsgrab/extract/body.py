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
from dataclasses import dataclass, field

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
# tags kept when a pathologically deep page is flattened
_FLAT_KEEP = re.compile(
    r"<(?!/?(?:p|br|h[1-6]|title|meta|head|body|html|script|style)\b)/?[A-Za-z][^>]*>"
)


def parse_lxml(markup: str):
    """Parse with lxml; a page nested deeper than libxml2 allows is flattened first."""
    markup = _XML_DECL.sub("", markup, count=1)
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
        return root
    return root


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


def _drop_link_cards(root) -> None:
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
        if n < 60:
            continue
        links = sum(len(_STRING(a)) for a in el.iter("a"))
        if links < 0.8 * n:
            continue
        para = next(el.iterancestors("p"), None)
        if para is None:
            continue
        if para not in para_len:
            para_len[para] = _text_len(para)
        if para_len[para] - n >= 50:
            tail = el.tail
            _drop(el)
            gone = n + (len(tail) if tail and not tail.strip() else 0)
            node = parent
            while node is not None:
                if node in para_len:
                    para_len[node] -= gone
                node = node.getparent()


def _swallowed(header) -> bool:
    """A <header> holding far more running text than a header does, few of it
    links: an unclosed tag in it made the parser put the content inside."""
    n = _text_len(header)
    if n < 500:
        return False
    links = sum(len(_STRING(a)) for a in header.iter("a"))
    return links < 0.1 * n


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


def prune(root) -> None:
    """Remove what can never be article text, in place."""
    # a <noscript> holding real paragraphs is the page's own no-JS rendering of the
    # article (the scripted copy is dropped with the scripts): keep it as a <div>
    for el in root.iter("noscript"):
        if el.find(".//p") is not None and _text_len(el) > 300:
            el.tag = "div"
    for el in root.iter(_RAW_TEXT_SHOWN):
        el.tag = "pre"
    etree.strip_elements(root, *_KILL_TAGS, with_tail=False)
    _drop_link_cards(root)
    # containers holding the page's main runs of <p>: they and their ancestors are
    # never pruned by name (broken markup can wrap a whole page in a <header>)
    runs: dict = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None:
            n = len(p.text or "") + sum(len(c.tail or "") + len(c.text or "") for c in p)
            runs[parent] = runs.get(parent, 0) + n
    protected: set = set()
    top_run = None
    if runs:
        top = max(runs.values())
        top_run = max(runs, key=runs.__getitem__)
        for node, n in runs.items():
            if n < 0.3 * top:
                continue
            while node is not None and node not in protected:
                protected.add(node)
                node = node.getparent()
    doomed = []
    named = []  # doomed only by a class/id name: kept when they hold most of the page
    strong = []  # protected, but strongly named as boilerplate
    main_line: set = set()
    node = top_run
    while node is not None:
        main_line.add(node)
        node = node.getparent()
    near = set()  # the main run's container and its parent
    node = top_run
    for _ in range(2):
        if node is None:
            break
        near.add(node)
        node = node.getparent()
    kinds: dict[str, str] = {}  # class/id names -> _name_kind (pages repeat them)
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in ("html", "body", "main", "article"):
            continue
        if tag in _BOILER_TAGS:
            if el not in protected and not (
                tag == "header" and (_holds_lead(el, near) or _swallowed(el))
            ):
                doomed.append(el)
            continue
        keys = el.keys()
        if not keys:
            continue  # (most elements: every test below is about attributes)
        if not _FLAG_ATTRS.isdisjoint(keys):
            if el.get("hidden") is not None or el.get("aria-hidden") == "true":
                if el not in protected:
                    doomed.append(el)
                continue
            style = el.get("style")
            if style and _HIDDEN_STYLE.search(style) and el not in protected:
                doomed.append(el)
                continue
            role = el.get("role")
            if role in _BOILER_ROLES:
                if el not in protected:
                    doomed.append(el)
                continue
        names = _class_id(el)
        if not names:
            continue
        kind = kinds.get(names)
        if kind is None:
            kind = kinds[names] = _name_kind(names)
        if not kind:
            continue
        if el not in protected:
            named.append(el)
        elif kind == _STRONG:
            strong.append(el)
    if named or strong:
        body = root.find("body")
        total = _text_len(body if body is not None else root)
        for el in named:
            if kinds[_class_id(el)] == _STRONG:
                doomed.append(el)
            elif _text_len(el) < 0.5 * total and not (
                el.find(".//h1") is not None and _holds_lead(el, near)
            ):
                doomed.append(el)  # unless it is the article's header: headline and lead
        # a strongly named box (comments, cookie consent, related) is protected by its
        # paragraphs only when it wraps the page's main run of paragraphs
        for el in strong:
            if el not in main_line:
                doomed.append(el)
    for el in doomed:
        _drop(el)


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
    r"(?:titelbild|beitragsbild|aufmacherbild|symbolbild|header image|featured image|"
    r"photograph by|photo by|image by|bild vergrößern|vergrößern|enlarge this image|"
    r"(?:estimated )?reading time|lesezeit|temps de lecture|tiempo de lectura|czas czytania)\b",
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
    r"auch interessant|lesen sie auch|lies auch|zum weiterlesen|empfehlungen|"
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
    r"newsletter|\bsubscribe\b|\bsubscription|abonnieren sie|\babonnez|suscr[ií]b|\bassine\b|"
    r"subskrypc|iscriviti|\bsign up (?:here|now|today|for)\b|melde dich|"
    r"follow (?:us|\w+(?: \w+)?) on|folg(?:e|t|en sie) uns|síguenos|"
    r"download (?:the|our)\b.{0,40}\bapps?\b|\bapps? (?:for|für) (?:ios|android)|"
    r"support (?:our|us)\b|\bunterstütze (?:uns|unser\w*)\b|unterstützen sie (?:uns|unser\w*)\b|"
    r"^unterstütze\b|wesprzyj|"
    r"(?:uns|us|our|unser\w*|nuestro|wir)\b.{0,30}\b(?:whatsapp|telegram|instagram|youtube)|"
    r"(?:whatsapp|telegram|youtube)[- ]?(?:kanal|channel)|canal de (?:youtube|telegram|whatsapp)|"
    r"never miss|enter your e-?mail|e-mail-adresse ein",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？\"”»)]\s*$")
_BYLINE = re.compile(r"^(?i:by|von|par|por|di|door|av|af|from)\s+[A-ZÀ-Þ]\S*(?:\s+\S+){0,6}$")
_SCATTERED = 0.35  # below this share of the page's prose, the whole page is taken
_LEAD_GAP = 12  # at most this many blocks between the headline and the body
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


def _cut(body: Tag) -> tuple[list[_Block], dict[int, _Stats]]:
    """One iterative walk: text blocks in order, plus per-container stats."""
    blocks: list[_Block] = []
    stats: dict[int, _Stats] = {}
    open_blocks: list[Tag] = [body]
    stats[id(body)] = _Stats(body)
    buf: list[str] = []
    link_chars = 0
    in_link = 0

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
            stats[id(anc)].good += n
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
            elif name == "a":
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
            stats[id(child)] = _Stats(child)
        elif name == "a":
            in_link += 1
        stack.append((child, iter(child.contents)))
    flush()
    return blocks, stats


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
    if not blocks:
        return ""
    picked = _select(top, stats)
    out = _emit(blocks, stats, *picked, title) if picked is not None else []
    if not out:
        out = _marked_article(blocks, title)
    return "\n\n".join(out)


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


def _repeats(best: _Stats, stats: dict[int, _Stats]) -> list[int]:
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
        if st.good >= 80 and st.links < 0.3 * st.text:
            found.append(id(tag))
    return found if len(found) * 2 >= total else []


def _select(top: Tag, stats: dict[int, _Stats]) -> tuple[set, set] | None:
    """The ids of the chosen containers, and of those chosen as a header's lead."""
    best, best_score = None, 0.0
    for st in stats.values():
        if st.score <= 0:
            continue
        density = st.links / st.text if st.text else 1.0
        final = (st.score + _weight(st.tag)) * (1.0 - density)
        if final > best_score:
            best, best_score = st, final
    if best is None:
        return None
    # a winner holding only part of its parent's clean paragraph text (one table row,
    # one section of a page-builder layout) gives way to the parent
    moved = True
    while moved:
        moved = False
        node = best.tag
        for _ in range(3):
            if node is top or node.parent is None:
                break
            node = node.parent
            up = stats.get(id(node))
            if up is None:
                break
            if up.good >= 1.6 * best.good and up.links < 0.25 * up.text:
                best, moved = up, True
                break
    chosen = {id(best.tag)}
    chosen.update(_repeats(best, stats))
    leads: set = set()
    # siblings of the best container and of its near ancestors that also hold
    # article paragraphs (multi-section articles, text split around embeds)
    node, base = best.tag, best.good
    for level in range(6):
        parent = node.parent
        if parent is None or node is top:
            break
        signature = (node.name, tuple(node.get("class") or ()))
        kids = [k for k in parent.children if isinstance(k, Tag)]
        picked = [k is node for k in kids]
        small = [False] * len(kids)
        first = picked.index(True)  # the first picked sibling, kept up to date
        for i, sib in enumerate(kids):
            info = stats.get(id(sib))
            if sib is node or info is None or not info.text:
                continue
            density = info.links / info.text
            if signature[1] and (sib.name, tuple(sib.get("class") or ())) == signature:
                if info.good >= max(80, 0.1 * base) and density < 0.3:
                    picked[i] = True
                elif density < 0.3 and info.text < 200:
                    small[i] = True  # e.g. the sub-heading of one section
            elif level == 0:
                small[i] = density < 0.3 and info.text < 200
                picked[i] = density < 0.2 and (
                    info.good >= max(200, 0.3 * base)
                    or (info.good > 60 and info.good > 0.8 * info.text)
                )
            else:
                picked[i] = (
                    density < 0.2
                    and info.good >= max(300, 0.5 * base)
                    and info.good > 0.6 * info.text
                )
            if picked[i]:
                first = min(first, i)
            elif (
                level < 3
                and i < first
                and density < 0.2
                and 80 <= info.good < 800
                and st.good >= 0.5 * st.text
                and st.text < 0.5 * base
                and (sib.name == "header" or sib.find("h1") is not None)
            ):
                picked[i] = True  # a standfirst or lead in the article's header
                leads.add(id(sib))
                first = i
        last = len(picked) - 1 - picked[::-1].index(True)
        for i, sib in enumerate(kids):
            if sib is not node and (picked[i] or (small[i] and first < i < last)):
                chosen.add(id(sib))
        node = parent
    # the text is scattered over many boxes (a landing or product page built from
    # modules): the best container and its kin hold little of it, so the whole
    # page is taken, block by block
    good = stats[id(top)].good
    if good and sum(stats[i].good for i in chosen if i in stats) < _SCATTERED * good:
        return {id(top)}, leads
    return chosen, leads


def _chatter(text: str) -> bool:
    """A picture's caption or the page's prompt to its reader (for short blocks):
    cheap tests first, most blocks are neither."""
    if _LABEL.match(text):
        return True
    if ("©" in text or ":" in text) and _CAPTION_CREDIT.search(text):
        return True
    low = text.lower()
    if any(word in low for word in _COMMENTING) and _LOGIN_PROMPT.search(text):
        return True
    return ("read" in low and _READ_MINUTES.search(text) is not None) or "przeczytasz w" in low


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


def _pre_body_leads(blocks: list[_Block], stats: dict[int, _Stats], anchors: list[int]) -> set:
    """Indexes of the prose blocks between the headline (h1) and the chosen body:
    a standfirst or intro kept in a box of its own."""
    first = next((k for k, a in enumerate(anchors) if a >= 0), -1)
    if first <= 0:
        return set()
    h1 = -1
    for k in range(first - 1, max(-1, first - 1 - _LEAD_GAP), -1):
        if blocks[k].kind == "h1":
            h1 = k
            break
    if h1 < 0:
        return set()
    heading = {id(anc) for anc in blocks[h1].ancestors}
    leads = set()
    for k in range(h1 + 1, first):
        block = blocks[k]
        # near the headline: their common container is at most two levels up
        # (a promo or sign-up box between headline and body sits further away)
        if id(block.ancestors[-3 if len(block.ancestors) > 2 else 0]) not in heading:
            continue
        if _prose(block, stats):
            leads.add(k)
    return leads


def _card_list(tag: Tag, stats: dict[int, _Stats]) -> bool:
    """A row of teaser cards: four or more boxes built alike (same tag and
    classes), each short and each holding a link (its headline or picture)."""
    kids = [k for k in tag.children if isinstance(k, Tag)]
    if len(kids) < 4 or tag.name in ("ul", "ol", "table", "tbody", "dl"):
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
    return total < 200 * len(kids)


def _emit(
    blocks: list[_Block], stats: dict[int, _Stats], chosen: set, leads: set, title: str | None
) -> list[str]:
    """The text of the blocks under the chosen containers, less boilerplate lines."""
    title_key = _norm(title or "")
    anchors = []
    for block in blocks:
        anchor = -1
        for i, anc in enumerate(block.ancestors):
            if id(anc) in chosen:
                anchor = i
                break
        anchors.append(anchor)
    lead_blocks = _pre_body_leads(blocks, stats, anchors)
    cards: dict[int, bool] = {}
    out: list[str] = []
    for k, block in enumerate(blocks):
        anchor = anchors[k]
        if k in lead_blocks:
            out.append(block.text)
            continue
        if anchor < 0:
            continue
        n = len(block.text)
        if block.links > n * 0.5:
            continue
        # a block inside a link-heavy list or box within the article
        noisy = False
        # the whole page taken: only the block's own boxes are weighed
        for anc in block.ancestors[
            max(anchor + 1, len(block.ancestors) - 4 if anchor == 0 else 0) :
        ]:
            st = stats[id(anc)]
            if st.text and st.links > st.text * 0.5:
                noisy = True
                break
            key = id(anc)
            if key not in cards:
                cards[key] = _card_list(anc, stats)
            if cards[key]:
                noisy = True
                break
        if noisy:
            continue
        if n < 80 and (_BOILER_LINE.match(block.text) or _UI_LINE.match(block.text)):
            continue
        if (
            n < 100
            and _CREDIT.search(block.text)
            and not (n > 60 and _SENTENCE_END.search(block.text))
        ):
            continue
        if (n < 200 and _chatter(block.text)) or (n < 400 and _WIRE_CAPTION.match(block.text)):
            continue
        if id(block.ancestors[anchor]) in leads and n < 80 and not _SENTENCE_END.search(block.text):
            continue  # a byline or date next to the standfirst
        if (
            title_key
            and (block.kind in _HEADINGS or len(out) < 3)
            and _norm(block.text) == title_key
        ):
            continue  # the headline, as a heading or as a paragraph above the story
        out.append(block.text)
    # leading datelines, bylines and scraps before the first real paragraph
    skip = 0
    while skip < len(out) - 1 and len(out[skip]) < 150:
        first = out[skip]
        if (len(first) < 30 and not _SENTENCE_END.search(first)) or _dated(first):
            skip += 1
        else:
            break
    del out[:skip]
    # a byline or a date line right after a standfirst
    out[:4] = [
        b
        for b in out[:4]
        if not (len(b) < 60 and (_BYLINE.match(b) or _STAMP.match(b) or _dateline(b)))
    ]
    # a boilerplate section opening in the second half ("About the author",
    # "Comments", "You may also like"): it and what follows go
    total = sum(len(b) for b in out)
    seen = 0
    for i, b in enumerate(out):
        if seen >= total / 2 and len(b) < 70 and _SECTION_END.match(b):
            del out[i:]
            break
        seen += len(b)
    # calls to action closing the story (short blocks among the last four)
    tail = max(len(out) - 4, (len(out) + 1) // 2)
    out[tail:] = [b for b in out[tail:] if not (len(b) < 300 and _CALL_TO_ACTION.search(b))]
    # credits closing the story
    out[-3:] = [b for b in out[-3:] if not (len(b) < 400 and _TAIL_CREDIT.search(b))]
    return _trim_tail(out)


def _trim_tail(out: list[str]) -> list[str]:
    """Trailing scraps after the last sentence ("Top video", "Join the conversation")."""
    while out and len(out[-1]) < 30 and not _SENTENCE_END.search(out[-1]):
        out.pop()
    return out
