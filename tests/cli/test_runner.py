"""The runner's process structure: one parse per file, workers that agree with one process."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from djvet import runner
from djvet.core.config import Settings
from djvet.core.python import parse

ASYNC_VIEW = (
    "from django.views.generic import CreateView\n\n\n"
    "class V{n}(CreateView):\n"
    "    async def get(self, request, *args, **kwargs):\n"
    "        return None\n"
)
MODELS = (
    "from django.db import models\n\n\n"
    "class Book(models.Model):\n"
    "    title = models.CharField(max_length=10)\n"
)
ORM_VIEW = (
    "from .models import Book\n\n\nasync def view{n}(request):\n    return Book.objects.get(pk=1)\n"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "manage.py").write_text("")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    for n in range(40):
        (app / f"v{n}.py").write_text((ASYNC_VIEW if n % 2 else ORM_VIEW).format(n=n))
    (app / "broken.py").write_text("def f(:\n    pass\n\nasync def g():\n    return 1\n")
    (app / "latin1.py").write_bytes(b"# caf\xe9\nx = 1\n")
    return tmp_path


def jobs_of(root: Path) -> list[runner.Job]:
    errors: list[tuple[str, str]] = []
    jobs = runner.collect_jobs([root], root, Settings(), root, lambda p, m: errors.append((p, m)))
    assert not errors
    return jobs


def payload(outcomes: list[runner.FileOutcome]) -> list[tuple]:
    return [
        (o.path, o.error, tuple(o.warnings), o.result.findings if o.result else None)
        for o in outcomes
    ]


def count_parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    real = parse._parse_python

    def counting(text: str, filename: str) -> parse.PythonSource:
        calls[os.path.basename(filename)] += 1
        return real(text, filename)

    monkeypatch.setattr(parse, "_parse_python", counting)
    return calls


def test_each_python_file_is_parsed_once(tree: Path, monkeypatch: pytest.MonkeyPatch):
    calls = count_parses(monkeypatch)
    _, outcomes = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)
    assert sum(1 for o in outcomes if o.result and o.result.findings) == 40
    assert all(calls[f"v{n}.py"] == 1 for n in range(40)), calls
    assert calls["broken.py"] == 1 and max(calls.values()) == 1, calls


def test_beyond_the_tree_budget_files_are_parsed_again_with_the_same_result(
    tree: Path, monkeypatch: pytest.MonkeyPatch
):
    kept = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)[1]
    calls = count_parses(monkeypatch)
    monkeypatch.setattr(runner, "TREE_BUDGET_CHARS", 0)
    again = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)[1]
    assert payload(again) == payload(kept)
    assert calls["v1.py"] == 2  # once for the index, once for the check


def test_trees_are_kept_for_the_files_a_check_parses_not_for_modules_its_gates_turn_away(
    tree: Path, monkeypatch: pytest.MonkeyPatch
):
    """The budget goes to files a rule's gate lets through: a URLconf naming views, a package
    re-exporting async views and a test base with a client but no GET are turned away, so a
    budget of just the wanted files' size keeps every tree the check asks for."""
    app = tree / "app"
    extra = {
        "urls.py": "from django.urls import path  # to the Views\nfrom . import v1\n\n"
        "urlpatterns = [path('v/', v1.V1.as_view())]\n",
        "views_init.py": "from .async_views import listing\n\n__all__ = ['listing']\n",
        "base.py": "from django.test import TestCase\n\n\nclass Base(TestCase):\n"
        "    def setUp(self):\n        self.client.force_login(None)\n",
        "mixins.py": "class TitleMixin:\n    title = ''  # for View classes\n",
    }
    for name, text in extra.items():
        (app / name).write_text(text)
    wanted = sum(len((app / f"v{n}.py").read_text()) for n in range(40))
    paths = sorted(str(p) for p in tree.rglob("*.py"))
    _, kept = runner.extract_modules(paths, tree)
    assert {Path(key).name for key in kept} == {f"v{n}.py" for n in range(40)} | {"broken.py"}
    monkeypatch.setattr(runner, "TREE_BUDGET_CHARS", wanted + len((app / "broken.py").read_text()))
    calls = count_parses(monkeypatch)
    runner.check_project(tree, Settings(), jobs_of(tree), workers=1)
    assert max(calls.values()) == 1, calls


def test_a_file_edited_between_index_and_check_is_parsed_afresh(
    tree: Path, monkeypatch: pytest.MonkeyPatch
):
    """The kept tree is used only for the very text the check reads (here the check reads
    every file again: no text is kept from the index build)."""
    monkeypatch.setattr(runner, "TEXT_BUDGET_CHARS", 0)
    real_read = runner.read_file

    def edited(path: Path) -> runner.SourceFile:
        source = real_read(path)
        if path.name == "v1.py":
            return runner.SourceFile(path, source.text.replace("async def", "def"), False, False)
        return source

    monkeypatch.setattr(runner, "read_file", edited)
    _, outcomes = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)
    by_path = {o.path: o for o in outcomes}
    assert by_path["app/v1.py"].result is not None
    assert by_path["app/v1.py"].result.findings == ()  # a sync get() mixes nothing
    assert by_path["app/v3.py"].result is not None and by_path["app/v3.py"].result.findings


@pytest.mark.parametrize("workers", [1, 2])
def test_checking_reads_each_indexed_python_file_once(
    tree: Path, monkeypatch: pytest.MonkeyPatch, workers: int
):
    """The check takes the text the index build read (one read per file); fixes read again."""
    monkeypatch.setattr(runner, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runner, "FILES_PER_WORKER", 1)
    baseline = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)[1]
    reads: list[str] = []
    real_read = runner.read_file

    def counted(path: Path) -> runner.SourceFile:
        reads.append(path.name)
        return real_read(path)

    monkeypatch.setattr(runner, "read_file", counted)
    _, outcomes = runner.check_project(tree, Settings(), jobs_of(tree), workers=workers)
    assert payload(outcomes) == payload(baseline)
    if workers == 1:  # (a worker's reads happen in another process)
        assert not [name for name in reads if name.endswith(".py")]
        runner.check_project(tree, Settings(), jobs_of(tree), mode="diff", workers=1)
        assert "v1.py" in reads


def test_workers_agree_with_one_process(tree: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runner, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runner, "FILES_PER_WORKER", 1)
    serial_facts, serial = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)
    parallel_facts, parallel = runner.check_project(tree, Settings(), jobs_of(tree), workers=3)
    assert payload(parallel) == payload(serial)
    assert serial_facts is not None and parallel_facts is not None
    assert all(isinstance(part, bytes) for part in parallel_facts.fresh)  # sent by workers


@pytest.mark.parametrize("shared_memory", [True, False])
def test_workers_hand_their_facts_over_and_leave_no_file_behind(
    tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    shared_memory: bool,
):
    """Facts go through files in a shared-memory folder (removed once every worker has read
    them), or inside the messages when there is no such folder; the same outcomes either way,
    and the parent still gets every worker's facts for the cache."""
    monkeypatch.setattr(runner, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runner, "FILES_PER_WORKER", 1)
    folder = tmp_path_factory.mktemp("shm")
    monkeypatch.setattr(runner, "_SHARED_MEMORY", str(folder if shared_memory else folder / "no"))
    serial_facts, serial = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)
    created: set[str] = set()
    real_discard = runner._discard

    def noting(message: bytes) -> None:
        created.add(os.fsdecode(message[1:]) if message[:1] == b"F" else "inline")
        real_discard(message)

    monkeypatch.setattr(runner, "_discard", noting)
    facts, parallel = runner.check_project(tree, Settings(), jobs_of(tree), workers=3)
    assert payload(parallel) == payload(serial)
    assert facts is not None and serial_facts is not None
    merged: dict[str, object] = {}
    for part in facts.fresh:
        assert isinstance(part, bytes)
        merged.update(pickle.loads(part))
    assert merged.keys() == dict(serial_facts.fresh[0]).keys()
    assert list(folder.iterdir()) == []  # every file removed
    if shared_memory:
        assert len(created) == 3 and all(name.startswith(str(folder)) for name in created)
    else:
        assert created == {"inline"}


def test_a_worker_that_dies_does_not_lose_files(tree: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runner, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runner, "FILES_PER_WORKER", 1)
    serial = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)[1]

    def dying(conn, *args):  # a worker killed before it sends anything (OOM killer, signal)
        os._exit(1)

    monkeypatch.setattr(runner, "_worker_main", dying)
    _, outcomes = runner.check_project(tree, Settings(), jobs_of(tree), workers=2)
    assert payload(outcomes) == payload(serial)


def test_reused_results_skip_the_index(tree: Path):
    # The CLI caches no result that carries a warning (it would come back without it).
    jobs = [job for job in jobs_of(tree) if not job.path.endswith("latin1.py")]
    _, first = runner.check_project(tree, Settings(), jobs, workers=1)
    reuse = {job.path: o.result for job, o in zip(jobs, first, strict=True) if o.result}
    facts, again = runner.check_project(
        tree, Settings(), jobs, workers=1, reuse=reuse, want_facts=False
    )
    assert facts is None  # nothing was read or parsed
    assert payload(again) == payload(first)


def test_a_fixed_file_is_written_only_when_libcst_parses_it_too(
    tree: Path, monkeypatch: pytest.MonkeyPatch
):
    """Fixes are validated with ``ast`` when offered; libcst checks the file once more right
    before ``--fix`` writes it, and a refusal leaves the file as it was, with a warning."""
    path = tree / "app" / "v1.py"
    before = path.read_text()
    job = next(j for j in jobs_of(tree) if j.path == str(path))
    project = runner.build_index(tree, Settings())
    monkeypatch.setattr(runner, "round_trips", lambda text: False)
    refused = runner.run_job(job, project, Settings(), "fix", True)
    assert path.read_text() == before and refused.fixed_text is None
    assert refused.warnings == ["the fixed text does not parse with libcst; no fix was written"]
    monkeypatch.undo()
    project = runner.build_index(tree, Settings())
    written = runner.run_job(job, project, Settings(), "fix", True)
    assert written.warnings == [] and written.fixes_applied >= 1
    assert path.read_text() == written.fixed_text != before


def test_checking_offers_fixes_without_importing_libcst(tree: Path):
    """Importing and running libcst cost ~0.3 s of a 3,000-file check: only writing needs it."""
    script = (
        "import sys\n"
        "from djvet.cli import main\n"
        f"main(['check', {str(tree)!r}, '--format', 'json', '--no-cache', '--exit-zero'])\n"
        "print('libcst' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    findings = json.loads(out.stdout)["findings"]
    assert any(f["fix"] for f in findings)
    assert out.stderr.strip() == "False"


def test_the_command_exits_at_once_with_all_its_output_written(tmp_path: Path):
    """``python -m djvet`` ends with ``os._exit`` (no interpreter clean-up, no waiting for
    workers to free their memory): everything it printed still arrives whole, with its exit
    code, on one process and with workers."""
    (tmp_path / "manage.py").write_text("")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    for n in range(240):  # enough for two workers (``FILES_PER_WORKER``)
        (app / f"v{n}.py").write_text((ASYNC_VIEW if n % 2 else ORM_VIEW).format(n=n))
    reports = []
    command = [sys.executable, "-m", "djvet", "check", str(tmp_path), "--format", "json"]
    for jobs in ("1", "2"):
        done = subprocess.run(
            [*command, "--no-cache", "-j", jobs],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        reports.append(json.loads(done.stdout))
    assert reports[0] == reports[1]
    assert Counter(f["code"] for f in reports[0]["findings"]) == {"DJV201": 120, "DJV301": 120}


def test_a_full_shared_memory_folder_hands_facts_over_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Writing the file fails (a small ``/dev/shm`` in a container is full): the blob goes in
    the message itself and the half-written file is removed."""
    monkeypatch.setattr(runner, "_SHARED_MEMORY", str(tmp_path))
    blob = pickle.dumps({"a": 1})
    message = runner._hand_over(blob)
    assert message[:1] == b"F" and bytes(runner._taken(message)) == blob
    runner._discard(message)
    assert list(tmp_path.iterdir()) == []

    class Full:
        def __init__(self, fd: int, mode: str) -> None:
            self.fd = fd

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            os.close(self.fd)

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "open", Full, raising=False)
    message = runner._hand_over(blob)
    assert message[:1] == b"B" and bytes(runner._taken(message)) == blob
    assert list(tmp_path.iterdir()) == []


def test_a_worker_that_cannot_read_the_others_facts_leaves_quietly(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
):
    """A facts file gone before a worker reads it (removed by a clean-up, say): the worker
    ends without a traceback and the run finishes the files serially, losing none."""
    monkeypatch.setattr(runner, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runner, "FILES_PER_WORKER", 1)
    serial = runner.check_project(tree, Settings(), jobs_of(tree), workers=1)[1]
    parent = os.getpid()
    real = runner._taken

    def vanished(message: bytes) -> bytes | memoryview:
        if os.getpid() != parent:
            raise FileNotFoundError(2, "No such file or directory")
        return real(message)

    monkeypatch.setattr(runner, "_taken", vanished)
    capfd.readouterr()
    _, outcomes = runner.check_project(tree, Settings(), jobs_of(tree), workers=2)
    assert payload(outcomes) == payload(serial)
    assert "Traceback" not in capfd.readouterr().err


def test_facts_files_of_workers_that_no_longer_run_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A run killed with SIGKILL leaves its facts files; the next parallel run removes those
    of processes that are gone, and nothing else."""
    monkeypatch.setattr(runner, "_SHARED_MEMORY", str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)  # reaped: its id names no process (unless reused at once)
    stale = tmp_path / f"djvet-facts-{dead}-abc"
    live = tmp_path / f"djvet-facts-{os.getpid()}-def"
    other = tmp_path / "someone-elses-file"
    odd = tmp_path / "djvet-facts-notapid"
    for path in (stale, live, other, odd):
        path.write_bytes(b"x")
    runner._sweep_stale_facts()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (live, other, odd))
    message = runner._hand_over(b"blob")  # its own files carry the writer's process id
    assert os.path.basename(os.fsdecode(message[1:])).startswith(f"djvet-facts-{os.getpid()}-")
    runner._discard(message)
