"""djvet's benchmark command: djvet side by side with the parsing floor, ruff and djlint.

    python bench/run.py [--scale 1] [--project PATH] [--quick] [--scaling] [--lsp] [--label L]

One run measures, interleaved round-robin so that machine noise hits every tool alike:

- ``floor``: a fresh interpreter that walks the tree, reads every Python file and template and
  ``ast.parse``-s every Python file (``bench/_common.py floor``) — what any Python analyser
  pays at least; ``floor -jN`` does the same on all cores;
- ``djvet check`` cold (``--no-cache``) single process (``-j 1``) and on all cores;
  ``first run`` (empty cache: cold plus writing the cache); ``warm`` (unchanged tree, cache
  filled); ``after model edit`` / ``after model change`` / ``after leaf edit`` (one models
  file with a comment appended / prepended, or one test file
  changed since the cache was written) — edits only ever touch the generated corpus;
- ``ruff check --select DJ,ASYNC`` (all threads and one thread, cold; and warm) and
  ``djlint --lint`` on the same tree, when installed.

It reports wall seconds (median and min of ``--reps``), CPU seconds, peak RSS (the largest
process, and the whole process tree), files/s, the ratios djvet/floor and djvet/ruff, djvet's
phase split (``bench/_common.py phases``: index build, pickled index size, per-rule time),
and what djvet found against the problems the generator planted. ``--scaling`` repeats the
core measurements at 1x, 4x and 16x a base scale; ``--lsp`` runs ``bench/lsp_latency.py`` when
it exists. Results go to ``bench/results/<date>-<label>.json`` and the table in
``bench/RESULTS.md`` is rebuilt from every JSON file there.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
SCRATCH = RESULTS / "tmp"  # git-ignored: caches, profiles
CORPUS = BENCH / "corpus"
RESULTS_MD = BENCH / "RESULTS.md"
TABLE_BEGIN = "<!-- results-table: rebuilt by bench/run.py from bench/results/*.json -->"
TABLE_END = "<!-- end results-table -->"

sys.path.insert(0, str(BENCH))
import generate  # noqa: E402  (bench/generate.py, a sibling script)

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ---------------------------------------------------------------------------------------------
# Running one command
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + sys of the process and every child it waited for
    max_rss_mb: float  # the largest single process of the tree
    tree_rss_mb: float  # the largest sum over the live process tree (sampled every 20 ms)
    returncode: int
    stdout: str = ""
    stderr: str = ""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return found


def _tree_rss(pid: int, seen_pids: set[int] | None = None) -> int:
    """RSS of ``pid`` and its descendants; ``seen_pids`` collects the processes found."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(_children(current))
    if seen_pids is not None:
        seen_pids.update(seen)
    return total


def _become_subreaper() -> bool:
    """Adopt the measured commands' orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    djvet does not wait for its worker processes to free their memory before it exits, so
    they outlive it briefly; as their reaper, ``run_command`` waits for them and counts
    their CPU (wall time still ends when the command exits, as a user sees it).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


SUBREAPER = _become_subreaper()


def run_command(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run ``cmd``; wall time, CPU time and peak memory come from wait4() and /proc."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err
        )
        peak = 0
        done = threading.Event()
        descendants: set[int] = set()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, _tree_rss(proc.pid, descendants))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        cpu = usage.ru_utime + usage.ru_stime
        for pid in descendants - {proc.pid}:
            try:  # a descendant that outlived the command was adopted (``SUBREAPER``)
                _, _, orphan = os.wait4(pid, 0)
            except ChildProcessError:
                continue  # its parent waited for it: counted in ``usage`` already
            cpu += orphan.ru_utime + orphan.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall_s=wall,
            cpu_s=cpu,
            max_rss_mb=usage.ru_maxrss / 1024,
            tree_rss_mb=peak / 2**20,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


# ---------------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------------


@dataclass
class Measure:
    """One named thing to time: ``prepare`` (untimed), the command, ``finish`` (untimed)."""

    name: str
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    prepare: Callable[[], None] | None = None
    finish: Callable[[], None] | None = None
    runs: list[Run] = field(default_factory=list)
    keep_output: bool = False

    def once(self) -> Run:
        if self.prepare:
            self.prepare()
        try:
            run = run_command(self.cmd, cwd=self.cwd, env=self.env)
        finally:
            if self.finish:
                self.finish()
        if run.returncode not in (0, 1):
            tail = (run.stderr or run.stdout)[-2000:]
            raise RuntimeError(f"{self.name}: exit {run.returncode}\n{' '.join(self.cmd)}\n{tail}")
        if not (self.keep_output and not self.runs):
            run.stdout = ""  # only the first run's output is kept (for findings / floor detail)
        run.stderr = ""
        self.runs.append(run)
        return run

    def summary(self) -> dict[str, Any]:
        walls = [r.wall_s for r in self.runs]
        return {
            "cmd": " ".join(self.cmd),
            "wall_s": [round(w, 4) for w in walls],
            "median_s": round(statistics.median(walls), 4),
            "min_s": round(min(walls), 4),
            "cpu_s": round(statistics.median(r.cpu_s for r in self.runs), 4),
            "max_rss_mb": round(max(r.max_rss_mb for r in self.runs), 1),
            "tree_rss_mb": round(max(r.tree_rss_mb for r in self.runs), 1),
        }


def snapshot_djvet(label: str) -> dict[str, str]:
    """Copy server/djvet to the scratch folder and return the env that makes djvet run from it.

    Other people edit djvet while a benchmark runs; a frozen copy keeps every repetition on the
    same code, and keeps djvet's cache valid between runs (its key includes a digest of djvet's
    own files).
    """
    import djvet

    source = Path(djvet.__file__).resolve().parent
    target = SCRATCH / label / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target / "djvet", ignore=shutil.ignore_patterns("__pycache__"))
    # Byte-compiled, as ``pip install`` leaves an installed package (this machine sets
    # PYTHONDONTWRITEBYTECODE, so a source tree would be compiled again by every run).
    compileall.compile_dir(target / "djvet", quiet=1)
    return {
        "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    }


def tool(name: str) -> str | None:
    """A tool from this venv (next to the interpreter) or PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def djvet_help() -> str:
    run = run_command([sys.executable, "-m", "djvet", "check", "--help"])
    return run.stdout


class FileEdit:
    """Add a comment to one corpus file and restore it exactly afterwards.

    Appended, the comment changes no fact of the module (the cache re-checks that file
    only); prepended, it moves every line, so the module's facts change and every file a
    cross-file rule reads is checked again.
    """

    def __init__(self, path: Path, prepend: bool = False) -> None:
        self.path = path
        self.prepend = prepend
        self.original = path.read_bytes()

    def apply(self) -> None:
        comment = b"# bench edit\n"
        self.path.write_bytes(
            comment + self.original if self.prepend else self.original + b"\n" + comment
        )

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def build_measures(
    root: Path,
    *,
    jobs: int,
    label: str,
    manifest: dict[str, Any] | None,
    only: set[str] | None,
    edits: bool,
    exact: bool = False,
    candidate: tuple[str, Path] | None = None,
) -> list[Measure]:
    py = sys.executable
    common = BENCH / "_common.py"
    has_no_cache = "--no-cache" in djvet_help()
    cold = ["--no-cache"] if has_no_cache else []
    base = [py, "-m", "djvet", "check", str(root), "--project-root", str(root)]
    base += ["--format", "json", "--exit-zero", "--no-progress"]
    scratch = SCRATCH / label
    warm_dir = scratch / "djvet-cache-warm"
    first_dir = scratch / "djvet-cache-first"
    ruff_cache = scratch / "ruff-cache"
    measures = [
        Measure("floor", [py, str(common), "floor", str(root)], keep_output=True),
        Measure(f"floor -j{jobs}", [py, str(common), "floor", str(root), "--jobs", str(jobs)]),
        Measure("djvet -j1", [*base, "-j", "1", *cold], cwd=root, keep_output=True),
        Measure(f"djvet -j{jobs}", [*base, "-j", str(jobs), *cold], cwd=root),
    ]
    if has_no_cache:

        def fresh_first() -> None:
            shutil.rmtree(first_dir, ignore_errors=True)
            first_dir.mkdir(parents=True)

        measures.append(
            Measure(
                "djvet first run",
                [*base, "-j", str(jobs)],
                cwd=root,
                env={"DJVET_CACHE_DIR": str(first_dir)},
                prepare=fresh_first,
            )
        )
        warm_env = {"DJVET_CACHE_DIR": str(warm_dir)}
        warm_cmd = [*base, "-j", str(jobs)]

        def refill() -> None:
            run_command(warm_cmd, cwd=root, env=warm_env)

        # Untimed refill first: an edit scenario (or a restore) may have touched the tree.
        measures.append(Measure("djvet warm", warm_cmd, cwd=root, env=warm_env, prepare=refill))
        if edits and manifest is not None:
            first_app = generate.app_name(0)
            for scenario, relative, prepend in (
                ("after model edit", f"{first_app}/models/core.py", False),
                ("after model change", f"{first_app}/models/core.py", True),
                ("after leaf edit", f"{first_app}/tests/test_auth.py", False),
            ):
                edit = FileEdit(root / relative, prepend)

                def finish(edit: FileEdit = edit) -> None:
                    edit.restore()
                    refill()

                measures.append(
                    Measure(
                        f"djvet warm {scenario}",
                        warm_cmd,
                        cwd=root,
                        env=warm_env,
                        prepare=edit.apply,
                        finish=finish,
                    )
                )
    if candidate is not None:
        name, tree = candidate
        cand_env = {"PYTHONPATH": str(tree)}
        cand_warm = {**cand_env, "DJVET_CACHE_DIR": str(scratch / f"{name}-cache-warm")}
        measures += [
            Measure(f"{name} -j1", [*base, "-j", "1", *cold], cwd=root, env=cand_env),
            Measure(f"{name} -j{jobs}", [*base, "-j", str(jobs), *cold], cwd=root, env=cand_env),
        ]
        if has_no_cache:
            cand_cmd = [*base, "-j", str(jobs)]

            def cand_refill() -> None:
                run_command(cand_cmd, cwd=root, env=cand_warm)

            measures.append(
                Measure(f"{name} warm", cand_cmd, cwd=root, env=cand_warm, prepare=cand_refill)
            )
    ruff = tool("ruff")
    if ruff:
        ruff_cmd = [ruff, "check", "--isolated", "--select", "DJ,ASYNC", "--exit-zero", "--quiet"]
        measures.append(Measure("ruff", [*ruff_cmd, "--no-cache", str(root)]))
        measures.append(
            Measure(
                "ruff 1 thread",
                [*ruff_cmd, "--no-cache", str(root)],
                env={"RAYON_NUM_THREADS": "1"},
            )
        )
        measures.append(
            Measure("ruff warm", [*ruff_cmd, "--cache-dir", str(ruff_cache), str(root)])
        )
    djlint = tool("djlint")
    if djlint:
        measures.append(Measure("djlint", [djlint, str(root), "--lint", "--quiet"]))
    if only:
        measures = [
            m for m in measures if m.name in only or (not exact and m.name.split()[0] in only)
        ]
    return measures


def prime(measures: list[Measure], root: Path) -> None:
    """Untimed set-up before the rounds: fill the warm caches, warm the OS file cache."""
    for measure in measures:
        if measure.name.endswith(" warm"):
            run_command(measure.cmd, cwd=measure.cwd, env=measure.env)
    run_command([sys.executable, str(BENCH / "_common.py"), "floor", str(root)])


def measure_tree(
    root: Path,
    *,
    reps: int,
    jobs: int,
    label: str,
    manifest: dict[str, Any] | None,
    only: set[str] | None = None,
    exact: bool = False,
    edits: bool = True,
    phases: bool = True,
    candidate: tuple[str, Path] | None = None,
) -> dict[str, Any]:
    shutil.rmtree(SCRATCH / label, ignore_errors=True)
    (SCRATCH / label).mkdir(parents=True, exist_ok=True)
    measures = build_measures(
        root,
        jobs=jobs,
        label=label,
        manifest=manifest,
        only=only,
        edits=edits,
        exact=exact,
        candidate=candidate,
    )
    prime(measures, root)
    for rep in range(reps):
        for measure in measures:
            run = measure.once()
            print(
                f"  [{rep + 1}/{reps}] {measure.name:<32} {run.wall_s:8.2f} s  "
                f"cpu {run.cpu_s:7.2f} s  rss {run.max_rss_mb:7.1f} MB  load {os.getloadavg()[0]:.2f}",
                file=sys.stderr,
            )
    result: dict[str, Any] = {"measures": {m.name: m.summary() for m in measures}}
    floor_run = next((m for m in measures if m.name == "floor"), None)
    if floor_run and floor_run.runs and floor_run.runs[0].stdout:
        result["floor_detail"] = json.loads(floor_run.runs[0].stdout)
    djvet_run = next((m for m in measures if m.name == "djvet -j1"), None)
    if djvet_run and djvet_run.runs and djvet_run.runs[0].stdout:
        report = json.loads(djvet_run.runs[0].stdout)
        result["findings"] = findings_summary(report, manifest, root)
    if phases:
        print("  phases (in-process split) ...", file=sys.stderr)
        run = run_command(
            [sys.executable, str(BENCH / "_common.py"), "phases", str(root), "--jobs", str(jobs)]
        )
        if run.returncode == 0:
            result["phases"] = json.loads(run.stdout)
        else:
            result["phases"] = {"error": run.stderr[-2000:]}
    result["ratios"] = ratios(result["measures"], jobs, candidate[0] if candidate else None)
    return result


def ratios(
    measures: dict[str, dict[str, Any]], jobs: int, candidate: str | None = None
) -> dict[str, float]:
    def median(name: str) -> float | None:
        m = measures.get(name)
        return m["median_s"] if m else None

    def cpu(name: str) -> float | None:
        m = measures.get(name)
        return m["cpu_s"] if m else None

    out: dict[str, float] = {}
    floor = median("floor")
    pairs = {
        "djvet -j1 / floor": ("djvet -j1", floor),
        f"djvet -j{jobs} / floor": (f"djvet -j{jobs}", floor),
        "djvet first run / floor": ("djvet first run", floor),
        "djvet warm / floor": ("djvet warm", floor),
        "djvet warm after model edit / floor": ("djvet warm after model edit", floor),
        "djvet warm after model change / floor": ("djvet warm after model change", floor),
        "djvet warm after leaf edit / floor": ("djvet warm after leaf edit", floor),
        f"djvet -j{jobs} / ruff": (f"djvet -j{jobs}", median("ruff")),
        "djvet -j1 / ruff 1 thread": ("djvet -j1", median("ruff 1 thread")),
        "djvet warm / ruff warm": ("djvet warm", median("ruff warm")),
        f"djvet -j{jobs} / (ruff + djlint)": (
            f"djvet -j{jobs}",
            (median("ruff") or 0) + (median("djlint") or 0) if median("ruff") else None,
        ),
        f"djvet -j1 / djvet -j{jobs} (speed-up)": ("djvet -j1", median(f"djvet -j{jobs}")),
        f"floor / floor -j{jobs} (speed-up)": ("floor", median(f"floor -j{jobs}")),
    }
    for key, (name, denominator) in pairs.items():
        numerator = median(name)
        if numerator is not None and denominator:
            out[key] = round(numerator / denominator, 3)
    # CPU seconds: robust when other processes compete for the cores (single-process runs).
    floor_cpu = cpu("floor")
    for name in ("djvet -j1", "djvet warm", "djvet warm after model edit"):
        value = cpu(name)
        if value is not None and floor_cpu:
            out[f"{name} / floor (cpu)"] = round(value / floor_cpu, 3)
    if candidate:
        for suffix in ("-j1", f"-j{jobs}", "warm"):
            new, old = median(f"{candidate} {suffix}"), median(f"djvet {suffix}")
            if new is not None and old:
                out[f"{candidate} {suffix} / djvet {suffix}"] = round(new / old, 3)
            new_cpu, old_cpu = cpu(f"{candidate} {suffix}"), cpu(f"djvet {suffix}")
            if new_cpu is not None and old_cpu:
                out[f"{candidate} {suffix} / djvet {suffix} (cpu)"] = round(new_cpu / old_cpu, 3)
            if new is not None and floor and suffix != "warm":
                out[f"{candidate} {suffix} / floor"] = round(new / floor, 3)
        cand_cpu, cand_warm = cpu(f"{candidate} -j1"), median(f"{candidate} warm")
        if cand_cpu is not None and floor_cpu:
            out[f"{candidate} -j1 / floor (cpu)"] = round(cand_cpu / floor_cpu, 3)
        if cand_warm is not None and floor:
            out[f"{candidate} warm / floor"] = round(cand_warm / floor, 3)
    return out


# ---------------------------------------------------------------------------------------------
# Findings against the planted problems
# ---------------------------------------------------------------------------------------------


def findings_summary(
    report: dict[str, Any], manifest: dict[str, Any] | None, root: Path
) -> dict[str, Any]:
    findings = report.get("findings", [])
    by_code: dict[str, int] = {}
    for f in findings:
        by_code[f["code"]] = by_code.get(f["code"], 0) + 1
    out: dict[str, Any] = {"total": len(findings), "by_code": dict(sorted(by_code.items()))}
    out["errors"] = len(report.get("errors", []))
    if manifest is None:
        return out

    def rel(path: str) -> str:
        p = Path(path)
        return (p.relative_to(root) if p.is_absolute() else p).as_posix()

    by_file: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_file.setdefault(rel(f["path"]), []).append(f)
    used: set[int] = set()
    families: dict[str, dict[str, Any]] = {}
    for planted in manifest["planted"]:
        fam = families.setdefault(planted["family"], {"planted": 0, "found": 0, "missed": []})
        fam["planted"] += 1
        low = planted.get("anchor") or planted["line"]
        hits = [
            f
            for f in by_file.get(planted["path"], [])
            if low <= f["line"] <= planted["end_line"] and f["code"].startswith(planted["expect"])
        ]
        if hits:
            fam["found"] += 1
            used.update(id(f) for f in hits)
        elif len(fam["missed"]) < 5:
            fam["missed"].append(f"{planted['path']}:{planted['line']} ({planted['note']})")
    false_alarms = []
    for near in manifest["near_misses"]:
        for f in by_file.get(near["path"], []):
            if near["line"] <= f["line"] <= near["end_line"]:
                used.add(id(f))
                false_alarms.append(
                    f"{near['path']}:{f['line']} {f['code']} on a near miss ({near['note']})"
                )
    others = [f for f in findings if id(f) not in used]
    out["planted"] = families
    out["near_miss_false_alarms"] = {"count": len(false_alarms), "examples": false_alarms[:10]}
    out["unplanted"] = {
        "count": len(others),
        "examples": [
            f"{rel(f['path'])}:{f['line']} {f['code']} {f['message'][:100]}" for f in others[:10]
        ],
    }
    return out


# ---------------------------------------------------------------------------------------------
# Scaling, LSP, machine, output
# ---------------------------------------------------------------------------------------------


def scaling(base: float, factors: list[int], *, reps: int, jobs: int, seed: int) -> dict[str, Any]:
    rows = []
    for factor in factors:
        scale = base * factor
        root = CORPUS / f"x{scale:g}"
        manifest = generate.generate(root, scale, seed)
        print(f"scaling {factor}x (scale {scale:g}, {root})", file=sys.stderr)
        result = measure_tree(
            root,
            reps=reps,
            jobs=jobs,
            label=f"scaling-{scale:g}",
            manifest=manifest,
            only={"floor", "djvet -j1", f"djvet -j{jobs}", "ruff"},
            exact=True,
            edits=False,
        )
        files = manifest["files"]
        phases = result.get("phases", {})
        rows.append(
            {
                "factor": factor,
                "scale": scale,
                "python_files": files["python"],
                "templates": files["templates"],
                "measures": result["measures"],
                "index_bytes": phases.get("index_bytes"),
                "index_s": phases.get("index_s"),
                "check_serial_s": phases.get("check_serial_s"),
            }
        )
    first = rows[0]
    for row in rows:
        grow = row["python_files"] / first["python_files"]
        row["size_growth"] = round(grow, 2)
        for name in ("floor", "djvet -j1", f"djvet -j{jobs}", "ruff"):
            if name in row["measures"] and name in first["measures"]:
                cost = row["measures"][name]["median_s"] / first["measures"][name]["median_s"]
                row.setdefault("time_growth", {})[name] = round(cost, 2)
                # 1.0 = perfectly linear; > 1 = worse than linear.
                row.setdefault("per_file_vs_1x", {})[name] = round(cost / grow, 2)
        if row["index_bytes"] and first["index_bytes"]:
            row["index_growth"] = round(row["index_bytes"] / first["index_bytes"], 2)
    return {"base_scale": base, "factors": factors, "rows": rows}


def run_lsp(root: Path, manifest: dict[str, Any] | None, quick: bool) -> dict[str, Any]:
    """Run bench/lsp_latency.py (written separately) and return the figures it reports.

    It runs as its own process (``--json OUT``); flags it lists in ``--help`` are passed on:
    ``--project``/``--root`` (this corpus), ``--module``/``--file`` (the 2,000-line module),
    ``--edits`` (50 with ``--quick``).
    """
    path = BENCH / "lsp_latency.py"
    if not path.exists():
        return {"skipped": "bench/lsp_latency.py does not exist yet"}
    flags = set(
        re.findall(
            r"(?<![\w-])--[a-z][\w-]*", run_command([sys.executable, str(path), "--help"]).stdout
        )
    )
    latency_module = root / manifest["latency_module"] if manifest else None
    out = SCRATCH / "lsp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(path), "--json", str(out)]
    for flag in ("--project", "--root"):
        if flag in flags:
            cmd += [flag, str(root)]
            break
    for flag in ("--module", "--file"):
        if flag in flags and latency_module is not None:
            cmd += [flag, str(latency_module)]
            break
    if quick and "--edits" in flags:
        cmd += ["--edits", "50"]
    run = run_command(cmd, cwd=REPO)
    if out.exists():
        result = json.loads(out.read_text())
        return {
            "cmd": " ".join(cmd[1:]),
            **(result if isinstance(result, dict) else {"result": result}),
        }
    return {
        "error": f"exit {run.returncode}",
        "cmd": " ".join(cmd[1:]),
        "stderr": run.stderr[-2000:],
    }


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        run = subprocess.run(
            ["git", "-C", str(REPO), *args], check=False, capture_output=True, text=True
        )
        return run.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_files": len(git("status", "--porcelain").splitlines()),
    }


def tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name, cmd in (("ruff", ["--version"]), ("djlint", ["--version"])):
        exe = tool(name)
        if exe:
            versions[name] = run_command([exe, *cmd]).stdout.strip().splitlines()[-1]
    import importlib.metadata as md

    versions["djvet"] = md.version("djvet")
    return versions


def print_table(result: dict[str, Any], jobs: int) -> None:
    measures = result["measures"]
    files = result.get("floor_detail", {})
    nfiles = files.get("python_files", 0) + files.get("templates", 0)
    floor = measures.get("floor", {}).get("median_s")
    print(
        f"\n{'measure':<34}{'median s':>10}{'min s':>9}{'cpu s':>9}{'files/s':>10}{'x floor':>9}{'rss MB':>9}{'tree MB':>9}"
    )
    for name, m in measures.items():
        rate = nfiles / m["median_s"] if m["median_s"] else 0
        rel = f"{m['median_s'] / floor:.2f}" if floor else "-"
        print(
            f"{name:<34}{m['median_s']:>10.3f}{m['min_s']:>9.3f}{m['cpu_s']:>9.2f}{rate:>10.0f}"
            f"{rel:>9}{m['max_rss_mb']:>9.1f}{m['tree_rss_mb']:>9.1f}"
        )
    print()
    for key, value in result.get("ratios", {}).items():
        print(f"  {key:<44} {value:.2f}")
    phases = result.get("phases", {})
    if "index_s" in phases:
        print(
            f"\n  phases: import {phases['import_s']:.2f}s, index {phases['index_s']:.2f}s "
            f"({phases['modules']} modules, pickled {phases['index_bytes'] / 1e6:.1f} MB, "
            f"dump {phases['index_pickle_dump_s']:.2f}s / load {phases['index_pickle_load_s']:.2f}s), "
            f"serial check {phases['check_serial_s']:.2f}s"
            + (
                f", parallel check -j{jobs} {phases['check_parallel_s']:.2f}s"
                if "check_parallel_s" in phases
                else ""
            )
        )
        for name, part in list(phases["index_parts"].items()):
            print(f"    {name:<44} {part['s']:7.2f} s")
        for name, part in list(phases["check_parts"].items())[:14]:
            print(f"    {name:<44} {part['s']:7.2f} s  ({part['calls']} calls)")
    findings = result.get("findings")
    if findings:
        print(f"\n  findings: {findings['by_code']}")
        for family, fam in findings.get("planted", {}).items():
            print(f"    planted {family:<20} found {fam['found']}/{fam['planted']}")
            for missed in fam["missed"][:3]:
                print(f"      missed: {missed}")
        if "near_miss_false_alarms" in findings:
            alarms, others = findings["near_miss_false_alarms"], findings["unplanted"]
            print(f"    false alarms on near misses: {alarms['count']}")
            for example in alarms["examples"][:5]:
                print(f"      {example}")
            print(f"    findings on unplanted lines (inspect: true or false?): {others['count']}")
            for example in others["examples"][:5]:
                print(f"      {example}")


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _row(data: dict[str, Any], link: str, who: str, note: str) -> str:
    """One RESULTS.md row for ``who`` ("djvet" or a candidate's name) of one result file."""
    main = data.get("main") or {}
    m = main.get("measures", {})
    jobs = data.get("jobs", 2)
    ph = main.get("phases", {}) if who == "djvet" else {}
    corpus = data.get("corpus", {})

    def med(name: str) -> float | None:
        return m.get(name, {}).get("median_s")

    def cpu(name: str) -> float | None:
        return m.get(name, {}).get("cpu_s")

    def ratio(a: float | None, b: float | None, digits: int = 2) -> str:
        return fmt(a / b, digits) if a is not None and b else "–"

    floor, ruff = med("floor"), med("ruff")
    j1, jn, warm = med(f"{who} -j1"), med(f"{who} -j{jobs}"), med(f"{who} warm")
    peaks = [v.get("tree_rss_mb", 0) for k, v in m.items() if k.startswith(f"{who} ")]
    machine = data["machine"]
    load = f"{machine['loadavg_start'][0]:.1f}–{machine.get('loadavg_end', [0])[0]:.1f}"
    cells = [
        data["date"],
        link,
        f"{machine['cores']} cores, load {load}",
        str(len(data.get("rules", []))),
        f"{corpus.get('python_files', '?')} / {corpus.get('templates', '?')}",
        fmt(floor),
        fmt(j1),
        fmt(jn),
        fmt(warm),
        fmt(ruff, 3),
        fmt(med("djlint")),
        ratio(j1, floor),
        ratio(cpu(f"{who} -j1"), cpu("floor")),
        ratio(jn, floor),
        ratio(warm, floor),
        ratio(jn, ruff, 0),
        fmt(ph["index_bytes"] / 1e6, 1) if ph.get("index_bytes") else "–",
        fmt(max(peaks), 0) if peaks else "–",
        note,
    ]
    return "| " + " | ".join(cells) + " |"


def _scaling_rows(data: dict[str, Any], link: str) -> list[str]:
    rows = []
    jobs = data.get("jobs", 2)
    for row in (data.get("scaling") or {}).get("rows", []):
        ms = row["measures"]
        per_file = row.get("per_file_vs_1x", {})
        cells = [
            data["date"],
            link,
            f"{row['factor']}x ({row['scale']:g})",
            str(row["python_files"]),
            fmt(ms.get("floor", {}).get("median_s")),
            fmt(ms.get("djvet -j1", {}).get("median_s")),
            fmt(ms.get(f"djvet -j{jobs}", {}).get("median_s")),
            fmt(ms.get("ruff", {}).get("median_s"), 3),
            fmt((row.get("index_bytes") or 0) / 1e6, 1),
            fmt(per_file.get("floor")),
            fmt(per_file.get("djvet -j1")),
            fmt(per_file.get(f"djvet -j{jobs}")),
            fmt(row.get("index_growth")),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def rebuild_results_md() -> None:
    """Rebuild the tables in bench/RESULTS.md from every bench/results/*.json."""
    rows, scaling_rows = [], []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        link = f"[{data['label']}](results/{path.name})"
        rows.append(_row(data, link, "djvet", data.get("note", "")))
        candidate = data.get("candidate")
        if candidate:
            rows.append(_row(data, f"{link} {candidate['name']}", candidate["name"], "same run"))
        scaling_rows += _scaling_rows(data, link)
    header = (
        "| date | run | machine | rules | py / templates | floor s | djvet -j1 s | djvet -jN s "
        "| warm s | ruff s | djlint s | -j1/floor | -j1/floor (cpu) | -jN/floor | warm/floor "
        "| -jN/ruff | index MB | peak MB (tree) | note |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    table = f"{TABLE_BEGIN}\n{header}\n" + "\n".join(rows)
    if scaling_rows:
        table += (
            "\n\nScaling (cost per file relative to the smallest size; 1.00 = linear):\n\n"
            "| date | run | size | py files | floor s | djvet -j1 s | djvet -jN s | ruff s "
            "| index MB | floor per file | -j1 per file | -jN per file | index growth |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(scaling_rows)
        )
    table += f"\n{TABLE_END}"
    if RESULTS_MD.exists():
        text = RESULTS_MD.read_text()
        if TABLE_BEGIN in text and TABLE_END in text:
            before, rest = text.split(TABLE_BEGIN, 1)
            after = rest.split(TABLE_END, 1)[1]
            RESULTS_MD.write_text(before + table + after)
            return
        RESULTS_MD.write_text(text.rstrip("\n") + "\n\n" + table + "\n")
        return
    RESULTS_MD.write_text(
        "# djvet benchmark results\n\nRun `python bench/run.py`; see bench/README.md for what each "
        f"figure means.\n\n{table}\n"
    )


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="djvet benchmarks (see bench/README.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="generated corpus size (1 = 40 apps)"
    )
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument(
        "--project", type=Path, help="benchmark this real project instead of the generated one"
    )
    parser.add_argument("--quick", action="store_true", help="one repetition, no edit scenarios")
    parser.add_argument(
        "--reps", type=int, default=3, help="repetitions per measure (median reported)"
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="'all cores' (default: all)"
    )
    parser.add_argument(
        "--scaling", action="store_true", help="also measure at 1x, 4x, 16x --scaling-base"
    )
    parser.add_argument(
        "--scaling-base", type=float, default=0.25, help="base scale of the series (default 0.25)"
    )
    parser.add_argument("--lsp", action="store_true", help="also run bench/lsp_latency.py")
    parser.add_argument(
        "--only", help="comma-separated measure names (floor, djvet, ruff, djlint, ...)"
    )
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process phase split")
    parser.add_argument(
        "--label", help="result label (default: x<scale> or the project folder name)"
    )
    parser.add_argument("--note", default="", help="free text for the RESULTS.md row")
    parser.add_argument(
        "--candidate",
        type=Path,
        metavar="DIR",
        help="also measure the djvet package under DIR (a copy of server/ with a patch), interleaved",
    )
    parser.add_argument("--candidate-name", default="patched", help="its name in the tables")
    parser.add_argument(
        "--live",
        action="store_true",
        help="run djvet from the working tree instead of a frozen copy made at start",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; write no JSON/RESULTS.md"
    )
    parser.add_argument(
        "--rebuild-md", action="store_true", help="only rebuild RESULTS.md from bench/results/"
    )
    args = parser.parse_args(argv)
    if args.rebuild_md:
        rebuild_results_md()
        return 0
    reps = 1 if args.quick else args.reps
    # A terminated run still restores the corpus file an edit scenario changed (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()

    manifest = None
    if args.project:
        root = args.project.resolve()
        label = args.label or root.name
    else:
        root = CORPUS / f"x{args.scale:g}"
        manifest = generate.generate(root, args.scale, args.seed)
        label = args.label or f"x{args.scale:g}" + ("-quick" if args.quick else "")
    if not args.live:
        os.environ.update(snapshot_djvet("snapshot"))
    data: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "label": label,
        "note": args.note,
        "machine": machine(),
        "git": git_state(),
        "tools": tool_versions(),
        "jobs": args.jobs,
        "reps": reps,
        "root": str(root),
    }
    rules = run_command(
        [sys.executable, "-c", "from djvet.core.registry import rule_codes; print(*rule_codes())"]
    )
    data["rules"] = rules.stdout.split()
    where = run_command([sys.executable, "-c", "import djvet; print(djvet.__file__)"])
    data["djvet_source"] = str(Path(where.stdout.strip()).parent)
    if args.candidate:
        data["candidate"] = {"name": args.candidate_name, "source": str(args.candidate.resolve())}
    if manifest is not None:
        data["corpus"] = {
            "scale": args.scale,
            "seed": args.seed,
            "apps": manifest["apps"],
            "models": manifest["models"],
            "python_files": manifest["files"]["python"],
            "python_lines": manifest["files"]["python_lines"],
            "templates": manifest["files"]["templates"],
            "bytes": manifest["files"]["bytes"],
            "planted": len(manifest["planted"]),
            "near_misses": len(manifest["near_misses"]),
        }
    print(
        f"benchmarking {root} ({label}), {reps} rep(s), -j{args.jobs}; rules {data['rules']}",
        file=sys.stderr,
    )
    only = {x.strip() for x in args.only.split(",")} if args.only else None
    data["main"] = measure_tree(
        root,
        reps=reps,
        jobs=args.jobs,
        label=label,
        manifest=manifest,
        only=only,
        edits=not args.quick and manifest is not None,
        phases=not args.no_phases,
        candidate=(args.candidate_name, args.candidate.resolve()) if args.candidate else None,
    )
    if manifest is None:
        floor = data["main"].get("floor_detail", {})
        data["corpus"] = {
            "python_files": floor.get("python_files"),
            "templates": floor.get("templates"),
        }
    print_table(data["main"], args.jobs)
    if args.scaling:
        data["scaling"] = scaling(
            args.scaling_base,
            [1, 4, 16],
            reps=1 if args.quick else 2,
            jobs=args.jobs,
            seed=args.seed,
        )
        print("\nscaling (per-file cost relative to 1x; 1.00 = linear):")
        for row in data["scaling"]["rows"]:
            print(
                f"  {row['factor']:>3}x {row['python_files']:>6} py files  "
                + "  ".join(f"{k} {v['median_s']:.2f}s" for k, v in row["measures"].items())
                + f"  index {fmt((row['index_bytes'] or 0) / 1e6, 1)} MB  per-file {row.get('per_file_vs_1x')}"
            )
    if args.lsp:
        data["lsp"] = run_lsp(root, manifest, args.quick)
        print(f"\nlsp: {json.dumps(data['lsp'], indent=1)[:3000]}")
    data["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    data["elapsed_s"] = round(time.perf_counter() - started, 1)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"{data['date']}-{label}.json"
        out.write_text(json.dumps(data, indent=1) + "\n")
        rebuild_results_md()
        print(
            f"\nwrote {out.relative_to(REPO)} and {RESULTS_MD.relative_to(REPO)}", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
