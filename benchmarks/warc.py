"""Benchmark `newsgrab extract --warc`: --jobs 1, --jobs 2 and a 2-worker Dask LocalCluster.

Usage:
    python benchmarks/warc.py [--pages 800] [--files 8] [--html DIR] [--rounds 1]

Writes `--files` WARCs (gzip, warcio) holding `--pages` HTML response records
in all, the pages taken in turn from DIR (`*.html` or `*.html.gz`; default: the
shared extraction dev set when it is there, else generated pages), and runs the
same `newsgrab extract --warc` command three ways, side by side in one run:

    --jobs 1                          one extraction worker
    --jobs 2                          two extraction workers
    --scheduler local --jobs 2        a Dask LocalCluster of two workers (newsgrab[dask])

Each run is a child process; its CPU is that of the whole process tree (the
extraction workers and Dask's processes included: this process adopts orphans
as a child subreaper and reaps them). Prints pages/s, CPU ms per page and the
ratios the targets are set on: --jobs 2 against --jobs 1 (pages/s), and Dask
against --jobs 2 (CPU per page). The machine's load average is printed too:
on a shared machine compare the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
DEV_HTML = ROOT.parent / "shared" / "extraction-dev" / "scrapinghub-dev" / "html"
PR_SET_CHILD_SUBREAPER = 36


def generated(i: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {j} of story {i}: the council met on Monday and the harbour "
        f"board said the repairs would take two more years than planned.</p>"
        for j in range(12)
    )
    return (
        f"<!doctype html><html><head><title>Story {i}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>Story {i}</h1>{paragraphs}</article>"
        f"<footer>© Example</footer></body></html>"
    ).encode()


def load_pages(folder: Path | None) -> list[bytes]:
    if folder is None or not folder.is_dir():
        return []
    pages = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(".html.gz"):
            pages.append(gzip.decompress(path.read_bytes()))
        elif path.name.endswith(".html"):
            pages.append(path.read_bytes())
    return pages


def write_warcs(folder: Path, pages: list[bytes], n: int, files: int) -> list[str]:
    names = []
    per_file = -(-n // files)
    for f in range(files):
        path = folder / f"bench-{f:03d}.warc.gz"
        with open(path, "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for i in range(f * per_file, min(n, (f + 1) * per_file)):
                body = pages[i % len(pages)] if pages else generated(i)
                http = StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
                )
                record = writer.create_warc_record(
                    f"https://news.example/{i}",
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http,
                )
                writer.write_record(record)
        names.append(str(path))
    return names


def become_subreaper() -> bool:
    """Orphaned descendants (workers whose parent ended first) become our
    children, so their CPU time is counted when we reap them (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_all(wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def run_once(inputs: list[str], out: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole tree) of one extract --warc run."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "newsgrab", "extract", "--warc", *inputs, "-o", str(out), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(extra)}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=800)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--html", type=Path, default=DEV_HTML)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each way (best is kept)")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    subreaper = become_subreaper()
    pages = load_pages(args.html)
    ways = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"])]
    if not args.no_dask:
        ways.append(("dask local 2", ["--scheduler", "local", "--jobs", "2"]))
    with tempfile.TemporaryDirectory(prefix="newsgrab-bench-warc-") as tmp:
        inputs = write_warcs(Path(tmp), pages, args.pages, args.files)
        size = sum(os.path.getsize(p) for p in inputs)
        print(
            f"{args.pages} pages ({len(pages) or 'generated'} distinct"
            f"{' from ' + str(args.html) if pages else ''}) in {args.files} WARCs, "
            f"{size / 1e6:.1f} MB; load average before: {os.getloadavg()[0]:.2f}; "
            f"CPU of descendants counted: {'all' if subreaper else 'reaped children only'}"
        )
        results: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for label, extra in ways:  # interleaved: the machine's load hits all alike
                wall, cpu = run_once(inputs, Path(tmp) / "out", extra)
                best = results.get(label)
                if best is None or wall < best[0]:
                    results[label] = (wall, cpu)
        # cores used: CPU / wall; on a busy machine a run gets what the others leave
        print(f"{'way':<14} {'pages/s':>8} {'wall s':>7} {'CPU ms/page':>12} {'cores used':>11}")
        for label, (wall, cpu) in results.items():
            print(
                f"{label:<14} {args.pages / wall:8.1f} {wall:7.2f} "
                f"{1000 * cpu / args.pages:12.2f} {cpu / wall:11.2f}"
            )
        one, two = results["--jobs 1"], results["--jobs 2"]
        print(f"--jobs 2 / --jobs 1 pages/s: {one[0] / two[0]:.2f}x (target >= 1.7x)")
        if "dask local 2" in results:
            dask = results["dask local 2"]
            print(
                f"dask / --jobs 2 CPU per page: {dask[1] / two[1]:.2f}x (target <= 1.5x); "
                f"dask / --jobs 2 pages/s: {two[0] / dask[0]:.2f}x"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
