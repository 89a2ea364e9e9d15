"""Signals and crashes: SIGTERM/SIGINT stop cleanly (143/130), and a run SIGKILLed
at any instant leaves every sidecar as its old or its new version.

The SIGKILL loop runs in a driver process that imports newsgrab once and forks
one child per iteration (a child runs the real CLI entry point): 50 kills by
default (KILL_LOOP_ITERATIONS=N for more), about 30 s on a 2-core machine. The
pages change at every iteration: each one serves "edition N" of every article,
read from a file the driver writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_refresh_support import Site, paragraphs, read
from test_refresh_support import start_fetch as start
from werkzeug import Response

from newsgrab.store import TMP_PREFIX

SEEDS = 50


@pytest.fixture
def site(web):
    return Site(web)


def many_seeds(site, folder: Path, n: int, delay: float = 0.0) -> list[str]:
    folder.mkdir(exist_ok=True)
    urls = [site.article(f"/p/{i}", f"Story {i}", delay=delay) for i in range(n)]
    for i in range(n):
        (folder / f"seed{i:03}.txt").write_text(
            f"{urls[i]}\nand also {urls[(i + 1) % n]}\n", encoding="utf-8"
        )
    return urls


def assert_all_sidecars_whole(folder: Path) -> int:
    count = 0
    for path in folder.glob("*.sources.json"):
        data = read(path)  # parses: never torn
        assert data["schema_version"] == 1 and len(data["sources"]) == 2
        count += 1
    return count


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_run_stops_cleanly(signum, code, site, tmp_path, local_env, monkeypatch):
    monkeypatch.setenv("NEWSGRAB_CONCURRENCY", "2")
    folder = tmp_path / "docs"
    many_seeds(site, folder, 30, delay=0.05)
    proc = start(folder)
    deadline = time.monotonic() + 20
    while len(list(folder.glob("*.sources.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == code, err
    assert signal.Signals(signum).name in err and "Traceback" not in err
    assert out == ""
    written = assert_all_sidecars_whole(folder)
    assert 3 <= written < 30, "stopped mid-run"
    time.sleep(0.3)  # requests sent before the end are served (one at a time, slowly)
    requests_then = site.page_hits()
    time.sleep(0.3)
    assert site.page_hits() == requests_then, "no request after the process ended"
    # the lock is free and the next run completes the work
    proc = start(folder)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert assert_all_sidecars_whole(folder) == 30
    assert not list(folder.glob(TMP_PREFIX + "*"))


def _wait_for_lock_loop(proc, lock_file: Path, timeout: float = 30.0) -> None:
    """Until the child has opened `lock_file`: it is in its lock loop, with its
    signal handlers in place (a fixed sleep was too short on a loaded machine).
    Where /proc is missing, a fixed wait."""
    fds = Path(f"/proc/{proc.pid}/fd")
    if not fds.is_dir():
        time.sleep(1.0)
        return
    target = os.path.realpath(lock_file)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(os.path.realpath(fd) == target for fd in fds.iterdir()):
                return
        except OSError:
            pass
        time.sleep(0.02)


def test_sigterm_while_waiting_for_the_lock(site, tmp_path, local_env):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(site.article("/p/a", "A") + "\n", encoding="utf-8")
    import fcntl

    with open(folder / ".newsgrab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = start("--wait", folder)
        _wait_for_lock_loop(proc, folder / ".newsgrab.lock")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert not (folder / "a.sources.json").exists()


DRIVER = textwrap.dedent(r"""
    import json, os, random, signal, sys, time
    from pathlib import Path

    from newsgrab.cli import main

    folder, version_file = Path(sys.argv[1]), Path(sys.argv[2])
    iterations, rng = int(sys.argv[3]), random.Random(int(sys.argv[4]))
    sidecars = sorted(folder.glob("*.sources.json"))

    def run_child(edition):
        version_file.write_text(str(edition))
        pid = os.fork()
        if pid == 0:
            try:
                main(["fetch", "--force", "-q", str(folder)])
            except SystemExit as exc:
                os._exit(exc.code if isinstance(exc.code, int) else 1)
            os._exit(0)
        return pid

    # a first run, then a whole refresh to learn how long one takes
    for edition in (1, 2):
        started = time.monotonic()
        pid = run_child(edition)
        _, status = os.waitpid(pid, 0)
        full = time.monotonic() - started
        assert os.waitstatus_to_exitcode(status) == 0, status

    stats = {"full_run_s": full, "bad": [], "old": 0, "new": 0, "mixed_runs": 0,
             "temp_left": 0, "iterations": iterations}
    for i in range(3, iterations + 3):
        old = {p.name: p.read_bytes() for p in folder.glob("*.sources.json")}
        pid = run_child(i)
        time.sleep(rng.uniform(0, full * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kinds = set()
        for path in folder.glob("*.sources.json"):
            raw = path.read_bytes()
            if raw == old.get(path.name):
                kinds.add("old")
                stats["old"] += 1
                continue
            try:
                data = json.loads(raw)
                eds = {src["article"]["title"] for src in data["sources"]}
                assert eds == {"edition %d" % i}, eds
                assert len(data["sources"]) == 2
            except Exception as exc:  # reported to the test, which fails
                stats["bad"].append("%s after kill %d: %r" % (path.name, i, exc))
                continue
            kinds.add("new")
            stats["new"] += 1
        if kinds == {"old", "new"}:
            stats["mixed_runs"] += 1
        stats["temp_left"] += len(list(folder.glob(".newsgrab-tmp-*")))
    print(json.dumps(stats))
""")


@pytest.fixture
def fast_dir(tmp_path):
    """A folder on tmpfs when there is one. What a SIGKILL can do to a sidecar is the
    same there as on a disk (the page cache outlives the process; fsync only matters
    for power loss), and the runs spend no time waiting for the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        with tempfile.TemporaryDirectory(dir=shm, prefix="newsgrab-test-") as name:
            yield Path(name)
    else:
        yield tmp_path


@pytest.mark.slow
def test_sigkill_at_random_moments_never_tears_a_sidecar(
    web, tmp_path, fast_dir, local_env, monkeypatch
):
    monkeypatch.setenv("NEWSGRAB_KEEP_REVISIONS", "2")
    # extraction in the run's own process: the kills land among sidecar writes,
    # not during a worker's start-up (this loop is about atomic writes)
    monkeypatch.setenv("NEWSGRAB_JOBS", "0")
    folder = fast_dir / "docs"
    folder.mkdir()
    version_file = tmp_path / "edition"
    version_file.write_text("0")
    hits = []

    def page(request):
        hits.append(request.path)
        n = int(version_file.read_text() or 0)
        ps = "".join(f"<p>{p}</p>" for p in paragraphs(f"{request.path} edition {n}", 3, 20))
        return Response(
            f"<html><head><title>edition {n}</title></head><body><article>"
            f"{ps}</article></body></html>",
            content_type="text/html",
        )

    import re

    web.expect_request(re.compile(r"^/k/\d+$")).respond_with_handler(page)
    for i in range(SEEDS):
        (folder / f"seed{i:03}.txt").write_text(
            f"{web.url_for(f'/k/{i}')}\n{web.url_for(f'/k/{(i + 1) % SEEDS}')}\n"
        )
    iterations = int(os.environ.get("KILL_LOOP_ITERATIONS", "50"))
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(folder), str(version_file), str(iterations), "20261125"],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout.splitlines()[-1])
    print(stats)
    assert stats["bad"] == []
    assert stats["old"] + stats["new"] == SEEDS * iterations
    # the kills did land in the middle of runs, not only before or after them
    assert stats["mixed_runs"] >= iterations // 10, stats
    # afterwards a clean run cleans up and every sidecar is whole and current
    version_file.write_text("999")
    done = start("--force", folder)
    _, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert not list(folder.glob(TMP_PREFIX + "*"))
    for path in folder.glob("*.sources.json"):
        data = read(path)
        assert {s["article"]["title"] for s in data["sources"]} == {"edition 999"}
        assert len(data["sources"][0]["revisions"]) <= 2
    assert len(list(folder.glob("*.sources.json"))) == SEEDS
