"""The public Python API (`import newsgrab`): fetch_articles, extract and
read_collection against real servers on 127.0.0.1, cheap imports, and the
README's "Python API" examples run as written."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import newsgrab
from newsgrab.cli import cli

ROOT = Path(__file__).parent.parent


def page(title: str, *paras: str, site: str = "Coast Gazette") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title><meta property="og:site_name" content="{site}"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1>{body}</article>
<footer>Copyright {site}. Subscribe to our newsletter.</footer></body></html>"""


STORM = page(
    "Storm closes harbour",
    "A winter storm closed the harbour of Port Ellen on Tuesday, stranding two ferries "
    "and about three hundred passengers overnight.",
    "The harbour master said the gusts reached ninety kilometres an hour before noon, "
    "and that no ship would leave before the wind dropped.",
)
LIBRARY = page(
    "Council approves new library",
    "The town council voted on Monday to build a new public library next to the station, "
    "with a reading room, a children's floor and a cafe run by volunteers.",
    "Building starts in spring and the doors should open in two years, the mayor said.",
)


def served(web, path: str, html: str) -> str:
    web.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")
    return web.url_for(path)


def hits(web, path: str) -> int:
    return sum(1 for request, _ in web.log if request.path == path)


# ------------------------------------------------------------------ import


def run_python(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_import_newsgrab_loads_no_http_html_or_terminal_library():
    out = run_python(
        "import json, sys, newsgrab\n"
        "heavy = ('httpx', 'httpcore', 'h11', 'bs4', 'lxml', 'rich', 'click')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('newsgrab'))))"
    )
    heavy, ours = (json.loads(line) for line in out.splitlines())
    assert heavy == []
    assert ours == ["newsgrab"]


def test_every_public_name_resolves_and_is_listed():
    for name in newsgrab.__all__:
        assert getattr(newsgrab, name) is not None, name
    assert set(newsgrab.__all__) <= set(dir(newsgrab))
    assert newsgrab.Result.__module__ == "newsgrab.api"
    assert newsgrab.Article.__name__ == "Article"
    with pytest.raises(AttributeError, match="no_such_name"):
        newsgrab.no_such_name  # noqa: B018


def test_extract_is_the_function_even_after_its_subpackage_is_imported():
    # importing newsgrab.extract.* sets the subpackage as an attribute of newsgrab
    out = run_python(
        "import newsgrab\n"
        "from newsgrab.extract.article import Article\n"
        "import newsgrab.extract.body\n"
        "from newsgrab import extract\n"
        "a = newsgrab.extract(b'<html><title>T</title><p>Hello there.</p></html>')\n"
        "print(extract is newsgrab.extract, isinstance(a, Article), a.title)"
    )
    assert out.split() == ["True", "True", "T"]


def test_extract_from_the_package():
    article = newsgrab.extract(STORM.encode(), url="https://gazette.example/storm")
    assert isinstance(article, newsgrab.Article)
    assert article.title == "Storm closes harbour"
    assert article.site_name == "Coast Gazette"
    assert article.text.startswith("A winter storm closed the harbour")
    assert "Subscribe" not in article.text and "Home" not in article.text


# ------------------------------------------------------------------ fetch_articles


def test_fetch_articles_in_order_one_result_per_url(web, local_settings):
    storm = served(web, "/storm", STORM)
    library = served(web, "/library", LIBRARY)
    web.expect_request("/missing").respond_with_data("no", status=404)
    web.expect_request("/data.json").respond_with_json({"a": 1})
    missing, data = web.url_for("/missing"), web.url_for("/data.json")

    results = newsgrab.fetch_articles([library, missing, storm, data, library], local_settings)

    assert [r.url for r in results] == [library, missing, storm, data, library]
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert results[0].article.title == "Council approves new library"
    assert results[2].article.title == "Storm closes harbour"
    assert results[2].final_url == storm and results[2].http_status == 200
    assert results[2].error is None
    gone = results[1]
    assert gone.article is None and gone.http_status == 404
    assert (gone.error.kind, gone.error.status) == ("http_status", "gone")
    assert results[3].error.status == "unsupported"
    assert hits(web, "/library") == 1, "a URL given twice is fetched once"


def test_redirects_are_followed_and_reported(web, local_settings):
    target = served(web, "/storm", STORM)
    web.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/storm"})
    [result] = newsgrab.fetch_articles([web.url_for("/old")], local_settings)
    assert result.ok and result.final_url == target
    assert result.url == web.url_for("/old")


def test_default_settings_refuse_a_loopback_server(web):
    url = served(web, "/storm", STORM)
    [result] = newsgrab.fetch_articles([url])  # Settings(): allow_private_networks off
    assert not result.ok
    assert (result.error.kind, result.error.status) == ("blocked", "blocked")
    assert hits(web, "/storm") == 0


def test_robots_txt_is_obeyed(httpserver, local_settings):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    url = served(httpserver, "/private/storm", STORM)
    [result] = newsgrab.fetch_articles([url], local_settings)
    assert result.error is not None and result.error.kind == "robots"
    assert hits(httpserver, "/private/storm") == 0


def test_the_size_cap_holds(web, local_settings):
    url = served(web, "/big", page("Big", "word " * 5000))
    [result] = newsgrab.fetch_articles([url], local_settings.replace(max_bytes=2000))
    assert result.error is not None and result.error.kind == "too_large"


def test_a_transient_error_is_retried(web, local_settings):
    web.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)
    web.expect_oneshot_request("/flaky").respond_with_data(STORM, content_type="text/html")
    [result] = newsgrab.fetch_articles([web.url_for("/flaky")], local_settings.replace(retries=1))
    assert result.ok and result.article.title == "Storm closes harbour"
    assert hits(web, "/flaky") == 2


def test_a_dead_link_falls_back_to_the_archive(web, local_settings):
    web.expect_request("/gone").respond_with_data("gone", status=410)
    dead = web.url_for("/gone")
    snapshot = web.url_for(f"/web/20260101120000/{dead}")
    web.expect_request("/wayback").respond_with_json(
        {
            "archived_snapshots": {
                "closest": {
                    "available": True,
                    "url": snapshot,
                    "timestamp": "20260101120000",
                    "status": "200",
                }
            }
        }
    )
    served(web, f"/web/20260101120000id_/{dead}", STORM)
    settings = local_settings.replace(archive_fallback=True, archive_url=web.url_for("/wayback"))

    [result] = newsgrab.fetch_articles([dead], settings)

    assert result.ok and result.article.title == "Storm closes harbour"
    assert result.archived_from == {"url": snapshot, "timestamp": "2026-01-01T12:00:00Z"}
    assert result.error is not None and result.error.status == "gone"  # why the live page failed


def test_a_page_that_breaks_the_extractor_fails_alone(web, local_settings, monkeypatch):
    module = importlib.import_module("newsgrab.extract")  # the subpackage
    real = module.extract

    def extract(html, url=None, content_type=None):
        if url and url.endswith("/bad"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, url=url, content_type=content_type)

    monkeypatch.setattr(module, "extract", extract)
    good, bad = served(web, "/good", STORM), served(web, "/bad", LIBRARY)
    results = newsgrab.fetch_articles([bad, good], local_settings)
    assert [r.ok for r in results] == [False, True]
    error = results[0].error
    assert error is not None and (error.kind, error.status) == ("extract", "error")
    assert "RecursionError" in error.message and results[0].http_status == 200


def test_a_bad_url_is_an_error_result_not_an_exception(local_settings):
    results = newsgrab.fetch_articles(["ftp://example.org/x", "not a url"], local_settings)
    assert [r.error.kind for r in results] == ["bad_url", "bad_url"]


def test_one_string_is_refused():
    with pytest.raises(TypeError, match="list of URLs"):
        newsgrab.fetch_articles("https://example.org/")


def test_fetch_articles_async_from_async_code(web, local_settings):
    storm, library = served(web, "/storm", STORM), served(web, "/library", LIBRARY)

    async def main():
        with pytest.raises(RuntimeError, match="fetch_articles_async"):
            newsgrab.fetch_articles([storm], local_settings)
        return await newsgrab.fetch_articles_async([storm, library], local_settings)

    results = asyncio.run(main())
    titles = [r.article.title for r in results]
    assert titles == ["Storm closes harbour", "Council approves new library"]


# ------------------------------------------------------------------ read_collection


def test_read_collection_reads_what_fetch_wrote(web, local_env, tmp_path):
    storm = served(web, "/storm", STORM)
    web.expect_request("/missing").respond_with_data("no", status=404)
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.md").write_text(f"See {storm} and {web.url_for('/missing')}.\n", encoding="utf-8")
    (docs / "sub" / "later.txt").write_text("no fetch yet\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["fetch", "-q", str(docs / "a.md")])
    assert result.exit_code == 1, result.output  # one source failed

    collection = newsgrab.read_collection(docs)

    assert len(collection) == 2
    ok, failed = collection.sources
    assert (ok.url, ok.status, ok.seed) == (storm, "ok", docs / "a.md")
    assert ok.sidecar.parent == docs and ok.sidecar.is_file()
    assert ok.sidecar.name.startswith("a.") and ok.sidecar.name.endswith(".sources.json")
    assert ok.article is not None and ok.article.title == "Storm closes harbour"
    assert ok.article.text.startswith("A winter storm") and ok.error is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ok.fetched_at or "")
    assert ok.data["cited"] == [{"line": 1, "label": None}]
    assert (failed.status, failed.article) == ("gone", None)
    assert failed.error and "404" in failed.error
    assert collection.errors == []
    assert collection.unfetched == [docs / "sub" / "later.txt"]
    # a corrupt sidecar is listed, not raised, and the rest is still read
    (docs / "bad.md").write_text(f"{storm}\n", encoding="utf-8")
    corrupt = docs / ("bad" + ok.sidecar.name[1:])  # the same naming as a.md's
    corrupt.write_text("{not json", encoding="utf-8")
    again = newsgrab.read_collection(docs)
    assert [e.path for e in again.errors] == [corrupt]
    assert [s.url for s in again] == [ok.url, failed.url]
    # one path as a string, or a sidecar named directly
    assert [s.url for s in newsgrab.read_collection(str(docs / "a.md"))] == [ok.url, failed.url]
    direct = newsgrab.read_collection([ok.sidecar])
    assert [s.seed for s in direct] == [docs / "a.md", docs / "a.md"]


# ------------------------------------------------------------------ README


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readme_examples_run(web, local_env, tmp_path, capsys):
    """Each example of README "Python API", with its example.org URLs pointed at
    a local server and the CLI's settings from the environment (private
    addresses allowed; see the local_env fixture)."""
    base = web.url_for("/").rstrip("/")
    served(web, "/news/1", STORM)
    served(web, "/news/2", LIBRARY)
    Path("saved-page.html").write_text(STORM, encoding="utf-8")
    Path("docs").mkdir()
    Path("docs/notes.md").write_text(
        "Related article: Storm\nhttps://example.org/news/1\n".replace("https://example.org", base),
        encoding="utf-8",
    )
    examples = readme_examples()
    assert len(examples) >= 4
    outputs = []
    for code in examples:
        if "read_collection" in code:  # reads what `newsgrab fetch docs` wrote
            assert CliRunner().invoke(cli, ["fetch", "-q", "docs"]).exit_code == 0
        exec(compile(code.replace("https://example.org", base), "README.md", "exec"), {})
        outputs.append(capsys.readouterr().out)
    assert all(outputs), outputs
    everything = "".join(outputs)
    assert "Storm closes harbour" in everything
    assert "Council approves new library" in everything
    assert "A winter storm closed the harbour" in everything
