"""Refresh policy, history and failure rules against a real local server.

The server's pages change between runs and it counts every request, so each
test checks both what the sidecar says and what the run cost the server.
"""

from __future__ import annotations

import pytest
from test_refresh_support import LONG_AGO, Site, age, article_html, by_url, paragraphs, read

from newsgrab.pipeline import run_fetch


@pytest.fixture
def site(web):
    return Site(web)


@pytest.fixture
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


def cite(seed, *urls):
    seed.write_text(
        "Notes\n" + "\n".join(f"See {u} for more." for u in urls) + "\n", encoding="utf-8"
    )
    return seed


def run(settings, folder, **kw):
    return run_fetch(settings, [str(folder)], **kw)


def test_first_fetch_then_nothing_inside_refresh_after(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour")
    b = site.article("/p/b", "Library approved")
    cite(seeds / "one.txt", a, b)
    report = run(local_settings, seeds)
    assert report.exit_code == 0
    assert report.action_counts == {"new": 2}
    assert site.hits["/p/a"] == 1 and site.hits["/p/b"] == 1
    sidecar = seeds / "one.txt.sources.json"
    raw = sidecar.read_bytes()
    src = by_url(read(sidecar))[a]
    assert src["status"] == "ok" and src["error"] is None and src["revisions"] == []
    assert src["article"]["title"].startswith("Storm closes harbour")
    assert "Paragraph 1 of Storm closes harbour" in src["article"]["text"]
    assert src["fetch"]["fetched_at"] == src["fetch"]["checked_at"]
    assert src["fetch"]["consecutive_failures"] == 0
    assert src["fetch"]["archived_from"] is None

    report = run(local_settings, seeds)  # default refresh_after: 6 h
    assert report.action_counts == {"fresh": 2}
    assert site.page_hits() == 2, "no request for a source inside refresh_after"
    assert sidecar.read_bytes() == raw, "nothing changed, nothing rewritten"
    assert report.written == 0 and report.exit_code == 0


def test_refresh_after_zero_and_force_revalidate_everything(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour")
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    run(local_settings.replace(refresh_after=0), seeds)
    assert site.hits["/p/a"] == 2
    run(local_settings, seeds, force=True)
    assert site.hits["/p/a"] == 3


def test_304_with_etag_only_bumps_checked_at(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour", etag='"v1"')
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    before = by_url(age(seeds / "one.txt.sources.json"))[a]
    report = run(local_settings, seeds)
    assert report.action_counts == {"not_modified": 1}
    path, headers = site.requests[-1]
    assert path == "/p/a" and headers["if-none-match"] == '"v1"'
    after = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert after["fetch"]["checked_at"] > LONG_AGO
    assert after["fetch"]["fetched_at"] == LONG_AGO
    assert after["article"] == before["article"]
    assert after["revisions"] == []
    assert {k: v for k, v in after["fetch"].items() if k not in ("checked_at", "attempts")} == {
        k: v for k, v in before["fetch"].items() if k not in ("checked_at", "attempts")
    }


def test_304_with_last_modified(site, seeds, local_settings):
    stamp = "Tue, 03 Nov 2026 08:30:00 GMT"
    a = site.article("/p/a", "Storm closes harbour", last_modified=stamp)
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    age(seeds / "one.txt.sources.json")
    report = run(local_settings, seeds)
    assert report.action_counts == {"not_modified": 1}
    _, headers = site.requests[-1]
    assert headers["if-modified-since"] == stamp and "if-none-match" not in headers
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert src["fetch"]["last_modified"] == stamp
    assert src["fetch"]["checked_at"] > src["fetch"]["fetched_at"] == LONG_AGO


def test_unchanged_200_updates_times_only(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour")  # no validators: always 200
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    before = by_url(age(seeds / "one.txt.sources.json"))[a]
    report = run(local_settings, seeds)
    assert report.action_counts == {"unchanged": 1}
    assert site.hits["/p/a"] == 2
    after = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert after["article"] == before["article"]
    assert after["revisions"] == []
    assert after["fetch"]["fetched_at"] > LONG_AGO and after["fetch"]["checked_at"] > LONG_AGO


def test_changed_text_makes_a_revision_newest_first(site, seeds, local_settings):
    a = site.article("/p/a", "Version one", etag='"1"')
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    v1 = by_url(age(seeds / "one.txt.sources.json"))[a]
    site.article("/p/a", "Version two", etag='"2"')
    report = run(local_settings, seeds)
    assert report.action_counts == {"changed": 1}
    v2 = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert "Version two" in v2["article"]["text"]
    assert v2["fetch"]["etag"] == '"2"'
    assert v2["revisions"] == [
        {
            "fetched_at": LONG_AGO,
            "content_sha256": v1["article"]["content_sha256"],
            "title": v1["article"]["title"],
            "text": v1["article"]["text"],
        }
    ]
    age(seeds / "one.txt.sources.json", "2021-01-01T00:00:00Z")
    site.article("/p/a", "Version three", etag='"3"')
    run(local_settings, seeds)
    v3 = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert [r["title"] for r in v3["revisions"]] == [v2["article"]["title"], v1["article"]["title"]]
    assert v3["revisions"][0]["fetched_at"] == "2021-01-01T00:00:00Z"


def test_keep_revisions_bounds_the_history(site, seeds, local_settings):
    settings = local_settings.replace(keep_revisions=2, refresh_after=0)
    a = site.article("/p/a", "Edition 0")
    cite(seeds / "one.txt", a)
    run(settings, seeds)
    for n in range(1, 5):
        site.article("/p/a", f"Edition {n}")
        run(settings, seeds)
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert "Edition 4" in src["article"]["text"]
    assert [r["title"] for r in src["revisions"]] == ["Edition 3", "Edition 2"]


def test_500_after_success_keeps_the_article_and_counts_failures(site, seeds, local_settings):
    settings = local_settings.replace(refresh_after=0)
    a = site.article("/p/a", "Storm closes harbour")
    cite(seeds / "one.txt", a)
    run(settings, seeds)
    good = by_url(read(seeds / "one.txt.sources.json"))[a]
    site.pages["/p/a"].status = 500
    for n in (1, 2):
        report = run(settings, seeds)
        assert report.exit_code == 1
        src = by_url(read(seeds / "one.txt.sources.json"))[a]
        assert src["status"] == "error"
        assert src["article"] == good["article"], "a failure never destroys the good copy"
        assert src["error"]["kind"] == "http_status" and src["error"]["http_status"] == 500
        assert src["fetch"]["consecutive_failures"] == n
        assert src["fetch"]["fetched_at"] == good["fetch"]["fetched_at"]
    site.pages["/p/a"].status = 200
    report = run(settings, seeds)
    assert report.exit_code == 0
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert src["status"] == "ok" and src["error"] is None
    assert src["fetch"]["consecutive_failures"] == 0
    assert src["article"] == good["article"] and src["revisions"] == []


def test_error_sources_are_retried_at_every_run(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour", status=503)
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    run(local_settings, seeds)
    assert site.hits["/p/a"] == 2


def test_404_after_success_is_gone_with_the_article_kept(site, seeds, local_settings):
    a = site.article("/p/a", "Storm closes harbour")
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    good = by_url(age(seeds / "one.txt.sources.json"))[a]
    del site.pages["/p/a"]
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
    )
    report = run(settings, seeds)
    assert report.exit_code == 1
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert src["status"] == "gone" and src["error"]["http_status"] == 404
    assert src["article"] == good["article"]
    assert src["fetch"]["consecutive_failures"] == 1
    assert site.hits["/wayback/available"] == 0, "a good copy needs no archive"
    # `gone` is settled: not asked again inside refresh_after
    run(settings, seeds)
    assert site.hits["/p/a"] == 2


def test_degraded_page_does_not_replace_a_good_article(site, seeds, local_settings):
    settings = local_settings.replace(refresh_after=0)
    a = site.article("/p/a", "Storm closes harbour")
    cite(seeds / "one.txt", a)
    run(settings, seeds)
    good = by_url(read(seeds / "one.txt.sources.json"))[a]
    site.article("/p/a", "Subscribe", ["Subscribe to read this article."])
    report = run(settings, seeds)
    assert report.action_counts == {"degraded": 1} and report.exit_code == 1
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert src["status"] == "error" and src["error"]["kind"] == "degraded"
    assert src["article"] == good["article"] and src["revisions"] == []
    assert src["fetch"]["consecutive_failures"] == 1
    site.article("/p/a", "Storm closes harbour")
    report = run(settings, seeds)
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert report.exit_code == 0 and src["status"] == "ok" and src["error"] is None


def test_empty_page_after_success_is_degraded(site, seeds, local_settings):
    settings = local_settings.replace(refresh_after=0)
    a = site.article("/p/a", "Storm closes harbour")
    cite(seeds / "one.txt", a)
    run(settings, seeds)
    site.pages["/p/a"].html = "<html><body><div>Access denied</div></body></html>"
    run(settings, seeds)
    src = by_url(read(seeds / "one.txt.sources.json"))[a]
    assert src["error"]["kind"] == "degraded" and src["article"]["word_count"] > 50


def test_dead_link_falls_back_to_the_archive(site, seeds, local_settings):
    dead = site.url("/p/dead")  # never served: 404
    site.archive[dead] = (
        "20240105123000",
        article_html("Archived story", paragraphs("Archived story")),
    )
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
    )
    cite(seeds / "one.txt", dead)
    report = run(settings, seeds)
    assert report.action_counts == {"archived": 1}
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert src["status"] == "gone" and src["error"]["http_status"] == 404
    assert "Paragraph 1 of Archived story" in src["article"]["text"]
    assert src["fetch"]["archived_from"] == {
        "url": site.url(f"/web/20240105123000/{dead}"),
        "timestamp": "2024-01-05T12:30:00Z",
    }
    assert site.hits["/wayback/available"] == 1
    assert site.hits[f"/web/20240105123000id_/{dead}"] == 1
    # with a copy in hand, later runs do not ask the archive again
    age(seeds / "one.txt.sources.json")
    run(settings, seeds)
    assert site.hits["/wayback/available"] == 1
    assert by_url(read(seeds / "one.txt.sources.json"))[dead]["article"] == src["article"]
    # the page comes back: live copy, archived_from cleared
    age(seeds / "one.txt.sources.json")
    site.article("/p/dead", "Archived story")
    run(settings, seeds)
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert src["status"] == "ok" and src["fetch"]["archived_from"] is None


def test_archive_fallback_off_or_nothing_archived(site, seeds, local_settings):
    dead = site.url("/p/dead")
    cite(seeds / "one.txt", dead)
    run(local_settings.replace(archive_url=site.archive_url()), seeds)  # fallback off
    assert site.hits["/wayback/available"] == 0
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
        refresh_after=0,
    )
    report = run(settings, seeds)
    assert site.hits["/wayback/available"] == 1
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert report.action_counts == {"failed": 1}
    assert src["status"] == "gone" and src["article"] is None
    assert src["fetch"]["consecutive_failures"] == 2


@pytest.mark.parametrize("availability", ["empty", "failing"])
def test_the_archive_redirect_form_finds_what_the_availability_api_misses(
    site, seeds, local_settings, availability
):
    """The availability API answers nothing (or fails) for a page that is
    archived: the archive's redirect form, asked for the capture closest to
    now, finds it."""
    dead = site.url("/p/dead")
    site.archive[dead] = ("20240105123000", article_html("Saved", paragraphs("Saved")))
    if availability == "empty":
        site.availability_empty = True
    else:
        site.availability_status = 503
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
    )
    cite(seeds / "one.txt", dead)
    report = run(settings, seeds)
    assert report.action_counts == {"archived": 1}
    assert report.change_counts == {"archived": 1}
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert src["status"] == "gone" and "Paragraph 1 of Saved" in src["article"]["text"]
    assert src["fetch"]["archived_from"] == {
        "url": site.url(f"/web/20240105123000/{dead}"),
        "timestamp": "2024-01-05T12:30:00Z",
    }
    asked = [p for p, _ in site.requests if p.startswith("/web/") and p.endswith(f"id_/{dead}")]
    assert len(asked) == 2 and asked[1] == f"/web/20240105123000id_/{dead}"  # redirected
    assert asked[0] != asked[1]


def test_nothing_archived_anywhere_is_no_copy(site, seeds, local_settings):
    dead = site.url("/p/dead")
    site.availability_status = 503
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
    )
    cite(seeds / "one.txt", dead)
    report = run(settings, seeds)
    assert report.action_counts == {"failed": 1}
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert src["status"] == "gone" and src["article"] is None


def test_unreachable_server_falls_back_to_the_archive(site, seeds, local_settings):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}/story"
    site.archive[dead] = ("20230101000000", article_html("Saved", paragraphs("Saved")))
    settings = local_settings.replace(
        archive_fallback=True,
        archive_url=site.archive_url(),
        archive_web_url=site.archive_web_url(),
    )
    cite(seeds / "one.txt", dead)
    run(settings, seeds)
    src = by_url(read(seeds / "one.txt.sources.json"))[dead]
    assert src["status"] == "error" and src["error"]["kind"] == "connect"
    assert "Paragraph 1 of Saved" in src["article"]["text"]
    assert src["fetch"]["archived_from"]["timestamp"] == "2023-01-01T00:00:00Z"


def test_seed_changes(site, seeds, local_settings):
    a = site.article("/p/a", "First")
    b = site.article("/p/b", "Second")
    seed = cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    # a newly cited URL is fetched at the next run; the old one stays fresh
    cite(seed, a, b)
    report = run(local_settings, seeds)
    assert report.action_counts == {"fresh": 1, "new": 1}
    assert site.hits["/p/a"] == 1 and site.hits["/p/b"] == 1
    assert list(by_url(read(seeds / "one.txt.sources.json"))) == [a, b]
    # a URL no longer cited leaves the sidecar
    cite(seed, b)
    run(local_settings, seeds)
    assert list(by_url(read(seeds / "one.txt.sources.json"))) == [b]
    # a renamed seed gets a new sidecar; the old one is left alone
    old = (seeds / "one.txt.sources.json").read_bytes()
    seed.rename(seeds / "two.txt")
    run(local_settings, seeds)
    assert (seeds / "one.txt.sources.json").read_bytes() == old
    assert list(by_url(read(seeds / "two.txt.sources.json"))) == [b]
    # a deleted seed's sidecar is left alone too
    old2 = (seeds / "two.txt.sources.json").read_bytes()
    (seeds / "two.txt").unlink()
    cite(seeds / "three.txt", a)
    run(local_settings, seeds)
    assert (seeds / "two.txt.sources.json").read_bytes() == old2
    assert (seeds / "one.txt.sources.json").read_bytes() == old


def test_seed_citing_nothing_any_more_keeps_an_empty_sidecar(site, seeds, local_settings):
    a = site.article("/p/a", "First")
    seed = cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    seed.write_text("no links now\n", encoding="utf-8")
    run(local_settings, seeds)
    assert read(seeds / "one.txt.sources.json")["sources"] == []


def test_url_shared_by_seeds_uses_the_freshest_state(site, seeds, local_settings):
    a = site.article("/p/a", "Shared", etag='"s"')
    cite(seeds / "one.txt", a)
    run(local_settings, seeds)
    cite(seeds / "two.txt", a)  # new seed, URL already known from one.txt
    report = run(local_settings, seeds)
    assert site.hits["/p/a"] == 1, "known and fresh in another sidecar: no request"
    assert report.action_counts == {"fresh": 2}
    assert (
        by_url(read(seeds / "two.txt.sources.json"))[a]["article"]
        == by_url(read(seeds / "one.txt.sources.json"))[a]["article"]
    )
