"""Seed files and the URLs they cite.

    find_seed_files(paths, globs) -> [Path]        seed files, sorted, recursive
    find_citations(text, html=False) -> [Citation] each URL once, in citation order
    normalize_url(url) -> str | None               canonical form, None if not http(s)
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsgrab.errors import SeedError

SIDECAR_SUFFIX = ".sources.json"


@dataclasses.dataclass
class Place:
    line: int                 # 1-based line number in the seed
    label: str | None = None  # e.g. the title from a "Related article: <title>" line


@dataclasses.dataclass
class Citation:
    """One distinct URL of a seed, with every place that cites it (first one first)."""

    url: str
    places: list[Place]

    @property
    def line(self) -> int:
        return self.places[0].line

    @property
    def label(self) -> str | None:
        return self.places[0].label


def is_seed_name(name: str, globs: Iterable[str]) -> bool:
    if name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or ".corrupt-" in name:
        return False
    return any(fnmatch.fnmatch(name.lower(), g.lower()) for g in globs)


def find_seed_files(paths: Iterable[str | Path], globs: Iterable[str]) -> list[Path]:
    globs = tuple(globs)
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SeedError(f"{path}: no such file or folder")
        if path.is_file():
            found[path] = None
            continue
        for child in sorted(path.rglob("*")):
            rel = child.relative_to(path).parts
            if any(part.startswith(".") for part in rel):
                continue
            if child.is_file() and is_seed_name(child.name, globs):
                found[child] = None
    return list(found)


TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_ga|igshid)$",
                      re.I)
_URL = re.compile(r"https?://[^\s<>\"'\u201c\u201d\u2018\u2019]+", re.I)


def normalize_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    netloc = host
    if parts.username:
        netloc = parts.username + (f":{parts.password}" if parts.password else "") + "@" + host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc += f":{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _trim(url: str) -> str:
    while url and url[-1] in ".,;:!?)]}'\"":
        if url[-1] in ")]}":
            opener = {")": "(", "]": "[", "}": "{"}[url[-1]]
            if url.count(opener) >= url.count(url[-1]):
                break
        url = url[:-1]
    return url


def find_citations(text: str, html: bool = False) -> list[Citation]:
    seen: dict[str, Citation] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        for m in _URL.finditer(line):
            url = normalize_url(_trim(m.group(0)))
            if not url:
                continue
            label = None
            if number > 1:
                prev = lines[number - 2].strip()
                lm = re.match(r"^(?:related|see also|read more)[^:]*:\s*(.+)$", prev, re.I)
                if lm:
                    label = lm.group(1).strip()
            if url in seen:
                seen[url].places.append(Place(number, label))
            else:
                seen[url] = Citation(url, [Place(number, label)])
    return list(seen.values())


def read_seed(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return data.decode("utf-8", errors="replace")
