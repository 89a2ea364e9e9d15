"""newsgrab uses httpx, httpcore, h11 and bs4 through their public APIs only.

An underscore name of theirs may vanish or change meaning in any patch release
(httpcore was rewriting the very pool method newsgrab once overrode). ruff's
SLF001 catches `obj._attr` on other objects, but not a subclass that overrides
or reads its base class's underscore members, nor a private module imported or
named in a string; this scan of newsgrab/**/*.py does:

- importing an underscore module or name (`from httpx._models import ...`,
  `import httpcore._async`, `from httpcore import _private`);
- reaching one through a module or imported name (`httpx._main`,
  `httpcore.AsyncConnectionPool._assign_requests_to_connections`,
  `getattr(httpx, "_x")`), or naming one in a string (`sys.modules["httpx._main"]`);
- in a class with a base from those packages: defining, reading or writing a
  `self._name` (or `super()._name`) that the real base class has, as a class
  attribute (`dir()`) or an instance attribute its own code assigns.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

DEPENDENCIES = ("httpx", "httpcore", "h11", "bs4")
ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "newsgrab").rglob("*.py"))
PRIVATE_PATH = re.compile(r"^(?:" + "|".join(DEPENDENCIES) + r")(?:\.\w+)*\._[A-Za-z0-9]\w*")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dependency(dotted: str) -> bool:
    return dotted.split(".")[0] in DEPENDENCIES


def _resolve(dotted: str):
    """The object a dotted dependency path names (None when it cannot be found)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _private_members(cls: type) -> set[str]:
    """Underscore names a dependency class has: on the class (dir) and assigned to
    `self` by the code of every dependency class in its MRO."""
    names = {n for n in dir(cls) if _is_private(n)}
    for klass in cls.__mro__:
        if not _dependency(klass.__module__):
            continue
        # (the file of its methods: httpx sets __module__ to "httpx" on its classes)
        files = set()
        for member in vars(klass).values():
            code = getattr(getattr(member, "__func__", member), "__code__", None)
            if code is not None:
                files.add(code.co_filename)
        for file in files:
            tree = ast.parse(Path(file).read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == klass.__name__:
                    for sub in ast.walk(node):
                        if (
                            isinstance(sub, ast.Attribute)
                            and isinstance(sub.value, ast.Name)
                            and sub.value.id == "self"
                            and _is_private(sub.attr)
                        ):
                            names.add(sub.attr)
    return names


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """`a.b.c` as the dependency path it denotes, when `a` is an imported dependency."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def private_uses(source: str) -> list[str]:
    """Each use of a dependency's underscore name in `source`, as 'line: what'."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> dependency path

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _dependency(a.name):
                    if any(_is_private(p) for p in a.name.split(".")):
                        report(node, f"imports {a.name}")
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        root = a.name.split(".")[0]
                        aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and _dependency(node.module):
            if node.level:
                continue  # (a relative import is newsgrab's own)
            if any(_is_private(p) for p in node.module.split(".")):
                report(node, f"imports from {node.module}")
            for a in node.names:
                if _is_private(a.name):
                    report(node, f"imports {node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            path = _dotted(node, aliases)
            if path is not None and _is_private(node.attr):
                report(node, f"uses {path}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if PRIVATE_PATH.match(node.value):
                report(node, f"names {node.value!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            path = _dotted(node.args[0], aliases)
            if path is not None:
                report(node, f"uses {path}.{node.args[1].value}")
        elif isinstance(node, ast.ClassDef):
            found.extend(_subclass_uses(node, aliases))
    return found


def _subclass_uses(cls: ast.ClassDef, aliases: dict[str, str]) -> list[str]:
    private: set[str] = set()
    bases = []
    for base in cls.bases:
        path = _dotted(base, aliases) if isinstance(base, ast.Attribute) else None
        if isinstance(base, ast.Name) and base.id in aliases:
            path = aliases[base.id]
        if path is None:
            continue
        real = _resolve(path)
        if isinstance(real, type):
            private |= _private_members(real)
            bases.append(path)
    if not private:
        return []
    found = []
    where = f"{cls.name}({', '.join(bases)})"
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in private:
            found.append(f"{node.lineno}: {where} overrides {node.name}")
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign) and node in cls.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in private:
                    found.append(f"{node.lineno}: {where} redefines {t.id}")
        if isinstance(node, ast.Attribute) and node.attr in private:
            value = node.value
            on_self = isinstance(value, ast.Name) and value.id in ("self", "cls")
            on_super = (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "super"
            )
            if on_self or on_super:
                found.append(f"{node.lineno}: {where} uses its base's {node.attr}")
    return found


# -------------------------------------------------------------- the scan

# Files known to break the rule until another branch lands (the merger removes
# the entry with the fix): none at present. An entry here is a strict xfail, so
# the test fails as soon as the file is clean and the entry is left behind.
KNOWN: set[str] = set()


def _case(path: Path):
    rel = path.relative_to(ROOT).as_posix()
    marks = [pytest.mark.xfail(strict=True, reason="known; fixed on another branch")]
    return pytest.param(path, id=rel, marks=marks if rel in KNOWN else ())


@pytest.mark.parametrize("path", [_case(p) for p in SOURCES])
def test_no_private_name_of_a_dependency_is_used(path):
    assert private_uses(path.read_text(encoding="utf-8")) == []


def test_every_source_file_is_scanned():
    assert {p.relative_to(ROOT).as_posix() for p in SOURCES} >= {
        "newsgrab/fetch.py",
        "newsgrab/cli.py",
        "newsgrab/extract/body.py",
    }
    assert not KNOWN - {p.relative_to(ROOT).as_posix() for p in SOURCES}


# ------------------------------------------------ the scan can fail

CAUGHT = {
    "private module imported": "from httpx._models import Response\n",
    "private module imported whole": "import httpcore._async.connection_pool\n",
    "private name imported": "from h11 import _util\n",
    "module attribute": "import httpx\nhttpx._main\n",
    "attribute of an imported name": (
        "from httpcore import AsyncConnectionPool\n"
        "AsyncConnectionPool._assign_requests_to_connections\n"
    ),
    "getattr with a private name": "import httpx\ngetattr(httpx, '_main')\n",
    "module named in a string": "import sys\nsys.modules['httpx._main'] = None\n",
    "private method overridden": (
        "import httpcore\n"
        "class Pool(httpcore.AsyncConnectionPool):\n"
        "    def _assign_requests_to_connections(self):\n"
        "        return []\n"
    ),
    "private instance attribute read": (
        "import httpcore\n"
        "class Pool(httpcore.AsyncConnectionPool):\n"
        "    def count(self):\n"
        "        return len(self._connections)\n"
    ),
    "private attribute replaced": (
        "import httpx\n"
        "class Transport(httpx.AsyncHTTPTransport):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self._pool = None\n"
    ),
    "private attribute through super()": (
        "from bs4.builder import LXMLTreeBuilder\n"
        "class Builder(LXMLTreeBuilder):\n"
        "    def feed(self, markup):\n"
        "        return super()._getNsTag(markup)\n"
    ),
}

ALLOWED = {
    "own underscore members of a subclass": (
        "import httpcore\n"
        "class Stream(httpcore.AsyncNetworkStream):\n"
        "    def __init__(self, inner):\n"
        "        self._inner = inner\n"
        "    def _own(self):\n"
        "        return self._inner\n"
    ),
    "public API and dunders": (
        "import h11, httpx\n"
        "from httpcore import AsyncConnectionPool\n"
        "h11.Connection(h11.CLIENT).trailing_data\n"
        "httpx.__version__\n"
        "AsyncConnectionPool(max_connections=2).connections\n"
    ),
    "other packages' underscore names": "import os\nos._exit\nx = '_private'\n",
}


@pytest.mark.parametrize("source", CAUGHT.values(), ids=CAUGHT.keys())
def test_the_scan_catches(source):
    assert private_uses(source)


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_scan_allows(source):
    assert private_uses(source) == []
