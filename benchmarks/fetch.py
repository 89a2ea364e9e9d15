"""Fetch throughput and memory: newsgrab against trafilatura's downloader.

Serves N article pages from eight local hosts (127.0.0.2 ... 127.0.0.9, one
HTTP/1.1 keep-alive server process), writes seed files citing them, and runs:

- `newsgrab fetch` (the CLI, a subprocess: fetch + extract + sidecars) with the
  politeness lowered to the benchmark's settings (no host delay, robots.txt
  still asked for, `--concurrency` in flight, concurrency/8 per host);
- the Fetcher library alone (fetch only, no extraction), same limits;
- trafilatura's command line on the same URL list (`trafilatura -i urls.txt
  -o DIR --parallel C`, its per-domain sleep set to 0), when installed
  (by default the `trafilatura` on PATH; install it in a separate virtual
  environment, never as a newsgrab dependency);

and prints pages/s, CPU seconds and peak RSS of each, then the ratios the
targets are about:
the CLI's throughput over trafilatura's (target: at least 2x) and, with
`--scale` (newsgrab also run at 1,000 and 10,000 URLs), the CLI's peak memory
at 10,000 URLs over that at 1,000 (target: flat). A trafilatura that cannot
run (say, a broken install) is reported and skipped.

    .venv/bin/python benchmarks/fetch.py                 # 2,000 URLs, concurrency 16
    .venv/bin/python benchmarks/fetch.py -n 500 --scale --trafilatura PATH
    .venv/bin/python benchmarks/fetch.py --repeat 5 --trafilatura PATH

On a shared machine, other processes take CPU from one run and not the next:
`--repeat R` runs newsgrab then trafilatura R times and reports the median of
the R ratios, and the CPU-seconds ratio (less sensitive to load) beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTS = [f"127.0.0.{i}" for i in range(2, 10)]
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRAFILATURA = shutil.which("trafilatura") or "trafilatura"
CLI = "newsgrab fetch (CLI: fetch+extract+sidecars)"
CLI_SCALE = "newsgrab fetch (CLI)"
TRAFILATURA = "trafilatura -i (fetch+extract)"

WORDS = [
    "harbour",
    "storm",
    "ferry",
    "council",
    "library",
    "station",
    "school",
    "market",
    "river",
    "bridge",
    "winter",
    "summer",
    "report",
    "mayor",
    "police",
    "museum",
    "festival",
    "railway",
    "hospital",
    "budget",
]


def article(i: int) -> bytes:
    """A realistic small news page (about 6 kB), different for every i."""

    def sentence(k: int) -> str:
        words = [WORDS[(i * 7 + k * 3 + j * 5) % len(WORDS)] for j in range(14)]
        return " ".join(words).capitalize() + "."

    paras = "\n".join(f"<p>{' '.join(sentence(p * 5 + s) for s in range(5))}</p>" for p in range(6))
    nav = " ".join(f'<a href="/section/{k}">Section {k}</a>' for k in range(20))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Story {i}: {WORDS[i % len(WORDS)]} news</title>
<meta property="og:site_name" content="Bench Gazette">
<meta name="description" content="Story number {i} of the benchmark.">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Story {i}",
"datePublished": "2026-11-03T08:30:00+00:00", "author": {{"name": "A. Writer"}}}}</script>
</head><body><nav>{nav}</nav><article><h1>Story {i}</h1>
<p class="byline">By A. Writer</p>
{paras}
</article><footer><p>Copyright Bench Gazette. Subscribe to our newsletter.</p></footer>
</body></html>""".encode()


# ------------------------------------------------------------------ server


async def _serve_conn(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cache: dict[int, bytes]
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            close = b"connection: close" in head.lower()
            if path.startswith("/p/") and path[3:].isdigit():
                i = int(path[3:])
                body = cache.get(i) or cache.setdefault(i, article(i))
                status, ctype = "200 OK", "text/html; charset=utf-8"
            else:
                body, status, ctype = b"not found", "404 Not Found", "text/plain"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"{'Connection: close' if close else 'Connection: keep-alive'}"
                "\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(port: int) -> None:
    cache: dict[int, bytes] = {}
    servers = [
        await asyncio.start_server(lambda r, w: _serve_conn(r, w, cache), host, port)
        for host in HOSTS
    ]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def start_server() -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind((HOSTS[0], 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("benchmark server did not start")
    return proc, port


# --------------------------------------------------------------- measuring


Measured = tuple[float, int, int, float]


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """(seconds, peak RSS in MiB of the child, exit status, CPU seconds of the
    child and the processes it waited for: its extraction workers, say)."""
    started = time.monotonic()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(cmd, env=env, stdout=devnull, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    took = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return took, usage.ru_maxrss // 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def write_inputs(folder: Path, port: int, n: int) -> tuple[Path, Path]:
    urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/p/{i}" for i in range(n)]
    seeds = folder / "seeds"
    seeds.mkdir()
    for k in range(0, n, 50):
        lines = [f"Related article: story {i}\n{u}\n" for i, u in enumerate(urls[k : k + 50], k)]
        (seeds / f"doc{k // 50:05d}.md").write_text("# Notes\n\n" + "\n".join(lines))
    url_file = folder / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    return seeds, url_file


def newsgrab_env(concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAB_")}
    env.update(
        NEWSGRAB_ALLOW_PRIVATE_NETWORKS="true",
        NEWSGRAB_HOST_DELAY="0",
        NEWSGRAB_CONCURRENCY=str(concurrency),
        NEWSGRAB_PER_HOST_CONCURRENCY=str(max(1, concurrency // len(HOSTS))),
        NEWSGRAB_ARCHIVE_FALLBACK="false",
        NEWSGRAB_RETRIES="0",
        XDG_CONFIG_HOME=tempfile.gettempdir(),
    )  # no user config file
    return env


def bench_newsgrab(folder: Path, seeds: Path, concurrency: int) -> Measured:
    cmd = [sys.executable, "-m", "newsgrab", "fetch", "-q", str(seeds)]
    return run_measured(cmd, newsgrab_env(concurrency))


def bench_library(url_file: Path, concurrency: int) -> Measured:
    cmd = [sys.executable, __file__, "fetchonly", str(url_file), str(concurrency)]
    return run_measured(cmd, newsgrab_env(concurrency))


def bench_trafilatura(exe: str, folder: Path, url_file: Path, concurrency: int) -> Measured:
    out = folder / "trafilatura-out"
    cfg = folder / "trafilatura.cfg"
    # trafilatura's own settings with its per-domain sleep (5 s) set to 0,
    python = Path(exe).parent / "python"
    try:
        found = subprocess.run(
            [
                str(python),
                "-c",
                "import trafilatura, os; print(os.path.join("
                "os.path.dirname(trafilatura.__file__), 'settings.cfg'))",
            ],
            capture_output=True,
            text=True,
        )
    except OSError as exc:
        raise RuntimeError(f"cannot run {python}: {exc}") from None
    if found.returncode != 0:
        last = (found.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"cannot import trafilatura with {python}: {last}")
    shipped = found.stdout.strip()
    text = Path(shipped).read_text()
    # (and, in releases that have it, its SSRF protection off: the hosts are local)
    lines = [
        "SLEEP_TIME = 0"
        if line.startswith("SLEEP_TIME")
        else "SSRF_PROTECTION = off"
        if line.startswith("SSRF_PROTECTION")
        else line
        for line in text.splitlines()
    ]
    cfg.write_text("\n".join(lines) + "\n")
    cmd = [
        exe,
        "-i",
        str(url_file),
        "-o",
        str(out),
        "--parallel",
        str(concurrency),
        "--config-file",
        str(cfg),
        "--json",
    ]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return run_measured(cmd, env)


async def _fetch_only(url_file: str, concurrency: int) -> None:
    sys.path.insert(0, str(ROOT))
    from newsgrab.config import load_settings
    from newsgrab.errors import FetchError
    from newsgrab.fetch import Fetcher

    settings = load_settings()
    urls = Path(url_file).read_text().split()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for u in urls:
        queue.put_nowait(u)
    failures = 0

    async def worker(f: Fetcher) -> None:
        nonlocal failures
        while not queue.empty():
            url = queue.get_nowait()
            try:
                await f.fetch(url)
            except FetchError:
                failures += 1

    async with Fetcher(settings) as f:
        await asyncio.gather(*(worker(f) for _ in range(concurrency * 2)))
    if failures:
        sys.exit(f"{failures} fetches failed")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        asyncio.run(_serve(int(sys.argv[2])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "fetchonly":
        asyncio.run(_fetch_only(sys.argv[2], int(sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="URLs (default 2000)")
    ap.add_argument("-c", "--concurrency", type=int, default=16)
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of newsgrab then trafilatura; the median ratio is reported "
        "(a shared machine's noise evens out)",
    )
    ap.add_argument(
        "--trafilatura",
        default=DEFAULT_TRAFILATURA,
        help="trafilatura executable (skipped when missing)",
    )
    ap.add_argument(
        "--scale",
        action="store_true",
        help="also run newsgrab at 1,000 and 10,000 URLs (peak memory)",
    )
    args = ap.parse_args()
    # newsgrab's bytecode compiled first, as an installed package's is (the
    # reference tools are installed); with PYTHONDONTWRITEBYTECODE set, a
    # checkout would otherwise be compiled again by every run
    compileall.compile_dir(ROOT / "newsgrab", quiet=1)
    server, port = start_server()
    rows: list[tuple[str, int, float, int, int, float]] = []
    pairs: list[float] = []  # CLI over trafilatura throughput, one per round
    try:
        with tempfile.TemporaryDirectory(prefix="ngbench-") as tmp:

            def fresh(n: int) -> tuple[Path, Path, Path]:
                folder = Path(tempfile.mkdtemp(dir=tmp))
                return (folder, *write_inputs(folder, port, n))

            have_trafilatura = bool(
                shutil.which(args.trafilatura) or os.path.exists(args.trafilatura)
            )
            if not have_trafilatura:
                print(f"(trafilatura not found at {args.trafilatura}: skipped)")
            for round_ in range(args.repeat):
                folder, seeds, url_file = fresh(args.n)
                cli = bench_newsgrab(folder, seeds, args.concurrency)
                rows.append((CLI, args.n, *cli))
                if round_ == 0:
                    measured = bench_library(url_file, args.concurrency)
                    rows.append(("newsgrab Fetcher (library: fetch only)", args.n, *measured))
                if have_trafilatura:
                    try:
                        traf = bench_trafilatura(
                            args.trafilatura, folder, url_file, args.concurrency
                        )
                    except RuntimeError as exc:
                        print(f"(trafilatura skipped: {exc})")
                        have_trafilatura = False
                    else:
                        rows.append((TRAFILATURA, args.n, *traf))
                        pairs.append(traf[0] / cli[0])
            if args.scale:
                for n in (1000, 10000):
                    folder, seeds, url_file = fresh(n)
                    rows.append((CLI_SCALE, n, *bench_newsgrab(folder, seeds, args.concurrency)))
                    measured = bench_library(url_file, args.concurrency)
                    rows.append(("newsgrab Fetcher (library)", n, *measured))
    finally:
        server.terminate()
        server.wait()
    print(
        f"{'run':48} {'URLs':>6} {'seconds':>8} {'pages/s':>8} {'CPU s':>6} "
        f"{'peak MiB':>9} {'exit':>4}"
    )
    for name, n, took, rss, code, cpu in rows:
        print(f"{name:48} {n:>6} {took:>8.1f} {n / took:>8.1f} {cpu:>6.1f} {rss:>9} {code:>4}")
    ratios: dict[str, float] = {}
    by_name = {(r[0], r[1]): r for r in rows}
    if pairs:
        median = statistics.median(pairs)
        ratios["throughput_cli_over_trafilatura"] = round(median, 2)
        each = ", ".join(f"{p:.2f}x" for p in pairs)
        print(
            f"newsgrab CLI / trafilatura throughput = {median:.2f}x"
            + (f" (median of {len(pairs)} rounds: {each})" if len(pairs) > 1 else "")
            + " (target: at least 2x)"
        )
        cpu_cli = statistics.median(r[5] for r in rows if r[0] == CLI)
        cpu_traf = statistics.median(r[5] for r in rows if r[0] == TRAFILATURA)
        ratios["cpu_trafilatura_over_cli"] = round(cpu_traf / cpu_cli, 2)
        print(f"CPU seconds, trafilatura / newsgrab CLI = {cpu_traf / cpu_cli:.2f}x")
    small, large = by_name.get((CLI_SCALE, 1000)), by_name.get((CLI_SCALE, 10000))
    if small and large:
        ratios["peak_memory_10k_over_1k"] = round(large[3] / small[3], 2)
        print(
            f"newsgrab CLI peak memory, 10,000 / 1,000 URLs = {large[3]} / {small[3]} MiB "
            f"= {large[3] / small[3]:.2f} (target: flat)"
        )
    print(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "hosts": len(HOSTS),
                "runs": [
                    dict(
                        zip(
                            ("run", "urls", "seconds", "peak_mib", "exit", "cpu_seconds"),
                            (r[0], r[1], round(r[2], 2), r[3], r[4], round(r[5], 2)),
                            strict=True,
                        )
                    )
                    for r in rows
                ],
                "ratios": ratios,
            }
        )
    )


if __name__ == "__main__":
    main()
