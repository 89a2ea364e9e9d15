"""Plain text out, without rich: the sanitizer that every printed string goes
through, and the fetch command's one-line output (so that `newsgrab fetch` from
cron imports nothing it does not print with).

`sanitize` makes a string from the web or a sidecar safe on any terminal:

- escape sequences are removed whole: CSI (`ESC [`, or C1 0x9B), OSC (`ESC ]`,
  0x9D: window titles, OSC 8 hyperlinks, OSC 52 clipboard), DCS, SOS, PM, APC
  and every other `ESC x` sequence;
- C0 controls other than newline and tab, DEL and C1 controls (0x80-0x9F) are
  removed; CR, CR LF, VT, FF and U+2028/U+2029 become a newline;
- bidi embeddings, overrides, isolates and marks, zero-width characters
  (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E), Unicode tag characters and
  interlinear annotation characters are removed;
- lone surrogates (which cannot be encoded) become U+FFFD.
"""

from __future__ import annotations

import json
import re
from collections import Counter

FORMATS = ("rich", "text", "markdown", "json", "jsonl")

# ---------------------------------------------------------------- sanitizing

_ESCAPES = re.compile(
    # CSI: ESC [ or C1 CSI, parameter bytes, intermediate bytes, final byte
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]"
    # OSC, DCS, SOS, PM, APC (7-bit or C1 introducer) up to BEL or ST
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)"
    # any other escape sequence: intermediates, then a final byte
    "|\x1b[ -/]*[0-~]"
)
_NEWLINES = re.compile("\r\n?|[\x0b\x0c\u2028\u2029]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_DROP_RANGES = (
    (0x00, 0x08),
    (0x0B, 0x1F),
    (0x7F, 0x9F),  # C0 (not \t \n), DEL, C1
    (0x061C, 0x061C),
    (0x200E, 0x200F),  # bidi marks
    (0x202A, 0x202E),
    (0x2066, 0x2069),  # bidi embeddings, overrides, isolates
    (0x200B, 0x200D),
    (0x2060, 0x2064),
    (0xFEFF, 0xFEFF),
    (0x180E, 0x180E),  # zero width
    (0xFFF9, 0xFFFB),
    (0xE0000, 0xE007F),  # interlinear annotations, tags
)
_DROP = {cp: None for lo, hi in _DROP_RANGES for cp in range(lo, hi + 1)}


def sanitize(text: object) -> str:
    """Make a string from the web or a sidecar safe to print on any terminal."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    s = _SURROGATES.sub("\ufffd", s)
    s = _ESCAPES.sub("", s)
    s = _NEWLINES.sub("\n", s)
    return s.translate(_DROP)


def one_line(text: object) -> str:
    """`sanitize`, then all whitespace runs (newlines, tabs) as one space."""
    return " ".join(sanitize(text).split())


# What `sanitize` would change, as a character class: every C0 control but tab
# and newline, DEL, C1, the line-breaking and invisible characters it drops or
# replaces, and surrogates.
_UNSAFE = re.compile(
    "["
    + "".join(
        f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in (*_DROP_RANGES, (0x2028, 0x2029), (0xD800, 0xDFFF))
    )
    + "]"
)


def _u_escape(m: re.Match[str]) -> str:
    cp = ord(m.group())
    if cp > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
    return f"\\u{cp:04x}"


def json_text(value: object, *, indent: int | None = None) -> str:
    """`value` as JSON that is safe on any terminal and exact: UTF-8 text stays
    readable, and every character `sanitize` would remove (controls, ESC, C1,
    bidi overrides, zero-width characters, U+2028/U+2029, lone surrogates) is
    written as a `\\uXXXX` escape, so a JSON reader gets the very same string."""
    return _UNSAFE.sub(_u_escape, json.dumps(value, ensure_ascii=False, indent=indent))


# ---------------------------------------------------------------- fetch output


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 seed`, `2 seeds`; `many` when adding an s is not the plural."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# How the summary names each change (model.CHANGES), in its order.
CHANGE_WORDS = {
    "new": "new",
    "changed": "changed",
    "unchanged": "unchanged",
    "recovered": "recovered",
    "archived": "from the archive",
    "newly_failing": "newly failing",
    "still_failing": "still failing",
    "fresh": "fresh (not refetched)",
}


def summary_line(report) -> str:
    """One line for the end of a fetch. Everything is counted in URLs (a URL
    cited by several seeds counts once): what changed, then the statuses."""
    changes = report.change_counts
    statuses: dict[str, str] = {}
    for src in report.sources:
        statuses[src["url"]] = src["status"]
    what = ", ".join(f"{changes[c]} {w}" for c, w in CHANGE_WORDS.items() if changes.get(c))
    states = ", ".join(f"{n} {name}" for name, n in sorted(Counter(statuses.values()).items()))
    parts = [f"{plural(report.seeds, 'seed')}, {plural(report.urls, 'URL')}"]
    if what:
        parts[0] += f" ({what})"
    if states:
        parts[0] += f": {states}"
    parts.append(f"{plural(report.written, 'sidecar')} written")
    if report.store_errors:
        parts.append(plural(len(report.store_errors), "sidecar error"))
    return sanitize(f"newsgrab: {'; '.join(parts)} in {report.duration:.1f}s")


def change_line(source: dict) -> str:
    """A source whose state changed (`fetch --quiet`): change, URL, seed."""
    return sanitize(
        f"{CHANGE_WORDS.get(source['change'], source['change'])}\t{source['url']}"
        f"\t({source['seed']})"
    )


def failure_line(source: dict) -> str:
    error = source.get("error") or {}
    return sanitize(
        f"{source['status']}\t{source['url']}\t{error.get('kind', '')}: "
        f"{error.get('message', '')}\t({source['seed']})"
    )
