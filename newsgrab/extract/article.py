"""The Article: what the extractor returns and what a sidecar stores."""

from __future__ import annotations

import dataclasses
import hashlib

from newsgrab import __version__

EXTRACTOR = f"newsgrab {__version__}"


@dataclasses.dataclass
class Article:
    """One extracted article. `text` is the body only (no headline, no byline):
    paragraphs separated by a blank line, whitespace normalized, Unicode NFC."""

    title: str | None = None
    authors: list[str] = dataclasses.field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    free_access: bool | None = None
    text: str = ""
    # the character encoding the page was decoded with (recorded under "fetch")
    encoding: str | None = dataclasses.field(default=None, compare=False)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        """The sidecar's `article` object."""
        d = {name: getattr(self, name) for name in _STORED}
        d["authors"], d["tags"] = list(self.authors), list(self.tags)
        d["word_count"] = self.word_count
        d["content_sha256"] = self.content_sha256
        d["extractor"] = EXTRACTOR
        return d


# the fields a sidecar stores, in order (a shallow copy: dataclasses.asdict recurses)
_STORED = [f.name for f in dataclasses.fields(Article) if f.name != "encoding"]
