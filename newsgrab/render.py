"""Output: tables, article blocks, revision diffs and JSON, safe in any terminal.

Only cli.py, plain.py and this module write to the terminal. Every string that
came from the web or from a sidecar passes through `sanitize` (plain.py, where
its rules are listed) before it is printed, in every format (rich, text,
Markdown, JSON), on a terminal or a pipe.

rich output is built from `rich.text.Text` objects only, so data is never read
as console markup (`[bold]`, `[link=...]`) or emoji codes (`:warning:`).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shlex
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from newsgrab.collection import PARAGRAPH, Change, Entry, Fold, Step, diff_counts, paragraphs
from newsgrab.model import ArchivedCopy, Status
from newsgrab.plain import (  # noqa: F401 (also used through render)
    FORMATS,
    failure_line,
    json_text,
    one_line,
    plural,
    sanitize,
    summary_line,
)

# ---------------------------------------------------------------- small pieces


def safe_text(text: object, style: str | None = None) -> Text:
    """A rich Text that is never parsed as markup or emoji codes."""
    return Text(sanitize(text), style=style or "")


STATUS_STYLES = {
    Status.OK: "green",
    Status.ERROR: "bold red",
    Status.GONE: "magenta",
    Status.BLOCKED: "yellow",
    Status.UNSUPPORTED: "yellow",
    Status.PENDING: "cyan",
}
PREVIEW_PARAGRAPHS = 3


def age(then: datetime | None, now: datetime) -> str:
    """`just now`, `12m`, `5h`, `3d`, `6w`, `2y`; `never` for no time."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "just now"  # pragma: no cover


def _date(value: object) -> str:
    """The date part of a stored time, as stored (no timezone conversion)."""
    s = one_line(value)
    return s[:10] if re.match(r"\d{4}-\d\d-\d\d", s) else s


def _words(entry: Entry) -> str:
    return "" if entry.words is None else str(entry.words)


def counts_line(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    parts = [f"{total} source{'s' if total != 1 else ''}"]
    parts += [f"{n} {one_line(status)}" for status, n in counts.items()]
    return ", ".join(parts)


def _fit(text: str, width: int) -> str:
    """Cut `text` to `width` terminal cells (with an ellipsis) or pad it."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


# ---------------------------------------------------------------- the table

TABLE_COLUMNS = ("status", "published", "checked", "words", "site", "seed", "title")
_TEXT_CAPS = {"site": 24, "seed": 28}
# On a terminal: the site and seed columns are capped, the title gets what is
# left. When that is too little, the site and seed shrink, then columns go (least
# useful first); every source stays on one line, cut with an ellipsis.
_RICH_CAPS = {"site": 24, "seed": 20}
_MIN_TITLE = 16
# The steps taken, in order, until the title gets what it is owed: shrink a
# column to a width, or drop it.
_STEPS: tuple[tuple[str, int], ...] = (
    ("site", 16),
    ("seed", 10),
    ("words", 0),
    ("seed", 0),
    ("checked", 0),
    ("published", 0),
    ("site", 10),
    ("site", 0),
)
_RICH_ORDER = ("status", "title", "site", "published", "checked", "words", "seed")
_RICH_GAP = 2  # rich's padding on the right and the (blank) column rule
_TEXT_GAP = 2


def fit_columns(
    natural: dict[str, int], order: Sequence[str], width: int, gap: int
) -> dict[str, int]:
    """Column widths (in `order`, some left out) that fit in `width` cells. The
    title is owed its natural width up to 40% of the terminal (at least
    _MIN_TITLE cells): to make that room the site and seed columns shrink and
    columns are dropped, least useful first (_STEPS). The title then takes
    whatever is left (at least one cell)."""
    cols = {c: natural[c] for c in order if c != "title"}
    title = natural["title"]
    owed = min(title, max(_MIN_TITLE, int(width * 0.4)))

    def rest() -> int:
        return sum(cols.values()) + gap * len(cols)

    for col, low in _STEPS:
        excess = rest() + owed - width
        if excess <= 0:
            break
        if col not in cols:
            continue
        if low == 0:
            del cols[col]
        elif cols[col] > low:
            cols[col] = max(low, cols[col] - excess)
    if rest() + 1 > width and "status" in cols:  # a very narrow terminal
        cols["status"] = max(1, width - 1 - gap)
    widths = dict(cols, title=max(1, min(title, width - rest())))
    return {c: widths[c] for c in order if c in widths}


def _natural(rows: Iterable[dict[str, str]], caps: dict[str, int]) -> dict[str, int]:
    widths = {c: len(c) for c in TABLE_COLUMNS}
    for r in rows:
        for c in TABLE_COLUMNS:
            widths[c] = max(widths[c], cell_len(r[c]))
    for col, cap in caps.items():
        widths[col] = min(widths[col], cap)
    return widths


def _counts(statuses: Counter) -> dict[str, int]:
    """Counts per status, in Status order (as collection.status_counts)."""
    return {str(s): statuses[s] for s in Status if s in statuses}


def _row(entry: Entry, now: datetime) -> dict[str, str]:
    return {
        "status": one_line(entry.status) + (f" *{entry.revisions}" if entry.revisions else ""),
        "published": _date(entry.article.published_at),
        "checked": age(entry.checked, now),
        "words": _words(entry),
        "site": one_line(entry.site),
        "seed": one_line(entry.seed.name),
        "title": one_line(entry.title or entry.url),
    }


def table_rich(
    entries: Sequence[Entry], counts: dict[str, int], now: datetime, width: int = 100
) -> Group:
    """One line per source, fitted to `width` cells (the console's width)."""
    rows = [_row(e, now) for e in entries]
    widths = fit_columns(_natural(rows, _RICH_CAPS), _RICH_ORDER, width, _RICH_GAP)
    table = Table(
        box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, expand=False
    )
    for col, w in widths.items():
        right = col in ("checked", "words")
        table.add_column(
            Text(_fit(col, w).rstrip() if len(col) > w else col),
            width=w,
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if right else "left",
        )
    for e, r in zip(entries, rows, strict=True):
        styles = {
            "status": STATUS_STYLES.get(e.status, ""),
            "title": "bold" if e.title else "dim",
            "seed": "dim",
        }
        table.add_row(
            *(Text(_fit(r[c], w).rstrip(), style=styles.get(c, "")) for c, w in widths.items())
        )
    footer = Text(counts_line(counts), style="dim")
    return Group(table, footer)


def table_text(
    entries: Sequence[Entry], counts: dict[str, int], now: datetime, width: int | None = None
) -> str:
    """Aligned columns, a header line, the title last, a counts line. Without a
    `width` (a pipe) the title is never cut; with one (a terminal), every line
    fits in it."""
    return "".join(table_text_lines(entries, now, width, counts))


def table_text_lines(
    entries: Iterable[Entry],
    now: datetime,
    width: int | None = None,
    counts: dict[str, int] | None = None,
) -> Iterator[str]:
    """`table_text`, line by line, from one pass over `entries`: the column widths
    need every row before the first is printed, so the rows (a few short
    strings each) wait in a temporary file (in memory while small), never the
    entries. The counts line counts the entries unless `counts` is given."""
    statuses: Counter = Counter()
    with tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8") as spool:

        def rows() -> Iterator[dict[str, str]]:
            for e in entries:
                statuses[e.status] += 1
                r = _row(e, now)
                spool.write(json.dumps([r[c] for c in TABLE_COLUMNS]) + "\n")
                yield r

        natural = _natural(rows(), _TEXT_CAPS)
        if width is None:
            widths = {c: natural[c] for c in TABLE_COLUMNS}
        else:
            widths = fit_columns(natural, TABLE_COLUMNS, width, _TEXT_GAP)
        spool.seek(0)
        stored = (dict(zip(TABLE_COLUMNS, json.loads(line), strict=True)) for line in spool)
        for r in itertools.chain([{c: c.upper() for c in TABLE_COLUMNS}], stored):
            cells = []
            for c, w in widths.items():
                if c == "title":
                    cells.append(r[c] if width is None else _fit(r[c], w))
                elif c == "words" and cell_len(r[c]) <= w:
                    cells.append(r[c].rjust(w))
                else:
                    cells.append(_fit(r[c], w))
            yield "  ".join(cells).rstrip() + "\n"
    footer = counts_line(_counts(statuses) if counts is None else counts)
    yield (footer if width is None else textwrap.fill(footer, width=max(width, 1))) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^([ \t]*)(?:([-+=#])|(\d+)(?=[.)]))", re.M)


def md_escape(text: object) -> str:
    """Sanitized text with Markdown syntax escaped, so it reads as plain words:
    inline markers anywhere, and list, heading and rule markers at a line start."""
    s = _MD_SPECIAL.sub(r"\\\1", sanitize(text))
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\", s)


def md_url(url: object) -> str:
    """A link destination `<...>` for an http(s) URL, else escaped text."""
    s = one_line(url)
    if not re.match(r"https?://", s, re.I):
        return md_escape(s)
    return "<" + s.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"


def table_markdown(entries: Sequence[Entry], counts: dict[str, int], now: datetime) -> str:
    return "".join(table_markdown_lines(entries, now, counts))


def table_markdown_lines(
    entries: Iterable[Entry], now: datetime, counts: dict[str, int] | None = None
) -> Iterator[str]:
    """`table_markdown`, line by line, in one pass over `entries` (the counts
    line counts them unless `counts` is given)."""
    head = ("status", "title", "site", "published", "checked", "words", "seed")
    yield "| " + " | ".join(head) + " |\n"
    yield "|" + "---|" * len(head) + "\n"
    statuses: Counter = Counter()
    for e in entries:
        statuses[e.status] += 1
        r = _row(e, now)
        title = md_escape(r["title"])
        if e.url:
            title = f"[{title}]({md_url(e.url)})"
        cells = [
            md_escape(r["status"]),
            title,
            md_escape(r["site"]),
            r["published"] and md_escape(r["published"]),
            r["checked"],
            r["words"],
            md_escape(r["seed"]),
        ]
        yield "| " + " | ".join(cells) + " |\n"
    yield "\n" + md_escape(counts_line(_counts(statuses) if counts is None else counts)) + "\n"


# ---------------------------------------------------------------- article blocks


def _meta(entry: Entry, now: datetime, seeds: Sequence[Path] = ()) -> list[tuple[str, str]]:
    """The metadata lines of an article block, as (label, sanitized value)."""
    a = entry.article
    out: list[tuple[str, str]] = []
    label = cited_label(entry)
    if label:
        out.append(("Label", label))
    if entry.site:
        out.append(("Site", one_line(entry.site)))
    authors = [one_line(x) for x in a.authors if x.strip()]
    if authors:
        out.append(("Authors", ", ".join(authors)))
    if a.published_at:
        out.append(("Published", one_line(a.published_at)))
    if a.modified_at:
        out.append(("Modified", one_line(a.modified_at)))
    out.append(("URL", one_line(entry.url)))
    final = entry.fetch.final_url
    if final and final != entry.url:
        out.append(("Final URL", one_line(final)))
    archived = entry.fetch.archived_from
    if isinstance(archived, ArchivedCopy):
        stamp = one_line(archived.timestamp)
        out.append(
            (
                "Archived copy",
                one_line(archived.url) + (f" (captured {stamp})" if stamp else ""),
            )
        )
    elif archived:
        out.append(("Archived copy", one_line(archived)))
    status = one_line(entry.status)
    checked = age(entry.checked, now)
    details = [
        "never checked"
        if entry.checked is None
        else f"checked {checked}" + ("" if checked == "just now" else " ago")
    ]
    if entry.words is not None:
        details.append(plural(entry.words, "word"))
    out.append(("Status", f"{status} ({', '.join(details)})"))
    err = entry.error
    if err:
        kind = one_line(err.kind)
        message = one_line(err.message)
        when = one_line(err.at)
        text = f"{kind}: {message}" if kind else message
        out.append(("Error", text + (f" ({when})" if when else "")))
    shown = seeds or [entry.seed]
    out.append(("Seed" if len(shown) == 1 else "Seeds", ", ".join(one_line(s) for s in shown)))
    return out


def cited_label(entry: Entry) -> str:
    """The label the seed gives the URL (the first citation that has one),
    sanitized to one line; "" when none."""
    return next((one_line(c.label) for c in entry.source.cited if c.label and c.label.strip()), "")


def _body(entry: Entry, full: bool) -> tuple[list[str], int]:
    """The paragraphs to show (sanitized) and how many were left out."""
    paras = [sanitize(p) for p in paragraphs(entry.article.text)]
    if full or len(paras) <= PREVIEW_PARAGRAPHS:
        return paras, 0
    return paras[:PREVIEW_PARAGRAPHS], len(paras) - PREVIEW_PARAGRAPHS


def _more(n: int) -> str:
    return f"[… {plural(n, 'more paragraph')}; --full shows the whole text]"


Block = tuple[Entry, Sequence[Path]]  # an entry and the seeds citing it


def articles_rich(
    sections: Sequence[tuple[str, Sequence[Block]]], full: bool, now: datetime
) -> Group:
    parts: list[RenderableType] = []
    for heading, blocks in sections:
        parts.append(Rule(Text(one_line(heading), style="bold"), style="blue"))
        for i, (entry, seeds) in enumerate(blocks):
            if i:
                parts.append(Rule(style="dim"))
            parts.append(
                Text(
                    one_line(entry.title or entry.url), style="bold" if entry.title else "bold dim"
                )
            )
            meta = Text()
            for label, value in _meta(entry, now, seeds):
                style = STATUS_STYLES.get(entry.status, "") if label == "Status" else ""
                style = "red" if label == "Error" else style
                meta.append(f"{label}: ", style="dim")
                meta.append(value + "\n", style=style)
            meta.rstrip()
            parts.append(meta)
            paras, more = _body(entry, full)
            for p in paras:
                parts.append(Text(""))
                parts.append(Text(p))
            if more:
                parts.append(Text(""))
                parts.append(Text(_more(more), style="dim italic"))
        parts.append(Text(""))
    return Group(*parts)


def _wrap(text: str, width: int, indent: str = "") -> str:
    lines = []
    for line in text.split("\n"):
        lines.append(
            textwrap.fill(
                line,
                width=max(width, 20),
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or indent.rstrip()
        )
    return "\n".join(lines)


def articles_text(
    sections: Sequence[tuple[str, Sequence[Block]]], full: bool, now: datetime, width: int = 80
) -> str:
    out: list[str] = []
    for heading, blocks in sections:
        heading = one_line(heading)
        out += [heading, "=" * min(cell_len(heading), width), ""]
        for entry, seeds in blocks:
            title = one_line(entry.title or entry.url)
            out += [_wrap(title, width), "-" * min(cell_len(title), width)]
            out += [
                _wrap(f"{label}: {value}", width, "") for label, value in _meta(entry, now, seeds)
            ]
            paras, more = _body(entry, full)
            for p in paras:
                out += ["", _wrap(p, width)]
            if more:
                out += ["", _more(more)]
            out.append("")
    return "\n".join(out)


def articles_markdown(
    sections: Sequence[tuple[str, Sequence[Block]]], full: bool, now: datetime
) -> str:
    out: list[str] = []
    links: list[tuple[str, str]] = []
    for heading, blocks in sections:
        out += [f"# {md_escape(one_line(heading))}", ""]
        for entry, seeds in blocks:
            title = md_escape(one_line(entry.title or entry.url))
            out += [f"## {title}", ""]
            for label, value in _meta(entry, now, seeds):
                shown = md_url(value) if label in ("URL", "Final URL") else md_escape(value)
                out.append(f"- **{label}:** {shown}")
            out.append("")
            paras, more = _body(entry, full)
            for p in paras:
                out += [md_escape(p), ""]
            if more:
                out += [f"*{md_escape(_more(more))}*", ""]
            if (title, entry.url) not in links:
                links.append((title, entry.url))
    if links:
        out += ["## Sources", ""]
        out += [f"{i}. [{t}]({md_url(u)})" for i, (t, u) in enumerate(links, 1)]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- JSON


def json_sources(entries: Iterable[Entry], lines: bool = False) -> str:
    """`--format json`: an array; `jsonl`: one object per line. Each object is the
    stored source with `seed` and `sidecar` in front, exact and terminal-safe
    (plain.json_text: what a terminal must not see is a \\u escape)."""
    return "".join(json_sources_chunks(entries, lines))


def json_sources_chunks(entries: Iterable[Entry], lines: bool = False) -> Iterator[str]:
    """`json_sources`, one source at a time: the same text, never held whole."""
    if lines:
        for e in entries:
            yield json_text(e.to_dict()) + "\n"
        return
    first = True
    for e in entries:
        item = json_text(e.to_dict(), indent=2).replace("\n", "\n  ")
        yield ("[\n  " if first else ",\n  ") + item
        first = False
    yield "[]\n" if first else "\n]\n"


CSV_COLUMNS = (
    "seed",
    "url",
    "label",
    "line",
    "status",
    "title",
    "site",
    "authors",
    "published_at",
    "modified_at",
    "language",
    "words",
    "checked_at",
    "fetched_at",
    "final_url",
    "http_status",
    "error_kind",
    "error_message",
    "archived_from",
    "revisions",
    "changed_at",
)
# A cell a spreadsheet would run as a formula (OWASP's "CSV injection"): it
# starts with one of these. Such a cell gets a leading apostrophe, which
# spreadsheets show as text; the sidecar keeps the exact value.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """One CSV cell: sanitized to one line, a would-be formula neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(int(value))
    text = one_line(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(entry: Entry) -> dict[str, object]:
    a = entry.source.article
    f = entry.fetch
    err = entry.error
    archived = f.archived_from
    cited = entry.source.cited
    return {
        "seed": str(entry.seed),
        "url": entry.url,
        "label": cited_label(entry),
        "line": cited[0].line if cited else None,
        "status": str(entry.status),
        "title": a.title if a else None,
        "site": entry.site,
        "authors": "; ".join(a.authors) if a else None,
        "published_at": a.published_at if a else None,
        "modified_at": a.modified_at if a else None,
        "language": a.language if a else None,
        "words": entry.words,
        "checked_at": f.checked_at,
        "fetched_at": f.fetched_at,
        "final_url": f.final_url,
        "http_status": f.http_status,
        "error_kind": err.kind if err else None,
        "error_message": err.message if err else None,
        "archived_from": archived.url if isinstance(archived, ArchivedCopy) else archived,
        "revisions": len(entry.source.revisions),
        "changed_at": f.changed_at,
    }


def csv_sources(entries: Iterable[Entry]) -> str:
    """`--format csv`: a header and one row per source per seed (RFC 4180 quoting,
    LF line ends); every cell one sanitized line, formulas neutralised."""
    return "".join(csv_sources_chunks(entries))


def csv_sources_chunks(entries: Iterable[Entry]) -> Iterator[str]:
    """`csv_sources`, one row at a time."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = _csv_row(entry)
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
        if buf.tell() > 1 << 16:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def history_object(entry: Entry, seeds: Sequence[Path], steps: Sequence[Step]) -> dict:
    return {
        "url": entry.url,
        "seeds": [str(s) for s in seeds],
        "revisions": [s.version.to_dict() for s in steps],
    }


def json_history(
    items: Iterable[tuple[Entry, Sequence[Path], Sequence[Step]]], lines: bool = False
) -> str:
    """One object per source: {url, seeds, revisions: [current first, then older]}."""
    objects = [history_object(*item) for item in items]
    if lines:
        return "".join(json_text(o) + "\n" for o in objects)
    return json_text(objects, indent=2) + "\n"


# ---------------------------------------------------------------- revisions


def _diff_paragraphs(change: Change) -> list[list[tuple[str, str]]]:
    """A Change as paragraphs, each a list of (tag, sanitized words) runs."""
    paras: list[list[tuple[str, str]]] = [[]]
    for tag, words in change.runs:
        chunk: list[str] = []
        for w in words:
            if w == PARAGRAPH:
                if chunk:
                    paras[-1].append((tag, sanitize(" ".join(chunk))))
                    chunk = []
                paras.append([])
            else:
                chunk.append(w)
        if chunk:
            paras[-1].append((tag, sanitize(" ".join(chunk))))
    return [p for p in paras if p]


def _folded(n: int) -> str:
    return f"[… {plural(n, 'unchanged paragraph')} …]"


def _version_head(step: Step, number: int, total: int) -> str:
    v = step.version
    parts = [f"Version {number} of {total}"]
    if v.current:
        parts.append("current")
    parts.append(f"fetched {one_line(v.fetched_at) or 'at an unknown time'}")
    if v.content_sha256:
        parts.append(f"sha256 {one_line(v.content_sha256)[:12]}")
    parts.append(plural(v.words, "word"))
    return " · ".join(parts)


def _change_summary(step: Step) -> str:
    if step.blocks is None:
        return "first stored version"
    added, removed = diff_counts(step.blocks)
    return f"+{added} -{removed} words since the version before"


def _title_lines(step: Step) -> list[tuple[str, str]]:
    new = one_line(step.version.title) or "(no title)"
    if step.previous is not None and step.previous.title != step.version.title:
        old = one_line(step.previous.title) or "(no title)"
        return [("Title", new), ("Title before", old)]
    return [("Title", new)]


HistoryItem = tuple[Entry, Sequence[Path], Sequence[Step]]


def history_text(items: Sequence[HistoryItem], width: int = 80) -> str:
    """Word diff, git style: [-removed-] {+added+}; unchanged paragraphs folded."""
    out: list[str] = []
    for entry, seeds, steps in items:
        out += [
            one_line(entry.url),
            f"Seeds: {', '.join(one_line(s) for s in seeds)}",
            plural(len(steps), "version"),
            "",
        ]
        for n, step in enumerate(steps, 1):
            head = _version_head(step, n, len(steps))
            out += [head, "-" * min(cell_len(head), width)]
            out += [_wrap(f"{k}: {v}", width) for k, v in _title_lines(step)]
            out.append(_change_summary(step))
            for block in step.blocks or []:
                if isinstance(block, Fold):
                    out += ["", _folded(block.paragraphs)]
                    continue
                for para in _diff_paragraphs(block):
                    marked = " ".join(
                        w if t == "=" else f"[-{w}-]" if t == "-" else f"{{+{w}+}}" for t, w in para
                    )
                    out += ["", _wrap(marked, width)]
            out.append("")
    return "\n".join(out)


def history_markdown(items: Sequence[HistoryItem]) -> str:
    """Removed words as ~~strikethrough~~, added words in **bold**."""
    out: list[str] = []
    for entry, seeds, steps in items:
        out += [
            f"# {md_escape(one_line(entry.url))}",
            "",
            f"- **Seeds:** {md_escape(', '.join(one_line(s) for s in seeds))}",
            f"- **Versions:** {len(steps)}",
            "",
        ]
        for n, step in enumerate(steps, 1):
            out += [f"## {md_escape(_version_head(step, n, len(steps)))}", ""]
            out += [f"- **{k}:** {md_escape(v)}" for k, v in _title_lines(step)]
            out += [f"- {md_escape(_change_summary(step))}", ""]
            for block in step.blocks or []:
                if isinstance(block, Fold):
                    out += [f"*{md_escape(_folded(block.paragraphs))}*", ""]
                    continue
                for para in _diff_paragraphs(block):
                    marked = " ".join(
                        md_escape(w)
                        if t == "="
                        else f"~~{md_escape(w)}~~"
                        if t == "-"
                        else f"**{md_escape(w)}**"
                        for t, w in para
                    )
                    out += [marked, ""]
    return "\n".join(out)


def history_rich(items: Sequence[HistoryItem]) -> Group:
    parts: list[RenderableType] = []
    for entry, seeds, steps in items:
        parts.append(Rule(Text(one_line(entry.url), style="bold"), style="blue"))
        parts.append(
            Text(
                f"Seeds: {', '.join(one_line(s) for s in seeds)} · {plural(len(steps), 'version')}",
                style="dim",
            )
        )
        for n, step in enumerate(steps, 1):
            parts.append(Text(""))
            parts.append(Text(_version_head(step, n, len(steps)), style="bold"))
            for k, v in _title_lines(step):
                parts.append(Text.assemble((f"{k}: ", "dim"), v))
            parts.append(Text(_change_summary(step), style="dim"))
            for block in step.blocks or []:
                parts.append(Text(""))
                if isinstance(block, Fold):
                    parts.append(Text(_folded(block.paragraphs), style="dim italic"))
                    continue
                for i, para in enumerate(_diff_paragraphs(block)):
                    if i:
                        parts.append(Text(""))
                    line = Text()
                    for j, (t, w) in enumerate(para):
                        if j:
                            line.append(" ")
                        style = "" if t == "=" else "red strike" if t == "-" else "bold green"
                        line.append(w, style=style)
                    parts.append(line)
        parts.append(Text(""))
    return Group(*parts)


# ---------------------------------------------------------------- writing out


def is_tty(console: Console) -> bool:
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(console.is_terminal and isatty is not None and isatty())
    except ValueError:
        return False


def should_page(console: Console, output: str, enabled: bool = True) -> bool:
    """Page only on a real terminal, and only when the output is taller than it."""
    return enabled and is_tty(console) and output.count("\n") > console.size.height


def pager_command(env: Mapping[str, str]) -> list[str] | None:
    """The pager to run: `$PAGER` (split as a shell would), else `less`; None
    for no pager (`PAGER=` or `PAGER=cat`, or a value that cannot be split)."""
    raw = env.get("PAGER", "less").strip()
    try:
        cmd = shlex.split(raw)
    except ValueError:
        return None
    if not cmd or os.path.basename(cmd[0]) == "cat":
        return None
    return cmd


def _less_raw_flag(flags: str) -> bool:
    """Whether less options (from $LESS or the command line) make it show
    colours: -R or -r, alone or in a cluster (-FRX, FRX), or the long forms."""
    for token in flags.split():
        if token.startswith("--"):
            if token.lower().startswith(("--raw-control-chars", "--raw-control")):
                return True
        elif "R" in token.lstrip("-") or "r" in token.lstrip("-"):
            return True
    return False


def pager_env(cmd: Sequence[str], env: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """The pager's environment and whether it shows colours. less shows them
    with -R: newsgrab sets `LESS=R` when $LESS is unset (as git does) and
    otherwise keeps the user's $LESS, colours only if it (or the command) has
    -R/-r. Any other pager gets plain text: newsgrab cannot know it shows them."""
    child = dict(env)
    if os.path.basename(cmd[0]) != "less":
        return child, False
    if "LESS" not in env:
        child["LESS"] = "R"
        return child, True
    return child, _less_raw_flag(env["LESS"] + " " + " ".join(cmd[1:]))


def page(output: str, color: bool) -> None:
    """Send `output` to the pager and wait for it; the user quitting it early
    is no error. Without a pager (none set, or it cannot start) the output is
    written to stdout."""
    import subprocess

    cmd = pager_command(os.environ)
    if cmd is None:
        _write_stdout(output)
        return
    env, _ = pager_env(cmd, os.environ)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, env=env)
    except OSError:
        _write_stdout(output)
        return
    assert proc.stdin is not None
    try:
        with proc.stdin:
            proc.stdin.write(output.encode("utf-8", "replace"))
    except BrokenPipeError:  # the user quit the pager before the end
        pass
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less ignores it)
            continue


def _write_stdout(output: str) -> None:
    sys.stdout.write(output)
    sys.stdout.flush()


def plain_render(console: Console, content: RenderableType) -> str:
    """A renderable drawn at the console's width with no escape codes at all."""
    plain = Console(
        file=io.StringIO(),
        width=console.width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
    )
    with plain.capture() as capture:
        plain.print(content)
    return capture.get()


def emit(console: Console, content: str | RenderableType, *, pager: bool = True) -> None:
    """Write a finished string (text, Markdown, JSON) or a rich renderable to the
    console's file, through a pager when `should_page`: with colours when the
    pager shows them (see `pager_env`), as plain text otherwise."""
    if isinstance(content, str):
        output = content if content.endswith("\n") else content + "\n"
    else:
        with console.capture() as capture:
            console.print(content)
        output = capture.get()
    if should_page(console, output, pager):
        cmd = pager_command(os.environ)
        color = False
        if cmd is not None and not isinstance(content, str):
            _, color = pager_env(cmd, os.environ)
            color = color and console.color_system is not None
            if not color:
                output = plain_render(console, content)
        page(output, color=color)
        return
    console.file.write(output)
    console.file.flush()


def emit_chunks(console: Console, chunks: Iterable[str], *, pager: bool = True) -> None:
    """`emit` for output made piece by piece: written as it comes (a few pieces
    at a time), so it is never held whole, unless it may go to a pager (a
    terminal), which needs the whole of it."""
    if pager and is_tty(console):
        emit(console, "".join(chunks), pager=pager)
        return
    buf: list[str] = []
    size = 0
    for chunk in chunks:
        buf.append(chunk)
        size += len(chunk)
        if size > 1 << 16:
            console.file.write("".join(buf))
            buf, size = [], 0
    console.file.write("".join(buf))
    console.file.flush()


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- fetch output
