"""Article extraction off the event loop, within a time budget per page.

`fetch` extracts each page (CPU-bound, 1-20 ms) while requests are in flight.
Run on the event loop, a slow page stalls every request of the run; so the
pipeline hands (url, content type, body) to an `ExtractorPool` and awaits the
article's dict:

- `jobs >= 1`: that many worker processes of our own (`spawn` start method:
  never a fork of a process with a running event loop and threads), each fed
  over a socket pair. A worker holds up to `DEPTH` pages: the next page is
  already in its socket when it finishes one, so it never waits for the busy
  event loop between pages; the main process's writes never block (asyncio
  buffers them). Politeness, robots.txt and the store stay in the main
  process. A page's budget (`extract_timeout`) starts when its worker starts
  on it; over it, that page fails with kind `extract_timeout`, its worker is
  terminated and replaced, and the pages queued behind it go to another
  worker. A worker that dies (killed, a crash) fails only the page it was on,
  with kind `internal`. Workers start when the first page needs one (a run of
  304s starts none), or earlier with `warm()`, and are terminated when the
  pool closes; a worker whose parent is gone (SIGKILL) ends itself.
- `jobs == 0`: in the main process, one page at a time in a thread. The budget
  bounds the wait only: a thread cannot be stopped, so a runaway page goes on
  using CPU (in the background) until it ends.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

from newsgrab import ISSUES_URL

log = logging.getLogger(__name__)

# Seconds a terminated worker gets to exit before it is killed.
_GRACE = 2.0
# Seconds a new worker gets to start (import the extractor), outside any page's budget.
_STARTUP = 120.0
# Pages a worker holds at once: the one it is on and the next.
DEPTH = 2
# A frame on a worker's socket: its length (8 bytes, big-endian), then a pickle.
_HEADER = 8


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
    # imported here: a run whose pages go to workers never loads the extractor
    from newsgrab.extract import extract

    try:
        article = extract(body, url=url, content_type=content_type)
    except Exception as exc:  # a page that breaks the extractor fails alone
        return ("error", type(exc).__name__, str(exc)[:500])
    return ("ok", article.to_dict(), article.encoding)


# ------------------------------------------------------------------ a worker


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_HEADER, "big") + data


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            raise EOFError("the socket was closed")
        got += k
    return bytes(buf)


def _read_frame(sock: socket.socket) -> Any:
    size = int.from_bytes(_read_exactly(sock, _HEADER), "big")
    return pickle.loads(_read_exactly(sock, size))


def _orphan_watch(parent: int) -> None:
    """In a worker: end it when its parent is gone (it was SIGKILLed, say),
    even in the middle of a long page."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)


def worker_main(sock: socket.socket, parent: int) -> None:
    """A worker process: pages in the order they come, until the socket closes."""
    # Ctrl-C reaches the whole process group: the main process stops the run and
    # terminates its workers, which must not die with a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    from newsgrab.extract import extract  # noqa: F401  (imports done before "ready")

    try:
        sock.sendall(_frame("ready"))  # a page's budget starts with the page
        while True:
            url, content_type, body = _read_frame(sock)
            sock.sendall(_frame(extract_page(url, content_type, body)))
    except (EOFError, OSError):
        return


# ------------------------------------------------------------ the main side


class _Page:
    """A page waiting for a worker or in one; `future` gets its Reply."""

    __slots__ = ("body", "content_type", "future", "url")

    def __init__(self, url: str | None, content_type: str | None, body: bytes, future):
        self.url = url
        self.content_type = content_type
        self.body = body
        self.future: asyncio.Future[Reply] = future


class _Slot:
    """One worker process, the main process's end of its socket, and the pages
    it holds (`pending`, oldest first: the one it is on)."""

    def __init__(self, process: BaseProcess, sock: socket.socket):
        self.process = process
        self.sock = sock
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.Task | None = None
        self.pending: collections.deque[_Page] = collections.deque()
        self.timer: asyncio.TimerHandle | None = None
        self.lost = False  # ended (over the budget, died, closed): takes no page


class ExtractorPool:
    """Extracts pages off the event loop: `await pool.extract(url, ctype, body)`
    returns the article's dict and the encoding used, or raises ExtractFailed.
    Use as an async context manager (or call `close()`): no worker outlives it."""

    def __init__(self, jobs: int, budget: float):
        self.jobs = jobs
        self.budget = budget
        self._lock = threading.Lock()
        self._closed = False
        self._slots: set[_Slot] = set()  # every worker process not yet ended
        self._ready: list[_Slot] = []  # those taking pages
        self._starting = 0
        self._waiting: collections.deque[_Page] = collections.deque()
        self._tasks: set[asyncio.Task] = set()
        # threads that start and end workers (each can take a while)
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, jobs), thread_name_prefix="newsgrab-extract"
        )
        self._inline = asyncio.Semaphore(1)
        self._no_workers = False  # set when no worker could start
        self._loop: asyncio.AbstractEventLoop | None = None  # where the sockets are watched
        self._cap = jobs  # workers wanted: one less for each that could not start

    async def __aenter__(self) -> ExtractorPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()  # quick: terminating idle workers; one mid-page is abandoned
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def warm(self) -> None:
        """Start the workers now (in the background), before the first page
        needs one: a run that will extract pages starts them while its first
        requests are in flight."""
        if self.jobs and not self._no_workers and not self._closed:
            self._loop = asyncio.get_running_loop()
            while len(self._ready) + self._starting < self._cap:
                self._spawn()

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
        import newsgrab.extract  # noqa: F401  (once, outside the first page's budget)

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
        if self._closed:
            raise ExtractFailed("internal", "the run was stopped")
        self._loop = asyncio.get_running_loop()
        page = _Page(url, content_type, body, self._loop.create_future())
        self._waiting.append(page)
        self._pump()
        try:
            reply = await page.future
        except _InProcess:  # no worker could start
            return await self._in_thread(url, content_type, body)
        return reply

    # Pages go to the ready worker holding the fewest, up to DEPTH each; a
    # worker is started when every ready one is full and fewer than `jobs` run.

    def _pump(self) -> None:
        while self._waiting:
            if self._no_workers:
                for page in self._waiting:
                    _set_exception(page.future, _InProcess())
                self._waiting.clear()
                return
            page = self._waiting[0]
            if page.future.done():  # its caller gave up (the run was stopped)
                self._waiting.popleft()
                continue
            slot = min(self._ready, key=lambda s: len(s.pending), default=None)
            if slot is None or slot.pending:
                # no idle worker: start one if fewer than wanted run; queue
                # behind a busy one only when no other is coming
                if len(self._ready) + self._starting < self._cap:
                    self._spawn()
                if slot is None or self._starting or len(slot.pending) >= DEPTH:
                    return
            self._waiting.popleft()
            self._give(slot, page)

    def _give(self, slot: _Slot, page: _Page) -> None:
        assert slot.writer is not None
        slot.writer.write(_frame((page.url, page.content_type, page.body)))
        slot.pending.append(page)
        if len(slot.pending) == 1:
            self._clock(slot)

    def _clock(self, slot: _Slot) -> None:
        """The budget of the page the worker is now on."""
        loop = asyncio.get_running_loop()
        slot.timer = loop.call_later(self.budget, self._on_timeout, slot, slot.pending[0])

    def _spawn(self) -> None:
        self._starting += 1
        self._track(self._bring_up())

    def _track(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bring_up(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            try:
                slot = await loop.run_in_executor(self._threads, self._start)
                reader, slot.writer = await asyncio.open_connection(sock=slot.sock)
            finally:
                self._starting -= 1
        except (EOFError, OSError, RuntimeError, ExtractFailed) as exc:
            # A worker cannot start (a script calling run_fetch without the
            # `if __name__ == "__main__":` guard that `spawn` needs, say):
            # extract in this process rather than fail every page.
            if self._closed:
                self._fail_waiting()
                return
            self._cap -= 1
            if not self._ready and not self._starting:
                if not self._no_workers:
                    log.warning(
                        "no extraction worker could start (%s: %s); extracting in this process",
                        type(exc).__name__,
                        str(exc).strip()[:200],
                    )
                self._no_workers = True
            self._pump()
            return
        if self._closed:
            self._retire(slot)
            _disconnect(slot)
            return
        self._ready.append(slot)
        slot.reader = asyncio.current_task()
        self._pump()
        await self._read_replies(slot, reader)

    async def _read_replies(self, slot: _Slot, reader: asyncio.StreamReader) -> None:
        """The replies of one worker, in the order its pages were given."""
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(_HEADER), "big")
                reply = pickle.loads(await reader.readexactly(size))
                if slot.lost:
                    return
                if slot.timer is not None:
                    slot.timer.cancel()
                page = slot.pending.popleft()
                _set_result(page.future, reply)
                if slot.pending:
                    self._clock(slot)
                self._pump()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if slot.lost:
                return
            await self._lose(slot, None)

    def _on_timeout(self, slot: _Slot, page: _Page) -> None:
        if not slot.lost and slot.pending and slot.pending[0] is page:
            self._track(self._lose(slot, ExtractFailed("extract_timeout", self._over_budget())))

    async def _lose(self, slot: _Slot, failure: ExtractFailed | None) -> None:
        """End a worker that went over the budget (`failure`) or died (None):
        the page it was on fails, once the process is gone; the pages queued
        behind that page go to another worker."""
        slot.lost = True
        if slot.timer is not None:
            slot.timer.cancel()
        with contextlib.suppress(ValueError):
            self._ready.remove(slot)
        head = slot.pending.popleft() if slot.pending else None
        self._waiting.extendleft(reversed(slot.pending))
        slot.pending.clear()
        loop = asyncio.get_running_loop()
        code = await loop.run_in_executor(self._threads, self._retire, slot)
        _disconnect(slot)
        if head is not None:
            if self._closed:
                failure = ExtractFailed("internal", "the run was stopped")
            elif failure is None:
                how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                failure = ExtractFailed(
                    "internal", bug_message(f"the extraction worker died on this page ({how})")
                )
            _set_exception(head.future, failure)
        if self._closed:
            self._fail_waiting()
        else:
            self._pump()

    def _fail_waiting(self) -> None:
        for page in self._waiting:
            _set_exception(page.future, ExtractFailed("internal", "the run was stopped"))
        self._waiting.clear()

    def _start(self) -> _Slot:
        """In a thread: a new worker process, once it has imported the extractor."""
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = socket.socketpair()
        try:
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
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        try:
            ours.settimeout(_STARTUP)
            if _read_frame(ours) != "ready":
                raise EOFError("the extraction worker did not start")
        except (EOFError, OSError, pickle.UnpicklingError):
            self._retire(slot)
            ours.close()
            raise EOFError("the extraction worker did not start") from None
        return slot

    def _retire(self, slot: _Slot) -> int | None:
        """In a thread: end a worker (terminate, then kill) and return its exit
        code. Its socket is closed by the event loop (`_disconnect`)."""
        with self._lock:
            self._slots.discard(slot)
        _end(slot.process)
        return slot.process.exitcode

    def close(self) -> None:
        """Terminate every worker (a page in hand is abandoned) and wait for them."""
        with self._lock:
            self._closed = True
            slots = list(self._slots)
            self._slots.clear()
        for slot in slots:
            slot.lost = True
            if slot.timer is not None:
                slot.timer.cancel()
            slot.process.terminate()
        for slot in slots:
            _end(slot.process)
        self._threads.shutdown(wait=True)  # their sockets are closed: they return
        for slot in slots:
            for page in slot.pending:
                _set_exception(page.future, ExtractFailed("internal", "the run was stopped"))
            slot.pending.clear()
            _disconnect(slot)
        self._ready.clear()
        self._fail_waiting()
        loop = self._loop
        if loop is not None and not loop.is_running() and not loop.is_closed():
            # closed from outside its event loop (a caller that runs the loop
            # itself, as `extract --warc` does): let the loop end the socket
            # readers and close the sockets now, before it is closed
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(_settle(tasks))

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [s.process.pid for s in self._slots if s.process.pid is not None]


class _InProcess(Exception):
    """No worker could start: the page is extracted in this process."""


async def _settle(tasks: list[asyncio.Task]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0)  # the transports' close callbacks run


def _end(process: BaseProcess) -> None:
    if process.exitcode is None:
        process.terminate()
        process.join(_GRACE)
    if process.exitcode is None:
        process.kill()
        process.join()


def _disconnect(slot: _Slot) -> None:
    """Close the main process's end of a worker's socket (in the event loop)."""
    if slot.writer is not None:
        slot.writer.close()
    else:
        slot.sock.close()


def _set_result(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
