"""Orchestration in three parts: a pure plan, an executor yielding outcomes, a writer
writing each seed when its last URL settles; a run stopped through `Stop`."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from test_refresh_support import Site, read

from newsgrab import model
from newsgrab.model import CitedPlace, Sidecar, Source, Status
from newsgrab.pipeline import SeedJob, Stop, Stopped, make_plan, run_fetch
from newsgrab.seeds import Citation, Place

NOW = 1_800_000_000.0
RECENT = "2027-01-15T07:30:00Z"  # shortly before NOW
OLD = "2020-01-01T00:00:00Z"


def _src(url: str, checked: str, status: Status = Status.OK) -> Source:
    return Source(
        url=url,
        cited=[CitedPlace(line=1)],
        status=status,
        fetch=model.FetchFacts(fetched_at=checked, checked_at=checked),
    )


def _job(name: str, urls: list[str], old: list[Source] | None = None) -> SeedJob:
    citations = [Citation(u, [Place(i + 1, None)]) for i, u in enumerate(urls)]
    sidecar = None
    if old is not None:
        sidecar = Sidecar(
            generator="newsgrab test",
            seed=model.SeedRef(path=name, sha256="0" * 64),
            updated_at=None,
            sources=old,
        )
    return SeedJob(Path(name), Path(name + ".sources.json"), "0" * 64, citations, sidecar, 1)


def test_plan_is_pure_and_keys_each_url_by_its_stored_spelling():
    a, b, c = "http://a.example/1", "http://b.example/2", "http://a.example/3"
    with_creds = "http://user:secret@b.example/2"
    jobs = [
        _job("one.txt", [a, b], old=[_src(a, RECENT), _src(b, OLD)]),
        # a second seed citing b with credentials: one URL, one key, one fetch
        _job("two.txt", [with_creds, c], old=[_src(b, RECENT)]),
        _job("three.txt", [a]),
    ]
    plan = make_plan(jobs, refresh_after=3600, now=NOW, force=False)
    # b's freshest stored copy (two.txt's) is recent: nothing is due but c
    assert [w.key for w in plan.due] == [c]
    assert plan.fresh == {a, b}
    assert plan.states[b].fetch is not None and plan.states[b].fetch.checked_at == RECENT
    assert plan.keys == ((a, b), (b, c), (a,))
    assert plan.waiting == (frozenset(), frozenset({c}), frozenset())
    assert plan.states[c].status is Status.PENDING
    # the same inputs, the same plan; nothing in them changed
    assert make_plan(jobs, refresh_after=3600, now=NOW, force=False) == plan
    assert jobs[0].old is not None and jobs[0].old.sources[1].fetch.checked_at == OLD


def test_plan_due_after_refresh_after_or_forced_hosts_interleaved():
    urls = [f"http://a.example/{i}" for i in range(3)] + ["http://b.example/1"]
    jobs = [_job("one.txt", urls, old=[_src(u, RECENT) for u in urls])]
    assert make_plan(jobs, refresh_after=3600, now=NOW, force=False).due == ()
    later = make_plan(jobs, refresh_after=3600, now=NOW + 10 * 86400, force=False)
    forced = make_plan(jobs, refresh_after=3600, now=NOW, force=True)
    assert [w.key for w in later.due] == [w.key for w in forced.due]
    assert [w.key for w in forced.due] == [urls[0], urls[3], urls[1], urls[2]]
    assert forced.waiting == (frozenset(urls),)
    # the URL requested keeps what the seed cites (credentials included)
    creds = make_plan([_job("x.txt", ["http://u:p@c.example/"])], 3600, NOW, False)
    assert [(w.key, w.url) for w in creds.due] == [("http://c.example/", "http://u:p@c.example/")]


def test_error_and_pending_sources_are_always_due():
    a, b = "http://a.example/1", "http://a.example/2"
    jobs = [_job("one.txt", [a, b], old=[_src(a, RECENT, Status.ERROR), Source(url=b)])]
    plan = make_plan(jobs, refresh_after=3600, now=NOW, force=False)
    assert {w.key for w in plan.due} == {a, b}


@pytest.fixture
def site(web):
    return Site(web)


def test_a_stop_request_ends_the_run_cleanly_and_the_library_sets_no_handler(
    site, tmp_path, local_settings
):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(30):
        url = site.article(f"/p/{i}", f"Story {i}", delay=0.05)
        (folder / f"s{i:02}.txt").write_text(url + "\n", encoding="utf-8")
    # (asyncio.run itself handles SIGINT while it runs, when nobody else does)
    handlers = {signal.SIGTERM: signal.getsignal(signal.SIGTERM)}
    stop = Stop()

    def stop_after_three() -> None:
        deadline = time.monotonic() + 20
        while len(list(folder.glob("*.sources.json"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert {s: signal.getsignal(s) for s in handlers} == handlers
        assert stop.request() is True  # a run was going, and will stop

    stopper = threading.Thread(target=stop_after_three)
    stopper.start()
    with pytest.raises(Stopped):
        run_fetch(local_settings.replace(concurrency=2), [str(folder)], stop=stop)
    stopper.join()
    written = list(folder.glob("*.sources.json"))
    assert 3 <= len(written) < 30
    for path in written:
        assert read(path)["sources"][0]["status"] == "ok"
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # requests sent before the stop are still served (the server is shared with
    # the next tests): let them finish
    hits = -1
    while hits != site.page_hits():
        hits = site.page_hits()
        time.sleep(0.3)
    # a stop requested before the run starts stops it before any request
    hits = site.page_hits()
    early = Stop()
    assert early.request() is False  # no run going
    with pytest.raises(Stopped):
        run_fetch(local_settings, [str(folder)], stop=early)
    assert site.page_hits() == hits
