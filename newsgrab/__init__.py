"""newsgrab: keep the web sources of a local document collection alive.

The Python API (README "Python API"):

    extract(html, url=None, content_type=None) -> Article
    fetch_articles(urls, settings=None) -> list[Result]
    await fetch_articles_async(urls, settings=None) -> list[Result]
    read_collection(paths=".") -> Collection (of Source)

`import newsgrab` is cheap: it loads neither httpx, bs4 nor rich. Each name
above is imported on first use (module `__getattr__`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/newsgrab/newsgrab"
# Where bugs are reported: every "internal error" message names it.
ISSUES_URL = f"{PROJECT_URL}/issues"
USER_AGENT = f"newsgrab/{__version__} (+{PROJECT_URL})"

if TYPE_CHECKING:
    from newsgrab.api import (
        Collection,
        Result,
        Source,
        fetch_articles,
        fetch_articles_async,
        read_collection,
    )
    from newsgrab.config import Settings, load_settings
    from newsgrab.errors import FetchError, NewsgrabError, StoreError
    from newsgrab.extract import extract
    from newsgrab.extract.article import Article

# public name -> the module that defines it
_LAZY = {
    "Article": "newsgrab.extract.article",
    "extract": "newsgrab.extract",
    "Collection": "newsgrab.api",
    "Result": "newsgrab.api",
    "Source": "newsgrab.api",
    "fetch_articles": "newsgrab.api",
    "fetch_articles_async": "newsgrab.api",
    "read_collection": "newsgrab.api",
    "Settings": "newsgrab.config",
    "load_settings": "newsgrab.config",
    "FetchError": "newsgrab.errors",
    "NewsgrabError": "newsgrab.errors",
    "StoreError": "newsgrab.errors",
}

__all__ = [
    "ISSUES_URL",
    "PROJECT_URL",
    "USER_AGENT",
    "Article",
    "Collection",
    "FetchError",
    "NewsgrabError",
    "Result",
    "Settings",
    "Source",
    "StoreError",
    "__version__",
    "extract",
    "fetch_articles",
    "fetch_articles_async",
    "load_settings",
    "read_collection",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'newsgrab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """`newsgrab.extract` is both the extractor function and the subpackage that
    defines it. Importing a subpackage sets it as an attribute of its parent
    (`setattr(newsgrab, "extract", <module>)`), which would shadow the function
    for `newsgrab.extract(...)` and `from newsgrab import extract`. The function
    is kept instead; `from newsgrab.extract import ...` and `sys.modules` are
    unaffected, but `import newsgrab.extract.body as body` (which walks the
    attributes) reaches the function: write `from newsgrab.extract import body`."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "extract" and isinstance(value, types.ModuleType):
            value = getattr(value, "extract", value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
