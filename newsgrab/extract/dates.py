"""Date strings from pages -> ISO 8601, keeping the page's precision and offset."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        (
            "january jan janv januar enero ene janeiro gennaio januari",
            "february feb febr fev fevrier februar febrero febreiro fevereiro febbraio februari",
            "march mar mars marz maerz marzo marco",
            "april apr avr avril abril abr aprile",
            "may mai mayo maio maggio mei",
            "june jun juin juni junio junho giugno",
            "july jul juil juillet juli julio julho luglio",
            "august aug aout agosto ago augustus",
            "september sep sept septembre settembre setembro septiembre set",
            "october oct octobre oktober okt octubre outubro ottobre",
            "november nov novembre noviembre novembro",
            "december dec decembre dezember dez diciembre dic dezembro dicembre",
        )
    )
    for name in names.split()
}
_MONTH_RE = r"([A-Za-zéûäçô]{3,10})\.?"
_TIME_RE = r"(?:[,\s]+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?"
# Nov. 3, 2026 / November 3rd, 2026 10:30 am
_MDY = re.compile(r"\b" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b" + _TIME_RE)
# 3 November 2026 / 3. November 2026
_DMY = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:de\s+)?" + _MONTH_RE + r"\s+(?:de\s+)?(\d{4})\b"
)
_NUMERIC = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_DMY_NUM = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?"
)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|$)"
)


def _valid(y: int, m: int, d: int) -> bool:
    if not 1990 <= y <= 2100:
        return False
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _iso_string(value: str) -> str | None:
    m = _ISO.match(value)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not _valid(y, mo, d):
        return None
    if m.group(4) is None:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    out = f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}"
    tz = m.group(7)
    if tz:
        if tz == "Z":
            out += "Z"
        else:
            digits = tz[1:].replace(":", "")
            if len(digits) == 2:
                digits += "00"
            out += f"{tz[0]}{digits[:2]}:{digits[2:4]}"
    return out


def _hour(h: str, ampm: str | None) -> int:
    hour = int(h)
    if ampm:
        pm = ampm[0].lower() == "p"
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    return hour


def parse_date(value: str | None) -> str | None:
    """One date string in any common form -> ISO 8601 or None."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 200:
        return None
    iso = _iso_string(value)
    if iso:
        return iso
    if value[:3].isalpha() or "," in value[:5]:
        try:  # RFC 2822: "Tue, 03 Nov 2026 10:00:00 +0100"
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None and _valid(parsed.year, parsed.month, parsed.day):
            out = parsed.isoformat()
            return out[:-6] + "Z" if out.endswith("+00:00") and "GMT" in value else out
    m = _MDY.search(value)
    if m:
        month = _MONTHS.get(m.group(1).lower())
        y, d = int(m.group(3)), int(m.group(2))
        if month and _valid(y, month, d):
            if m.group(4):
                hour = _hour(m.group(4), m.group(7))
                if hour < 24 and int(m.group(5)) < 60:
                    return f"{y:04d}-{month:02d}-{d:02d}T{hour:02d}:{int(m.group(5)):02d}:" + (
                        f"{int(m.group(6) or 0):02d}"
                    )
            return f"{y:04d}-{month:02d}-{d:02d}"
    m = _DMY.search(value)
    if m:
        month = _MONTHS.get(m.group(2).lower())
        y, d = int(m.group(3)), int(m.group(1))
        if month and _valid(y, month, d):
            return f"{y:04d}-{month:02d}-{d:02d}"
    m = _NUMERIC.search(value)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(y, mo, d):
            return f"{y:04d}-{mo:02d}-{d:02d}"
    m = _DMY_NUM.search(value)
    if m:
        y, mo, d = int(m.group(3)), int(m.group(2)), int(m.group(1))
        if _valid(y, mo, d):
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def date_from_url(url: str | None) -> str | None:
    if not url:
        return None
    m = _URL_DATE.search(url)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None
