"""Seeds and cited URLs as a validated boundary (issue 11): a document newsgrab did
not write costs at most the citations that cannot be URLs, each reported with its
line and reason; nothing crashes, hangs or prints unsafely."""

from __future__ import annotations

import json
import os
import string
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgrab import seeds as seeds_module
from newsgrab.cli import cli
from newsgrab.errors import SeedError
from newsgrab.seeds import (
    display_path,
    find_citations,
    find_seed_files,
    normalize_url,
    read_seed,
    scan_citations,
)
from newsgrab.urlutil import MAX_URL_LENGTH, BadURL, parse_url

GLOBS = ("*.txt", "*.md", "*.markdown", "*.html", "*.htm")
GOOD = "https://news.example.org/story"


def assert_fetchable(url: str) -> None:
    """What every citation handed to fetch must satisfy."""
    assert url.isascii(), url
    assert len(url) <= MAX_URL_LENGTH
    assert normalize_url(url) == url  # canonical: normalizing again changes nothing
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.hostname
    parsed = httpx.URL(url)  # what crashed `fetch` with exit 70
    assert parsed.host and parsed.scheme in ("http", "https")
    assert parsed.port is None or 1 <= parsed.port <= 65535


def run_urls(*args: str):
    return CliRunner().invoke(cli, ["urls", *args])


def assert_no_crash(result) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr


# ------------------------------------------------------------- one test per defect kind

BAD_URLS = [
    # invalid IDNA / DNS names
    ("http://xn--a.com/", "punycode"),
    ("http://xn--ls8h.la/", "punycode"),  # an emoji label: not IDNA 2008
    ("http://xn--bcher-kva.a_b.example/", "international domain name"),  # httpx raised
    ("http://a..b/", "empty label"),
    ("http://.example.org/", "empty label"),
    ("http://-a.example.org/", "hyphen"),
    ("http://ex\u200bample.com/", "invisible character U+200B"),
    ("http://ex\u00adample.com/", "invisible character U+00AD"),
    ("http://" + "a" * 64 + ".com/", "label longer than 63"),
    ("http://" + ".".join(["abcdefghij"] * 24) + ".com/", "host longer than 253"),
    ("http://a%41.com/", "invalid character '%'"),
    ("http://1.2.3.4.5/", "invalid IPv4"),
    ("http://1.2.3.256/", "invalid IPv4"),
    # malformed IPv6 literals
    ("http://[::1/", "unclosed '['"),
    ("http://[zz]/", "invalid IPv6"),
    ("http://[1::2::3]/", "invalid IPv6"),
    ("http://[v1.x]/", "IPvFuture"),
    ("http://[::1]x/", "text after the IPv6"),
    ("http://[fe80::1%25%0a]/", "zone"),
    # bad ports
    ("http://example.org:99999/", "out of range"),
    ("http://example.org:0/", "out of range"),
    ("http://example.org:-1/", "invalid port"),
    ("http://example.org:abc/", "invalid port"),
    ("http://example.org:\u0668\u0660/", "invalid port"),  # Arabic-Indic digits
    ("http://example.org:1:2/", "invalid port"),
    # too long
    ("http://example.org/" + "a" * MAX_URL_LENGTH, "longer than"),
]


@pytest.mark.parametrize("bad, reason", BAD_URLS, ids=[b[:40] for b, _ in BAD_URLS])
def test_bad_url_is_rejected_with_line_and_reason_and_the_rest_goes_on(bad, reason):
    text = f"Intro.\nSee {bad} for details.\nAlso {GOOD}.\n"
    citations, rejected = scan_citations(text)
    assert [c.url for c in citations] == [GOOD]
    assert [(r.line, reason in r.reason) for r in rejected] == [(2, True)], rejected
    assert normalize_url(bad) is None
    with pytest.raises(BadURL):
        parse_url(bad)


@pytest.mark.parametrize("bad, reason", BAD_URLS[:20], ids=[b[:40] for b, _ in BAD_URLS[:20]])
def test_bad_url_in_links_and_hrefs_is_rejected(bad, reason):
    md = f"[label]({bad})\n[ok]({GOOD})\n[ref]: {bad}\n"
    citations, rejected = scan_citations(md)
    assert [c.url for c in citations] == [GOOD]
    assert [r.line for r in rejected] == [1, 3]
    page = f'<p>\n<a href="{bad}">x</a>\n<a href="{GOOD}">ok</a></p>'
    citations, rejected = scan_citations(page, html=True)
    assert [c.url for c in citations] == [GOOD]
    assert [r.line for r in rejected] == [2] and reason in rejected[0].reason


@pytest.mark.parametrize("bad, reason", BAD_URLS, ids=[b[:40] for b, _ in BAD_URLS])
def test_urls_command_reports_rejected_on_stderr_exit_0(tmp_path, bad, reason):
    seed = tmp_path / "notes.md"
    seed.write_text(f"Intro.\nSee {bad} now.\n{GOOD}\n", encoding="utf-8")
    result = run_urls(str(seed))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{seed}:3\t{GOOD}"]
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{seed}:2: not a URL (") and reason in line
    assert "\u200b" not in line and "\u00ad" not in line  # printed through the sanitizer


def test_valid_edge_urls_are_kept_and_fetchable():
    cases = {
        "http://example.org:/a": "http://example.org/a",  # empty port: the default
        "HTTP://[2001:DB8::1]:8443/": "http://[2001:db8::1]:8443/",
        "http://[fe80::1%25eth0]/": "http://[fe80::1%25eth0]/",
        "http://[::ffff:1.2.3.4]/": "http://[::ffff:1.2.3.4]/",
        "http://0x7f.1/": "http://127.0.0.1/",  # one spelling per address
        "http://bücher.example/": "http://xn--bcher-kva.example/",
        "http://XN--BCHER-KVA.example./": "http://xn--bcher-kva.example/",
        "http://a_b.example.org/": "http://a_b.example.org/",
        "http://" + "a" * 63 + ".com/": "http://" + "a" * 63 + ".com/",
        "http://example.org/100%/%zz%41": "http://example.org/100%25/%25zz%41",
        "http://us[er:p@example.org/": "http://us%5Ber:p@example.org/",
    }
    for raw, expected in cases.items():
        assert normalize_url(raw) == expected, raw
        assert_fetchable(expected)


def test_zero_width_space_after_a_url_is_not_part_of_it():
    citations, rejected = scan_citations(f"{GOOD}\u200b and https://example.org\u200b, ok")
    assert [c.url for c in citations] == [GOOD, "https://example.org/"] and rejected == []
    # in a path it ends the URL, as a space would
    (c,) = find_citations("https://example.org/a\u200b/b")
    assert c.url == "https://example.org/a"
    # inside the host it is rejected, never cut to another host ("http://ex/")
    citations, (r,) = scan_citations("go http://ex\u200bample.com/x now")
    assert citations == [] and r.line == 1 and "U+200B" in r.reason


def test_prose_mentions_of_a_bare_scheme_are_not_rejections():
    assert scan_citations("Addresses start with http:// or https://... usually.") == ([], [])


def test_rejected_text_is_bounded():
    (r,) = scan_citations("http://" + "a" * 100_000 + ":99999/")[1]
    assert len(r.text) <= seeds_module.MAX_REJECTED_TEXT


def test_rejected_text_never_shows_credentials(tmp_path):
    (r,) = scan_citations("see http://bob:hunter2@[::1/x now")[1]
    assert r.text == "http://[::1/x"
    seed = tmp_path / "a.txt"
    seed.write_text("https://bob:hunter2@example.org:99999/\n", encoding="utf-8")
    result = run_urls(str(seed))
    assert result.exit_code == 0 and "hunter2" not in result.output


def test_backslash_in_the_host_part_is_rejected():
    # browsers read "\\" as "/" (host example.org); urllib as part of the userinfo
    bad = "http://example.org\\@evil.example/"
    with pytest.raises(BadURL, match="backslash"):
        parse_url(bad)
    citations, (r,) = scan_citations(f'<a href="{bad}">x</a>', html=True)
    assert citations == [] and "backslash" in r.reason
    # in Markdown, "\\@" is an escaped "@": the link's host is evil.example, as shown
    assert [c.url for c in find_citations(f"[x]({bad})")] == ["http://example.org@evil.example/"]


def test_empty_html_comments_do_not_hide_the_page():
    page = '<!--><a href="https://example.org/a">a</a><!---><a href="https://example.org/b">b'
    assert [c.url for c in find_citations(page, html=True)] == [
        "https://example.org/a",
        "https://example.org/b",
    ]


def test_broken_relative_href_against_a_base_is_rejected():
    page = '<base href="https://example.org/d/">\n<a href="//[::1/x">a</a><a href="p">b</a>'
    citations, rejected = scan_citations(page, html=True)
    assert [c.url for c in citations] == ["https://example.org/d/p"]
    assert [(r.line, r.text) for r in rejected] == [(2, "//[::1/x")]


# ------------------------------------------------------------- file names


def _write(folder: Path, name: bytes, text: str) -> Path:
    path = os.path.join(os.fsencode(folder), name)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    return Path(os.fsdecode(path))


def test_non_utf8_file_name_is_found_read_and_printed_escaped(tmp_path):
    seed = _write(tmp_path, b"caf\xe9 \xff.txt", f"see {GOOD}\n")
    assert find_seed_files([tmp_path], GLOBS) == [seed]
    assert read_seed(seed) == f"see {GOOD}\n"
    result = run_urls(str(seed))  # named on the command line (argv is bytes too)
    assert result.exit_code == 0 and result.stdout.endswith(f"\\xff.txt:1\t{GOOD}\n")
    result = run_urls(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path}/caf\\xe9 \\xff.txt:1\t{GOOD}\n"
    result = run_urls(str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    # JSON keeps the name exact (its undecodable bytes as escapes): it opens the file
    assert os.fsencode(json.loads(result.stdout)[0]["file"]) == os.fsencode(seed)


def test_control_and_bidi_characters_in_file_names_are_escaped(tmp_path):
    seed = _write(tmp_path, b"\x1b[31mred\xe2\x80\xae.txt", f"{GOOD}\n")
    assert display_path(seed).endswith("\\x1b[31mred\\u202e.txt")
    result = run_urls(str(tmp_path))
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[31mred\\u202e.txt:1" in result.stdout


def test_bad_paths_are_seed_errors_not_crashes(tmp_path):
    for bad in ("a\x00b", "x" * 5000, str(tmp_path / ("y" * 300) / "z")):
        with pytest.raises(SeedError):
            find_seed_files([bad], GLOBS)
    result = run_urls("x" * 5000)
    assert result.exit_code == 2 and "Traceback" not in result.output


# ------------------------------------------------------------- seed text


def test_unreadable_seed_is_reported_and_the_others_are_listed(tmp_path):
    (tmp_path / "a.txt").write_bytes(os.urandom(4096) + b"\x00\x00\xff\xfe")
    (tmp_path / "b.txt").write_text(f"{GOOD}\n", encoding="utf-8")
    result = run_urls(str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == f"{tmp_path / 'b.txt'}:1\t{GOOD}\n"
    assert result.stderr.startswith(f"error: {tmp_path / 'a.txt'}: ")


def test_oversized_seed_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(seeds_module, "MAX_SEED_BYTES", 1000)
    seed = tmp_path / "huge.txt"
    seed.write_text(GOOD + " " * 2000, encoding="utf-8")
    with pytest.raises(SeedError, match="larger than"):
        read_seed(seed)


def test_nul_bytes_latin1_and_lone_surrogates():
    assert [c.url for c in find_citations(f"a\x00b {GOOD}\x00c")] == [GOOD]
    citations, rejected = scan_citations(f"http://ex\ud800ample.org/ {GOOD}/\udcff x")
    assert [c.url for c in citations] == [GOOD + "/"]
    assert len(rejected) == 1
    for html in (False, True):
        scan_citations("\ud800<a href='http://a\udc80.org/'>\udfff</a>", html=html)


def test_hostile_html_does_not_crash():
    for page in (
        "<![ x <a href='https://example.org/a'>",  # html.parser raised AssertionError
        "<!DOCTYPE",
        "<a href='https://example.org/a",
        "<script>https://example.org/s",
        "</",
        "<a href=https://example.org/a>x</a",
    ):
        for c in find_citations(page, html=True):
            assert_fetchable(c.url)


PATHOLOGICAL = {
    "parens": lambda n: "http://a.com/" + "(" * n,
    "brackets": lambda n: "[" * n,
    "dots": lambda n: "http://" + "." * n,
    "dashes": lambda n: "http://" + "-" * n,
    "percents": lambda n: "http://a.com/" + "%" * n,
    "colons": lambda n: "http://" + ":" * n,
    "whitespace-title": lambda n: "Related: a" + " " * n + "b",
    "whitespace-link": lambda n: "[a](x" + " " * n + "y",
    "schemes": lambda n: "http://" * (n // 7),
    "dash-separated-urls": lambda n: "http://a.org/\u2014" * (n // 14),
    "links-on-one-line": lambda n: "[a](http://x.org/) " * (n // 19),
    "unclosed-tags": lambda n: "<a " * (n // 3),
    "unclosed-quotes": lambda n: '<a x="' * (n // 6),
    "unclosed-comments": lambda n: "<!--" * (n // 4),
    "nested-tags": lambda n: "<div>" * (n // 5),
    "unclosed-images": lambda n: "[" + "![a](" * (n // 5) + "](http://x.org/)",
}


def _seconds(text: str, html: bool) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        scan_citations(text, html=html)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("kind", PATHOLOGICAL)
def test_time_is_linear_in_the_size_of_the_text(kind):
    make = PATHOLOGICAL[kind]
    for html in (False, True):
        small, large = _seconds(make(25_000), html), _seconds(make(200_000), html)
        # 8x the text: linear takes ~8x, quadratic ~64x (main took minutes on some)
        assert large < 20 * small + 0.3, (kind, html, small, large)
        assert large < 10


# ------------------------------------------------------------- property-based

FRAGMENTS = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "www.",
        "xn--",
        "xn--a",
        "example",
        ".org",
        ".",
        "..",
        "/",
        "//",
        "?",
        "&",
        "=",
        "#",
        ":",
        ":80",
        ":99999",
        ":-1",
        "@",
        "[",
        "]",
        "[::1]",
        "[::1",
        "[1::2::3]",
        "(",
        ")",
        "<",
        ">",
        '"',
        "'",
        "%",
        "%41",
        "%zz",
        "\\",
        "-",
        "_",
        "*",
        "~",
        " ",
        "\n",
        "\t",
        "\r",
        "\x00",
        "\u200b",
        "\u00ad",
        "\u202e",
        "\u2014",
        "\u3002",
        "\u00e9",
        "\u5317",
        "\U0001f4a9",
        "\ud800",
        "\udcff",
        "ß",
        "Ⅷ",
        "\u0668",
        "&amp;",
        "[x](",
        "](",
        "![",
        "]: ",
        "<a href='",
        "<a href=",
        "<base href='",
        "'>",
        "</a>",
        "<!--",
        "<![",
        "<script>",
        "Related: ",
        "a" * 64,
    ]
)
SEED_TEXT = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=SEED_TEXT, html=st.booleans())
def test_any_seed_text_gives_fetchable_citations_and_located_rejections(text, html):
    citations, rejected = scan_citations(text, html=html)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for c in citations:
        assert_fetchable(c.url)
        assert all(1 <= p.line <= lines for p in c.places)
    for r in rejected:
        assert 1 <= r.line <= lines and r.reason and r.text
        assert len(r.text) <= seeds_module.MAX_REJECTED_TEXT
    assert [c.url for c in find_citations(text, html=html)] == [c.url for c in citations]


@settings(max_examples=300, deadline=None)
@given(url=st.one_of(SEED_TEXT, st.text(max_size=60).map(lambda s: "http://" + s)))
def test_normalize_url_is_valid_or_none(url):
    normalized = normalize_url(url)
    if normalized is not None:
        assert_fetchable(normalized)


NAMES = st.binary(min_size=1, max_size=24).filter(
    lambda b: b"/" not in b and b"\x00" not in b and not b.startswith(b".")
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    files=st.lists(
        st.tuples(NAMES, st.sampled_from([b".txt", b".md", b".html"]), SEED_TEXT),
        min_size=1,
        max_size=3,
        unique_by=lambda f: f[0] + f[1],
    ),
    fmt=st.sampled_from(["text", "json"]),
)
def test_urls_command_survives_any_seed_and_file_name(files, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.fsencode(tmp)
        for name, suffix, text in files:
            with open(os.path.join(folder, name + suffix), "wb") as f:
                f.write(text.encode("utf-8", "surrogatepass"))
        result = run_urls(tmp, "--format", fmt)
    assert_no_crash(result)
    result.stdout.encode("utf-8")  # no lone surrogate reaches the terminal
    result.stderr.encode("utf-8")
    if fmt == "json":
        rows = json.loads(result.stdout) if result.stdout.strip() else []
        for row in rows:
            assert_fetchable(row["url"])
    else:
        for line in result.stdout.splitlines():
            assert_fetchable(line.split("\t")[1])


HOST_PIECES = st.one_of(
    st.text(
        st.sampled_from(string.ascii_letters + string.digits + ".-_[]:%\u00e9\u200b"), max_size=8
    ),
    st.sampled_from(
        [
            "xn--",
            "xn--a",
            "xn--bcher-kva",
            "XN--ZCA",
            "a_b",
            "ab--c",
            "-",
            "ß",
            "Ⅷ",
            "例え",
            "\u00ad",
        ]
        + ["[", "]", "::1", "::ffff:1.2.3.4", "%25eth0", "v1.x", "0x7f", "0177", "256", "a" * 63]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    host=st.lists(HOST_PIECES, max_size=5).flatmap(
        lambda parts: st.sampled_from([".".join(parts), "".join(parts)])
    ),
    port=st.one_of(st.just(""), st.text(string.digits + "-+", max_size=7).map(":{}".format)),
)
def test_hosts_and_ports_are_fetchable_or_rejected(host, port):
    url = f"http://{host}{port}/p"
    (citations, rejected) = scan_citations(f"see {url} x")
    for c in citations:
        assert_fetchable(c.url)
    try:
        value = parse_url(url)
    except BadURL as exc:
        assert exc.reason
    else:
        assert_fetchable(str(value))
        assert value.port is None or 1 <= value.port <= 65535


# ------------------------------------------------------------- fetch (for the merger)


def test_fetch_skips_citations_that_cannot_be_urls(tmp_path, local_env):
    """Each of these ended `fetch` with exit 70 before (httpx.URL or the socket
    layer raised); now they are not fetched and the run goes on."""
    seed = tmp_path / "a.txt"
    bad = [b for b, _ in BAD_URLS]
    seed.write_text("\n".join(bad) + "\nhttp://127.0.0.1:9/x\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["fetch", "--no-robots", "--json", str(tmp_path)])
    assert result.exit_code == 1, result.output  # the one valid URL: connection refused
    assert [s["url"] for s in json.loads(result.stdout)["sources"]] == ["http://127.0.0.1:9/x"]


def test_fetch_with_a_non_utf8_seed_name(tmp_path, local_env):
    _write(tmp_path, b"\xff.txt", "http://127.0.0.1:9/x\n")
    result = CliRunner().invoke(cli, ["fetch", "--no-robots", str(tmp_path)])
    assert result.exit_code == 1, result.output
    # the sidecar sits next to the seed, and stores its name with the byte escaped
    sidecar = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"\xff.txt.sources.json")))
    stored = json.loads(sidecar.read_bytes())
    assert stored["seed"]["path"] == "\\xff.txt"
    shown = CliRunner().invoke(cli, ["show", str(tmp_path), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[0]["url"] == "http://127.0.0.1:9/x"


def test_urls_json_is_sanitized(tmp_path):
    seed = tmp_path / "a.md"
    seed.write_text(f"[evil\u202e\x85\x9b2Jlabel]({GOOD})\n", encoding="utf-8")
    result = run_urls(str(seed), "--format", "json")
    assert result.exit_code == 0, result.output
    assert not any(ch in result.stdout for ch in "\u202e\x85\x9b")  # escaped, not raw
    (row,) = json.loads(result.stdout)
    assert row["url"] == GOOD and row["label"].endswith("label")
