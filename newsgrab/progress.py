"""The fetch progress bar: what a person at a terminal sees while `fetch` runs.

One line on stderr, redrawn ten times a second by rich, like

    fetching ━━━━━━━━━╸━━━ 64/95 URLs 12.3/s ETA 0:00:03 60 ok 4 failed waiting on …

(`waiting on example.org (8s)` in full, and a longer bar, on a wider terminal).

It counts URLs (each distinct URL once, however many seeds cite it: the
summary line counts the same way), with the rate and the time left, the ok and
failed tallies so far, and, when the run has been waiting more than
WAITING_AFTER seconds on a request, the host of the oldest one still in flight.
Only on a terminal, and never with `--quiet` or `--json` (cli.py decides).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from newsgrab import plain
from newsgrab.urlutil import host_of

# Seconds a request must have been in flight before the bar names its host.
WAITING_AFTER = 2.0


def waiting_on(in_flight: Mapping[str, float], now: float) -> str:
    """`waiting on HOST (Ns)` for the oldest request in flight, once it has
    taken WAITING_AFTER seconds; "" otherwise."""
    if not in_flight:
        return ""
    url, since = min(in_flight.items(), key=lambda item: item[1])
    waited = now - since
    if waited < WAITING_AFTER:
        return ""
    host = plain.one_line(plain.sanitize(host_of(url)))[:60]
    return f"waiting on {host} ({waited:.0f}s)"


class _Rate(ProgressColumn):
    """URLs settled per second, since the start."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:.1f}/s")


class _Waiting(ProgressColumn):
    """The host of the oldest request in flight, once it is slow."""

    def __init__(self, progress: FetchProgress, table_column: Column | None = None):
        super().__init__(table_column=table_column)
        self.progress = progress

    def render(self, task: Task) -> Text:
        return Text(self.progress.waiting(), style="yellow")


class FetchProgress:
    """The bar, as the pipeline's progress callback: `start(total, in_flight)`
    once, then `update(done, ok, failed)` as each URL settles. `in_flight`
    returns the URLs in flight and when each started (time.monotonic())."""

    def __init__(self, console: Console):
        self._in_flight: Callable[[], Mapping[str, float]] = dict
        # The fields take about 80 columns with a slow host named: the bar itself
        # gets what is left (none on an 80-column terminal), and a field that
        # does not fit is cut with an ellipsis, never wrapped onto a second line.
        bar_width = min(30, console.width - 85)
        one_line = Column(no_wrap=True, overflow="ellipsis")
        columns: list[ProgressColumn | str] = [TextColumn("fetching")]
        if bar_width >= 5:
            columns.append(BarColumn(bar_width=bar_width))
        columns += [
            MofNCompleteColumn(),
            TextColumn("URLs"),
            _Rate(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[tally]}", table_column=one_line),
            _Waiting(self, table_column=Column(no_wrap=True, overflow="ellipsis")),
        ]
        self._bar = Progress(*columns, console=console, transient=True)
        self._task: Any = None

    def start(self, total: int, in_flight: Callable[[], Mapping[str, float]]) -> None:
        self._in_flight = in_flight
        self._task = self._bar.add_task("fetch", total=total, tally=_tally(0, 0))

    def update(self, done: int, ok: int, failed: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done, tally=_tally(ok, failed))

    def waiting(self) -> str:
        try:
            in_flight = dict(self._in_flight())
        except RuntimeError:  # changed while copied: the next refresh shows it
            return ""
        return waiting_on(in_flight, time.monotonic())

    def __enter__(self) -> FetchProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def _tally(ok: int, failed: int) -> str:
    return f"{ok} ok {failed} failed"
