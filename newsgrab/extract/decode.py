"""Bytes -> text: header charset, BOM, <meta> declaration, then detection."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")

# WHATWG: these labels mean a superset in browsers, and pages rely on it
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}


def _lookup(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    if label in ("x-user-defined",):
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return _lookup(value)
    return None


def decode(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name used)."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(enc, errors="replace"), enc
    candidates: list[str] = []
    header = charset_from_content_type(content_type)
    if header:
        candidates.append(header)
    head = raw[:4096]
    m = _XML_DECL.match(head) or _META.search(head)
    if m:
        declared = _lookup(m.group(1))
        # a page served as bytes cannot really be UTF-16 when its <meta> is readable ASCII
        if declared and not declared.startswith("utf-16") and declared not in candidates:
            candidates.append(declared)
    for enc in candidates:
        try:
            return raw.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if candidates:  # declared but not clean: trust the declaration anyway
        return raw.decode(candidates[0], errors="replace"), candidates[0]
    detected = _detect(raw)
    return raw.decode(detected, errors="replace"), detected


def _detect(raw: bytes) -> str:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return "cp1252"
    best = from_bytes(raw[:65536]).best()
    if best is None:
        return "cp1252"
    return _lookup(best.encoding) or "cp1252"
