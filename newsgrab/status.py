"""A source's status (model.Status), in a module of its own: errors.py needs it,
and a run with nothing to do should not import msgspec for it."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What a source's last fetch led to."""

    OK = "ok"  # fetched and extracted
    ERROR = "error"  # transient failure; the last good article is kept
    GONE = "gone"  # 404/410; the last good article is kept
    BLOCKED = "blocked"  # robots.txt or a private address refused
    UNSUPPORTED = "unsupported"  # not HTML
    PENDING = "pending"  # never fetched yet

    @property
    def rank(self) -> int:
        """Problems first, then what is waiting, then what is fine (`--sort status`)."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(("error", "gone", "blocked", "unsupported", "pending", "ok"))}
