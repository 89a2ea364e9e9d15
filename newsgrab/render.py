"""Output: tables, article blocks, revision diffs and JSON, safe in any terminal.

Only cli.py, plain.py and this module write to the terminal. Every string that
came from the web or from a sidecar passes through `sanitize` (plain.py, where
its rules are listed) before it is printed, in every format (rich, text,
Markdown, JSON), on a terminal or a pipe.

rich output is built from `rich.text.Text` objects only, so data is never read
as console markup (`[bold]`, `[link=...]`) or emoji codes (`:warning:`).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Sequence
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
    one_line,
    sanitize,
    sanitize_data,
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
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- the table

TABLE_COLUMNS = ("status", "published", "checked", "words", "site", "seed", "title")
_TEXT_CAPS = {"site": 24, "seed": 28}


def _row(entry: Entry, now: datetime) -> dict[str, str]:
    return {
        "status": one_line(entry.status),
        "published": _date(entry.article.published_at),
        "checked": age(entry.checked, now),
        "words": _words(entry),
        "site": one_line(entry.site),
        "seed": one_line(entry.seed.name),
        "title": one_line(entry.title or entry.url),
    }


def table_rich(entries: Sequence[Entry], counts: dict[str, int], now: datetime) -> Group:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False)
    table.add_column(Text("status"), no_wrap=True)
    table.add_column(Text("title"), ratio=3, overflow="fold")
    table.add_column(Text("site"), ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column(Text("published"), no_wrap=True)
    table.add_column(Text("checked"), no_wrap=True, justify="right")
    table.add_column(Text("words"), no_wrap=True, justify="right")
    table.add_column(Text("seed"), overflow="fold")
    for e in entries:
        r = _row(e, now)
        table.add_row(
            Text(r["status"], style=STATUS_STYLES.get(e.status, "")),
            Text(r["title"], style="bold" if e.title else "dim"),
            Text(r["site"]),
            Text(r["published"]),
            Text(r["checked"]),
            Text(r["words"]),
            Text(r["seed"], style="dim"),
        )
    footer = Text(counts_line(counts), style="dim")
    return Group(table, footer)


def table_text(entries: Sequence[Entry], counts: dict[str, int], now: datetime) -> str:
    """Aligned columns, a header line, the title last (never cut), a counts line."""
    rows = [_row(e, now) for e in entries]
    widths = {c: max([len(c)] + [cell_len(r[c]) for r in rows]) for c in TABLE_COLUMNS[:-1]}
    for col, cap in _TEXT_CAPS.items():
        widths[col] = min(widths[col], cap)
    lines = []
    for r in [{c: c.upper() for c in TABLE_COLUMNS}, *rows]:
        cells = []
        for c in TABLE_COLUMNS[:-1]:
            cells.append(r[c].rjust(widths[c]) if c == "words" else _fit(r[c], widths[c]))
        lines.append("  ".join(cells + [r["title"]]).rstrip())
    lines.append(counts_line(counts))
    return "\n".join(lines) + "\n"


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
    head = ("status", "title", "site", "published", "checked", "words", "seed")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
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
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", md_escape(counts_line(counts))]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- article blocks


def _meta(entry: Entry, now: datetime, seeds: Sequence[Path] = ()) -> list[tuple[str, str]]:
    """The metadata lines of an article block, as (label, sanitized value)."""
    a = entry.article
    out: list[tuple[str, str]] = []
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
        details.append(_plural(entry.words, "word"))
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


def _body(entry: Entry, full: bool) -> tuple[list[str], int]:
    """The paragraphs to show (sanitized) and how many were left out."""
    paras = [sanitize(p) for p in paragraphs(entry.article.text)]
    if full or len(paras) <= PREVIEW_PARAGRAPHS:
        return paras, 0
    return paras[:PREVIEW_PARAGRAPHS], len(paras) - PREVIEW_PARAGRAPHS


def _more(n: int) -> str:
    return f"[… {_plural(n, 'more paragraph')}; --full shows the whole text]"


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
    stored source with `seed` and `sidecar` in front, every string sanitized."""
    objects = [sanitize_data(e.to_dict()) for e in entries]
    if lines:
        return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    return json.dumps(objects, ensure_ascii=False, indent=2) + "\n"


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
    objects = [sanitize_data(history_object(*item)) for item in items]
    if lines:
        return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    return json.dumps(objects, ensure_ascii=False, indent=2) + "\n"


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
    return f"[… {_plural(n, 'unchanged paragraph')} …]"


def _version_head(step: Step, number: int, total: int) -> str:
    v = step.version
    parts = [f"Version {number} of {total}"]
    if v.current:
        parts.append("current")
    parts.append(f"fetched {one_line(v.fetched_at) or 'at an unknown time'}")
    if v.content_sha256:
        parts.append(f"sha256 {one_line(v.content_sha256)[:12]}")
    parts.append(_plural(v.words, "word"))
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
            _plural(len(steps), "version"),
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
                f"Seeds: {', '.join(one_line(s) for s in seeds)} · "
                f"{_plural(len(steps), 'version')}",
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


def _is_tty(console: Console) -> bool:
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(console.is_terminal and isatty is not None and isatty())
    except ValueError:
        return False


def should_page(console: Console, output: str, enabled: bool = True) -> bool:
    """Page only on a real terminal, and only when the output is taller than it."""
    return enabled and _is_tty(console) and output.count("\n") > console.size.height


def page(output: str, color: bool) -> None:
    import click

    click.echo_via_pager(output, color=color)


def emit(console: Console, content: str | RenderableType, *, pager: bool = True) -> None:
    """Write a finished string (text, Markdown, JSON) or a rich renderable to the
    console's file, through a pager when `should_page`."""
    if isinstance(content, str):
        output = content if content.endswith("\n") else content + "\n"
    else:
        with console.capture() as capture:
            console.print(content)
        output = capture.get()
    if should_page(console, output, pager):
        page(output, color=console.is_terminal and not isinstance(content, str))
        return
    console.file.write(output)
    console.file.flush()


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- fetch output
