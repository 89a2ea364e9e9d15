"""Overlapping runs: one fcntl.flock per seed folder, exit 75 naming the holder,
--wait, and a SIGKILLed holder's lock is free. Real `python -m newsgrab` processes."""

from __future__ import annotations

import os
import signal
import time

import pytest
from test_refresh_support import Site, read
from test_refresh_support import start_fetch as start

from newsgrab.errors import LockedError
from newsgrab.store import LOCK_NAME, FolderLock, locked


@pytest.fixture
def site(web):
    return Site(web)


def wait_until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def holds_lock(folder, proc):
    def check():
        assert proc.poll() is None, proc.communicate()
        try:
            return (folder / LOCK_NAME).read_text().strip() == str(proc.pid)
        except FileNotFoundError:
            return False

    return check


@pytest.fixture
def held_run(site, tmp_path, local_env):
    """A fetch process holding the lock of `docs/` while the server holds its request."""
    folder = tmp_path / "docs"
    folder.mkdir()
    url = site.article("/p/slow", "Slow story")
    site.held.add("/p/slow")
    (folder / "a.txt").write_text(url + "\n", encoding="utf-8")
    proc = start(folder)
    wait_until(holds_lock(folder, proc))
    wait_until(lambda: site.hits["/p/slow"] == 1)
    yield folder, proc
    site.release.set()
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def test_second_run_exits_75_at_once_naming_the_holder(held_run, site):
    folder, first = held_run
    started = time.monotonic()
    second = start(folder)
    out, err = second.communicate(timeout=30)
    assert second.returncode == 75, err
    assert time.monotonic() - started < 10
    assert f"process {first.pid}" in err and str(folder / LOCK_NAME) in err
    assert out == "" and "Traceback" not in err
    site.release.set()
    out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert read(folder / "a.txt.sources.json")["sources"][0]["status"] == "ok"


def test_wait_runs_after_the_holder(held_run, site):
    folder, first = held_run
    second = start("--wait", folder)  # `--wait PATH`: waits for ever, PATH is a path
    time.sleep(0.5)
    assert second.poll() is None, second.communicate()
    site.release.set()
    assert first.wait(30) == 0
    out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert "1 fresh" in out, "the second run saw the first run's sidecar"
    assert site.hits["/p/slow"] == 1


def test_wait_with_seconds_gives_up_with_75(held_run):
    folder, first = held_run
    started = time.monotonic()
    second = start("--wait=0.5", folder)
    _, err = second.communicate(timeout=30)
    assert second.returncode == 75 and f"process {first.pid}" in err
    assert 0.4 < time.monotonic() - started < 10


def test_a_sigkilled_holders_lock_is_free(held_run, site):
    folder, first = held_run
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    assert not (folder / "a.txt.sources.json").exists()
    site.release.set()
    second = start(folder)
    _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert read(folder / "a.txt.sources.json")["sources"][0]["status"] == "ok"


def test_folder_lock_in_process(tmp_path):
    with FolderLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(LockedError) as exc:
            FolderLock(tmp_path).acquire()
        assert exc.value.pid == os.getpid()
        assert exc.value.exit_code == 75
        started = time.monotonic()
        with pytest.raises(LockedError):
            FolderLock(tmp_path, wait=0.3).acquire()
        assert time.monotonic() - started >= 0.3
    # released: free again, and the PID is gone from the file
    assert (tmp_path / LOCK_NAME).read_text() == ""
    with FolderLock(tmp_path):
        pass


def test_locked_takes_every_folder_or_none(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    with FolderLock(b), pytest.raises(LockedError), locked([a, b]):
        pass
    with FolderLock(a):  # a was released when b failed
        pass


def test_a_lock_file_that_cannot_be_created_is_a_clear_error(tmp_path, local_env):
    # A folder where the lock file should be: open() fails even for root, the
    # same way it does in a read-only seed folder.
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "a.txt").write_text("http://127.0.0.1:9/x\n")
    (folder / ".newsgrab.lock").mkdir()
    proc = start(folder)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err  # that folder skipped (README "Reliability")
    assert "lock file" in err and str(folder / ".newsgrab.lock") in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (folder / "a.txt.sources.json").exists()
