"""The cost of `fetch --warc-file`: the same first fetch with and without it.

Serves N article pages from one loopback server (tests/servers.py), writes a
seed citing them, and runs `newsgrab fetch` (a subprocess, politeness lowered)
R times each way, interleaved, each into a fresh folder; prints the median wall
and CPU seconds (the child's user+system time) of each and their ratios. Then
the writer alone: the CPU time of writing N exchanges of one such page (request,
response, gzip, digests) on this thread, per exchange.

    .venv/bin/python benchmarks/warc_out.py -n 300 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import RawServer, page  # noqa: E402
from test_refresh_support import article_html, paragraphs  # noqa: E402

from newsgrab import warcout  # noqa: E402


def run_once(seed_text: str, warc: bool, work: Path) -> tuple[float, float]:
    folder = work / ("warc" if warc else "plain")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "seed.txt").write_text(seed_text, encoding="utf-8")
    env = os.environ | {
        "NEWSGRAB_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSGRAB_HOST_DELAY": "0",
        "NEWSGRAB_PER_HOST_CONCURRENCY": "8",
        "NEWSGRAB_ARCHIVE_FALLBACK": "false",
    }
    args = [sys.executable, "-m", "newsgrab", "fetch", "-q", str(folder)]
    if warc:
        args[4:4] = ["--warc-file", str(work / "out" / "crawl")]
        shutil.rmtree(work / "out", ignore_errors=True)
        (work / "out").mkdir()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300, help="pages (default 300)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    with RawServer() as srv, tempfile.TemporaryDirectory() as tmp:
        for i in range(a.n):
            html = article_html(f"Story {i}", paragraphs(f"story {i}", 6)).encode()
            srv.route(f"/p/{i}", page(html))
        seed = "".join(f"See {srv.url(f'/p/{i}')}\n" for i in range(a.n))
        for _ in range(a.repeat):
            for warc in (False, True):
                results[warc].append(run_once(seed, warc, Path(tmp)))
        size = sum(f.stat().st_size for f in (Path(tmp) / "out").glob("*.warc.gz"))
    for warc in (False, True):
        walls, cpus = zip(*results[warc], strict=True)
        name = "with --warc-file" if warc else "without"
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"{name:18} wall {wall:6.2f} s  cpu {cpu:6.2f} s")
    wall_ratio = statistics.median(w for w, _ in results[True]) / statistics.median(
        w for w, _ in results[False]
    )
    cpu_ratio = statistics.median(c for _, c in results[True]) / statistics.median(
        c for _, c in results[False]
    )
    print(f"ratio (with/without): wall {wall_ratio:.2f}x, cpu {cpu_ratio:.2f}x; WARC {size} bytes")
    writer_alone(a.n)


def writer_alone(n: int) -> None:
    html = article_html("Story", paragraphs("story", 6)).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
    answer = head % len(html) + html
    with tempfile.TemporaryDirectory() as tmp:
        writer = warcout.WarcWriter(str(Path(tmp) / "alone"))
        exchanges = []
        for i in range(n):
            ex = warcout.Exchange(f"http://127.0.0.1/p/{i}", 10**7)
            ex.sent(b"GET /p/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % i, "127.0.0.1")
            ex.head_done = ex.complete = True
            ex.received(answer)
            exchanges.append(ex)
        start = time.process_time()
        for ex in exchanges:
            writer.write_now(ex, None)
        cpu = time.process_time() - start
        writer.close()
    each = cpu * 1000 / n
    print(f"writer alone: {n} exchanges of a {len(answer)}-byte answer, {each:.2f} ms CPU each")


if __name__ == "__main__":
    main()
