"""Output: tables, article blocks, JSON; every web-sourced string sanitized.

Only cli.py and this module write to the terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

_UNSAFE = re.compile(
    "\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|[PX^_][^\x1b]*(?:\x1b\\\\)?|.)?"
    "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def sanitize(text: object) -> str:
    """Make a string from the web or a sidecar safe to print on any terminal."""
    if text is None:
        return ""
    return _UNSAFE.sub("", str(text))


def safe_text(text: object, style: str | None = None) -> Text:
    """A rich Text that is never parsed as markup or emoji codes."""
    return Text(sanitize(text), style=style or "")


def sources_table(rows: Iterable[dict]) -> Table:
    table = Table(show_lines=False)
    for name in ("seed", "status", "title", "site", "published"):
        table.add_column(name)
    for row in rows:
        article = row.get("article") or {}
        table.add_row(safe_text(row.get("seed")), safe_text(row.get("status")),
                      safe_text(article.get("title") or row.get("url")),
                      safe_text(article.get("site_name")),
                      safe_text((article.get("published_at") or "")[:10]))
    return table


def print_sources(console: Console, rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        console.out(json.dumps(rows, ensure_ascii=False, indent=2), highlight=False)
        return
    if fmt == "rich":
        console.print(sources_table(rows))
        return
    for row in rows:
        article = row.get("article") or {}
        console.out(sanitize(f"{row.get('status', '')}\t{article.get('title') or row['url']}"),
                    highlight=False)


# ---------------------------------------------------------------- fetch output

class _Progress:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, console: Console, enabled: bool):
        self.enabled = enabled and console.is_terminal
        self._bar = None
        self._task = None
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._bar = Progress("fetching", BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)

    def __call__(self, done: int, total: int, url: str) -> None:
        if self._bar is None:
            return
        if self._task is None:
            self._task = self._bar.add_task("fetch", total=total)
        self._bar.update(self._task, completed=done, total=total)

    def __enter__(self):
        if self._bar is not None:
            self._bar.start()
        return self if self.enabled else None

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


def progress_for(console: Console, enabled: bool) -> _Progress:
    return _Progress(console, enabled)


def summary_line(report) -> str:
    """One line for the end of a fetch: counts per outcome and per status."""
    counts = report.status_counts
    actions = report.action_counts
    parts = [f"{report.seeds} seeds", f"{len(report.sources)} sources"]
    parts += [f"{n} {name}" for name, n in sorted(counts.items())]
    if actions.get("fresh"):
        parts.append(f"{actions['fresh']} fresh (not refetched)")
    parts.append(f"{report.written} sidecars written")
    if report.store_errors:
        parts.append(f"{len(report.store_errors)} sidecar errors")
    return sanitize(f"newsgrab: {', '.join(parts)} in {report.duration:.1f}s")


def failure_line(source: dict) -> str:
    error = source.get("error") or {}
    return sanitize(f"{source['status']}\t{source['url']}\t{error.get('kind', '')}: "
                    f"{error.get('message', '')}\t({source['seed']})")
