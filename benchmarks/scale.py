"""Scale: cost per source and peak memory from 1,000 to 50,000 sources.

Serves article pages from eight loopback hosts (127.0.0.2 ... 127.0.0.9, one
keep-alive server process that makes each page when it is asked for, with an
ETag, and answers 304 to a matching If-None-Match), writes seed files citing
10 sources each, and for each collection size runs five commands, each a
subprocess `python -m newsgrab ...` with the politeness lowered as in
`benchmarks/fetch.py` (no host delay, 16 requests in flight, 2 per host):

1. `fetch` (first fetch: every page new, fetched, extracted, written);
2. `fetch --refresh-after 0` (every source due, every page answers 304);
3. `fetch` again (nothing due: the default refresh_after has not passed);
4. `show --format text` (the plain table; stdout to /dev/null);
5. `show --format json` (stdout to /dev/null).

It prints, for each command and size, wall and CPU milliseconds per source
and peak RSS (the largest single process: os.wait4's rusage), then the
targets: cost per source at the largest size within 1.25x of that at the
smallest, and peak RSS under 150 MiB at 50,000 sources. The server counts the
200s and 304s it sent, so a run that did not do what its row says is flagged.

Last, the startup every cron run pays: `fetch -q` on an empty folder against
`python -c pass`, each run 15 times in turn, the median wall and CPU time of
each and their ratio (target: at most 4x). Then `extract --warc` over
generated WARCs at `--jobs 1`, `--jobs 2` and on a 2-worker Dask cluster
(benchmarks/warc.py; `--no-warc` skips it).

    .venv/bin/python benchmarks/scale.py                       # 1k, 10k, 50k
    .venv/bin/python benchmarks/scale.py --sizes 1000,10000
    .venv/bin/python benchmarks/scale.py --quick               # 1k and 5k
    .venv/bin/python benchmarks/scale.py --startup-only

On a shared machine the CPU column is the steadier one; both ratios are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import HOSTS, article, newsgrab_env, run_measured

ROOT = Path(__file__).resolve().parent.parent
PER_SEED = 10
CONCURRENCY = 16
RUNS = (
    ("first fetch", ["fetch", "-q"]),
    ("refresh, all 304", ["fetch", "-q", "--refresh-after", "0"]),
    ("nothing due", ["fetch", "-q"]),
    ("show --format text", ["show", "--format", "text", "--no-pager"]),
    ("show --format json", ["show", "--format", "json", "--no-pager"]),
)
TARGET_RATIO = 1.25
TARGET_MIB = 150
STARTUP_RUNS = 15
TARGET_STARTUP = 4.0

# ------------------------------------------------------------------ server


async def _serve_conn(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counts: dict[str, int]
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            lower = head.lower()
            close = b"connection: close" in lower
            extra = ""
            if path.startswith("/p/") and path[3:].isdigit():
                etag = f'"p{path[3:]}"'
                extra = f"ETag: {etag}\r\n"
                if f"if-none-match: {etag}".encode() in lower:
                    counts["304"] += 1
                    status, ctype, body = "304 Not Modified", "", b""
                else:
                    counts["200"] += 1
                    body = article(int(path[3:]))
                    status, ctype = "200 OK", "Content-Type: text/html; charset=utf-8\r\n"
            elif path == "/stats":
                body = json.dumps(counts).encode()
                status, ctype = "200 OK", "Content-Type: application/json\r\n"
                counts.update({"200": 0, "304": 0, "other": 0})
            else:
                counts["other"] += 1
                body, status, ctype = b"not found", "404 Not Found", "Content-Type: text/plain\r\n"
            length = "" if status.startswith("304") else f"Content-Length: {len(body)}\r\n"
            writer.write(
                f"HTTP/1.1 {status}\r\n{ctype}{extra}{length}"
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
    counts = {"200": 0, "304": 0, "other": 0}
    servers = [
        await asyncio.start_server(lambda r, w: _serve_conn(r, w, counts), host, port)
        for host in HOSTS
    ]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def start_server() -> tuple[subprocess.Popen, int]:
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


def server_counts(port: int) -> dict[str, int]:
    """What the server sent since the last call (and reset the counts)."""
    with urllib.request.urlopen(f"http://{HOSTS[0]}:{port}/stats", timeout=10) as r:
        return json.loads(r.read())


# ------------------------------------------------------------------ inputs


def write_seeds(folder: Path, port: int, n: int) -> Path:
    """n sources, PER_SEED to a seed file, spread over the hosts."""
    seeds = folder / "seeds"
    seeds.mkdir()
    for s in range(0, n, PER_SEED):
        lines = "".join(
            f"- [story {i}](http://{HOSTS[i % len(HOSTS)]}:{port}/p/{i})\n"
            for i in range(s, min(n, s + PER_SEED))
        )
        (seeds / f"seed{s // PER_SEED:05d}.md").write_text("# Notes\n\n" + lines)
    return seeds


# --------------------------------------------------------------- measuring


def expected(name: str, n: int, counts: dict[str, int]) -> str:
    """'' when the server saw what the row is about, else a note."""
    if name == "first fetch" and counts["200"] < n:
        return f"only {counts['200']} pages sent"
    if name == "refresh, all 304" and (counts["304"] < n or counts["200"]):
        return f"{counts['304']} 304s, {counts['200']} 200s"
    if name not in ("first fetch", "refresh, all 304") and (counts["200"] or counts["304"]):
        return f"{counts['200'] + counts['304']} page requests"
    return ""


def startup(env: dict[str, str]) -> int:
    """`fetch -q` on an empty folder against `python -c pass`, in turn; prints the
    medians and their ratio; 1 when the CPU ratio misses the target."""
    empty = Path(tempfile.mkdtemp(prefix="ngstart-"))
    try:
        bare, fetch = [], []
        for _ in range(STARTUP_RUNS):
            bare.append(run_measured([sys.executable, "-c", "pass"], env))
            fetch.append(
                run_measured([sys.executable, "-m", "newsgrab", "fetch", "-q", str(empty)], env)
            )
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    wall = [statistics.median(r[0] for r in runs) for runs in (bare, fetch)]
    cpu = [statistics.median(r[3] for r in runs) for runs in (bare, fetch)]
    print(
        f"startup: fetch -q on an empty folder {wall[1] * 1000:.0f} ms ({cpu[1] * 1000:.0f} CPU), "
        f"python -c pass {wall[0] * 1000:.0f} ms ({cpu[0] * 1000:.0f} CPU): "
        f"{wall[1] / wall[0]:.1f}x wall, {cpu[1] / cpu[0]:.1f}x CPU "
        f"(median of {STARTUP_RUNS}; target at most {TARGET_STARTUP:g}x: "
        f"{'met' if cpu[1] / cpu[0] <= TARGET_STARTUP else 'NOT met'})"
    )
    return 0 if cpu[1] / cpu[0] <= TARGET_STARTUP else 1


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        asyncio.run(_serve(int(sys.argv[2])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        default="1000,10000,50000",
        help="comma-separated numbers of sources (default 1000,10000,50000)",
    )
    ap.add_argument("--quick", action="store_true", help="1,000 and 5,000 sources only")
    ap.add_argument("--dir", help="where to write the seeds (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the seeds and sidecars")
    ap.add_argument(
        "--startup-only",
        action="store_true",
        help="only the startup of fetch on an empty folder against python -c pass",
    )
    ap.add_argument(
        "--no-warc",
        action="store_true",
        help="skip `extract --warc` at --jobs 1, --jobs 2 and on Dask (benchmarks/warc.py)",
    )
    ap.add_argument("--warc-pages", type=int, default=800, help="pages in the generated WARCs")
    args = ap.parse_args()
    sizes = [1000, 5000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < PER_SEED:
        ap.error(f"--sizes: each size must be at least {PER_SEED}")
    compileall.compile_dir(ROOT / "newsgrab", quiet=1)
    env = newsgrab_env(CONCURRENCY)
    env.pop("NEWSGRAB_REFRESH_AFTER", None)
    env["PYTHONPATH"] = str(ROOT)
    if args.startup_only:
        return startup(env)
    server, port = start_server()
    base = Path(tempfile.mkdtemp(prefix="ngscale-", dir=args.dir))
    # (name, n) -> (seconds, peak MiB, exit, cpu seconds, note)
    results: dict[tuple[str, int], tuple[float, int, int, float, str]] = {}
    try:
        for n in sizes:
            folder = base / f"n{n}"
            folder.mkdir()
            seeds = write_seeds(folder, port, n)
            server_counts(port)
            for name, argv in RUNS:
                cmd = [sys.executable, "-m", "newsgrab", *argv, str(seeds)]
                took, rss, code, cpu = run_measured(cmd, env)
                note = expected(name, n, server_counts(port))
                results[name, n] = (took, rss, code, cpu, note)
                print(
                    f"  {n:>6} {name:<20} {took:8.1f} s  {cpu:8.1f} CPU s  {rss:5} MiB"
                    f"  exit {code}{'  ' + note if note else ''}",
                    file=sys.stderr,
                    flush=True,
                )
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        server.terminate()
        server.wait()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"(kept in {base})", file=sys.stderr)
    code = report(sizes, results)
    code |= startup(env)
    if not args.no_warc:
        # the same extractor over generated WARCs: --jobs 1, --jobs 2, Dask
        print(f"extract --warc over {args.warc_pages} pages:", flush=True)
        warc_bench = [sys.executable, str(ROOT / "benchmarks" / "warc.py")]
        code |= subprocess.call([*warc_bench, "--pages", str(args.warc_pages)], env=env)
    return code


def report(sizes: list[int], results: dict) -> int:
    small, large = min(sizes), max(sizes)
    print(
        f"{PER_SEED} sources per seed, {len(HOSTS)} loopback hosts, concurrency {CONCURRENCY}, "
        f"Python {sys.version.split()[0]}; ms = wall (CPU) milliseconds per source"
    )
    head = "".join(f"{f'{n:,} ms':>16} {'MiB':>5}" for n in sizes)
    print(f"{'run':<20}{head}   {'wall ratio':>10} {'CPU ratio':>9}")
    failed = False
    for name, _ in RUNS:
        cells = ""
        for n in sizes:
            took, rss, code, cpu, note = results[name, n]
            mark = "!" if code or note else ""
            cells += f"{f'{took / n * 1000:.2f} ({cpu / n * 1000:.2f}){mark}':>16} {rss:>5}"
        (t0, _, _, c0, _), (t1, rss1, _, c1, _) = results[name, small], results[name, large]
        wall_ratio = (t1 / large) / (t0 / small)
        cpu_ratio = (c1 / large) / (c0 / small)
        print(f"{name:<20}{cells}   {wall_ratio:>9.2f}x {cpu_ratio:>8.2f}x")
        failed |= wall_ratio > TARGET_RATIO or (large >= 50000 and rss1 >= TARGET_MIB)
    bad = [
        f"{name} at {n}: exit {v[2]} {v[4]}".strip()
        for (name, n), v in results.items()
        if v[2] or v[4]
    ]
    for line in bad:
        print(f"! {line}")
    if len(sizes) > 1:
        print(
            f"targets: cost per source at {large:,} within {TARGET_RATIO}x of {small:,}"
            + (f"; peak RSS under {TARGET_MIB} MiB at {large:,}" if large >= 50000 else "")
        )
    for name, _ in RUNS:
        (t0, *_), (t1, rss1, *_) = results[name, small], results[name, large]
        ratio = (t1 / large) / (t0 / small)
        verdicts = [f"ratio {ratio:.2f}x {'met' if ratio <= TARGET_RATIO else 'NOT met'}"]
        if large >= 50000:
            verdicts.append(f"{rss1} MiB {'met' if rss1 < TARGET_MIB else 'NOT met'}")
        print(f"  {name:<20} {'; '.join(verdicts)}")
    print(
        json.dumps(
            {
                "sizes": sizes,
                "runs": [
                    {
                        "run": name,
                        "sources": n,
                        "seconds": round(v[0], 2),
                        "cpu_seconds": round(v[3], 2),
                        "peak_mib": v[1],
                        "exit": v[2],
                        "note": v[4],
                    }
                    for (name, n), v in results.items()
                ],
            }
        )
    )
    return 1 if failed or bad else 0


if __name__ == "__main__":
    sys.exit(main())
