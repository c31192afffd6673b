"""In-process measurements that ``bench/run.py`` runs in a fresh interpreter each time.

``python bench/_common.py floor ROOT [--jobs N]`` — the parsing floor: walk the tree, read
every Python file and template, ``ast.parse`` every Python file. Nothing djvet-specific is
imported: this is what *any* Python analyser of the tree must at least pay.

``python bench/_common.py phases ROOT [--jobs N]`` — djvet's own time split, measured with
its real functions: imports, settings, index build (read / parse / extract / the rest),
pickled index size, collecting jobs, the serial check (per rule, per shared analysis, parse
and template tokenizing, engine overhead) and the parallel check.

Both print one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "node_modules",
        "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".djvet_cache",
        "site-packages", "build", "dist",
    }
)  # fmt: skip
PY_SUFFIXES = frozenset({".py", ".pyi"})
TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".txt", ".xml", ".djhtml"})
JINJA_SUFFIXES = frozenset({".jinja", ".jinja2", ".j2"})


# ---------------------------------------------------------------------------------------------
# The floor
# ---------------------------------------------------------------------------------------------


def source_files(root: Path) -> tuple[list[str], list[str]]:
    """(Python files, template files) under ``root``, the same set djvet looks at."""
    python: list[str] = []
    templates: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
        )
        parts = Path(directory).relative_to(root).parts
        in_templates = "templates" in parts or "jinja2" in parts
        for name in sorted(filenames):
            suffix = os.path.splitext(name)[1].lower()
            if suffix in PY_SUFFIXES:
                python.append(os.path.join(directory, name))
            elif suffix in JINJA_SUFFIXES or (suffix in TEMPLATE_SUFFIXES and in_templates):
                templates.append(os.path.join(directory, name))
    return python, templates


def _floor_chunk(args: tuple[list[str], list[str]]) -> dict[str, float]:
    python, templates = args
    read_s = parse_s = 0.0
    nbytes = errors = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in python:
            start = time.perf_counter()
            with open(path, "rb") as fh:
                data = fh.read()
            text = data.decode("utf-8", errors="replace")
            middle = time.perf_counter()
            try:
                ast.parse(text, path)
            except (SyntaxError, ValueError):
                errors += 1
            parse_s += time.perf_counter() - middle
            read_s += middle - start
            nbytes += len(data)
        for path in templates:
            start = time.perf_counter()
            with open(path, "rb") as fh:
                data = fh.read()
            data.decode("utf-8", errors="replace")
            read_s += time.perf_counter() - start
            nbytes += len(data)
    return {"read_s": read_s, "parse_s": parse_s, "bytes": nbytes, "syntax_errors": errors}


def floor(root: Path, jobs: int) -> dict[str, Any]:
    started = time.perf_counter()
    python, templates = source_files(root)
    walked = time.perf_counter()
    if jobs <= 1:
        parts = [_floor_chunk((python, templates))]
    else:
        import multiprocessing

        chunks = [(python[i::jobs], templates[i::jobs]) for i in range(jobs)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_floor_chunk, chunks)
    total = time.perf_counter() - started
    return {
        "python_files": len(python),
        "templates": len(templates),
        "bytes": sum(int(p["bytes"]) for p in parts),
        "syntax_errors": sum(int(p["syntax_errors"]) for p in parts),
        "walk_s": walked - started,
        "read_s": sum(p["read_s"] for p in parts),
        "parse_s": sum(p["parse_s"] for p in parts),
        "total_s": total,
        "jobs": jobs,
    }


# ---------------------------------------------------------------------------------------------
# djvet's phase split
# ---------------------------------------------------------------------------------------------


class ExclusiveTimer:
    """Wraps callables and books each one's *exclusive* time (nested timed calls subtracted)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[float] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                nested = self._stack.pop()
                self.seconds[name] += elapsed - nested
                self.calls[name] += 1
                if self._stack:
                    self._stack[-1] += elapsed

        return timed

    def report(self) -> dict[str, dict[str, float]]:
        return {
            name: {"s": round(self.seconds[name], 4), "calls": self.calls[name]}
            for name in sorted(self.seconds, key=lambda n: -self.seconds[n])
        }


class Patches:
    """Attribute patches that are undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[object, str, object, bool]] = []

    def set(self, owner: object, name: str, value: object) -> None:
        had = name in vars(owner)
        self._undo.append((owner, name, getattr(owner, name, None), had))
        setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, old, had in reversed(self._undo):
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)
        self._undo.clear()


def _materialise(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> list[Any]:
        return list(fn(*args, **kwargs))

    return run


def phases(root: Path, jobs: int) -> dict[str, Any]:
    import pickle

    out: dict[str, Any] = {}
    started = time.perf_counter()
    import djvet.cli  # noqa: F401  (what `python -m djvet` imports before doing anything)
    from djvet.core import project as project_mod
    from djvet.core.config import resolve_settings
    from djvet.core.registry import all_rules, rule_codes
    from djvet.runner import build_index, collect_jobs, run_jobs

    out["import_s"] = time.perf_counter() - started
    start = time.perf_counter()
    rules = all_rules()
    out["rules"] = [r.code for r in rules]
    settings = resolve_settings(root, rule_codes())
    out["settings_s"] = time.perf_counter() - start

    # Index build, with its parts timed through the names project.py calls.
    timer = ExclusiveTimer()
    patches = Patches()
    for name in ("read_source", "parse_python", "extract_module"):
        if hasattr(project_mod, name):
            patches.set(project_mod, name, timer.wrap(f"index.{name}", getattr(project_mod, name)))
    start = time.perf_counter()
    project = build_index(root, settings)
    out["index_s"] = time.perf_counter() - start
    patches.undo()
    index_parts = timer.report()
    accounted = sum(v["s"] for v in index_parts.values())
    index_parts["index.rest (walk, classify, bookkeeping)"] = {
        "s": round(out["index_s"] - accounted, 4),
        "calls": 1,
    }
    out["index_parts"] = index_parts
    start = time.perf_counter()
    walked = list(project_mod.walk_file_paths(project.root, project.root, settings.exclude))
    out["walk_only_s"] = time.perf_counter() - start
    out["walk_files"] = len(walked)
    out["modules"] = len(project.modules)
    out["templates"] = len(project.templates)

    start = time.perf_counter()
    blob = pickle.dumps(project, protocol=pickle.HIGHEST_PROTOCOL)
    out["index_pickle_dump_s"] = time.perf_counter() - start
    out["index_bytes"] = len(blob)
    start = time.perf_counter()
    pickle.loads(blob)
    out["index_pickle_load_s"] = time.perf_counter() - start
    del blob

    errors: list[tuple[str, str]] = []
    start = time.perf_counter()
    job_list = collect_jobs([root], root, settings, root, lambda p, m: errors.append((p, m)))
    out["collect_s"] = time.perf_counter() - start
    out["jobs"] = len(job_list)

    # Serial check with every rule, shared analysis, parse and tokenize timed.
    timer = ExclusiveTimer()
    patches = Patches()
    for rule in rules:
        patches.set(rule, "gate", timer.wrap(f"rule {rule.code} gate", rule.gate))
        patches.set(rule, "check", timer.wrap(f"rule {rule.code}", _materialise(rule.check)))
    from djvet.core import rule as rule_mod
    from djvet.core.python import parse as parse_mod

    patches.set(parse_mod, "parse_python", timer.wrap("parse (ctx.python)", parse_mod.parse_python))
    try:
        from djvet.core.templates import lexer as lexer_mod

        patches.set(
            lexer_mod,
            "tokenize_template",
            timer.wrap("tokenize (ctx.template)", lexer_mod.tokenize_template),
        )
    except ImportError:
        pass
    original_shared = rule_mod.CheckContext.shared

    def shared(self: Any, key: str, factory: Callable[[], Any]) -> Any:
        if key in self._shared:
            return self._shared[key]
        return original_shared(self, key, timer.wrap(f"shared {key}", factory))

    patches.set(rule_mod.CheckContext, "shared", shared)
    original_derived = project_mod.ProjectIndex.derived

    def derived(self: Any, key: str, build: Callable[[], Any], **options: Any) -> Any:
        return original_derived(self, key, timer.wrap(f"derived {key}", build), **options)

    patches.set(project_mod.ProjectIndex, "derived", derived)
    from djvet.core import engine as engine_mod

    patches.set(
        engine_mod, "suppressions", timer.wrap("engine suppressions", engine_mod.suppressions)
    )
    patches.set(engine_mod, "check", timer.wrap("engine.check (rest)", engine_mod.check))
    import djvet.runner as runner_mod

    if hasattr(runner_mod, "check"):
        patches.set(runner_mod, "check", engine_mod.check)
    if hasattr(runner_mod, "read_file"):
        patches.set(runner_mod, "read_file", timer.wrap("read file", runner_mod.read_file))
    start = time.perf_counter()
    outcomes = run_jobs(job_list, project, settings, workers=1)
    out["check_serial_s"] = time.perf_counter() - start
    patches.undo()
    parts = timer.report()
    accounted = sum(v["s"] for v in parts.values())
    parts["runner (rest)"] = {"s": round(out["check_serial_s"] - accounted, 4), "calls": 1}
    out["check_parts"] = parts
    families: dict[str, float] = defaultdict(float)
    for name, value in parts.items():
        if name.startswith("rule "):
            families[name.split()[1][:4]] += value["s"]
    out["rule_families_s"] = {k: round(v, 4) for k, v in sorted(families.items())}
    findings: dict[str, int] = defaultdict(int)
    rule_errors: dict[str, int] = defaultdict(int)
    failures = 0
    for outcome in outcomes:
        if outcome.error:
            failures += 1
        if outcome.result is not None:
            for finding in outcome.result.findings:
                findings[finding.code] += 1
            for error in outcome.result.rule_errors:
                rule_errors[error.code] += 1
    out["findings"] = dict(sorted(findings.items()))
    out["file_errors"] = failures
    # A rule that raised under the timers (e.g. a wrapper out of step with a signature) shows
    # here rather than as silently missing findings.
    out["rule_errors"] = dict(sorted(rule_errors.items()))

    if jobs > 1:
        # A fresh index, as in the CLI: derived views are not built before the workers fork.
        fresh = build_index(root, settings)
        start = time.perf_counter()
        run_jobs(job_list, fresh, settings, workers=jobs)
        out["check_parallel_s"] = time.perf_counter() - start
        out["check_parallel_jobs"] = jobs
    out["total_s"] = time.perf_counter() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("floor", "phases"))
    parser.add_argument("root", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    result = floor(root, args.jobs) if args.what == "floor" else phases(root, args.jobs)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
