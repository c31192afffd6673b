"""The ``djvet`` command line: ``check`` (with ``--fix``/``--diff``), ``rules``, ``explain``, ``server``.

Only argument parsing and wiring live here; checking is in ``runner``, printing in ``report``.
Exit codes: 0 clean, 1 findings (or fixes pending with ``--diff``), 2 usage error or nothing
could be read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .cache import CacheData, ResultCache, file_stamp
from .core.config import find_project_root, resolve_settings
from .core.python import jedi_facade
from .core.registry import all_rules, get_rule, rule_codes
from .core.types import CheckResult
from .docs import versions_label
from .report import Report, print_text, render_diff, render_github, render_json, render_sarif
from .runner import build_index, collect_jobs, flatten, run_jobs

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PROGRESS_AFTER_SECONDS = 0.5


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"djvet: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="djvet", description="Django checks for GET logouts, async views and async ORM use."
    )
    parser.add_argument("--version", action="version", version=f"djvet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check files and folders (default: .)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix/--diff: unsafe fixes too"
    )
    check.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff instead of writing"
    )
    check.add_argument(
        "--select", action="append", default=None, metavar="CODES", help="only these codes/prefixes"
    )
    check.add_argument(
        "--ignore", action="append", default=None, metavar="CODES", help="skip these codes/prefixes"
    )
    check.add_argument(
        "--django-version", metavar="X.Y", help="the project's Django version (default: detected)"
    )
    check.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths"
    )
    check.add_argument("--project-root", type=Path, help="the project root (default: detected)")
    check.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)"
    )
    check.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    check.add_argument(
        "--no-cache", action="store_true", help="neither read nor write .djvet_cache/"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when problems are found"
    )
    color = check.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None)
    color.add_argument("--no-color", dest="color", action="store_false")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="a rule code (DJV201) or name")

    server = sub.add_parser("server", help="run the language server (LSP over stdio)")
    server.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    server.add_argument(
        "--stdio", action="store_true", help="stdio transport (the default; for editor configs)"
    )
    return parser


def _progress_bar(enabled: bool) -> Progress | None:
    """A rich progress bar on stderr that only appears when a scan takes a while."""
    if not enabled:
        return None
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(file=sys.stderr),
    )


def cmd_check(args: argparse.Namespace) -> int:
    # A one-shot run wants the same answer every time: wait for jedi rather than time-box it.
    jedi_facade.configure(blocking=True)
    cwd = Path.cwd()
    errors: list[tuple[str, str]] = []
    root = args.project_root.resolve() if args.project_root else find_project_root(args.paths, cwd)
    settings = resolve_settings(
        root,
        rule_codes(),
        select=flatten(args.select) if args.select else None,
        ignore=flatten(args.ignore) if args.ignore else None,
        django_version=args.django_version,
        exclude=args.exclude,
    )
    for warning in settings.warnings:
        errors.append(
            (str(root / "pyproject.toml") if "[tool.djvet]" in warning else "djvet", warning)
        )

    def on_error(path: str, message: str) -> None:
        errors.append((path, message))

    show_progress = not args.no_progress and sys.stderr.isatty() and args.format == "text"
    started = time.monotonic()
    bar = _progress_bar(show_progress)
    index_task = None

    def index_progress(done: int, total: int) -> None:
        nonlocal index_task
        if bar is None or time.monotonic() - started < PROGRESS_AFTER_SECONDS:
            return
        if index_task is None:
            bar.start()
            index_task = bar.add_task("Indexing", total=total)
        bar.update(index_task, completed=done)

    missing = [p for p in args.paths if not (p if p.is_absolute() else cwd / p).exists()]
    if len(missing) == len(args.paths):
        for path in missing:
            print(f"djvet: {path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    mode = "fix" if args.fix else "diff" if args.diff else "check"
    cache = None if args.no_cache else ResultCache(root, settings)
    cached = cache.load() if cache is not None else CacheData()
    project = build_index(root, settings, index_progress, cached.modules)
    jobs = collect_jobs(args.paths, root, settings, cwd, on_error)
    reuse: dict[str, CheckResult] = {}
    stamps = {job.path: file_stamp(job.path) for job in jobs}
    if mode == "check" and cached.project_fingerprint == project.fingerprint():
        for job in jobs:
            hit = cached.results.get(job.path)
            if hit is not None and hit[:2] == stamps[job.path]:
                reuse[job.path] = hit[2]
    check_task = None

    def check_progress(step: int) -> None:
        nonlocal check_task
        if bar is None or time.monotonic() - started < PROGRESS_AFTER_SECONDS:
            return
        if check_task is None:
            if index_task is None:
                bar.start()
            check_task = bar.add_task("Checking", total=len(jobs))
        bar.advance(check_task, step)

    outcomes = run_jobs(
        jobs,
        project,
        settings,
        mode=mode,
        unsafe=args.unsafe_fixes,
        workers=args.jobs,
        progress=check_progress,
        reuse=reuse,
    )
    unchanged = (
        mode == "check"
        and len(reuse) == len(jobs)
        and cached.project_fingerprint == project.fingerprint()
    )
    if cache is not None and not unchanged:  # an unchanged tree: the cache is still exact
        if mode != "check":  # fixes rewrote files: re-read them next time
            project = build_index(root, settings)
            stamps = {job.path: file_stamp(job.path) for job in jobs}
        results = (
            dict(cached.results) if cached.project_fingerprint == project.fingerprint() else {}
        )
        for job, outcome in zip(jobs, outcomes, strict=True):
            stamp = stamps[job.path]
            if (
                outcome.result is not None
                and outcome.error is None
                and stamp is not None
                and mode == "check"
            ):
                results[job.path] = (*stamp, outcome.result)
        cache.save(project, results)
    if bar is not None and (index_task is not None or check_task is not None):
        bar.stop()
    version = settings.django_version
    report = Report(
        outcomes, errors, f"{version.major}.{version.minor}", settings.django_version_source
    )
    if args.diff:
        sys.stdout.write(render_diff(outcomes))
    elif args.format == "json":
        print(render_json(report))
    elif args.format == "sarif":
        print(render_sarif(report))
    elif args.format == "github":
        text = render_github(report)
        if text:
            print(text)
    else:
        color = (
            args.color
            if args.color is not None
            else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        )
        print_text(report, sys.stdout, sys.stderr, color=color)
    readable = [o for o in outcomes if o.error is None]
    if jobs and not readable:
        return EXIT_USAGE
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if any(o.fixed_text is not None for o in outcomes) else EXIT_CLEAN
    return EXIT_FINDINGS if report.findings() else EXIT_CLEAN


def cmd_rules(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.format == "json":
        import json

        print(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "summary": r.summary,
                        "severity": r.severity.label,
                        "django": r.django,
                        "fixable": r.fixable,
                        "targets": sorted(t.value for t in r.targets),
                    }
                    for r in rules
                ],
                indent=2,
            )
        )
        return EXIT_CLEAN
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("Code", "Name", "Django", "Fix", "Summary"):
        table.add_column(column)
    for rule in rules:
        table.add_row(
            rule.code,
            rule.name,
            versions_label(rule.django),
            "yes" if rule.fixable else "",
            rule.summary,
        )
    Console(highlight=False).print(table)
    return EXIT_CLEAN


def cmd_explain(args: argparse.Namespace) -> int:
    rule = get_rule(args.code)
    if rule is None:
        print(f"djvet: unknown rule {args.code!r}; `djvet rules` lists them", file=sys.stderr)
        return EXIT_USAGE
    header = f"# {rule.code} {rule.name}\n\n{rule.summary}. Django {versions_label(rule.django)}."
    header += f" Fix: {'available' if rule.fixable else 'none'}.\n\n"
    text = header + rule.docs() + "\n"
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        sys.stdout.write(text)
    return EXIT_CLEAN


def cmd_server(args: argparse.Namespace) -> int:
    from .lsp.server import serve

    return serve(tcp=args.tcp)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {
        "check": cmd_check,
        "rules": cmd_rules,
        "explain": cmd_explain,
        "server": cmd_server,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
