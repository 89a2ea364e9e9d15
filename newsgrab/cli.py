"""The command-line interface: parse options, call the core, render, exit.

Only this module, plain.py and render.py write to the terminal. rich (and
render.py) are imported by the commands that draw with them: `fetch` under cron
needs neither.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsgrab import __version__, plain
from newsgrab.config import Settings, load_settings, unknown_variables
from newsgrab.errors import ExitCode, NewsgrabError, SeedError

if TYPE_CHECKING:
    from newsgrab.pipeline import Stop

log = logging.getLogger("newsgrab")
ISSUES_URL = "https://github.com/newsgrab/newsgrab/issues"


def _console(stderr: bool):
    """A rich console that prints text as it is (no markup, emoji or highlighting).
    A closed pipe raises BrokenPipeError, which the group turns into the exit
    status (rich's own default ends the program with status 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:  # rich's documented hook
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console(stderr=stderr, highlight=False, emoji=False, markup=False)


class Context:
    """What the group callback hands to each command."""

    def __init__(self, config: str | None, verbose: int, quiet: bool):
        self.config = config
        self.verbose = verbose
        self.quiet = quiet

    @functools.cached_property
    def out(self):
        return _console(stderr=False)

    @functools.cached_property
    def err(self):
        return _console(stderr=True)

    def settings(self, **overrides) -> Settings:
        settings = load_settings(self.config, os.environ, overrides)
        for message in unknown_variables(os.environ):
            log.warning("%s", message)
        return settings


class SafeFormatter(logging.Formatter):
    """Log lines carry URLs, titles and server messages: sanitize them all."""

    def format(self, record: logging.LogRecord) -> str:
        return plain.sanitize(super().format(record))


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    root = logging.getLogger("newsgrab")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def common_options(fn):
    """--config, -v and -q on every command (also accepted before the command)."""
    fn = click.option(
        "-q", "--quiet", is_flag=True, default=None, help="Print only failures and errors."
    )(fn)
    fn = click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv: debug).")(fn)
    return click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        help="Config file (default: $NEWSGRAB_CONFIG, ./newsgrab.toml, "
        "~/.config/newsgrab/config.toml).",
    )(fn)


def _ctx(ctx: click.Context, config, verbose, quiet) -> Context:
    obj = ctx.find_object(Context)
    if obj is None:
        obj = ctx.obj = Context(None, 0, False)
    if config:
        obj.config = config
    obj.verbose = max(obj.verbose, verbose or 0)
    obj.quiet = obj.quiet or bool(quiet)
    _setup_logging(obj.verbose, obj.quiet)
    return obj


class NewsgrabGroup(click.Group):
    """Maps newsgrab's exceptions to one line on stderr and an exit code, for every
    command, whether run as a program or through click's test runner."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # --help and --version print while the options are parsed
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            _discard_output()
            raise click.exceptions.Exit(PIPE_CLOSED) from None

    def invoke(self, ctx: click.Context):
        debug = os.environ.get("NEWSGRAB_DEBUG") == "1" or "--traceback" in sys.argv
        try:
            return super().invoke(ctx)
        except NewsgrabError as exc:
            if debug:
                traceback.print_exc()
            _say(plain.sanitize(f"error: {exc}"))
            ctx.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            _say("interrupted")
            ctx.exit(int(ExitCode.INTERRUPTED))
        except BrokenPipeError:  # `newsgrab ... | head`: the reader has gone
            _discard_output()
            ctx.exit(PIPE_CLOSED)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:  # the one catch-all: a bug in newsgrab
            if debug:
                traceback.print_exc()
            _say(
                plain.sanitize(
                    f"internal error: {type(exc).__name__}: {exc} (a bug in newsgrab "
                    f"{__version__}; please report it at {ISSUES_URL} with the output of "
                    f"NEWSGRAB_DEBUG=1)"
                )
            )
            ctx.exit(int(ExitCode.INTERNAL))


@click.group(cls=NewsgrabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgrab")
@click.option(
    "--traceback",
    "show_traceback",
    is_flag=True,
    hidden=True,
    help="Show a traceback on internal errors.",
)
@common_options
@click.pass_context
def cli(ctx, show_traceback, config, verbose, quiet):
    """Keep the web sources of your documents alive.

    newsgrab finds the URLs cited by your documents (.txt, .md, .html), fetches
    each page politely and safely, extracts the article, and stores it as JSON
    next to each document (<file name>.sources.json).

    \b
    Example:
        newsgrab fetch notes/
        newsgrab show notes/
    """
    ctx.obj = Context(config, verbose, bool(quiet))
    ctx.obj.traceback = show_traceback
    _setup_logging(verbose, bool(quiet))


# ---------------------------------------------------------------- urls


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@common_options
@click.pass_context
def urls(ctx, paths, fmt, config, verbose, quiet):
    """List the URLs cited by the seed files in PATHS; nothing is fetched.

    Text that looks like a web URL but cannot be one (a bad host, port or IPv6
    address, an over-long URL) is reported on stderr with its line and reason.
    Exit code 0, or 2 when a seed file could not be read (the others are listed).

    \b
    Example:
        newsgrab urls notes/
        newsgrab urls report.md --format json
    """
    from newsgrab.seeds import display_path, find_seed_files, read_seed, scan_citations, visible
    from newsgrab.urlutil import redact_url

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    seeds = find_seed_files(paths, settings.seed_globs)
    if not seeds:
        shown = ", ".join(display_path(p) for p in paths)
        obj.err.print(plain.sanitize(f"no seed files under {shown}"), soft_wrap=True)
        return
    rows = []
    unreadable = 0
    for seed in seeds:
        name = display_path(seed)
        try:
            text = read_seed(seed)
        except SeedError as exc:  # one unreadable seed does not hide the others
            unreadable += 1
            click.echo(plain.sanitize(f"error: {exc}"), err=True)
            continue
        citations, rejected = scan_citations(text, html=seed.suffix.lower() in (".html", ".htm"))
        for bad in rejected:
            click.echo(
                plain.one_line(f"{name}:{bad.line}: not a URL ({bad.reason}): {visible(bad.text)}"),
                err=True,
            )
        for c in citations:
            rows.append(
                {
                    "file": str(seed),  # exact (JSON escapes what a terminal must not see)
                    "line": c.line,
                    "label": c.label,
                    "url": redact_url(c.url),
                    "places": [{"line": p.line, "label": p.label} for p in c.places],
                }
            )
    if fmt == "json":
        click.echo(plain.json_text(rows, indent=2))
    else:
        for row in rows:
            label = f"\t{row['label']}" if row["label"] else ""
            shown = display_path(Path(row["file"]))
            click.echo(plain.sanitize(f"{shown}:{row['line']}\t{row['url']}{label}"))
    if unreadable:
        ctx.exit(int(ExitCode.USAGE))  # as `fetch` does for an unreadable seed


# ---------------------------------------------------------------- fetch


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--force", is_flag=True, help="Refetch every source, however recent.")
@click.option("--refresh-after", help="Refetch sources older than this (e.g. 6h, 30m, 0).")
@click.option(
    "--repair",
    is_flag=True,
    help="Move a corrupt sidecar aside (<name>.corrupt-<time>) and rebuild it.",
)
@click.option(
    "--wait",
    "wait",
    is_flag=False,
    flag_value="inf",
    default=None,
    metavar="[SECONDS]",
    help="If another run holds the lock, wait for it (for ever, or SECONDS).",
)
@click.option(
    "--allow-private-networks",
    is_flag=True,
    default=None,
    help="Allow URLs on loopback and private addresses.",
)
@click.option(
    "--no-robots", "obey_robots", flag_value=False, default=None, help="Do not obey robots.txt."
)
@click.option("--concurrency", type=int, help="Requests in flight at once (all hosts).")
@click.option("--user-agent", help="User-Agent header to send.")
@click.option(
    "--jobs",
    type=int,
    metavar="N",
    help="Worker processes that extract the articles (default 1; 0: in this process).",
)
@click.option("json_", "--json", is_flag=True, help="Print a JSON run report on stdout.")
@common_options
@click.pass_context
def fetch(
    ctx,
    paths,
    force,
    refresh_after,
    repair,
    wait,
    allow_private_networks,
    obey_robots,
    concurrency,
    user_agent,
    jobs,
    json_,
    config,
    verbose,
    quiet,
):
    """Fetch the sources cited by the seed files in PATHS and write sidecars.

    PATHS are seed files or folders (searched recursively); default: the
    `seeds` setting, else the current folder. Sources fetched less than
    `refresh_after` ago are skipped; older ones are revalidated cheaply.

    \b
    Example:
        newsgrab fetch notes/
        newsgrab fetch --force --json notes/report.md
    """
    signals = ctx.with_resource(StopOnSignal())  # first: a signal from now on stops cleanly
    from newsgrab.pipeline import Stop, Stopped, run_fetch

    signals.stop = Stop()
    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings(
        refresh_after=refresh_after,
        allow_private_networks=allow_private_networks,
        obey_robots=obey_robots,
        concurrency=concurrency,
        user_agent=user_agent,
        jobs=jobs,
    )
    paths = list(paths)
    wait_s: float | None = None
    if wait is not None:
        try:
            wait_s = float(wait)
        except ValueError:
            if not os.path.exists(wait):
                raise click.BadParameter(
                    f"expected seconds, got {wait!r}", param_hint="--wait"
                ) from None
            # `--wait notes/`: the folder is a PATH, not the option's value
            paths.insert(0, wait)
            wait_s = float("inf")
        if wait_s is not None and not wait_s >= 0:
            raise click.BadParameter(f"expected seconds, got {wait!r}", param_hint="--wait")
    # What exists before the run (modules, classes, settings) outlives it: keep
    # the garbage collector from scanning all of it again and again meanwhile.
    gc.freeze()
    try:
        # a progress bar (and rich, to draw it) only on a terminal
        bar = not obj.quiet and not json_ and sys.stderr.isatty()
        if bar:
            from newsgrab import render

            progress_bar = render.progress_for(obj.err, enabled=True)
        else:
            progress_bar = contextlib.nullcontext()
        with progress_bar as progress:
            report = run_fetch(
                settings,
                paths,
                force=force,
                do_repair=repair,
                wait=wait_s,
                progress=progress,
                stop=signals.stop,
            )
    except Stopped:
        raise Interrupted(signals.received or signal.SIGINT) from None
    finally:
        gc.unfreeze()
    if report.seeds == 0:
        where = ", ".join(paths) or ", ".join(settings.seeds) or "."
        obj.err.print(plain.sanitize(f"no seed files under {where}; nothing to do"))
        sys.exit(ExitCode.OK)
    for bad in report.rejected:  # as `newsgrab urls` prints them; not fetched
        click.echo(
            plain.one_line(
                f"{bad['seed']}:{bad['line']}: not a URL ({bad['reason']}): {bad['text']}"
            ),
            err=True,
        )
    for message in report.warnings:
        obj.err.print(plain.sanitize(f"warning: {message}"), soft_wrap=True)
    for message in (
        report.seed_errors + report.store_errors + report.write_errors + report.internal_errors
    ):
        obj.err.print(plain.sanitize(f"error: {message}"), soft_wrap=True)
    if json_:
        click.echo(plain.json_text(report.to_dict(), indent=2))
    else:
        # Failures on stderr, one line each; the summary (not with --quiet) on stdout.
        for src in report.failed:
            click.echo(plain.failure_line(src), err=True)
        if not obj.quiet:
            click.echo(plain.summary_line(report))
    sys.exit(report.exit_code)


class Interrupted(NewsgrabError):
    """SIGINT or SIGTERM stopped the run (sidecars are old or new, never torn)."""

    def __init__(self, signum: int):
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name}; sidecars written so far are complete")
        self.exit_code = ExitCode.INTERRUPTED if signum == signal.SIGINT else ExitCode.TERMINATED


class StopOnSignal:
    """SIGINT and SIGTERM stop `fetch` without tearing a sidecar (a process-wide
    concern, so it lives here and not in the library).

    While a run's event loop is going, the handler asks it to stop through its
    `Stop` (the run ends at its next `await`; sidecar writes in hand complete,
    each atomic anyway). Before or after it (imports, locking, reading seeds)
    the handler raises Interrupted at once: nothing is being written then.
    Handlers are only installed from the main thread."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self.stop: Stop | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: object) -> None:
        if self.received is None:
            self.received = signum
        if self.stop is None or not self.stop.request():
            raise Interrupted(self.received)

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


# ---------------------------------------------------------------- extract


@cli.command("extract")
@click.argument("sources", nargs=-1, metavar="FILE_OR_URL | --warc IN...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text", "jsonl", "parquet", "sqlite"]),
    help="One page: json (default) or text. --warc: jsonl (default), parquet or sqlite.",
)
@click.option("--url", help="The page's URL (resolves relative links, fills canonical_url).")
@click.option(
    "--warc",
    "warc",
    is_flag=True,
    help="The inputs are WARC or ARC files (gzip or not): extract every HTML page into -o.",
)
@click.option(
    "-o", "--output", "output", type=click.Path(file_okay=False), help="--warc: output folder."
)
@click.option(
    "--jobs",
    type=int,
    metavar="N",
    help="--warc: extraction worker processes (default `jobs`, 1; 0: in this process).",
)
@click.option(
    "--shard", metavar="K/N", help="--warc: take only shard K of N of the inputs (1/4 .. 4/4)."
)
@click.option(
    "--scheduler",
    metavar="ADDRESS|local",
    help="--warc: run on a Dask cluster (its scheduler address, or `local`: --jobs workers "
    "on this machine). Needs newsgrab[dask].",
)
@common_options
@click.pass_context
def extract_cmd(
    ctx, sources, fmt, url, warc, output, jobs, shard, scheduler, config, verbose, quiet
):
    """Extract the article from one HTML file (or URL) and print it; or, with
    --warc, every HTML page of WARC files into an output folder.

    \b
    Example:
        newsgrab extract saved-page.html
        newsgrab extract saved-page.html --format text
        newsgrab extract --warc crawl/*.warc.gz -o articles/ --format sqlite --jobs 4
    """
    obj = _ctx(ctx, config, verbose, quiet)
    if warc:
        _extract_warc(obj, sources, fmt, url, output, jobs, shard, scheduler)
        return
    for name, value in (("-o", output), ("--jobs", jobs), ("--shard", shard)):
        if value is not None:
            raise click.UsageError(f"{name} goes with --warc")
    if scheduler is not None:
        raise click.UsageError("--scheduler goes with --warc")
    if len(sources) != 1:
        raise click.UsageError("expected one FILE_OR_URL (or --warc IN... -o OUT)")
    if fmt not in (None, "json", "text"):
        raise click.UsageError(f"--format {fmt} goes with --warc (one page: json or text)")
    from newsgrab.extract import extract

    source = sources[0]
    if source.startswith(("http://", "https://")):
        body, page_url, content_type = _fetch_one(obj.settings(), source)
    else:
        path = Path(source)
        if not path.is_file():
            raise SeedError(f"{path}: no such file")
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise SeedError(f"{path}: cannot read: {exc.strerror or exc}") from None
        from newsgrab.fetch import binary_kind

        kind = binary_kind(body)
        if kind is not None:
            raise SeedError(f"{path}: not an HTML page ({kind})")
        page_url, content_type = url, None
    article = extract(body, url=page_url, content_type=content_type)
    if fmt == "text":
        click.echo(plain.sanitize(article.text))
    else:
        # the article as read (sanitized strings), as `show --format json` prints it
        click.echo(plain.json_text(plain.sanitize_data(article.to_dict()), indent=2))


def _extract_warc(obj: Context, sources, fmt, url, output, jobs, shard, scheduler) -> None:
    """`extract --warc IN... -o OUT`: see newsgrab/warc.py."""
    from newsgrab import warc as warc_mod

    if url is not None:
        raise click.UsageError("--url goes with one page, not --warc (each record has its URL)")
    if not sources:
        raise click.UsageError("--warc needs at least one input file")
    if output is None:
        raise click.UsageError("--warc needs -o OUT (the output folder)")
    fmt = fmt or "jsonl"
    if fmt not in warc_mod.FORMATS:
        raise click.UsageError(
            f"--format {fmt} is for one page; --warc writes jsonl, parquet or sqlite"
        )
    try:
        shard_kn = warc_mod.parse_shard(shard) if shard is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    settings = obj.settings(jobs=jobs)
    for source in sources:
        if not os.path.isfile(source):
            what = "a folder, not a WARC file" if os.path.isdir(source) else "no such file"
            raise SeedError(f"{source}: {what}")
    try:
        if fmt == "parquet":
            warc_mod.require_pyarrow()
        if scheduler is not None:
            warc_mod.require_dask()
    except warc_mod.WarcExtraError as exc:
        raise SeedError(str(exc)) from None
    if Path(output).exists() and not Path(output).is_dir():
        raise SeedError(f"{output}: not a folder")

    def report(entry: dict) -> None:
        """Each problem of a finished input, one line each on stderr."""
        for message in entry["messages"]:
            _say(plain.one_line(f"error: {message}"))
        more = sum(entry["errors"].values()) - len(entry["messages"])
        if more > 0:
            line = f"error: {entry['input']}: {more} more errors, counted in the manifest"
            _say(plain.one_line(line))

    try:
        result = warc_mod.run(
            list(sources),
            output,
            fmt=fmt,
            max_bytes=settings.max_bytes,
            extract_timeout=settings.extract_timeout,
            jobs=settings.jobs,
            shard=shard_kn,
            scheduler=scheduler,
            on_done=report,
        )
    except OSError as exc:
        raise SeedError(f"{exc.filename or output}: cannot write: {exc.strerror or exc}") from None
    totals = result.manifest.totals()
    ran = result.ran
    errors = sum(sum(e["errors"].values()) for e in ran)
    if not obj.quiet:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(_error_kinds(ran).items()))
        click.echo(
            plain.sanitize(
                f"newsgrab: {len(ran)} inputs extracted, {result.skipped_done} already done; "
                f"{sum(e['records'] for e in ran)} records, {sum(e['html'] for e in ran)} HTML, "
                f"{sum(e['extracted'] for e in ran)} extracted, {errors} errors"
                + (f" ({kinds})" if kinds else "")
                + f"; {totals['extracted']} rows in {output} "
                f"({result.manifest.path.name})"
            )
        )
    sys.exit(ExitCode.SOURCES_FAILED if errors else ExitCode.OK)


def _error_kinds(entries) -> dict[str, int]:
    """The error counts of `entries` by kind."""
    total: dict[str, int] = {}
    for entry in entries:
        for kind, n in entry["errors"].items():
            total[kind] = total.get(kind, 0) + n
    return total


def _fetch_one(settings: Settings, url: str) -> tuple[bytes, str, str | None]:
    import asyncio

    from newsgrab.fetch import Fetcher

    async def go():
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    from newsgrab.errors import FetchError
    from newsgrab.urlutil import redact_url

    try:
        resp = asyncio.run(go())
    except FetchError as exc:
        raise FetchError(
            exc.kind, f"{redact_url(url)}: {exc.message} ({exc.kind})", status=exc.status
        ) from None
    return resp.body, resp.final_url, resp.headers.get("content-type")


# ---------------------------------------------------------------- show
# (show, diff and schema: collection.py reads and filters, render.py writes)


def _statuses(ctx, param, values):
    from newsgrab.collection import STATUSES

    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if part not in STATUSES:
                raise click.BadParameter(f"{part!r} is not one of {', '.join(STATUSES)}")
            out.append(part)
    return tuple(out)


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _read_collection(obj: Context, settings: Settings, paths):
    """The sources under `paths`; unreadable sidecars reported one line each."""
    from newsgrab import collection

    where = list(paths) or list(settings.seeds) or ["."]
    coll = collection.load(where, settings.seed_globs)
    for exc in coll.errors:
        obj.err.print(plain.sanitize(f"error: {exc}"), soft_wrap=True)
    if not coll.seeds and not obj.quiet:
        obj.err.print(
            plain.sanitize(f"no seed files under {', '.join(map(str, where))}"), soft_wrap=True
        )
    return coll


def _output_format(obj: Context, fmt: str | None) -> str:
    return fmt or ("rich" if obj.out.is_terminal else "text")


def _show_history(obj: Context, entries, fmt: str, pager: bool) -> None:
    from newsgrab import render
    from newsgrab.collection import group_by_url, history

    items = [(entry, seeds, history(entry.source)) for entry, seeds in group_by_url(entries)]
    if fmt in ("json", "jsonl"):
        render.emit(obj.out, render.json_history(items, lines=fmt == "jsonl"), pager=False)
    elif fmt == "markdown":
        render.emit(obj.out, render.history_markdown(items), pager=pager)
    elif fmt == "text":
        render.emit(obj.out, render.history_text(items, obj.out.width), pager=pager)
    else:
        render.emit(obj.out, render.history_rich(items), pager=pager)


def _find_urls(entries, urls):
    from newsgrab.collection import SourceNotFoundError, find_url

    found = []
    for url in urls:
        matches = find_url(entries, url)
        if not matches:
            raise SourceNotFoundError(plain.sanitize(f"{url}: no stored source has this URL"))
        found += [m for m in matches if m not in found]
    return found


FORMAT_HELP = (
    "Output format: rich (default on a terminal), text (default when piped), "
    "markdown, json or jsonl (one object per source)."
)


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(plain.FORMATS), default=None, help=FORMAT_HELP)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    callback=_statuses,
    metavar="STATUS[,STATUS]",
    help="Only sources with this status: ok, error, gone, blocked, unsupported, "
    "pending (repeatable).",
)
@click.option(
    "--site",
    metavar="TEXT",
    help="Only sources whose site name or host contains TEXT (case-insensitive).",
)
@click.option(
    "--stale",
    is_flag=True,
    help="Only sources not checked within refresh_after (or never fetched).",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only sources published on or after DATE (2026-11-01, or an age: 7d).",
)
@click.option(
    "--sort",
    "sort_key",
    type=click.Choice(["date", "site", "status"]),
    help="date: newest first; site: by site; status: problems first.",
)
@click.option("--full", is_flag=True, help="The whole text (default: the first paragraphs).")
@click.option(
    "--history",
    is_flag=True,
    help="The revisions of each source with word diffs (as `newsgrab diff`).",
)
@click.option(
    "--pager/--no-pager",
    default=True,
    show_default=True,
    help="Page long output on a terminal (never when piped).",
)
@common_options
@click.pass_context
def show(
    ctx,
    targets,
    fmt,
    statuses,
    site,
    stale,
    since,
    sort_key,
    full,
    history,
    pager,
    config,
    verbose,
    quiet,
):
    """Show stored sources: a table for folders, the articles of seeds or URLs.

    TARGETS are folders (a table of every source), seed files (their
    articles) or URLs (that source, wherever it is stored; other TARGETS
    say where to look). Default: the `seeds` setting, else the current
    folder. Exits 65 if a sidecar could not be read (the rest is shown).

    \b
    Example:
        newsgrab show
        newsgrab show notes/ --status error,gone --sort date
        newsgrab show notes/report.md --format markdown
        newsgrab show https://example.com/story --history
        newsgrab show --format jsonl | jq -r .url
    """
    from datetime import UTC, datetime

    from newsgrab import collection, render

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    fmt = _output_format(obj, fmt)
    now = datetime.now(UTC)
    since_dt = collection.parse_since(since, now) if since else None  # before any reading
    urls = [t for t in targets if _is_url(t)]
    paths = [t for t in targets if not _is_url(t)]
    coll = _read_collection(obj, settings, paths)
    entries = collection.filter_entries(
        coll.entries,
        statuses=statuses,
        site=site,
        stale_after=settings.refresh_after if stale else None,
        since=since_dt,
        now=now,
    )
    if urls:
        entries = _find_urls(entries, urls)
    entries = collection.sort_entries(entries, sort_key)
    articles = bool(urls) or (bool(paths) and all(Path(p).is_file() for p in paths))
    if coll.unfetched and not obj.quiet:
        names = ", ".join(plain.one_line(s) for s in coll.unfetched[:3])
        more = f" and {len(coll.unfetched) - 3} more" if len(coll.unfetched) > 3 else ""
        obj.err.print(f"not fetched yet (no sidecar): {names}{more}", soft_wrap=True)

    if history:
        _show_history(obj, entries, fmt, pager)
    elif fmt in ("json", "jsonl"):
        render.emit(obj.out, render.json_sources(entries, lines=fmt == "jsonl"), pager=False)
    elif not articles:
        counts = collection.status_counts(entries)
        table = {
            "rich": render.table_rich,
            "text": render.table_text,
            "markdown": render.table_markdown,
        }[fmt]
        render.emit(obj.out, table(entries, counts, now), pager=pager)
    else:
        if urls:
            sections = [(group[0].url, [group]) for group in collection.group_by_url(entries)]
        else:
            by_seed: dict[Path, list] = {}
            for entry in entries:
                by_seed.setdefault(entry.seed, []).append((entry, [entry.seed]))
            sections = [(str(seed), blocks) for seed, blocks in by_seed.items()]
        if fmt == "rich":
            content = render.articles_rich(sections, full, now)
        elif fmt == "markdown":
            content = render.articles_markdown(sections, full, now)
        else:
            content = render.articles_text(sections, full, now, obj.out.width)
        render.emit(obj.out, content, pager=pager)
    if coll.errors:
        ctx.exit(int(ExitCode.DATA_ERROR))


@cli.command()
@click.argument("url")
@click.argument("paths", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(plain.FORMATS),
    default=None,
    help="Output format: rich, text, markdown, json or jsonl (the revisions list).",
)
@click.option(
    "--pager/--no-pager",
    default=True,
    show_default=True,
    help="Page long output on a terminal (never when piped).",
)
@common_options
@click.pass_context
def diff(ctx, url, paths, fmt, pager, config, verbose, quiet):
    """Show the revisions of the source URL, newest first, with word diffs.

    Each version is compared with the one before it: removed words are
    marked [-like this-], added words {+like this+} (struck through and
    bold in rich and Markdown output); unchanged paragraphs are folded.
    PATHS say where to look (default: the `seeds` setting, else the
    current folder).

    \b
    Example:
        newsgrab diff https://example.com/story
        newsgrab diff https://example.com/story notes/ --format json
    """
    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    coll = _read_collection(obj, settings, paths)
    entries = _find_urls(coll.entries, [url])
    _show_history(obj, entries, _output_format(obj, fmt), pager)
    if coll.errors:
        ctx.exit(int(ExitCode.DATA_ERROR))


@cli.command()
@common_options
@click.pass_context
def schema(ctx, config, verbose, quiet):
    """Print the JSON Schema of the sidecar files (<file name>.sources.json).

    The same file ships in the package as newsgrab/sidecar.schema.json.

    \b
    Example:
        newsgrab schema > sidecar.schema.json
    """
    from importlib.resources import files

    from newsgrab import render

    obj = _ctx(ctx, config, verbose, quiet)
    text = files("newsgrab").joinpath("sidecar.schema.json").read_text(encoding="utf-8")
    render.emit(obj.out, text, pager=False)


# ---------------------------------------------------------------- entry point


# A closed pipe ends newsgrab quietly with 141, the status git and the
# coreutils have when SIGPIPE ends them (newsgrab ignores the signal itself,
# as Python does, so a server hanging up a socket cannot kill a run).
PIPE_CLOSED = int(ExitCode.PIPE_CLOSED)


def _discard_output() -> None:
    """Point stdout and stderr at /dev/null once a reader has gone, so that
    flushing what is left at exit does not fail again (Python would print
    "Exception ignored" and exit 120 instead of the status newsgrab chose)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (tests)
            continue
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _say(line: str) -> None:
    """An error line on stderr; when nobody reads stderr any more, the exit
    status still tells what happened."""
    try:
        click.echo(line, err=True)
    except BrokenPipeError:
        _discard_output()


def main(argv: list[str] | None = None) -> None:
    """The console script and `python -m newsgrab`."""
    try:
        try:
            cli.main(args=argv, prog_name="newsgrab")
        finally:  # output still buffered fails here when the reader has gone
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_output()
        sys.exit(PIPE_CLOSED)
