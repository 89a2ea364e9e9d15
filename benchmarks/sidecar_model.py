"""Benchmark: which library should hold the sidecar model (newsgrab/model.py)?

The same sidecar model written three ways, loaded (parsed and validated into
typed objects) and dumped (serialized back to indented UTF-8 JSON):

- `dataclasses`: the standard library's json plus plain dataclasses, with a
  small validator walking the type hints (no dependency);
- `msgspec`: msgspec.Struct classes, decoded and encoded by msgspec.json;
- `pydantic`: pydantic v2 BaseModel classes (model_validate_json/model_dump_json).

Two collections of 50,000 sources each (about 2 KB of article text per source,
with fetch facts, a citation and, for every fifth, a revision):

- `5000x10`: 5,000 sidecars of 10 sources (what `show` reads, one file at a time);
- `1x50000`: one sidecar of 50,000 sources.

Each (candidate, collection) runs in its own process so peak memory is its own:
the inputs are built first (by the parent, into a temporary folder) and read as
bytes, then every sidecar is loaded and kept (as `show` keeps them), then every
one is dumped. Printed: load and dump wall time (best of --repeat), and the
peak RSS those two steps added on top of the input bytes.

    .venv/bin/python benchmarks/sidecar_model.py [--repeat 3] [--only msgspec]

Candidates that are not installed are reported and skipped; install them into
the virtual environment for the measurement (`pip install msgspec pydantic`).
"""

import argparse
import dataclasses
import enum
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
import typing
from pathlib import Path
from typing import Any

CANDIDATES = ("dataclasses", "msgspec", "pydantic")
COLLECTIONS = {"5000x10": (5000, 10), "1x50000": (1, 50000)}

WORDS = (  # noqa: SIM905 (reads as prose)
    "the harbour council said on tuesday that ferries would resume service after "
    "repairs to the pier were finished and inspected by engineers from the port "
    "authority while local shops reported fewer visitors than in any winter since "
    "records began según el ayuntamiento für die Stadtverwaltung"
).split()


def _text(rng: random.Random, size: int = 2000) -> str:
    paras, total = [], 0
    while total < size:
        p = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 60))).capitalize() + "."
        paras.append(p)
        total += len(p) + 2
    return "\n\n".join(paras)


def _source(rng: random.Random, i: int) -> dict:
    text = _text(rng)
    sha = hashlib.sha256(text.encode()).hexdigest()
    when = f"2026-11-{1 + i % 28:02}T{i % 24:02}:{i % 60:02}:00Z"
    revisions = []
    if i % 5 == 0:
        old = _text(rng, 1500)
        revisions.append(
            {
                "fetched_at": "2026-10-01T00:00:00Z",
                "content_sha256": hashlib.sha256(old.encode()).hexdigest(),
                "title": f"Story {i} (earlier)",
                "text": old,
            }
        )
    failed = i % 17 == 0
    return {
        "url": f"https://news{i % 50}.example.com/2026/11/story-{i}",
        "cited": [{"line": 1 + i % 40, "label": None if i % 3 else f"Label {i}"}],
        "status": "error" if failed else "ok",
        "fetch": {
            "final_url": f"https://news{i % 50}.example.com/2026/11/story-{i}",
            "http_status": 200,
            "content_type": "text/html",
            "charset": "utf-8",
            "etag": f'"{sha[:16]}"',
            "last_modified": "Tue, 24 Nov 2026 10:00:00 GMT",
            "redirects": [{"url": f"http://news{i % 50}.example.com/s/{i}", "status": 301}]
            if i % 4 == 0
            else [],
            "fetched_at": when,
            "checked_at": when,
            "attempts": 1,
            "consecutive_failures": 1 if failed else 0,
            "archived_from": None,
        },
        "error": {
            "kind": "timeout",
            "message": "no answer in 10 s",
            "http_status": None,
            "at": when,
        }
        if failed
        else None,
        "article": {
            "title": f"Story number {i} about the harbour",
            "authors": ["A. Reporter", "B. Editor"],
            "published_at": "2026-11-20T08:00:00+01:00",
            "modified_at": None,
            "language": "en",
            "site_name": f"News {i % 50}",
            "description": "What the council decided about the ferries.",
            "image": f"https://news{i % 50}.example.com/img/{i}.jpg",
            "canonical_url": f"https://news{i % 50}.example.com/2026/11/story-{i}",
            "tags": ["harbour", "ferries"],
            "free_access": True,
            "text": text,
            "word_count": len(text.split()),
            "content_sha256": sha,
            "extractor": "newsgrab 0.1.0",
        },
        "revisions": revisions,
    }


def build_inputs(files: int, per_file: int) -> list[bytes]:
    rng = random.Random(1)
    out, n = [], 0
    for f in range(files):
        sources = [_source(rng, n + k) for k in range(per_file)]
        n += per_file
        doc = {
            "schema_version": 1,
            "generator": "newsgrab 0.1.0",
            "seed": {"path": f"seed{f}.md", "sha256": "0" * 64},
            "updated_at": "2026-11-25T10:00:00Z",
            "sources": sources,
        }
        out.append((json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode())
    return out


# ------------------------------------------------------------------ dataclasses


class Status(enum.StrEnum):
    OK = "ok"
    ERROR = "error"
    GONE = "gone"
    BLOCKED = "blocked"
    UNSUPPORTED = "unsupported"
    PENDING = "pending"


def dataclass_candidate():
    dc = dataclasses.dataclass(slots=True)

    @dc
    class Seed:
        path: str
        sha256: str

    @dc
    class Citation:
        line: int
        label: str | None = None

    @dc
    class Redirect:
        url: str
        status: int

    @dc
    class ArchivedFrom:
        url: str
        timestamp: str | None = None

    @dc
    class FetchFacts:
        final_url: str | None = None
        http_status: int | None = None
        content_type: str | None = None
        charset: str | None = None
        etag: str | None = None
        last_modified: str | None = None
        redirects: list[Redirect] = dataclasses.field(default_factory=list)
        fetched_at: str | None = None
        checked_at: str | None = None
        attempts: int = 0
        consecutive_failures: int = 0
        archived_from: ArchivedFrom | str | None = None

    @dc
    class SourceError:
        kind: str
        message: str
        http_status: int | None = None
        at: str | None = None

    @dc
    class Article:
        title: str | None
        text: str
        word_count: int
        content_sha256: str
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
        extractor: str | None = None

    @dc
    class Revision:
        fetched_at: str | None
        content_sha256: str | None
        title: str | None
        text: str

    @dc
    class Source:
        url: str
        cited: list[Citation] = dataclasses.field(default_factory=list)
        status: Status = Status.PENDING
        fetch: FetchFacts | None = None
        error: SourceError | None = None
        article: Article | None = None
        revisions: list[Revision] = dataclasses.field(default_factory=list)

    @dc
    class Sidecar:
        schema_version: int
        generator: str
        seed: Seed
        updated_at: str | None
        sources: list[Source]

    hints_cache: dict[type, list[tuple[str, Any, bool]]] = {}
    scope = locals()

    def fields_of(cls):
        found = hints_cache.get(cls)
        if found is None:
            hints = typing.get_type_hints(cls, localns=scope)
            found = [
                (
                    f.name,
                    hints[f.name],
                    f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                )
                for f in dataclasses.fields(cls)
            ]
            hints_cache[cls] = found
        return found

    class Invalid(ValueError):
        pass

    def convert(value, tp, path):
        if tp is str:
            if type(value) is str:
                return value
        elif tp is int:
            if type(value) is int:
                return value
        elif tp is bool:
            if type(value) is bool:
                return value
        elif tp is type(None):
            if value is None:
                return None
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            try:
                return tp(value)
            except ValueError:
                raise Invalid(f"{path}: invalid value {value!r}") from None
        elif dataclasses.is_dataclass(tp):
            if type(value) is dict:
                kwargs = {}
                for name, ftp, required in fields_of(tp):
                    if name in value:
                        kwargs[name] = convert(value[name], ftp, f"{path}.{name}")
                    elif required:
                        raise Invalid(f"{path}: missing required field {name!r}")
                return tp(**kwargs)
        else:
            origin = typing.get_origin(tp)
            if origin is list:
                if type(value) is list:
                    (item,) = typing.get_args(tp)
                    return [convert(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
            elif origin in (typing.Union, types.UnionType):
                args = typing.get_args(tp)
                if value is None and type(None) in args:
                    return None
                for arg in args:
                    if arg is type(None):
                        continue
                    try:
                        return convert(value, arg, path)
                    except Invalid:
                        continue
        raise Invalid(f"{path}: expected {tp}, got {type(value).__name__}")

    def to_plain(obj):
        if dataclasses.is_dataclass(obj):
            return {name: to_plain(getattr(obj, name)) for name, _, _ in fields_of(type(obj))}
        if type(obj) is list:
            return [to_plain(v) for v in obj]
        return obj

    def load(raw: bytes):
        return convert(json.loads(raw), Sidecar, "$")

    def dump(model) -> bytes:
        return (json.dumps(to_plain(model), ensure_ascii=False, indent=2) + "\n").encode()

    return load, dump


# ------------------------------------------------------------------ msgspec


def msgspec_candidate():
    import msgspec

    class Seed(msgspec.Struct):
        path: str
        sha256: str

    class Citation(msgspec.Struct):
        line: int
        label: str | None = None

    class Redirect(msgspec.Struct):
        url: str
        status: int

    class ArchivedFrom(msgspec.Struct):
        url: str
        timestamp: str | None = None

    class FetchFacts(msgspec.Struct):
        final_url: str | None = None
        http_status: int | None = None
        content_type: str | None = None
        charset: str | None = None
        etag: str | None = None
        last_modified: str | None = None
        redirects: list[Redirect] = []
        fetched_at: str | None = None
        checked_at: str | None = None
        attempts: int = 0
        consecutive_failures: int = 0
        archived_from: ArchivedFrom | str | None = None

    class SourceError(msgspec.Struct):
        kind: str
        message: str
        http_status: int | None = None
        at: str | None = None

    class Article(msgspec.Struct):
        title: str | None
        text: str
        word_count: int
        content_sha256: str
        authors: list[str] = []
        published_at: str | None = None
        modified_at: str | None = None
        language: str | None = None
        site_name: str | None = None
        description: str | None = None
        image: str | None = None
        canonical_url: str | None = None
        tags: list[str] = []
        free_access: bool | None = None
        extractor: str | None = None

    class Revision(msgspec.Struct):
        fetched_at: str | None
        content_sha256: str | None
        title: str | None
        text: str

    class Source(msgspec.Struct):
        url: str
        cited: list[Citation] = []
        status: Status = Status.PENDING
        fetch: FetchFacts | None = None
        error: SourceError | None = None
        article: Article | None = None
        revisions: list[Revision] = []

    class Sidecar(msgspec.Struct):
        schema_version: int
        generator: str
        seed: Seed
        updated_at: str | None
        sources: list[Source]

    decoder = msgspec.json.Decoder(Sidecar)
    encoder = msgspec.json.Encoder()

    def load(raw: bytes):
        return decoder.decode(raw)

    def dump(model) -> bytes:
        return msgspec.json.format(encoder.encode(model), indent=2) + b"\n"

    return load, dump


# ------------------------------------------------------------------ pydantic


def pydantic_candidate():
    import pydantic

    class M(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(strict=True)

    class Seed(M):
        path: str
        sha256: str

    class Citation(M):
        line: int
        label: str | None = None

    class Redirect(M):
        url: str
        status: int

    class ArchivedFrom(M):
        url: str
        timestamp: str | None = None

    class FetchFacts(M):
        final_url: str | None = None
        http_status: int | None = None
        content_type: str | None = None
        charset: str | None = None
        etag: str | None = None
        last_modified: str | None = None
        redirects: list[Redirect] = []
        fetched_at: str | None = None
        checked_at: str | None = None
        attempts: int = 0
        consecutive_failures: int = 0
        archived_from: ArchivedFrom | str | None = None

    class SourceError(M):
        kind: str
        message: str
        http_status: int | None = None
        at: str | None = None

    class Article(M):
        title: str | None
        text: str
        word_count: int
        content_sha256: str
        authors: list[str] = []
        published_at: str | None = None
        modified_at: str | None = None
        language: str | None = None
        site_name: str | None = None
        description: str | None = None
        image: str | None = None
        canonical_url: str | None = None
        tags: list[str] = []
        free_access: bool | None = None
        extractor: str | None = None

    class Revision(M):
        fetched_at: str | None
        content_sha256: str | None
        title: str | None
        text: str

    class Source(M):
        url: str
        cited: list[Citation] = []
        status: Status = Status.PENDING
        fetch: FetchFacts | None = None
        error: SourceError | None = None
        article: Article | None = None
        revisions: list[Revision] = []

    class Sidecar(M):
        schema_version: int
        generator: str
        seed: Seed
        updated_at: str | None
        sources: list[Source]

    def load(raw: bytes):
        return Sidecar.model_validate_json(raw)

    def dump(model) -> bytes:
        return model.model_dump_json(indent=2).encode() + b"\n"

    return load, dump


def _read(path: Path) -> bytearray:
    """The file's bytes, read in place (read_bytes would briefly hold two copies
    of a large file, which would hide the peak of what follows)."""
    buf = bytearray(path.stat().st_size)
    with path.open("rb") as f:
        f.readinto(buf)
    return buf


def _rss_mb() -> float:
    """Peak RSS of this process so far. VmHWM belongs to this program image;
    getrusage's ru_maxrss would start from the parent's size at fork (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(candidate: str, folder: str, repeat: int) -> dict:
    make = {
        "dataclasses": dataclass_candidate,
        "msgspec": msgspec_candidate,
        "pydantic": pydantic_candidate,
    }[candidate]
    load, dump = make()
    inputs = [_read(p) for p in sorted(Path(folder).iterdir())]
    base = _rss_mb()
    best_load = best_dump = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        models = [load(raw) for raw in inputs]
        best_load = min(best_load, time.perf_counter() - t)
        t = time.perf_counter()
        out = [dump(m) for m in models]
        best_dump = min(best_dump, time.perf_counter() - t)
        del models, out
    peak = _rss_mb() - base
    # a check, after the measurement, that every candidate reads back what it wrote
    first = load(inputs[0])
    assert load(dump(first)) == first
    return {
        "load_s": best_load,
        "dump_s": best_dump,
        "peak_mb": peak,
        "input_mb": sum(map(len, inputs)) / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=CANDIDATES, action="append")
    ap.add_argument("--collection", choices=list(COLLECTIONS), action="append")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], args.repeat)))
        return
    versions = {}
    for name in args.only or CANDIDATES:
        if name == "dataclasses":
            versions[name] = f"python {sys.version.split()[0]}"
            continue
        try:
            module = __import__(name)
            versions[name] = f"{name} {module.__version__}"
        except ImportError:
            print(f"{name}: not installed, skipped")
    print(f"{'collection':<9} {'candidate':<24} {'load s':>8} {'dump s':>8} {'peak MB':>8}")
    for coll, shape in COLLECTIONS.items():
        if args.collection and coll not in args.collection:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for i, raw in enumerate(build_inputs(*shape)):
                (Path(tmp) / f"{i:05}.sources.json").write_bytes(raw)
            for name, version in versions.items():
                proc = subprocess.run(
                    [sys.executable, __file__, "--repeat", str(args.repeat), "--child", name, tmp],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode:
                    print(f"{coll:<9} {version:<24} failed: {proc.stderr.strip()[-300:]}")
                    continue
                r = json.loads(proc.stdout)
                print(
                    f"{coll:<9} {version:<24} {r['load_s']:>8.2f} {r['dump_s']:>8.2f} "
                    f"{r['peak_mb']:>8.0f}   (input {r['input_mb']:.0f} MB)"
                )


if __name__ == "__main__":
    main()
