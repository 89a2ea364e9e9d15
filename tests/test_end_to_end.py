"""The whole flow against a local server: urls, fetch, show, extract.

Pages are written for these tests and served by pytest-httpserver on
127.0.0.1; seeds in a temporary folder cite them. The CLI runs through click's
CliRunner and as a real `python -m newsgrab` subprocess, and the sidecars are
read back field by field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsgrab.cli import cli

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

PARAS = [
    "A winter storm closed the harbour of Port Ellen on Tuesday, stranding two ferries "
    "and about three hundred passengers overnight.",
    "The harbour master said the gusts reached ninety kilometres an hour before noon, "
    "and that no ship would leave before the wind dropped.",
    "Local shops opened their back rooms to travellers, and the school gym was turned "
    "into a dormitory with camp beds from the sports club.",
]

ARTICLE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Storm closes harbour | Coast Gazette</title>
<meta property="og:site_name" content="Coast Gazette">
<meta name="description" content="Ferries stranded as gusts hit ninety kilometres an hour.">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "NewsArticle",
  "headline": "Storm closes harbour",
  "author": {{"@type": "Person", "name": "Mairi Campbell"}},
  "datePublished": "2026-11-03T08:30:00+00:00"}}
</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Storm closes harbour</h1>
<p class="byline">By Mairi Campbell</p>
<p>{PARAS[0]}</p>
<p>{PARAS[1]}</p>
<p>{PARAS[2]}</p>
</article>
<footer><p>Copyright Coast Gazette. All rights reserved. Subscribe to our newsletter.</p></footer>
</body></html>"""

OTHER = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Council approves new library</title></head><body><article>
<h1>Council approves new library</h1>
<p>The town council voted on Monday to build a new public library next to the station,
ending a debate that had lasted for more than six years.</p>
<p>Construction is expected to begin in the spring and to take eighteen months, the
council's planning officer told reporters after the vote.</p>
</article></body></html>"""


def serve(web, path, body, **kw):
    web.expect_request(path).respond_with_data(
        body, content_type=kw.pop("content_type", "text/html; charset=utf-8"), **kw
    )


def requests_to(web, path):
    return sum(1 for request, _ in web.log if request.path == path)


def read_sidecar(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_fetch_writes_one_sidecar_per_seed_field_by_field(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE, headers={"ETag": '"v1"'})
    serve(web, "/news/library", OTHER)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    url_a = web.url_for("/news/storm")
    url_b = web.url_for("/news/library")
    seed = seeds / "harbour.md"
    seed.write_text(
        f"# Notes\n\nThe storm: [harbour report]({url_a}).\n\nAlso {url_b}?utm_source=x.\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(cli, ["fetch", str(seeds)])
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(
        r"newsgrab: 1 seed, 2 URLs \(2 new\): 2 ok; 1 sidecar written in \d+\.\ds\n",
        result.stdout,
    ), result.stdout

    data = read_sidecar(seeds / "harbour.md.sources.json")
    assert data["schema_version"] == 1
    assert data["generator"] == "newsgrab 0.1.0"
    assert data["seed"] == {
        "path": "harbour.md",
        "sha256": hashlib.sha256(seed.read_bytes()).hexdigest(),
    }
    assert ISO_Z.match(data["updated_at"])
    assert [s["url"] for s in data["sources"]] == [url_a, url_b]  # tracking param dropped

    storm = data["sources"][0]
    assert storm["cited"] == [{"line": 3, "label": "harbour report"}]
    assert storm["status"] == "ok"
    assert storm["error"] is None
    assert storm["revisions"] == []
    fetch = storm["fetch"]
    assert fetch["final_url"] == url_a
    assert fetch["http_status"] == 200
    assert fetch["content_type"] == "text/html"
    assert fetch["charset"] == "utf-8"
    assert fetch["etag"] == '"v1"'
    assert fetch["redirects"] == []
    assert ISO_Z.match(fetch["fetched_at"]) and fetch["checked_at"] == fetch["fetched_at"]
    assert fetch["attempts"] == 1 and fetch["consecutive_failures"] == 0
    assert fetch["archived_from"] is None

    article = storm["article"]
    assert article["title"] == "Storm closes harbour"
    assert article["authors"] == ["Mairi Campbell"]
    assert article["published_at"] == "2026-11-03T08:30:00+00:00"
    assert article["language"] == "en"
    assert article["site_name"] == "Coast Gazette"
    assert article["description"] == "Ferries stranded as gusts hit ninety kilometres an hour."
    assert article["text"] == "\n\n".join(PARAS)
    assert article["word_count"] == len(" ".join(PARAS).split())
    assert article["content_sha256"] == hashlib.sha256(article["text"].encode()).hexdigest()
    assert article["extractor"] == "newsgrab 0.1.0"

    library = data["sources"][1]
    assert library["cited"] == [{"line": 5, "label": None}]
    assert library["article"]["title"] == "Council approves new library"
    assert library["article"]["text"].startswith("The town council voted on Monday")


def test_a_url_cited_by_two_seeds_is_requested_once(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    url = web.url_for("/news/storm")
    (tmp_path / "one.txt").write_text(f"First mention: {url}\n")
    (tmp_path / "two.md").write_text(f"Second mention <{url}> and again {url}.\n")
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert requests_to(web, "/news/storm") == 1
    one = read_sidecar(tmp_path / "one.txt.sources.json")["sources"]
    two = read_sidecar(tmp_path / "two.md.sources.json")["sources"]
    assert one[0]["article"]["title"] == two[0]["article"]["title"] == "Storm closes harbour"
    assert [c["line"] for c in two[0]["cited"]] == [1]
    assert len(two) == 1


def test_a_failed_url_is_recorded_and_the_others_still_written(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    serve(web, "/broken", "oops", status=500, content_type="text/plain")
    good, bad = web.url_for("/news/storm"), web.url_for("/broken")
    (tmp_path / "a.txt").write_text(f"{bad}\n{good}\n")
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 1, result.stderr
    assert "1 error" in result.stdout and "1 ok" in result.stdout
    sources = read_sidecar(tmp_path / "a.txt.sources.json")["sources"]
    assert [s["status"] for s in sources] == ["error", "ok"]
    assert sources[0]["error"]["kind"] == "http_status"
    assert sources[0]["error"]["http_status"] == 500
    assert sources[0]["error"]["message"]
    assert sources[0]["article"] is None
    assert sources[1]["article"]["title"] == "Storm closes harbour"


def test_redirects_are_followed_and_recorded(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    web.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": web.url_for("/news/storm")}
    )
    (tmp_path / "a.txt").write_text(web.url_for("/old") + "\n")
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    source = read_sidecar(tmp_path / "a.txt.sources.json")["sources"][0]
    assert source["url"] == web.url_for("/old")
    assert source["fetch"]["final_url"] == web.url_for("/news/storm")
    assert source["fetch"]["redirects"] == [{"url": web.url_for("/news/storm"), "status": 301}]
    assert source["article"]["title"] == "Storm closes harbour"


def test_the_whole_flow_as_real_processes(web, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    serve(web, "/news/library", OTHER)
    seeds = tmp_path / "docs"
    seeds.mkdir()
    (seeds / "report.txt").write_text(
        f"Related article: Storm closes harbour\n{web.url_for('/news/storm')}\n", encoding="utf-8"
    )
    (seeds / "page.html").write_text(
        f'<p>See <a href="{web.url_for("/news/library")}">the vote</a>.</p>', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAB_")}
    env |= {
        "NEWSGRAB_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSGRAB_HOST_DELAY": "0",
        "NEWSGRAB_ARCHIVE_FALLBACK": "false",
    }

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "newsgrab", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=tmp_path,
        )

    urls = run("urls", str(seeds))
    assert urls.returncode == 0, urls.stderr
    assert urls.stdout.splitlines() == [
        f"{seeds / 'page.html'}:1\t{web.url_for('/news/library')}\tthe vote",
        f"{seeds / 'report.txt'}:2\t{web.url_for('/news/storm')}\tStorm closes harbour",
    ]

    fetched = run("fetch", str(seeds))
    assert fetched.returncode == 0, fetched.stderr
    # not a terminal: the summary line only, no progress bar, no escape codes
    assert fetched.stdout.count("\n") == 1 and fetched.stdout.startswith("newsgrab: 2 seeds")
    assert "\x1b" not in fetched.stdout + fetched.stderr
    assert (
        read_sidecar(seeds / "report.txt.sources.json")["sources"][0]["article"]["title"]
        == "Storm closes harbour"
    )
    assert (
        read_sidecar(seeds / "page.html.sources.json")["sources"][0]["cited"][0]["label"]
        == "the vote"
    )

    shown = run("show", str(seeds), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    titles = sorted(
        json.loads(line)["article"]["title"] if line.startswith("{") else ""
        for line in shown.stdout.splitlines()
        if line.startswith("{")
    )
    parsed = json.loads(shown.stdout) if not titles else None
    if parsed is not None:  # one JSON document
        titles = sorted(s["article"]["title"] for s in parsed)
    assert titles == ["Council approves new library", "Storm closes harbour"]

    again = run("fetch", str(seeds))
    assert again.returncode == 0
    assert requests_to(web, "/news/storm") == 1  # fresh: not refetched within refresh_after


def test_extract_command_on_a_local_file(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(ARTICLE.encode("utf-8"))
    runner = CliRunner()
    as_json = runner.invoke(cli, ["extract", str(page)])
    assert as_json.exit_code == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["title"] == "Storm closes harbour"
    assert data["text"] == "\n\n".join(PARAS)
    as_text = runner.invoke(cli, ["extract", str(page), "--format", "text"])
    assert as_text.exit_code == 0
    assert as_text.stdout == "\n\n".join(PARAS) + "\n"


def test_python_api_extract():
    from newsgrab.extract import Article, extract

    article = extract(ARTICLE.encode("utf-8"), url="https://gazette.example/news/storm")
    assert isinstance(article, Article)
    assert article.title == "Storm closes harbour"
    assert article.text == "\n\n".join(PARAS)
    assert "Storm closes harbour" not in article.text and "By Mairi" not in article.text


def test_missing_path_is_one_line_exit_2(tmp_path):
    for command in (["fetch"], ["urls"], ["show"], ["extract"]):
        result = CliRunner().invoke(cli, [*command, str(tmp_path / "nowhere")])
        assert result.exit_code == 2, (command, result.output)
        assert "nowhere" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_folder_without_seeds_exits_0_with_a_message(tmp_path):
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 0
    assert "no seed files" in result.stderr
    assert list(tmp_path.glob("*.sources.json")) == []


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.stdout, name


def test_extract_command_on_a_url(web, local_env):
    serve(web, "/news/storm", ARTICLE)
    result = CliRunner().invoke(cli, ["extract", web.url_for("/news/storm"), "--format", "text"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "\n\n".join(PARAS) + "\n"


def test_extract_url_refused_by_default_on_a_private_address(web):
    serve(web, "/news/storm", ARTICLE)
    result = CliRunner().invoke(cli, ["extract", web.url_for("/news/storm")])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert requests_to(web, "/news/storm") == 0


def test_an_unreadable_seed_is_one_line_and_the_others_are_fetched(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    (tmp_path / "good.txt").write_text(web.url_for("/news/storm") + "\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 40)
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(tmp_path / "binary.txt") in errors[0]
    assert "Traceback" not in result.stderr
    good = read_sidecar(tmp_path / "good.txt.sources.json")
    assert good["sources"][0]["article"]["title"] == "Storm closes harbour"
    assert not (tmp_path / "binary.txt.sources.json").exists()


def test_seed_hash_is_of_the_file_bytes(web, local_env, tmp_path):
    serve(web, "/news/storm", ARTICLE)
    seed = tmp_path / "latin.txt"
    seed.write_bytes(
        f"Caf\xe9 r\xe9sum\xe9 \xe0 lire: {web.url_for('/news/storm')}\n".encode("cp1252") * 3
    )
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    data = read_sidecar(tmp_path / "latin.txt.sources.json")
    assert data["seed"]["sha256"] == hashlib.sha256(seed.read_bytes()).hexdigest()


def test_a_page_that_breaks_the_extractor_fails_alone(web, local_env, tmp_path, monkeypatch):
    import sys

    import newsgrab.workers  # noqa: F401  (imports the extractor's module)

    extractor = sys.modules["newsgrab.extract"]  # where extract_page finds `extract`
    real = extractor.extract

    def fragile(body, url=None, content_type=None):
        if url.endswith("/boom"):
            raise ValueError("unexpected markup")
        return real(body, url=url, content_type=content_type)

    monkeypatch.setattr(extractor, "extract", fragile)
    monkeypatch.setenv("NEWSGRAB_JOBS", "0")  # in this process, where the patch is
    serve(web, "/boom", ARTICLE)
    serve(web, "/news/storm", ARTICLE)
    (tmp_path / "a.txt").write_text(f"{web.url_for('/boom')}\n{web.url_for('/news/storm')}\n")
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path)])
    assert result.exit_code == 1, result.output
    sources = read_sidecar(tmp_path / "a.txt.sources.json")["sources"]
    assert [s["status"] for s in sources] == ["error", "ok"]
    assert sources[0]["error"]["kind"] == "extract"
    assert "Traceback" not in result.stderr


def test_hosts_are_interleaved_so_one_slow_host_does_not_hold_the_others():
    from newsgrab.pipeline import interleave_hosts

    urls = [f"https://a.example/{i}" for i in range(3)] + [
        "https://b.example/0",
        "https://c.example/0",
    ]
    assert interleave_hosts(urls) == [
        "https://a.example/0",
        "https://b.example/0",
        "https://c.example/0",
        "https://a.example/1",
        "https://a.example/2",
    ]


def test_extract_refuses_a_binary_file_in_one_line(tmp_path):
    png = tmp_path / "photo.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = CliRunner().invoke(cli, ["extract", str(png)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {png}: not an HTML page (a PNG image)"


def test_extract_json_holds_no_terminal_controls(tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(
        "<html><head><title>Bad\x1b]0;owned\x07 \u202etitle\u009b</title></head>"
        "<body><article><p>"
        + "Plain words in a paragraph. " * 12
        + "\x1b[2J</p></article></body></html>",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.stderr
    for bad in ("\x1b", "\u202e", "\u009b"):  # nothing a terminal would obey
        assert bad not in result.stdout, repr(bad)
    # ... and the JSON is exact: what a terminal must not see is a \\u escape
    from newsgrab.extract import extract

    article = json.loads(result.stdout)
    assert article["text"].startswith("Plain words")
    assert article == extract(page.read_bytes()).to_dict()
