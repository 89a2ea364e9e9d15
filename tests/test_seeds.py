"""URL finding, normalization, labels, seed discovery and seed decoding."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgrab.errors import SeedError
from newsgrab.seeds import find_citations, find_seed_files, normalize_url, read_seed

GLOBS = ("*.txt", "*.md", "*.markdown", "*.html", "*.htm")
SHARED_SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_e98bc2b0e0306cca.txt"
)


def found(text: str, html: bool = False) -> list[tuple[str, int, str | None]]:
    return [(c.url, c.line, c.label) for c in find_citations(text, html=html)]


def urls(text: str, html: bool = False) -> list[str]:
    return [c.url for c in find_citations(text, html=html)]


U = "https://example.org/a"

# (id, text, html, [(url, line, label), ...])
CASES = [
    # punctuation and brackets
    ("period", "See https://example.org/a.", False, [(U, 1, None)]),
    (
        "comma-semicolon",
        "https://example.org/a, https://example.org/b; and",
        False,
        [(U, 1, None), ("https://example.org/b", 1, None)],
    ),
    ("question-exclaim", "Did you read https://example.org/a?! Wow", False, [(U, 1, None)]),
    ("colon", "Source https://example.org/a: news", False, [(U, 1, None)]),
    ("ellipsis-ascii", "more at https://example.org/a...", False, [(U, 1, None)]),
    ("parens", "(see https://example.org/a)", False, [(U, 1, None)]),
    (
        "wiki-parens",
        "(see https://en.wikipedia.org/wiki/Mercury_(planet))",
        False,
        [("https://en.wikipedia.org/wiki/Mercury_(planet)", 1, None)],
    ),
    (
        "wiki-parens-period",
        "Read https://en.wikipedia.org/wiki/Mercury_(planet).",
        False,
        [("https://en.wikipedia.org/wiki/Mercury_(planet)", 1, None)],
    ),
    ("square", "[https://example.org/a]", False, [(U, 1, None)]),
    ("angle", "<https://example.org/a>", False, [(U, 1, None)]),
    (
        "straight-quotes",
        "He said \"https://example.org/a\" and 'https://example.org/b'.",
        False,
        [(U, 1, None), ("https://example.org/b", 1, None)],
    ),
    (
        "query-kept",
        "https://example.org/a?id=7&page=2.",
        False,
        [("https://example.org/a?id=7&page=2", 1, None)],
    ),
    ("trailing-slash", "https://example.org/.", False, [("https://example.org/", 1, None)]),
    ("host-only", "Go to https://Example.ORG, now", False, [("https://example.org/", 1, None)]),
    (
        "emphasis",
        "**https://example.org/a** and _https://example.org/b_",
        False,
        [(U, 1, None), ("https://example.org/b", 1, None)],
    ),
    ("underscore-kept", "https://example.org/a_", False, [("https://example.org/a_", 1, None)]),
    ("table-pipe", "|https://example.org/a|x|", False, [(U, 1, None)]),
    # quotes and non-ASCII neighbours
    ("curly-quotes", "\u201chttps://example.org/a\u201d", False, [(U, 1, None)]),
    ("curly-single", "\u2018https://example.org/a\u2019s page", False, [(U, 1, None)]),
    ("guillemets", "\u00abhttps://example.org/a\u00bb", False, [(U, 1, None)]),
    ("cjk-punct", "\u8be6\u89c1https://example.org/a\u3002\u8c22\u8c22", False, [(U, 1, None)]),
    ("cjk-brackets", "\u300chttps://example.org/a\u300d", False, [(U, 1, None)]),
    (
        "cjk-glued",
        "\u8bbf\u95eehttps://example.org/a\u83b7\u53d6\u66f4\u591a",
        False,
        [(U, 1, None)],
    ),
    ("fullwidth-paren", "\uff08https://example.org/a\uff09", False, [(U, 1, None)]),
    ("em-dash", "https://example.org/a\u2014a dash", False, [(U, 1, None)]),
    ("unicode-ellipsis", "https://example.org/a\u2026", False, [(U, 1, None)]),
    ("nbsp", "https://example.org/a\u00a0next", False, [(U, 1, None)]),
    (
        "cyrillic-path",
        "\u0441\u043c. https://ru.wikipedia.org/wiki/\u041c\u043e\u0441\u043a\u0432\u0430.",
        False,
        [("https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0", 1, None)],
    ),
    (
        "cjk-path-after-slash",
        "https://zh.wikipedia.org/wiki/\u5317\u4eac\u3002",
        False,
        [("https://zh.wikipedia.org/wiki/%E5%8C%97%E4%BA%AC", 1, None)],
    ),
    (
        "idn-host",
        "https://B\u00fccher.example/caf\u00e9",
        False,
        [("https://xn--bcher-kva.example/caf%C3%A9", 1, None)],
    ),
    (
        "percent-kept",
        "https://example.org/caf%c3%a9",
        False,
        [("https://example.org/caf%c3%a9", 1, None)],
    ),
    # normalization
    ("scheme-host-case", "HTTPS://EXAMPLE.org/A/B", False, [("https://example.org/A/B", 1, None)]),
    (
        "default-port",
        "http://example.org:80/a https://example.org:443/b",
        False,
        [("http://example.org/a", 1, None), ("https://example.org/b", 1, None)],
    ),
    ("other-port", "http://example.org:8080/a", False, [("http://example.org:8080/a", 1, None)]),
    ("fragment", "https://example.org/a#section-2", False, [(U, 1, None)]),
    (
        "tracking",
        "https://example.org/a?utm_source=x&id=3&fbclid=abc&UTM_Medium=y&b=",
        False,
        [("https://example.org/a?id=3&b=", 1, None)],
    ),
    (
        "tracking-only",
        "https://example.org/a?utm_source=tw&gclid=1&_ga=2&mc_cid=3&igshid=4",
        False,
        [(U, 1, None)],
    ),
    (
        "param-order",
        "https://example.org/a?z=1&a=2&m=3",
        False,
        [("https://example.org/a?z=1&a=2&m=3", 1, None)],
    ),
    (
        "credentials",
        "https://user:pw@Example.org/a",
        False,
        [("https://user:pw@example.org/a", 1, None)],
    ),
    (
        "www-bare",
        "Visit www.example.org/a, please",
        False,
        [("https://www.example.org/a", 1, None)],
    ),
    ("not-email", "mail bob@www.example.org now", False, []),
    ("not-other-schemes", "ftp://example.org/a mailto:a@b.org javascript:alert(1)", False, []),
    ("glued-word", "xhttps://example.org/a", False, []),
    ("bad-port", "http://example.org:99999/a", False, []),
    # duplicates and line numbers
    (
        "duplicates",
        "https://example.org/a\nhttps://example.org/a#x\nhttps://example.org/b\n"
        "https://EXAMPLE.org/a?utm_source=z",
        False,
        [(U, 1, None), ("https://example.org/b", 3, None)],
    ),
    ("crlf-lines", "x\r\ny\r\nhttps://example.org/a\r\n", False, [(U, 3, None)]),
    (
        "two-on-line-order",
        "https://example.org/b then https://example.org/a",
        False,
        [("https://example.org/b", 1, None), (U, 1, None)],
    ),
    # Markdown
    ("md-link", "Read [The story](https://example.org/a).", False, [(U, 1, "The story")]),
    ("md-link-title", '[Story](https://example.org/a "A title")', False, [(U, 1, "Story")]),
    (
        "md-link-parens",
        "[Mercury](https://en.wikipedia.org/wiki/Mercury_(planet))",
        False,
        [("https://en.wikipedia.org/wiki/Mercury_(planet)", 1, "Mercury")],
    ),
    (
        "md-angle-dest",
        "[Spaces](<https://example.org/a b>)",
        False,
        [("https://example.org/a%20b", 1, "Spaces")],
    ),
    (
        "md-ref",
        "Text [the report][r1].\n\n[r1]: https://example.org/a",
        False,
        [(U, 3, "the report")],
    ),
    ("md-ref-title", '[1]: https://example.org/a "Budget 2026"', False, [(U, 1, "Budget 2026")]),
    (
        "md-image-skipped",
        "![chart](https://example.org/chart.png) [page](https://example.org/a)",
        False,
        [(U, 1, "page")],
    ),
    (
        "md-linked-image",
        "[![Chart](https://example.org/c.png)](https://example.org/a)",
        False,
        [(U, 1, "Chart")],
    ),
    (
        "md-inline-markup",
        "[**Bold** `code` title](https://example.org/a)",
        False,
        [(U, 1, "Bold code title")],
    ),
    (
        "html-unclosed-long",
        '<a href="https://example.org/a">' + "word " * 200,
        True,
        [(U, 1, ("word " * 60)[:299].rstrip() + "\u2026")],
    ),
    (
        "amp-in-text",
        "https://example.org/a?x=1&amp;y=2 [l](https://example.org/b?x=1&amp;y=2)",
        False,
        [("https://example.org/a?x=1&y=2", 1, None), ("https://example.org/b?x=1&y=2", 1, "l")],
    ),
    ("md-url-as-label", "[https://example.org/a](https://example.org/a)", False, [(U, 1, None)]),
    ("md-relative-ignored", "[local](notes/a.md) [top](#top)", False, []),
    ("md-escape", r"https://example.org/a\_b", False, [("https://example.org/a_b", 1, None)]),
    # HTML
    (
        "html-href",
        '<p><a href="https://example.org/a">The <b>story</b></a></p>',
        True,
        [(U, 1, "The story")],
    ),
    (
        "html-entities",
        '<a href="https://example.org/a?x=1&amp;y=2&amp;utm_source=z">t</a>',
        True,
        [("https://example.org/a?x=1&y=2", 1, "t")],
    ),
    (
        "html-line-of-href",
        '<p>\n<a class="x"\n   href="https://example.org/a">t</a>',
        True,
        [(U, 3, "t")],
    ),
    (
        "html-ignored",
        '<a href="mailto:a@b.org">m</a><a href="javascript:void(0)">j</a>'
        '<a href="/rel">r</a><a href="#top">t</a><link href="https://example.org/css">',
        True,
        [],
    ),
    (
        "html-base",
        '<base href="https://example.org/dir/">\n<a href="page.html">P</a><a href="#x">skip</a>',
        True,
        [("https://example.org/dir/page.html", 2, "P")],
    ),
    (
        "html-text-url",
        "<p>See https://example.org/a.</p>\n<script>var u='https://x.org/s'</script>",
        True,
        [(U, 1, None)],
    ),
    (
        "html-title-attr",
        '<a href="https://example.org/a" title="Tip"><img src="i.png"></a>',
        True,
        [(U, 1, "Tip")],
    ),
    ("html-comment", '<!-- <a href="https://example.org/old">x</a> -->', True, []),
    # labels from "Related article:" lines
    (
        "related-single",
        "Related article: Rates rise again\n\nhttps://example.org/123",
        False,
        [("https://example.org/123", 3, "Rates rise again")],
    ),
    (
        "related-slug-match",
        "Related: Storm hits coast\n\nhttps://example.org/other/1\n"
        "https://example.org/news/storm-hits-coast\n",
        False,
        [
            ("https://example.org/other/1", 3, None),
            ("https://example.org/news/storm-hits-coast", 4, "Storm hits coast"),
        ],
    ),
    (
        "related-ambiguous",
        "See also: Something\nhttps://example.org/1\nhttps://example.org/2",
        False,
        [("https://example.org/1", 2, None), ("https://example.org/2", 3, None)],
    ),
    (
        "related-same-line",
        "Read more: Election night https://example.org/a",
        False,
        [(U, 1, "Election night")],
    ),
    ("related-same-line-url-only", "Read more: https://example.org/a", False, [(U, 1, None)]),
    (
        "related-prose-stops",
        "Related article: Far away\nSome prose here.\nhttps://example.org/a",
        False,
        [(U, 3, None)],
    ),
    (
        "related-md-label-wins",
        "Related: Other title\n[Own](https://example.org/a)",
        False,
        [(U, 2, "Own")],
    ),
    (
        "related-bold",
        "**Related article:** \u201cBanks merge\u201d\nhttps://example.org/b",
        False,
        [("https://example.org/b", 2, "Banks merge")],
    ),
    (
        "related-two-labels",
        "Related: Ice melts\nRelated: Rain falls\n"
        "https://example.org/rain-falls\nhttps://example.org/ice-melts",
        False,
        [
            ("https://example.org/rain-falls", 3, "Rain falls"),
            ("https://example.org/ice-melts", 4, "Ice melts"),
        ],
    ),
    (
        "label-later-place",
        "https://example.org/a\n\nRelated: Later\nhttps://example.org/a",
        False,
        [(U, 1, "Later")],
    ),
]


@pytest.mark.parametrize("text, html, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tricky_cases(text, html, expected):
    assert found(text, html=html) == expected


def test_places_record_every_citation():
    text = "[A](https://example.org/a)\nplain https://example.org/a\n\nRelated: Z\nhttps://example.org/a"
    (c,) = find_citations(text)
    assert [(p.line, p.label) for p in c.places] == [(1, "A"), (2, None), (5, "Z")]
    assert c.line == 1 and c.label == "A"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://example.org", "https://example.org/"),
        ("HTTP://EXAMPLE.ORG:80", "http://example.org/"),
        ("https://example.org:443/a?b=1#c", "https://example.org/a?b=1"),
        ("https://[2001:DB8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/a?q=caf\u00e9", "https://example.org/a?q=caf%C3%A9"),
        ("https://example.org/a/../b", "https://example.org/a/../b"),
        (
            "https://example.org/a?utm_campaign=x&_ga=1&dclid=2&msclkid=3&yclid=4&mc_eid=5",
            "https://example.org/a",
        ),
        ("ftp://example.org/a", None),
        ("mailto:x@example.org", None),
        ("https://", None),
        ("https://exa mple.org/", None),
        ("http://example.org:notaport/", None),
        ("//example.org/a", None),
        ("not a url", None),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


# ---------------------------------------------------------------- property test

_label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
_seg = st.text(string.ascii_letters + string.digits + "-_~%", min_size=1, max_size=10).filter(
    lambda s: "%" not in s
)
_host = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["org", "com", "de", "co.uk", "news"]),
)
_path = st.lists(
    st.one_of(_seg, _seg.map(lambda s: s + "_(x)"), _seg.map(lambda s: s + ".html")), max_size=4
).map(lambda segs: "/" + "/".join(segs))
_query = st.lists(
    st.tuples(_label, st.text(string.ascii_letters + string.digits, max_size=5)), max_size=3
).map(lambda kv: "?" + "&".join(f"k{k}={v}" for k, v in kv) if kv else "")
_valid_url = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTPS"]),
    _host,
    st.sampled_from(["", ":8080", ":443"]),
    _path,
    _query,
    st.sampled_from(["", "#frag", "#a-b"]),
)
_before = st.sampled_from(
    ["", " ", "\n", "(", "\u201c", "\u00ab", "\u300c", "<", '"', "\u8bf7\u770b", "see: ", "\u2014"]
)
_after = st.sampled_from(
    [
        "",
        " ",
        "\n",
        ".",
        ",",
        ")",
        "\u201d",
        "\u00bb",
        "\u3002",
        ">",
        '"',
        "?",
        "!",
        "\u2026",
        ":",
        ";",
        "\u8c22\u8c22",
        ". ",
    ]
)
_filler = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(url=_valid_url, before=_before, after=_after, head=_filler, tail=_filler)
def test_url_in_arbitrary_text_comes_back_intact(url, before, after, head, tail):
    # the surrounding text never continues the URL: the head ends with a break,
    # the tail starts with one
    if after.startswith("\u8c22") and url[-1] in "/=?&#-_+%~:,":
        after = " " + after  # CJK right after a delimiter continues the URL (/wiki/北京)
    text = f"{head}\n{before}{url}{after}\n{tail}"
    expected = normalize_url(url)
    assert expected is not None
    line = len(re.split(r"\r\n|\r|\n", f"{head}\n{before}"))
    hits = {c.url: c for c in find_citations(text)}
    assert expected in hits, (text, hits)
    assert line in [p.line for p in hits[expected].places]


@settings(max_examples=60, deadline=None)
@given(
    url=_valid_url,
    label=st.text(string.ascii_letters + " ", min_size=1, max_size=20).filter(
        lambda s: s.strip() and "  " not in s.strip()
    ),
)
def test_markdown_link_comes_back_with_label(url, label):
    (c,) = find_citations(f"Intro [{label}]({url}) outro.")
    assert c.url == normalize_url(url)
    assert c.label == label.strip()


# ---------------------------------------------------------------- the sample seed

OWN_SAMPLE = """\
The mayor said on Tuesday that the harbour bridge will close for repairs
in the spring, the city newspaper reported.

Engineers found corrosion in two of the main cables last year.

Related article: Harbour Bridge Repairs Could Take ‘Two Years’

https://www.example-wire.com/city/482911
https://www.example-times.com/2026/03/01/harbour-bridge-repairs-could-take-two-years


“We cannot wait any longer,” the mayor told reporters.
"""


def check_sample(path: Path) -> None:
    cites = find_citations(read_seed(path))
    assert len(cites) == 2
    first, second = cites
    assert first.label is None
    title = (
        next(line for line in read_seed(path).splitlines() if line.startswith("Related article:"))
        .partition(":")[2]
        .strip()
    )
    assert second.label == title
    assert second.line == first.line + 1


def test_own_sample_seed(tmp_path):
    seed = tmp_path / "sample.txt"
    seed.write_text(OWN_SAMPLE, encoding="utf-8")
    check_sample(seed)
    assert found(OWN_SAMPLE) == [
        ("https://www.example-wire.com/city/482911", 8, None),
        (
            "https://www.example-times.com/2026/03/01/harbour-bridge-repairs-could-take-two-years",
            9,
            "Harbour Bridge Repairs Could Take ‘Two Years’",
        ),
    ]


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="../shared/seeds not present")
def test_shared_sample_seed(tmp_path):
    seed = tmp_path / SHARED_SAMPLE.name
    shutil.copyfile(SHARED_SAMPLE, seed)
    check_sample(seed)


# ---------------------------------------------------------------- seed files


def make_tree(root: Path) -> None:
    files = {
        "a.txt": "x",
        "b.md": "x",
        "c.markdown": "x",
        "d.html": "x",
        "e.HTM": "x",
        "skip.pdf": "x",
        "a.sources.json": "{}",
        "b.sources.json.corrupt-20260101": "x",
        "x.md.corrupt-1": "x",
        ".hidden.md": "x",
        ".git/config.txt": "x",
        "sub/deep/z.txt": "x",
        "sub/a.md": "x",
        ".private/n.md": "x",
        "sub/.h/n.txt": "x",
    }
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)


def test_find_seed_files_recursive_sorted_and_filtered(tmp_path):
    make_tree(tmp_path / "s")
    got = [
        p.relative_to(tmp_path / "s").as_posix() for p in find_seed_files([tmp_path / "s"], GLOBS)
    ]
    assert got == ["a.txt", "b.md", "c.markdown", "d.html", "e.HTM", "sub/a.md", "sub/deep/z.txt"]
    # deterministic
    assert find_seed_files([tmp_path / "s"], GLOBS) == find_seed_files([str(tmp_path / "s")], GLOBS)


def test_find_seed_files_globs_and_explicit_files(tmp_path):
    make_tree(tmp_path)
    assert [p.name for p in find_seed_files([tmp_path], ["*.md"])] == ["b.md", "a.md"]
    assert [p.name for p in find_seed_files([tmp_path], ["sub/*.md"])] == ["a.md"]
    # an explicit file is taken whatever its extension; explicit duplicates collapse
    got = find_seed_files([tmp_path / "skip.pdf", tmp_path / "a.txt", tmp_path], ["*.txt"])
    assert [p.name for p in got] == ["skip.pdf", "a.txt", "z.txt"]
    # ...but a sidecar or hidden file never is
    assert find_seed_files([tmp_path / "a.sources.json", tmp_path / ".hidden.md"], GLOBS) == []
    # an explicitly named hidden folder is searched
    assert [p.name for p in find_seed_files([tmp_path / ".private"], GLOBS)] == ["n.md"]


def test_find_seed_files_missing_path(tmp_path):
    with pytest.raises(SeedError) as err:
        find_seed_files([tmp_path / "nope"], GLOBS)
    assert str(tmp_path / "nope") in str(err.value)
    assert "\n" not in str(err.value)


def test_empty_folder_has_no_seeds(tmp_path):
    assert find_seed_files([tmp_path], GLOBS) == []


# ---------------------------------------------------------------- reading seeds


def test_read_seed_utf8_and_bom(tmp_path):
    seed = tmp_path / "s.txt"
    seed.write_bytes(b"\xef\xbb\xbfCaf\xc3\xa9 https://example.org/a")
    assert read_seed(seed) == "Café https://example.org/a"
    seed.write_bytes("Caf\u00e9 https://example.org/a".encode("utf-16"))
    assert read_seed(seed) == "Café https://example.org/a"


def test_read_seed_non_utf8(tmp_path):
    text = (
        "Президент заявил, что переговоры о гарантиях безопасности должны начаться "
        "немедленно. Подробнее: https://example.org/статья\n"
    ) * 3
    seed = tmp_path / "cp1251.txt"
    seed.write_bytes(text.encode("cp1251"))
    got = read_seed(seed)
    assert got == text
    assert urls(got) == ["https://example.org/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F"]


def test_read_seed_latin1(tmp_path):
    text = "Le café de la gare a fermé. L'été dernier, à Noël, voir https://example.org/a\n"
    seed = tmp_path / "latin1.md"
    seed.write_bytes(text.encode("latin-1"))
    assert "https://example.org/a" in read_seed(seed)
    assert urls(read_seed(seed)) == ["https://example.org/a"]


def test_read_seed_unreadable(tmp_path):
    with pytest.raises(SeedError, match="cannot read"):
        read_seed(tmp_path / "missing.txt")
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    with pytest.raises(SeedError, match="dir.txt"):
        read_seed(folder)
