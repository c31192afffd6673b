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
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__

if TYPE_CHECKING:
    from rich.progress import Progress

# Only the standard library is imported up front: a re-run on an unchanged tree answers from
# the cache (``cache.AnswerCache``) without importing rich, packaging or the analysis modules.

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
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(file=sys.stderr),
    )


def _use_color(args: argparse.Namespace) -> bool:
    if args.color is not None:
        return bool(args.color)
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _command_key(args: argparse.Namespace, cwd: Path, root: Path, mode: str) -> str:
    """Everything on the command line (and around it) that shapes the output, as text."""
    return repr(
        (
            str(cwd),
            str(root),
            [str(p) for p in args.paths],
            mode,
            args.format,
            args.select,
            args.ignore,
            args.django_version,
            args.exclude,
            args.exit_zero,
            _use_color(args) if args.format == "text" else None,
            os.environ.get("VIRTUAL_ENV"),
        )
    )


def cmd_check(args: argparse.Namespace) -> int:
    from .cache import AnswerCache, cache_dir, tree_fingerprint
    from .layout import find_project_root

    cwd = Path.cwd()
    missing = [p for p in args.paths if not (p if p.is_absolute() else cwd / p).exists()]
    if len(missing) == len(args.paths):
        for path in missing:
            print(f"djvet: {path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    mode = "fix" if args.fix else "diff" if args.diff else "check"
    root = args.project_root.resolve() if args.project_root else find_project_root(args.paths, cwd)
    answers = None
    fingerprint = ""
    if not args.no_cache and mode == "check":
        # Level 1: the same command on the same files gives the same output, replayed.
        directory = cache_dir(root)
        answers = AnswerCache(directory, _command_key(args, cwd, root, mode))
        targets = [(p if p.is_absolute() else cwd / p).resolve() for p in args.paths]
        fingerprint = tree_fingerprint(root, targets, directory)
        answer = answers.load(fingerprint)
        if answer is not None:
            for tag, text in answer.chunks:
                (sys.stdout if tag == 1 else sys.stderr).write(text)
            return answer.exit_code
    return _check(args, cwd, root, mode, answers, fingerprint)


def _check(
    args: argparse.Namespace, cwd: Path, root: Path, mode: str, answers: Any, fingerprint: str
) -> int:
    """The check itself, when no cached answer fits: settings, index, rules, report."""
    from .cache import (
        Answer,
        Recorder,
        ResultCache,
        Results,
        dependency_stamps,
        file_stamp,
        reusable,
    )
    from .core.config import resolve_settings
    from .core.python import jedi_facade
    from .core.registry import rule_codes
    from .report import Report, print_text, render_diff, render_github, render_json, render_sarif
    from .runner import check_project, collect_jobs, flatten, local_edits

    # A one-shot run wants the same answer every time: wait for jedi rather than time-box it.
    jedi_facade.configure(blocking=True)
    errors: list[tuple[str, str]] = []
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

    cache = None if args.no_cache else ResultCache(root, settings)
    cached = cache.load_results() if cache is not None else Results()
    walked: dict[str, list[str]] = {}
    jobs = collect_jobs(args.paths, root, settings, cwd, on_error, walked)
    tree = walked.get(str(root))  # checking the whole project: one walk serves every step
    # The stamps say which cached results still hold: none to compare without a cache. A
    # checked file is (nearly always) one the index reads too: its file is stat'ed once.
    dependencies = dependency_stamps(root, settings, tree) if cache is not None else {}
    stamps = (
        {
            job.path: dependencies[job.path] if job.path in dependencies else file_stamp(job.path)
            for job in jobs
        }
        if cache is not None
        else {}
    )
    reuse = reusable(cached, dependencies, stamps) if mode == "check" else {}
    all_reused = len(reuse) == len(jobs)
    changed = cache is not None and cached.dependencies != dependencies
    modules = cache.load_modules() if cache is not None and not all_reused else None
    still_valid = not changed  # the cached results of files not checked now
    if changed and modules and mode == "check" and cached.results:
        # Edits no other file can see (same facts): re-check only the edited files.
        edited = local_edits(cached.dependencies, dependencies, modules, root)
        if edited is not None:
            modules.update(edited)
            reuse = reusable(cached, cached.dependencies, stamps)
            all_reused = len(reuse) == len(jobs)
            still_valid = True
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

    facts, outcomes = check_project(
        root,
        settings,
        jobs,
        mode=mode,
        unsafe=args.unsafe_fixes,
        workers=args.jobs,
        cached=modules,
        tree=tree,
        reuse=reuse,
        want_facts=changed and mode == "check",
        index_progress=index_progress,
        check_progress=check_progress,
    )
    if cache is not None and mode == "check":
        if changed and facts is not None:
            cache.save_modules(facts)
        if not all_reused:
            results = dict(cached.results) if still_valid else {}
            for job, outcome in zip(jobs, outcomes, strict=True):
                stamp = stamps[job.path]
                if (
                    outcome.result is not None
                    and outcome.error is None
                    and not outcome.warnings  # a reused result would come back without them
                    and stamp is not None
                ):
                    results[job.path] = (*stamp, outcome.result)
            cache.save_results(Results(dependencies, results))
    if bar is not None and (index_task is not None or check_task is not None):
        bar.stop()
    version = settings.django_version
    report = Report(
        outcomes, errors, f"{version.major}.{version.minor}", settings.django_version_source
    )
    log: list[tuple[int, str]] = []
    out: Any = sys.stdout
    err: Any = sys.stderr
    if answers is not None:
        out, err = Recorder(sys.stdout, 1, log), Recorder(sys.stderr, 2, log)
    if args.diff:
        out.write(render_diff(outcomes))
    elif args.format == "json":
        print(render_json(report), file=out)
    elif args.format == "sarif":
        print(render_sarif(report), file=out)
    elif args.format == "github":
        text = render_github(report)
        if text:
            print(text, file=out)
    else:
        print_text(report, out, err, color=_use_color(args))
    code = _exit_code(args, jobs, outcomes, report)
    if answers is not None:
        answers.save(Answer(fingerprint, log, code))
    return code


def _exit_code(
    args: argparse.Namespace, jobs: Sequence[Any], outcomes: Sequence[Any], report: Any
) -> int:
    readable = [o for o in outcomes if o.error is None]
    if jobs and not readable:
        return EXIT_USAGE
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if any(o.fixed_text is not None for o in outcomes) else EXIT_CLEAN
    return EXIT_FINDINGS if report.findings() else EXIT_CLEAN


def cmd_rules(args: argparse.Namespace) -> int:
    from .core.registry import all_rules
    from .docs import versions_label

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
    from rich.console import Console
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
    from .core.registry import get_rule
    from .docs import versions_label

    rule = get_rule(args.code)
    if rule is None:
        print(f"djvet: unknown rule {args.code!r}; `djvet rules` lists them", file=sys.stderr)
        return EXIT_USAGE
    header = f"# {rule.code} {rule.name}\n\n{rule.summary}. Django {versions_label(rule.django)}."
    header += f" Fix: {'available' if rule.fixable else 'none'}.\n\n"
    text = header + rule.docs() + "\n"
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        sys.stdout.write(text)
    return EXIT_CLEAN


def cmd_server(args: argparse.Namespace) -> int:
    from .lsp.server import serve

    return serve(tcp=args.tcp)


def run() -> NoReturn:
    """The ``djvet`` console script and ``python -m djvet``: ``main``, then an immediate exit.

    A check holds the whole project's index: the interpreter's clean-up of it, and waiting
    for worker processes to free theirs, costs ~50 ms and changes nothing once the output is
    flushed (mypy exits the same way). Everything ``main`` writes is closed before it returns.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or EXIT_CLEAN
    os._exit(code)


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
