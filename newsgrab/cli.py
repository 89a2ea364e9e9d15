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
import re
import signal
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsgrab import ISSUES_URL, __version__, plain
from newsgrab.config import Settings, load_settings, unknown_variables
from newsgrab.errors import ExitCode, NewsgrabError, SeedError
from newsgrab.seeds import display_path, find_seed_files, visible

if TYPE_CHECKING:
    from newsgrab.pipeline import Stop

log = logging.getLogger("newsgrab")


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


STDIN_NAME = "<stdin>"
_HTML_START = re.compile(rb"\s*(?:<!doctype\s+html|<html[\s>])", re.I)


def _read_stdin(limit: int) -> bytes:
    """At most `limit` + 1 bytes of standard input (one more tells it is over)."""
    return sys.stdin.buffer.read(limit + 1)


def read_stdin_seed() -> tuple[str, bool]:
    """A seed on standard input (`-`): its text, and whether it is HTML (it
    starts, after blanks or a BOM, with `<!doctype html` or `<html`); else it is
    read as text or Markdown."""
    from newsgrab.seeds import MAX_SEED_BYTES, decode_seed

    data = _read_stdin(MAX_SEED_BYTES)
    if len(data) > MAX_SEED_BYTES:
        raise SeedError(
            f"{STDIN_NAME}: larger than {MAX_SEED_BYTES // (1024 * 1024)} MiB, not read"
        )
    text, _ = decode_seed(data, STDIN_NAME)
    head = text.lstrip("\ufeff").encode("utf-8", "replace")[:64]
    return text, bool(_HTML_START.match(head))


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
    A PATH of `-` reads a seed from standard input (HTML when it starts with
    <!doctype html> or <html>, else text or Markdown).

    \b
    Example:
        newsgrab urls notes/
        newsgrab urls report.md --format json
        pbpaste | newsgrab urls -
    """
    from newsgrab.seeds import find_seed_files, read_seed, scan_citations, visible
    from newsgrab.urlutil import redact_url

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    stdin = "-" in paths
    named = [p for p in paths if p != "-"]
    seeds: list[Path | None] = list(find_seed_files(named, settings.seed_globs)) if named else []
    if stdin:
        seeds.insert(paths.index("-"), None)  # None: standard input, where it was named
    if not seeds:
        shown = ", ".join(display_path(p) for p in paths)
        obj.err.print(plain.sanitize(f"no seed files under {shown}"), soft_wrap=True)
        return
    rows = []
    unreadable = 0
    for seed in seeds:
        name = STDIN_NAME if seed is None else display_path(seed)
        try:
            if seed is None:
                text, html = read_stdin_seed()
            else:
                text, html = read_seed(seed), seed.suffix.lower() in (".html", ".htm")
        except SeedError as exc:  # one unreadable seed does not hide the others
            unreadable += 1
            click.echo(plain.sanitize(f"error: {exc}"), err=True)
            continue
        citations, rejected = scan_citations(text, html=html)
        for bad in rejected:
            click.echo(
                plain.one_line(f"{name}:{bad.line}: not a URL ({bad.reason}): {visible(bad.text)}"),
                err=True,
            )
        for c in citations:
            rows.append(
                {
                    # exact (JSON escapes what a terminal must not see)
                    "file": STDIN_NAME if seed is None else str(seed),
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
            shown = row["file"] if row["file"] == STDIN_NAME else display_path(Path(row["file"]))
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
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be fetched and why, and what is fresh; fetch and write nothing.",
)
@click.option(
    "--warc-file",
    metavar="PREFIX",
    help="Also write every request and answer to PREFIX.warc.gz (see README, Archiving).",
)
@click.option(
    "--warc-max-size",
    metavar="BYTES",
    help="Start PREFIX-00001.warc.gz, ... once a WARC file reaches this size (e.g. 1GB).",
)
@click.option("--warc-cdx", is_flag=True, default=None, help="Also write a CDX index, PREFIX.cdx.")
@click.option(
    "--reextract",
    is_flag=True,
    help="Extract the articles again from their WARC captures (no network).",
)
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
    dry_run,
    warc_file,
    warc_max_size,
    warc_cdx,
    reextract,
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
        newsgrab fetch --dry-run notes/
        newsgrab fetch --warc-file archive/notes --warc-cdx notes/
        newsgrab fetch --reextract notes/
    """
    signals = ctx.with_resource(StopOnSignal())  # first: a signal from now on stops cleanly
    if reextract:
        moot = [
            name
            for name, given in (
                ("--dry-run", dry_run),
                ("--force", force),
                ("--warc-file", warc_file is not None),
                ("--warc-max-size", warc_max_size is not None),
                ("--warc-cdx", warc_cdx is not None),
            )
            if given
        ]
        if moot:
            raise click.UsageError(
                f"--reextract fetches nothing (it reads the stored captures): "
                f"{', '.join(moot)} does not apply"
            )
    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings(
        refresh_after=refresh_after,
        allow_private_networks=allow_private_networks,
        obey_robots=obey_robots,
        concurrency=concurrency,
        user_agent=user_agent,
        jobs=jobs,
        warc_file=warc_file,
        warc_max_size=warc_max_size,
        warc_cdx=warc_cdx,
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
    # a cron run on an empty folder ends here, before the pipeline is imported
    if not find_seed_files(paths or settings.seeds or ["."], settings.seed_globs):
        where = ", ".join(paths) or ", ".join(settings.seeds) or "."
        click.echo(plain.sanitize(f"no seed files under {where}; nothing to do"), err=True)
        sys.exit(ExitCode.OK)
    from newsgrab.pipeline import Stop, Stopped, run_fetch

    signals.stop = Stop()
    if dry_run:
        _dry_run(obj, settings, paths, force, json_)
    if reextract:
        _reextract(obj, settings, paths, wait_s, json_, signals)
    if settings.warc_file:
        from newsgrab.warcout import check_target

        check_target(settings.warc_file)
    # What exists before the run (modules, classes, settings) outlives it: keep
    # the garbage collector from scanning all of it again and again meanwhile.
    gc.freeze()
    try:
        # a progress bar (and rich, to draw it) only on a terminal
        bar = not obj.quiet and not json_ and sys.stderr.isatty()
        if bar:
            from newsgrab.progress import FetchProgress

            progress_bar = FetchProgress(obj.err)
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
        click.echo(plain.sanitize(f"no seed files under {where}; nothing to do"), err=True)
        sys.exit(ExitCode.OK)
    for bad in report.rejected:  # as `newsgrab urls` prints them; not fetched
        click.echo(_rejected_line(bad), err=True)
    for message in report.warnings:
        obj.err.print(plain.sanitize(f"warning: {message}"), soft_wrap=True)
    for message in (
        report.seed_errors + report.store_errors + report.write_errors + report.internal_errors
    ):
        obj.err.print(plain.sanitize(f"error: {message}"), soft_wrap=True)
    if json_:
        click.echo(plain.json_text(report.to_dict(), indent=2))
    elif obj.quiet:
        # Changes of state only, so that cron mails when something happened: a
        # source that started failing (stderr), or a new, changed, recovered or
        # archived one (stdout).
        for src in report.state_changes:
            if src["change"] == "newly_failing":
                click.echo(plain.failure_line(src), err=True)
            else:
                click.echo(plain.change_line(src))
    else:
        # Failures on stderr, one line each (a source that keeps failing as gone,
        # unsupported or blocked only the first time); the summary on stdout.
        for src in report.failed:
            if src["change"] != "still_failing" or src["status"] == "error":
                click.echo(plain.failure_line(src), err=True)
        click.echo(plain.summary_line(report))
    sys.exit(report.exit_code)


def _reextract(obj: Context, settings: Settings, paths, wait, json_: bool, signals) -> None:
    """`fetch --reextract`: see newsgrab/reextract.py."""
    from newsgrab.pipeline import Stopped
    from newsgrab.reextract import error_line, run_reextract

    try:
        report = run_reextract(settings, paths, wait=wait, stop=signals.stop)
    except Stopped:
        raise Interrupted(signals.received or signal.SIGINT) from None
    if report.seeds == 0:
        where = ", ".join(paths) or ", ".join(settings.seeds) or "."
        click.echo(plain.sanitize(f"no seed files under {where}; nothing to do"), err=True)
        sys.exit(ExitCode.OK)
    for message in report.store_errors + report.write_errors + report.internal_errors:
        obj.err.print(plain.sanitize(f"error: {message}"), soft_wrap=True)
    for entry in report.failed:
        obj.err.print(plain.sanitize(error_line(entry)), soft_wrap=True)
    if json_:
        click.echo(plain.json_text(report.to_dict(), indent=2))
    elif not obj.quiet:
        click.echo(report.summary())
    sys.exit(report.exit_code)


def _due_reason(state, force: bool, settings: Settings) -> str:
    """Why a due source would be fetched: forced, new (never fetched), retry
    (the last attempt failed), unblocked (blocked by a setting since lifted) or
    stale (checked longer than refresh_after ago, or its settled retry interval)."""
    from newsgrab.model import Status

    if force:
        return "forced"
    if state.status == Status.ERROR:
        return "retry"
    kind = state.error.kind if state.error is not None else None
    if state.status == Status.BLOCKED and (
        (kind == "blocked" and settings.allow_private_networks)
        or (kind == "robots" and not settings.obey_robots)
    ):
        return "unblocked"  # the setting that blocked it no longer does
    if state.fetch is None or state.status == Status.PENDING:
        return "new"
    return "stale"


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _dry_run(obj: Context, settings: Settings, paths, force: bool, json_: bool) -> None:
    """`fetch --dry-run`: the plan of a run, no lock, no request, no write."""
    import time

    from newsgrab.model import epoch_of, retry_interval
    from newsgrab.pipeline import plan_only

    plan, report = plan_only(settings, paths, force=force)
    if report.seeds == 0:
        where = ", ".join(paths) or ", ".join(settings.seeds) or "."
        click.echo(plain.sanitize(f"no seed files under {where}; nothing to do"), err=True)
        sys.exit(ExitCode.OK)
    seeds_of: dict[str, list[str]] = {}
    for job, keys in zip(plan.jobs, plan.keys, strict=True):
        for key in keys:
            seeds_of.setdefault(key, []).append(str(job.seed))
    now = time.time()

    def item(key: str, state) -> dict:
        checked = epoch_of(state.fetch.checked_at) if state.fetch else None
        return {
            "url": key,
            "status": str(state.status),
            "checked_at": state.fetch.checked_at if state.fetch else None,
            "checked_s_ago": None if checked is None else round(now - checked),
            "error_kind": state.error.kind if state.error else None,
            "seeds": seeds_of.get(key, []),
        }

    due = [
        dict(item(w.key, w.state), reason=_due_reason(w.state, force, settings)) for w in plan.due
    ]
    fresh = []
    for key in plan.states:
        if key in plan.fresh:
            entry = item(key, plan.states[key])
            ago = entry["checked_s_ago"] or 0
            interval = retry_interval(plan.states[key], settings.refresh_after)
            entry["due_in_s"] = max(0, round(interval - ago))
            fresh.append(entry)
    for bad in report.rejected:
        click.echo(_rejected_line(bad), err=True)
    for message in report.warnings:
        click.echo(plain.sanitize(f"warning: {message}"), err=True)
    for message in report.seed_errors + report.store_errors + report.internal_errors:
        click.echo(plain.sanitize(f"error: {message}"), err=True)
    if json_:
        out = {
            "dry_run": True,
            "seeds": report.seeds,
            "refresh_after_s": settings.refresh_after,
            "due": due,
            "fresh": fresh,
            "store_errors": report.store_errors,
            "seed_errors": report.seed_errors,
            "internal_errors": report.internal_errors,
            "warnings": report.warnings,
            "rejected": report.rejected,
            "exit_code": int(report.exit_code),
        }
        click.echo(plain.json_text(out, indent=2))
        sys.exit(report.exit_code)
    for d in due:
        if d["reason"] == "retry":
            detail = f"failed last time ({d['error_kind'] or 'error'})"
        elif d["reason"] == "stale":
            detail = f"checked {_ago(d['checked_s_ago'] or 0)} ago"
        elif d["reason"] == "forced":
            detail = "--force"
        elif d["reason"] == "unblocked":
            detail = "the setting that blocked it no longer does"
        else:
            detail = "never fetched"
        seeds = ", ".join(display_path(x) for x in d["seeds"])
        click.echo(plain.sanitize(f"due\t{d['reason']}\t{d['url']}\t{detail}\t({seeds})"))
    if not obj.quiet:
        for f in fresh:
            seeds = ", ".join(display_path(x) for x in f["seeds"])
            detail = f"checked {_ago(f['checked_s_ago'] or 0)} ago, due in {_ago(f['due_in_s'])}"
            click.echo(plain.sanitize(f"fresh\t-\t{f['url']}\t{detail}\t({seeds})"))
    reasons = Counter(d["reason"] for d in due)
    parts = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
    click.echo(
        plain.sanitize(
            f"newsgrab: dry run: {plain.plural(report.seeds, 'seed')}, "
            f"{plain.plural(len(plan.states), 'source')}: {len(due)} to fetch"
            + (f" ({parts})" if parts else "")
            + f", {len(fresh)} fresh; nothing fetched or written"
        )
    )
    sys.exit(report.exit_code)


def _rejected_line(bad: dict) -> str:
    """A citation that cannot be a URL, as `newsgrab urls` prints it."""
    where, text = display_path(bad["seed"]), visible(bad["text"])
    return plain.one_line(f"{where}:{bad['line']}: not a URL ({bad['reason']}): {text}")


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

    SOURCE `-` reads the page from standard input.

    \b
    Example:
        newsgrab extract saved-page.html
        newsgrab extract saved-page.html --format text
        curl -s https://example.org/news/1 | newsgrab extract - --url https://example.org/news/1
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
    elif source == "-":  # standard input, capped like a fetched body
        limit = obj.settings().max_bytes
        body = _read_stdin(limit)
        if len(body) > limit:
            raise SeedError(f"{STDIN_NAME}: larger than max_bytes ({limit} bytes), not read")
        from newsgrab.fetch import binary_kind

        kind = binary_kind(body)
        if kind is not None:
            raise SeedError(f"{STDIN_NAME}: not an HTML page ({kind})")
        page_url, content_type = url, None
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
        # exact strings, terminal-safe (\\u escapes), as `show --format json` prints them
        click.echo(plain.json_text(article.to_dict(), indent=2))


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
                f"newsgrab: {plain.plural(len(ran), 'input')} extracted, "
                f"{result.skipped_done} already done; "
                f"{plain.plural(sum(e['records'] for e in ran), 'record')}, "
                f"{sum(e['html'] for e in ran)} HTML, "
                f"{sum(e['extracted'] for e in ran)} extracted, {plain.plural(errors, 'error')}"
                + (f" ({kinds})" if kinds else "")
                + f"; {plain.plural(totals['extracted'], 'row')} in {output} "
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
    """The sources under `paths`, read one sidecar at a time as they are iterated
    (collection.Sidecars); `_reading_errors` reports what could not be read."""
    from newsgrab import collection

    where = list(paths) or list(settings.seeds) or ["."]
    coll = collection.Sidecars(where, settings.seed_globs)
    if not coll.seeds and not obj.quiet:
        obj.err.print(
            plain.sanitize(f"no seed files under {', '.join(map(str, where))}"), soft_wrap=True
        )
    return coll


def _reading_errors(obj: Context, coll) -> None:
    """Unreadable sidecars, one line each (once the collection has been read)."""
    for exc in coll.errors:
        obj.err.print(plain.sanitize(f"error: {exc}"), soft_wrap=True)


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


def _find_urls(entries, urls, before_error=lambda: None):
    """The entries stored for each of `urls` (one pass over `entries`);
    `before_error` is called before a URL found nowhere is reported."""
    from newsgrab.collection import SourceNotFoundError, find_urls

    found = []
    for url, matches in zip(urls, find_urls(entries, urls), strict=True):
        if not matches:
            before_error()
            raise SourceNotFoundError(plain.sanitize(f"{url}: no stored source has this URL"))
        found += [m for m in matches if m not in found]
    return found


FORMAT_HELP = (
    "Output format: rich (default on a terminal), text (default when piped), "
    "markdown, json, jsonl (one object per source) or csv (one row per source)."
)
SHOW_FORMATS = (*plain.FORMATS, "csv")


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(SHOW_FORMATS), default=None, help=FORMAT_HELP)
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
    "--changed",
    "changed",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[SINCE]",
    help="Only sources whose article changed (a new version was stored), since "
    "SINCE when given (2026-11-01, or an age: 7d).",
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
    changed,
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
        newsgrab show notes/ --changed 7d
        newsgrab show notes/report.md --format markdown
        newsgrab show https://example.com/story --history
        newsgrab show --format jsonl | jq -r .url
        newsgrab show notes/ --format csv > sources.csv
    """
    from datetime import UTC, datetime

    from newsgrab import collection, render

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    fmt = _output_format(obj, fmt)
    if history and fmt == "csv":
        raise click.BadParameter(
            "csv is a table of sources; not with --history", param_hint="--format"
        )
    now = datetime.now(UTC)
    since_dt = collection.parse_since(since, now) if since else None  # before any reading
    targets = tuple(targets)
    if changed and os.path.exists(changed):  # `--changed notes/`: a TARGET, not SINCE
        targets, changed = (changed, *targets), ""
    changed_dt = collection.parse_since(changed, now, "--changed") if changed else None
    urls = [t for t in targets if _is_url(t)]
    paths = [t for t in targets if not _is_url(t)]
    coll = _read_collection(obj, settings, paths)
    # The sidecars are read one at a time as the output is made: the table, CSV,
    # JSON and JSONL stream; only --sort, URLs, articles and --history keep the
    # sources they show (those selected) in memory.
    entries = collection.select(
        coll,
        statuses=statuses,
        site=site,
        stale_after=settings.refresh_after if stale else None,
        since=since_dt,
        now=now,
        changed=changed is not None,
        changed_since=changed_dt,
    )
    if urls:
        entries = _find_urls(entries, urls, lambda: _reading_errors(obj, coll))
    if sort_key:
        entries = collection.sort_entries(entries, sort_key)
    articles = bool(urls) or (bool(paths) and all(Path(p).is_file() for p in paths))
    if history or articles or fmt == "rich":
        entries = list(entries)
        _reading_errors(obj, coll)
        _not_fetched(obj, coll)

    if history:
        _show_history(obj, entries, fmt, pager)
    elif fmt == "csv":
        render.emit_chunks(obj.out, render.csv_sources_chunks(entries), pager=False)
    elif fmt in ("json", "jsonl"):
        chunks = render.json_sources_chunks(entries, lines=fmt == "jsonl")
        render.emit_chunks(obj.out, chunks, pager=False)
    elif not articles:
        if fmt == "rich":
            counts = collection.status_counts(entries)
            content = render.table_rich(entries, counts, now, obj.out.width)
            render.emit(obj.out, content, pager=pager)
        elif fmt == "text":  # fitted to a terminal; never cut on a pipe
            width = obj.out.width if render.is_tty(obj.out) else None
            render.emit_chunks(obj.out, render.table_text_lines(entries, now, width), pager=pager)
        else:
            render.emit_chunks(obj.out, render.table_markdown_lines(entries, now), pager=pager)
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
    if not (history or articles or fmt == "rich"):  # read while the output was made
        _reading_errors(obj, coll)
        _not_fetched(obj, coll)
    if coll.errors:
        ctx.exit(int(ExitCode.DATA_ERROR))


def _not_fetched(obj: Context, coll) -> None:
    if coll.unfetched and not obj.quiet:
        names = ", ".join(plain.one_line(s) for s in coll.unfetched[:3])
        more = f" and {len(coll.unfetched) - 3} more" if len(coll.unfetched) > 3 else ""
        obj.err.print(f"not fetched yet (no sidecar): {names}{more}", soft_wrap=True)


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
    entries = _find_urls(coll, [url], lambda: _reading_errors(obj, coll))
    _reading_errors(obj, coll)
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


# ---------------------------------------------------------------- add


@cli.command("add")
@click.argument("url")
@click.option(
    "--to",
    "seed",
    required=True,
    metavar="SEED",
    type=click.Path(),
    help="The seed file to add the citation to (created if missing).",
)
@click.option("--label", help="The citation's label (the title you give the page).")
@click.option("--no-fetch", is_flag=True, help="Only add the citation; fetch nothing.")
@click.option(
    "--allow-private-networks",
    is_flag=True,
    default=None,
    help="As for fetch: allow URLs on loopback and private addresses.",
)
@common_options
@click.pass_context
def add(ctx, url, seed, label, no_fetch, allow_private_networks, config, verbose, quiet):
    """Add a citation of URL to a seed file, then fetch that seed.

    The citation is appended in the seed's own format: `- [label](<url>)` in
    Markdown, `<p><a href="url">label</a></p>` before </body> in HTML,
    `Related: label url` (or the URL alone) in other text files. The file
    keeps its encoding and line endings and is replaced atomically. Then
    `newsgrab fetch SEED` runs: the new URL is fetched, with any other source
    of that seed that is due. A seed that is a symlink, or lies outside the
    seed folders (the `seeds` setting, else the current folder), is refused.

    \b
    Example:
        newsgrab add https://example.org/news/1 --label "Bridge closes" --to notes/bridge.md
        newsgrab add https://example.org/news/2 --to inbox.txt --no-fetch
    """
    from newsgrab.seeds import add_citation, redact

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings(allow_private_networks=allow_private_networks)
    path = Path(seed)
    roots = list(settings.seeds) or ["."]
    added = add_citation(path, url, label, roots, settings.seed_globs)
    shown = display_path(path)
    if added.already:
        message = f"{shown}:{added.line}: cites {redact(added.url)} already; not changed"
    else:
        created = " (created)" if added.created else ""
        message = f"{shown}:{added.line}: added {redact(added.url)}{created}"
    if not obj.quiet:
        click.echo(plain.sanitize(message), err=True)
    if no_fetch:
        return
    ctx.invoke(
        fetch,
        paths=(str(path),),
        allow_private_networks=allow_private_networks,
        config=config,
        verbose=verbose,
        quiet=quiet,
    )


# ---------------------------------------------------------------- export


@cli.command("export")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--sqlite",
    "target",
    required=True,
    type=click.Path(dir_okay=False),
    help="The SQLite database to write (an earlier export there is replaced).",
)
@common_options
@click.pass_context
def export_cmd(ctx, paths, target, config, verbose, quiet):
    """Export the stored sources under PATHS to a SQLite database.

    Tables seeds, sources, articles, revisions and citations, with primary and
    foreign keys; lists (authors, tags, redirects) as JSON text. Readable as it
    is by sqlite3, sqlite-utils and Datasette. PATHS as for `show` (default:
    the `seeds` setting, else the current folder). A FILE that exists is
    replaced only when it is an earlier newsgrab export. Exits 65 if a sidecar
    could not be read (the rest is exported).

    \b
    Example:
        newsgrab export --sqlite sources.db notes/
        datasette sources.db
        sqlite-utils query sources.db "select status, count(*) from sources group by status"
    """
    from newsgrab.export import export_sqlite

    obj = _ctx(ctx, config, verbose, quiet)
    settings = obj.settings()
    where = list(paths) or list(settings.seeds) or ["."]
    report = export_sqlite(Path(target), where, settings.seed_globs)
    for exc in report.errors:
        click.echo(plain.sanitize(f"error: {exc}"), err=True)
    if report.unfetched and not obj.quiet:
        names = ", ".join(display_path(s) for s in report.unfetched[:3])
        more = f" and {len(report.unfetched) - 3} more" if len(report.unfetched) > 3 else ""
        click.echo(plain.sanitize(f"not fetched yet (no sidecar): {names}{more}"), err=True)
    c = report.counts
    if not obj.quiet:
        click.echo(
            plain.sanitize(
                "newsgrab: exported "
                + ", ".join(
                    plain.plural(c[f"{what}s"], what)
                    for what in ("seed", "source", "article", "revision", "citation")
                )
                + f" to {display_path(target)}"
            )
        )
    if report.errors:
        ctx.exit(int(ExitCode.DATA_ERROR))


# ---------------------------------------------------------------- config


def _toml_value(value: object) -> str:
    """A TOML literal that is printable ASCII (so it is safe on a terminal and
    reads back as the same value)."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # JSON's escapes are TOML's; DEL is the one control JSON leaves as it is
    return json.dumps(str(value), ensure_ascii=True).replace("\x7f", "\\u007f")


@cli.command("config")
@click.option(
    "--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True
)
@click.option("--refresh-after", help="As for fetch: show its effect.")
@click.option("--allow-private-networks", is_flag=True, default=None, help="As for fetch.")
@click.option("--no-robots", "obey_robots", flag_value=False, default=None, help="As for fetch.")
@click.option("--concurrency", type=int, help="As for fetch.")
@click.option("--user-agent", help="As for fetch.")
@click.option("--jobs", type=int, metavar="N", help="As for fetch.")
@common_options
@click.pass_context
def config_cmd(
    ctx,
    fmt,
    refresh_after,
    allow_private_networks,
    obey_robots,
    concurrency,
    user_agent,
    jobs,
    config,
    verbose,
    quiet,
):
    """Print every effective setting and where it came from.

    Each value comes from the built-in default, the config file (its path is
    shown), a NEWSGRAB_<KEY> environment variable, or an option. The fetch
    options given here show what `newsgrab fetch` would run with. The TOML
    output is a valid config file (a proxy's password is left out).

    \b
    Example:
        newsgrab config
        newsgrab config --format json | jq .settings.refresh_after
        NEWSGRAB_RETRIES=4 newsgrab config --concurrency 4
    """
    from newsgrab.config import FIELDS, explain_settings, setting_text, unknown_variables

    obj = _ctx(ctx, config, verbose, quiet)
    overrides = {
        "refresh_after": refresh_after,
        "allow_private_networks": allow_private_networks,
        "obey_robots": obey_robots,
        "concurrency": concurrency,
        "user_agent": user_agent,
        "jobs": jobs,
    }
    settings, sources, path = explain_settings(obj.config, os.environ, overrides)
    for message in unknown_variables(os.environ):
        log.warning("%s", message)
    values = {key: setting_text(key, getattr(settings, key)) for key in FIELDS}
    if fmt == "json":
        report = {
            "config_file": None if path is None else str(path),
            "settings": {k: {"value": values[k], "source": sources[k]} for k in FIELDS},
        }
        click.echo(plain.json_text(report, indent=2))
        return
    shown = "none found" if path is None else str(path)
    lines = [f"# config file: {shown}"]
    pairs = [(f"{k} = {_toml_value(values[k])}", sources[k]) for k in FIELDS]
    width = max(len(p) for p, _ in pairs)
    lines += [f"{p.ljust(width)}  # {where}" for p, where in pairs]
    click.echo(plain.sanitize("\n".join(lines)))


# ---------------------------------------------------------------- completion


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@common_options
@click.pass_context
def completion_cmd(ctx, shell, config, verbose, quiet):
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    Example:
        newsgrab completion bash > ~/.local/share/bash-completion/completions/newsgrab
        newsgrab completion zsh > "${fpath[1]}/_newsgrab"
        newsgrab completion fish > ~/.config/fish/completions/newsgrab.fish
        eval "$(newsgrab completion bash)"      # for this shell only
    """
    from click.shell_completion import get_completion_class

    _ctx(ctx, config, verbose, quiet)
    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover (click knows these three)
        raise click.BadParameter(f"no completion for {shell}", param_hint="SHELL")
    script = cls(cli, {}, "newsgrab", COMPLETE_VAR).source()
    click.echo(plain.sanitize(script))


# What click reads to answer a completion request from the scripts above.
COMPLETE_VAR = "_NEWSGRAB_COMPLETE"


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
