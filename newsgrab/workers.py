"""Article extraction off the event loop, within a time budget per page.

`fetch` extracts each page (CPU-bound, 5-20 ms) while requests are in flight.
Run on the event loop, a slow page stalls every request of the run; so the
pipeline hands (url, content type, body) to an `ExtractorPool` and awaits the
article's dict:

- `jobs >= 1`: that many worker processes of our own (`spawn` start method:
  never a fork of a process with a running event loop and threads), one page
  at a time each over a Pipe. Politeness, robots.txt and the store stay in the
  main process. A page over the budget (`extract_timeout`) fails that page
  with kind `extract_timeout`: its worker is terminated and replaced. A worker
  that dies (killed, a crash) fails only the page it had, with kind
  `internal`, and is replaced. Workers start when the first page needs one (a
  run of 304s starts none) and are terminated when the pool closes; a worker
  whose parent is gone (SIGKILL) ends itself.
- `jobs == 0`: in the main process, one page at a time in a thread. The budget
  bounds the wait only: a thread cannot be stopped, so a runaway page goes on
  using CPU (in the background) until it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from newsgrab import PROJECT_URL
from newsgrab.extract import extract

log = logging.getLogger(__name__)

ISSUES_URL = f"{PROJECT_URL}/issues"
# Seconds a terminated worker gets to exit before it is killed.
_GRACE = 2.0
# Seconds a new worker gets to start (import the extractor), outside any page's budget.
_STARTUP = 120.0


def bug_message(what: str) -> str:
    """The message of an `internal` source error: a bug, and where to report it."""
    return (
        f"internal error: {what} (a bug in newsgrab; please report it at {ISSUES_URL} "
        "with the output of NEWSGRAB_DEBUG=1 newsgrab fetch -vv)"
    )


class ExtractFailed(Exception):
    """The page could not be extracted. `kind`: `extract` (the extractor raised
    on this page), `extract_timeout` (over the budget) or `internal` (the
    worker died)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


# What a worker sends back: ("ok", article.to_dict(), encoding) or
# ("error", exception type name, message).
Reply = tuple[str, Any, Any]


def extract_page(url: str | None, content_type: str | None, body: bytes) -> Reply:
    """Extract one page; never raises (what breaks the extractor is the reply)."""
    try:
        article = extract(body, url=url, content_type=content_type)
    except Exception as exc:  # a page that breaks the extractor fails alone
        return ("error", type(exc).__name__, str(exc)[:500])
    return ("ok", article.to_dict(), article.encoding)


def _orphan_watch(parent: int) -> None:
    """In a worker: end it when its parent is gone (it was SIGKILLed, say),
    even in the middle of a long page."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)


def worker_main(conn: Connection, parent: int) -> None:
    """A worker process: one page at a time until the pipe closes."""
    # Ctrl-C reaches the whole process group: the main process stops the run and
    # terminates its workers, which must not die with a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    try:
        conn.send("ready")  # imports done: a page's budget starts with the page
    except OSError:
        return
    while True:
        try:
            url, content_type, body = conn.recv()
        except (EOFError, OSError):
            return
        reply = extract_page(url, content_type, body)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Slot:
    """One worker process and the main process's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection):
        self.process = process
        self.conn = conn


class ExtractorPool:
    """Extracts pages off the event loop: `await pool.extract(url, ctype, body)`
    returns the article's dict and the encoding used, or raises ExtractFailed.
    Use as an async context manager (or call `close()`): no worker outlives it."""

    def __init__(self, jobs: int, budget: float):
        self.jobs = jobs
        self.budget = budget
        self._lock = threading.Lock()
        self._closed = False
        self._slots: set[_Slot] = set()
        self._idle: asyncio.Queue[_Slot | None] | None = None
        # threads that start and end workers (each can take a while)
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, jobs), thread_name_prefix="newsgrab-extract"
        )
        self._inline = asyncio.Semaphore(1)
        self._no_workers = False  # set when a worker could not start

    async def __aenter__(self) -> ExtractorPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()  # quick: terminating idle workers; one mid-page is abandoned

    # ----------------------------------------------------------- main process

    async def extract(
        self, url: str | None, content_type: str | None, body: bytes
    ) -> tuple[dict[str, Any], str | None]:
        if self.jobs == 0 or self._no_workers:
            reply = await self._in_thread(url, content_type, body)
        else:
            reply = await self._in_worker(url, content_type, body)
        if reply[0] != "ok":
            raise ExtractFailed("extract", f"the extractor failed on this page ({reply[1]})")
        return reply[1], reply[2]

    async def _in_thread(self, url: str | None, content_type: str | None, body: bytes) -> Reply:
        loop = asyncio.get_running_loop()
        async with self._inline:  # one page at a time, as one worker would
            done: asyncio.Future[Reply] = loop.create_future()

            def run() -> None:
                reply = extract_page(url, content_type, body)
                with contextlib.suppress(RuntimeError):  # a page over the budget may
                    loop.call_soon_threadsafe(_set_result, done, reply)  # outlive the loop

            # a thread of its own: one over the budget is left behind, not waited for
            threading.Thread(target=run, name="newsgrab-extract", daemon=True).start()
            try:
                return await asyncio.wait_for(asyncio.shield(done), self.budget)
            except TimeoutError:
                raise ExtractFailed("extract_timeout", self._over_budget()) from None

    def _over_budget(self) -> str:
        return f"extraction took longer than extract_timeout ({self.budget:g} s)"

    async def _in_worker(self, url: str | None, content_type: str | None, body: bytes) -> Reply:
        """The page to an idle worker (started if need be) and its reply back,
        within the budget. The pipes are watched by the event loop itself: a
        thread would wait for the busy loop's GIL at every hand-over."""
        loop = asyncio.get_running_loop()
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.jobs):
                self._idle.put_nowait(None)  # a worker is started when first needed
        idle = self._idle
        slot = await idle.get()
        clean = False  # whether the slot can take the next page
        try:
            if slot is None or not slot.process.is_alive():
                old, slot = slot, None
                if old is not None:
                    await loop.run_in_executor(self._threads, self._retire, old)
                try:
                    slot = await loop.run_in_executor(self._threads, self._start)
                except (EOFError, OSError, RuntimeError) as exc:
                    # A worker cannot start (a script calling run_fetch without
                    # the `if __name__ == "__main__":` guard that `spawn` needs,
                    # say): extract in this process rather than fail every page.
                    if not self._no_workers:
                        log.warning(
                            "no extraction worker could start (%s: %s); extracting in this process",
                            type(exc).__name__,
                            str(exc).strip()[:200],
                        )
                    self._no_workers = True
                    return await self._in_thread(url, content_type, body)
            try:
                slot.conn.send((url, content_type, body))
                await self._readable(loop, slot.conn)
                reply = slot.conn.recv()
            except TimeoutError:  # the runaway worker is ended before the page fails
                await loop.run_in_executor(self._threads, self._retire, slot)
                slot = None
                raise ExtractFailed("extract_timeout", self._over_budget()) from None
            except (EOFError, OSError):  # the worker died with the page
                code = await loop.run_in_executor(self._threads, self._retire, slot)
                slot = None
                if self._closed:
                    raise ExtractFailed("internal", "the run was stopped") from None
                how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                raise ExtractFailed(
                    "internal", bug_message(f"the extraction worker died on this page ({how})")
                ) from None
            clean = True
            return reply
        finally:
            if slot is not None and not clean:  # over the budget, or the run stopped
                if not self._closed:  # (close() ends every worker itself)
                    self._threads.submit(self._retire, slot)
                slot = None
            idle.put_nowait(slot)

    async def _readable(self, loop: asyncio.AbstractEventLoop, conn: Connection) -> None:
        """Until `conn` has data (or EOF); TimeoutError after the budget."""
        ready: asyncio.Future[None] = loop.create_future()
        fd = conn.fileno()
        loop.add_reader(fd, _set_result, ready, None)
        try:
            await asyncio.wait_for(ready, self.budget)
        finally:
            loop.remove_reader(fd)

    def _start(self) -> _Slot:
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        process = ctx.Process(
            target=worker_main,
            args=(theirs, os.getpid()),
            name="newsgrab-extract",
            daemon=True,  # never left behind by an interpreter that exits
        )
        with self._lock:
            if self._closed:
                raise ExtractFailed("internal", "the run is over")
            process.start()
            slot = _Slot(process, ours)
            self._slots.add(slot)
        theirs.close()
        if not ours.poll(_STARTUP) or ours.recv() != "ready":
            self._retire(slot)
            raise EOFError("the extraction worker did not start")
        return slot

    def _retire(self, slot: _Slot) -> int | None:
        """End a worker (terminate, then kill) and return its exit code."""
        with self._lock:
            self._slots.discard(slot)
        _end(slot.process)
        slot.conn.close()
        return slot.process.exitcode

    def close(self) -> None:
        """Terminate every worker (a page in hand is abandoned) and wait for them."""
        with self._lock:
            self._closed = True
            slots = list(self._slots)
            self._slots.clear()
        for slot in slots:
            slot.process.terminate()
        for slot in slots:
            _end(slot.process)
        self._threads.shutdown(wait=True)  # their pipes are closed: they return
        for slot in slots:
            slot.conn.close()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [s.process.pid for s in self._slots if s.process.pid is not None]


def _end(process: BaseProcess) -> None:
    if process.exitcode is None:
        process.terminate()
        process.join(_GRACE)
    if process.exitcode is None:
        process.kill()
        process.join()


def _set_result(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)
