"""Benchmark newsgrab's article extractor against trafilatura and readability-lxml.

Usage:
    python benchmarks/extraction.py DATA_DIR [--tools newsgrab,trafilatura,readability]

DATA_DIR is a folder in either layout of the extraction development set:

* ``ground-truth.json`` (``{id: {url, articleBody}}``) with ``html/<id>.html[.gz]``:
  scored with 4-gram token shingles; per page, the multiset overlap of predicted and
  true shingles gives length-normalised TP/FP/FN; precision and recall are averaged
  over pages (an empty prediction counts against recall only) and F1 is taken from
  the two means.
* ``evaldata.json`` (``{url: {file, with, without}}``) with ``html/<file>.gz``:
  whitespace-collapsed snippets that must (``with``) or must not (``without``) occur
  in the output, counted over all pages.

``--rules DATA_DIR...`` measures the extractor's rules (the table RULES of
newsgrab/extract/body.py) instead: per rule and per set, how many elements,
containers or blocks it removed or kept, and the change of F1 when it alone is
switched off (only the pages where it did something are extracted again).

Each tool runs in its own child process (the same interpreter), so its peak memory
(peak RSS) is its own; only the extractor call is timed. Reference tools are
benchmark-only dependencies: install them next to newsgrab, never as its dependencies.

``--dates``: DATA_DIR holds ``dates.json`` (``{key: {file, date}}``, the gold
publication day as ``YYYY-MM-DD``) and ``html/<file>.gz``; each page's raw bytes go
in, no URL. Scored: the share of pages whose published date (its first ten
characters) is the gold day, a page with no date counting as wrong, for newsgrab,
htmldate (``find_date(html, original_date=True)``) and trafilatura
(``extract_metadata(html).date``) when they are importable; with ms per page, the
import time and peak memory of each tool.

``--speed DATA_DIR...``: extraction speed and peak memory of newsgrab and
trafilatura side by side, interleaved: one child process per tool (trafilatura's
in the interpreter given by ``--ref-python`` when it is not importable here) is
handed the same pages in blocks of ``--block`` pages, the tools taking turns
(A B, then B A), so a busy machine slows both alike. Each page's raw bytes go in
with its URL: newsgrab ``extract(raw, url=url)`` (text and every metadata field),
trafilatura ``bare_extraction(raw, url=url, with_metadata=True)`` (text, title,
author, date, site, language: what its users ask for when they want metadata).
Pages per second are counted from the CPU time (``time.process_time``) of the
extraction calls only; peak memory is each child's peak RSS, which includes the
interpreter and the imported modules (also printed on their own).
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TOOLS = ("newsgrab", "trafilatura", "readability")
DATE_TOOLS = ("newsgrab", "htmldate", "trafilatura")

# ------------------------------------------------------------------ data


def load(data: Path) -> tuple[str, list[tuple[str, str | None, Path]], dict]:
    """(kind, [(page id, url, html path)], truth by page id)."""
    gt = data / "ground-truth.json"
    if gt.is_file():
        truth_raw = json.loads(gt.read_text(encoding="utf-8"))
        pages = []
        for pid in sorted(truth_raw):
            path = _first(
                data, [f"html/{pid}.html.gz", f"html/{pid}.html", f"html_plain/{pid}.html"]
            )
            pages.append((pid, truth_raw[pid].get("url"), path))
        return "shingles", pages, {k: v.get("articleBody") or "" for k, v in truth_raw.items()}
    ev = data / "evaldata.json"
    if ev.is_file():
        truth_raw = json.loads(ev.read_text(encoding="utf-8"))
        pages = []
        for url in sorted(truth_raw):
            name = truth_raw[url]["file"]
            path = _first(
                data, [f"html/{name}.gz", f"html/{name}", f"cache/{name}", f"eval/{name}"]
            )
            pages.append((url, url, path))
        return "snippets", pages, truth_raw
    raise SystemExit(f"{data}: no ground-truth.json or evaldata.json")


def _first(base: Path, names: list[str]) -> Path:
    for name in names:
        if (base / name).is_file():
            return base / name
    raise SystemExit(f"{base}: none of {names}")


def read_html(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", raw[:8192], re.IGNORECASE)
    if m:
        try:
            return raw.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return raw.decode("cp1252", errors="replace")


# ------------------------------------------------------------------ scoring

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    words = _TOKEN.findall(text or "")
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(zip(*(words[i:] for i in range(n)), strict=False))


def score_shingles(truth: dict, preds: dict) -> dict:
    precisions, recalls = [], []
    for pid, gold in truth.items():
        g, p = shingles(gold), shingles(preds.get(pid) or "")
        tp = sum((g & p).values())
        fp = sum(p.values()) - tp
        fn = sum(g.values()) - tp
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp:
            precisions.append(tp / (tp + fp))
        if tp + fn:
            recalls.append(tp / (tp + fn))
    prec = sum(precisions) / len(precisions) if precisions else 0.0
    rec = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}


def _squash(text: str) -> str:
    return " ".join(text.split())


def score_snippets(truth: dict, preds: dict) -> dict:
    tp = fp = fn = 0
    for pid, item in truth.items():
        out = _squash(preds.get(pid) or "")
        found = sum(1 for s in item["with"] if _squash(s) in out)
        tp += found
        fn += len(item["with"]) - found
        fp += sum(1 for s in item["without"] if _squash(s) in out)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}


# ------------------------------------------------------------------ tools


def make_tool(name: str):
    if name == "newsgrab":
        from newsgrab.extract import extract_text

        return lambda html, url: extract_text(html, url=url)
    if name == "trafilatura":
        import trafilatura

        return lambda html, url: trafilatura.extract(html, include_comments=False) or ""
    if name == "readability":
        import lxml.html
        from readability import Document

        def run(html: str, url: str | None) -> str:
            summary = Document(html).summary(html_partial=True)
            if not summary.strip():
                return ""
            return lxml.html.fromstring(summary).text_content()

        return run
    raise SystemExit(f"unknown tool {name}")


def available(name: str) -> bool:
    module = {"newsgrab": "newsgrab.extract", "readability": "readability"}.get(name, name)
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def worker(name: str, data: Path) -> None:
    """Child process: run one tool over the set, print JSON results on stdout."""
    _kind, pages, _truth = load(data)
    fn = make_tool(name)
    fn("<html><body><p>warm up</p></body></html>", None)
    preds, elapsed, errors = {}, 0.0, 0
    for pid, url, path in pages:
        html = read_html(path)
        start = time.perf_counter()
        try:
            out = fn(html, url)
        except Exception:  # a crash scores as an empty output
            out, errors = "", errors + 1
        elapsed += time.perf_counter() - start
        preds[pid] = out or ""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {"preds": preds, "seconds": elapsed, "errors": errors, "peak_mb": peak_kb / 1024},
        sys.stdout,
    )


# ------------------------------------------------------------------ dates


def load_dates(data: Path) -> list[tuple[str, str, Path]]:
    """[(key, gold day, html path)] of a dates.json folder."""
    gold = data / "dates.json"
    if not gold.is_file():
        raise SystemExit(f"{data}: no dates.json")
    raw = json.loads(gold.read_text(encoding="utf-8"))
    return [
        (
            key,
            raw[key]["date"],
            _first(data, [f"html/{raw[key]['file']}.gz", f"html/{raw[key]['file']}"]),
        )
        for key in sorted(raw)
    ]


def make_date_tool(name: str):
    """A function of the page's raw bytes -> its published date (or None)."""
    if name == "newsgrab":
        from newsgrab.extract import extract

        return lambda raw: extract(raw).published_at
    if name == "htmldate":
        from htmldate import find_date

        return lambda raw: find_date(raw, original_date=True)
    if name == "trafilatura":
        from trafilatura import extract_metadata

        def run(raw: bytes) -> str | None:
            meta = extract_metadata(raw)
            return meta.date if meta is not None else None

        return run
    raise SystemExit(f"unknown date tool {name}")


def date_worker(name: str, data: Path) -> None:
    """Child process: one tool's published date for every page, as JSON on stdout."""
    pages = load_dates(data)
    start = time.perf_counter()
    fn = make_date_tool(name)
    import_seconds = time.perf_counter() - start
    fn(b"<html><head><title>warm up</title></head><body><p>warm up</p></body></html>")
    preds, elapsed, errors = {}, 0.0, 0
    for key, _gold, path in pages:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        start = time.perf_counter()
        try:
            out = fn(raw)
        except Exception:  # a crash scores as no date
            out, errors = None, errors + 1
        elapsed += time.perf_counter() - start
        preds[key] = out if isinstance(out, str) else None
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "preds": preds,
            "seconds": elapsed,
            "import_seconds": import_seconds,
            "errors": errors,
            "peak_mb": peak_kb / 1024,
        },
        sys.stdout,
    )


def run_dates(data: Path, tools: list[str]) -> int:
    """Score the published dates of dates.json side by side, one child process per tool."""
    pages = load_dates(data)
    print(f"{data / 'dates.json'}: {len(pages)} pages, published day == gold day")
    print(
        f"{'tool':<14}{'accuracy':>9}{'right':>7}{'no date':>8}{'errors':>7}"
        f"{'ms/page':>9}{'import ms':>10}{'peak MB':>9}"
    )
    for name in tools:
        if not available(name):
            print(f"{name:<14} not installed, skipped")
            continue
        env = dict(os.environ, PYTHONHASHSEED="0")
        proc = subprocess.run(
            [sys.executable, __file__, str(data), "--dates", "--worker", name],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode:
            print(f"{name:<14} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        res = json.loads(proc.stdout)
        preds = res["preds"]
        right = sum(1 for key, gold, _ in pages if (preds.get(key) or "")[:10] == gold)
        missing = sum(1 for key, _, _ in pages if not preds.get(key))
        print(
            f"{name:<14}{right / len(pages):9.3f}{right:7d}{missing:8d}{res['errors']:7d}"
            f"{1000 * res['seconds'] / len(pages):9.1f}{1000 * res['import_seconds']:10.0f}"
            f"{res['peak_mb']:9.0f}"
        )
    return 0


# ------------------------------------------------------------------ --speed

SPEED_TOOLS = ("newsgrab", "trafilatura")


def make_speed_tool(name: str):
    """A function of (raw bytes, url) that extracts text and metadata, as users call it."""
    if name == "newsgrab":
        from newsgrab.extract import extract

        return lambda raw, url: extract(raw, url=url)
    if name == "trafilatura":
        from trafilatura import bare_extraction

        return lambda raw, url: bare_extraction(
            raw, url=url, with_metadata=True, include_comments=False
        )
    raise SystemExit(f"unknown speed tool {name}")


def _raw(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def speed_worker(name: str, dirs: list[Path]) -> None:
    """Child process: wait for a block ("set lo hi" on stdin), extract its pages,
    answer the CPU seconds of the extraction calls; at "end", the peak RSS."""
    listings = [load(data)[1] for data in dirs]
    fn = make_speed_tool(name)
    fn(b"<html><head><title>warm up</title></head><body><p>warm up</p></body></html>", None)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "end":
            break
        which, lo, hi = (int(w) for w in words)
        cpu, errors = 0.0, 0
        for _pid, url, path in listings[which][lo:hi]:
            raw = _raw(path)
            start = time.process_time()
            try:
                fn(raw, url)
            except Exception:  # counted, the page's time still counts
                errors += 1
            cpu += time.process_time() - start
        print(json.dumps({"cpu": cpu, "errors": errors}), flush=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": peak_kb / 1024, "base_mb": base_kb / 1024}), flush=True)


def _start_speed_worker(name: str, dirs: list[Path], python: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [python, __file__, *map(str, dirs), "--speed", "--worker", name]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"{name}: the worker did not start ({' '.join(cmd)})")
    return proc


def _ask(proc: subprocess.Popen, line: str) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    answer = proc.stdout.readline()
    if not answer:
        raise SystemExit(f"a speed worker died ({line!r})")
    return json.loads(answer)


def run_speed(dirs: list[Path], ref_python: str | None, block: int) -> int:
    """newsgrab against trafilatura: pages/s from CPU time, interleaved, and peak RSS."""
    pythons = {"newsgrab": sys.executable}
    if available("trafilatura"):
        pythons["trafilatura"] = sys.executable
    elif ref_python:
        pythons["trafilatura"] = ref_python
    else:
        print("trafilatura is not importable here and --ref-python is not given: skipped")
    names = [n for n in SPEED_TOOLS if n in pythons]
    procs = {n: _start_speed_worker(n, dirs, pythons[n]) for n in names}
    sizes = [len(load(data)[1]) for data in dirs]
    cpu = {n: [0.0] * len(dirs) for n in names}
    errors = dict.fromkeys(names, 0)
    turn = 0
    for which, size in enumerate(sizes):
        for lo in range(0, size, block):
            order = names if turn % 2 == 0 else names[::-1]
            turn += 1
            for n in order:
                res = _ask(procs[n], f"{which} {lo} {min(size, lo + block)}")
                cpu[n][which] += res["cpu"]
                errors[n] += res["errors"]
    mem = {n: _ask(procs[n], "end") for n in names}
    for proc in procs.values():
        proc.wait(timeout=60)
    head = "".join(f"{n + ' p/s':>17}" for n in names)
    ratio = "  ratio" if len(names) == 2 else ""
    print(f"{'set':<22}{'pages':>6}{head}{ratio}")
    rows = [(data.name, [which]) for which, data in enumerate(dirs)]
    if len(dirs) > 1:
        rows.append(("all", list(range(len(dirs)))))
    for label, which in rows:
        pages = sum(sizes[w] for w in which)
        speed = {n: pages / max(1e-9, sum(cpu[n][w] for w in which)) for n in names}
        cells = "".join(f"{speed[n]:17.1f}" for n in names)
        r = f"{speed[names[0]] / speed[names[1]]:7.2f}x" if len(names) == 2 else ""
        print(f"{label:<22}{pages:6d}{cells}{r}")
    print(f"{'':<28}" + "".join(f"{n + ' MB':>17}" for n in names))
    print(f"{'peak RSS':<28}" + "".join(f"{mem[n]['peak_mb']:17.0f}" for n in names))
    print(f"{'after import, warm-up':<28}" + "".join(f"{mem[n]['base_mb']:17.0f}" for n in names))
    print(f"{'errors':<28}" + "".join(f"{errors[n]:17d}" for n in names))
    if len(names) == 2:
        a, b = names
        print(f"peak RSS {a}/{b}: {mem[a]['peak_mb'] / mem[b]['peak_mb']:.2f}")
    return 0


# ------------------------------------------------------------------ --rules


def _rules_run(pages, off: frozenset[str]) -> tuple[dict, dict]:
    """(text by page id, Counter of what each rule did by page id)."""
    from newsgrab.extract import extract
    from newsgrab.extract.body import rule_switches

    preds, traces = {}, {}
    for pid, url, html in pages:
        trace: Counter = Counter()
        with rule_switches(off, trace):
            preds[pid] = extract(html, url=url).text
        traces[pid] = trace
    return preds, traces


def rules_report(dirs: list[Path]) -> dict:
    """{rule: {set name: (count, pages whose text changes when it is off, F1 change
    when it is off)}}, plus each set's F1."""
    from newsgrab.extract.body import RULES

    report: dict = {rule.name: {} for rule in RULES}
    base_f1: dict = {}
    for data in dirs:
        kind, listing, truth = load(data)
        scorer = score_shingles if kind == "shingles" else score_snippets
        pages = [(pid, url, read_html(path)) for pid, url, path in listing]
        preds, traces = _rules_run(pages, frozenset())
        base = scorer(truth, preds)["f1"]
        base_f1[data.name] = base
        for rule in RULES:
            fired = [page for page in pages if traces[page[0]][rule.name]]
            count = sum(traces[pid][rule.name] for pid in traces)
            if not fired:
                report[rule.name][data.name] = (0, 0, 0.0)
                continue
            changed, _ = _rules_run(fired, frozenset([rule.name]))
            pages_changed = sum(1 for pid, text in changed.items() if text != preds[pid])
            delta = scorer(truth, preds | changed)["f1"] - base
            report[rule.name][data.name] = (count, pages_changed, delta)
    return {"f1": base_f1, "rules": report}


def print_rules(result: dict) -> None:
    from newsgrab.extract.body import RULES

    sets = list(result["f1"])
    print("F1 with every rule on: " + ", ".join(f"{k} {v:.4f}" for k, v in result["f1"].items()))
    print(
        "per set: n = elements, containers or blocks the rule removed or kept; pages = "
        "pages whose text changes when the rule alone is off; dF1 = the F1 change then "
        "(negative: the rule pays)"
    )
    head = "".join(f"{s[:24]:>26}" for s in sets)
    print(f"{'rule':<20}{'stage':<8}{'action':<7}{head}")
    print(f"{'':35}" + "".join(f"{'n':>8}{'pages':>7}{'dF1':>11}" for _ in sets))
    for rule in RULES:
        cells = "".join(
            "{:>8d}{:>7d}{:>+11.4f}".format(*result["rules"][rule.name][s]) for s in sets
        )
        print(f"{rule.name:<20}{rule.stage:<8}{rule.action:<7}{cells}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "data", type=Path, nargs="+", help="folder with ground-truth.json or evaldata.json"
    )
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated (default: all)")
    ap.add_argument(
        "--dates",
        action="store_true",
        help="score published dates (DATA holds dates.json): newsgrab, htmldate, trafilatura",
    )
    ap.add_argument(
        "--speed",
        action="store_true",
        help="pages/s (CPU time) and peak memory of newsgrab and trafilatura, interleaved",
    )
    ap.add_argument(
        "--ref-python",
        help="--speed: the interpreter trafilatura is installed in (when not importable here)",
    )
    ap.add_argument("--block", type=int, default=20, help="--speed: pages per turn")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument(
        "--rules", action="store_true", help="measure each extraction rule on the sets given"
    )
    args = ap.parse_args(argv)
    if args.rules:
        print_rules(rules_report(args.data))
        return 0
    if args.speed:
        if args.worker:
            speed_worker(args.worker, args.data)
            return 0
        return run_speed(args.data, args.ref_python, max(1, args.block))
    args.data = args.data[0]
    if args.dates:
        if args.worker:
            date_worker(args.worker, args.data)
            return 0
        tools = args.tools.split(",") if args.tools != ",".join(TOOLS) else list(DATE_TOOLS)
        return run_dates(args.data, [t.strip() for t in tools])
    if args.worker:
        worker(args.worker, args.data)
        return 0
    kind, pages, truth = load(args.data)
    scorer = score_shingles if kind == "shingles" else score_snippets
    print(f"{args.data}: {len(pages)} pages, {kind} scoring")
    head = ("F1", "P", "R", "empty", "errors")
    print(f"{'tool':<14}" + "".join(f"{h:>7}" for h in head) + f"{'pages/s':>9}{'peak MB':>9}")
    for name in args.tools.split(","):
        name = name.strip()
        if not available(name):
            print(f"{name:<14} not installed, skipped")
            continue
        env = dict(os.environ, PYTHONHASHSEED="0")
        proc = subprocess.run(
            [sys.executable, __file__, str(args.data), "--worker", name],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode:
            print(f"{name:<14} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        res = json.loads(proc.stdout)
        m = scorer(truth, res["preds"])
        empty = sum(1 for v in res["preds"].values() if not v.strip())
        speed = len(pages) / res["seconds"] if res["seconds"] else 0.0
        print(
            f"{name:<14}{m['f1']:7.3f}{m['precision']:7.3f}{m['recall']:7.3f}"
            f"{empty:7d}{res['errors']:7d}{speed:9.1f}{res['peak_mb']:9.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
