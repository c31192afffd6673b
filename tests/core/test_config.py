"""Settings, [tool.djvet] validation, and Django version detection from each source."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from packaging.version import Version

from djvet.core.config import (
    Settings,
    _spec_from_requirement,
    best_known_match,
    detect_django_version,
    parse_tool_table,
    resolve_settings,
)
from djvet.core.types import Severity
from djvet.layout import find_project_root

CODES = ("DJV101", "DJV102", "DJV201", "DJV202", "DJV301")


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(autouse=True)
def _no_ambient_venv(monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


class TestSelection:
    def test_empty_select_enables_everything(self):
        assert Settings().is_enabled("DJV201")

    def test_select_prefix(self):
        s = Settings(select=("DJV2",))
        assert s.is_enabled("DJV201") and not s.is_enabled("DJV101")

    def test_ignore_beats_equal_or_shorter_select(self):
        s = Settings(select=("DJV2",), ignore=("DJV201",))
        assert not s.is_enabled("DJV201") and s.is_enabled("DJV202")

    def test_longer_select_beats_shorter_ignore(self):
        s = Settings(select=("DJV201",), ignore=("DJV2",))
        assert s.is_enabled("DJV201") and not s.is_enabled("DJV202")


class TestToolTable:
    def test_valid_table(self):
        raw = parse_tool_table(
            {
                "select": ["DJV2"],
                "ignore": ["DJV202"],
                "severity": {"DJV201": "warning"},
                "django-version": "4.2.7",
            },
            CODES,
        )
        assert raw.select == ("DJV2",) and raw.ignore == ("DJV202",)
        assert raw.severity == {"DJV201": Severity.WARNING}
        assert raw.django_version == Version("4.2")
        assert raw.warnings == ()

    def test_unknown_key_and_code_warn_but_do_not_fail(self):
        raw = parse_tool_table(
            {"selekt": ["DJV2"], "ignore": ["DJV999"], "severity": {"DJV201": "loud"}}, CODES
        )
        text = "\n".join(raw.warnings)
        assert "unknown key 'selekt'" in text
        assert "unknown rule code 'DJV999'" in text
        assert "severity.DJV201" in text
        assert raw.severity == {}

    def test_wrong_types_warn(self):
        raw = parse_tool_table({"select": 3, "exclude": [1, 2], "django-version": "banana"}, CODES)
        assert len(raw.warnings) == 3
        assert raw.select == () and raw.django_version is None

    def test_broken_pyproject_is_a_warning(self, tmp_path):
        write(tmp_path, "pyproject.toml", "[tool.djvet\nselect = [")
        settings = resolve_settings(tmp_path, CODES)
        assert any("cannot read" in w for w in settings.warnings)
        assert settings.select == ()


class TestVersionDetection:
    def test_explicit_wins(self, tmp_path):
        write(tmp_path, "requirements.txt", "Django==4.2.7\n")
        assert detect_django_version(tmp_path, "5.1") == (Version("5.1"), "explicit setting")

    def test_tool_table(self, tmp_path):
        write(tmp_path, "pyproject.toml", '[tool.djvet]\ndjango-version = "4.2"\n')
        write(tmp_path, "requirements.txt", "Django==5.0\n")
        settings = resolve_settings(tmp_path, CODES)
        assert settings.django_version == Version("4.2")
        assert "tool.djvet" in settings.django_version_source

    def test_installed_in_project_venv_dist_info(self, tmp_path):
        site = tmp_path / ".venv/lib/python3.12/site-packages"
        (site / "Django-5.0.14.dist-info").mkdir(parents=True)
        write(tmp_path, ".venv/pyvenv.cfg", "home = /usr/bin\n")
        write(tmp_path, "requirements.txt", "Django==4.2\n")
        version, source = detect_django_version(tmp_path)
        assert version == Version("5.0") and "installed" in source

    def test_installed_via_version_tuple(self, tmp_path):
        site = tmp_path / "venv/lib/python3.11/site-packages"
        write(site, "django/__init__.py", "VERSION = (4, 1, 13, 'final', 0)\n")
        write(tmp_path, "venv/pyvenv.cfg", "home = /usr/bin\n")
        assert detect_django_version(tmp_path)[0] == Version("4.1")

    def test_interpreter_setting_is_read_not_run(self, tmp_path):
        prefix = tmp_path / "elsewhere"
        (prefix / "lib/python3.12/site-packages/django-6.0.1.dist-info").mkdir(parents=True)
        (prefix / "bin").mkdir()
        # A "python" that would fail loudly if executed.
        write(prefix, "bin/python", "#!/bin/sh\nexit 99\n").chmod(0o755)
        version, source = detect_django_version(tmp_path, interpreter=str(prefix / "bin/python"))
        assert version == Version("6.0") and "interpreter" in source

    def test_virtual_env_variable(self, tmp_path, monkeypatch):
        (tmp_path / "ve/lib/python3.12/site-packages/Django-5.1.dist-info").mkdir(parents=True)
        monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "ve"))
        assert detect_django_version(tmp_path / "proj")[0] == Version("5.1")

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("Django==4.2.7", "4.2"),
            ("django>=4.2,<5.0", "4.2"),
            ("Django~=5.1.0", "5.1"),
            ("django[argon2]>=5.0,<5.2 ; python_version >= '3.10'", "5.1"),
            ("Django>=4.1", "6.1"),
        ],
    )
    def test_requirements_pins(self, tmp_path, line, expected):
        write(tmp_path, "requirements.txt", f"# deps\n-r base.txt\ndjango-environ==0.11\n{line}\n")
        version, source = detect_django_version(tmp_path)
        assert version == Version(expected) and source == "requirements.txt"

    def test_requirements_folder(self, tmp_path):
        write(tmp_path, "requirements/base.txt", "Django==5.0.3\n")
        assert detect_django_version(tmp_path)[0] == Version("5.0")

    def test_pyproject_dependencies(self, tmp_path):
        write(
            tmp_path,
            "pyproject.toml",
            '[project]\nname="x"\ndependencies = ["requests", "Django>=4.2,<4.3"]\n',
        )
        assert detect_django_version(tmp_path) == (
            Version("4.2"),
            "pyproject.toml [project] dependencies",
        )

    def test_poetry_caret(self, tmp_path):
        write(
            tmp_path,
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "^5.0"\n',
        )
        assert detect_django_version(tmp_path)[0] == Version("5.0")

    def test_setup_cfg(self, tmp_path):
        write(tmp_path, "setup.cfg", "[options]\ninstall_requires =\n    Django>=4.1,<4.2\n")
        assert detect_django_version(tmp_path) == (Version("4.1"), "setup.cfg")

    @pytest.mark.parametrize("name", ["poetry.lock", "uv.lock"])
    def test_lock_files_beat_ranges(self, tmp_path, name):
        write(tmp_path, name, '[[package]]\nname = "django"\nversion = "4.2.11"\n')
        write(tmp_path, "requirements.txt", "Django>=4.0\n")
        assert detect_django_version(tmp_path) == (Version("4.2"), name)

    def test_pipfile_lock(self, tmp_path):
        write(tmp_path, "Pipfile.lock", '{"default": {"django": {"version": "==5.1.2"}}}')
        assert detect_django_version(tmp_path) == (Version("5.1"), "Pipfile.lock")

    def test_default_is_newest_known(self, tmp_path):
        version, source = detect_django_version(tmp_path)
        assert version == Version("6.1") and source.startswith("default")

    def test_bad_explicit_version_warns_and_detects(self, tmp_path):
        write(tmp_path, "requirements.txt", "Django==5.0\n")
        settings = resolve_settings(tmp_path, CODES, django_version="five")
        assert settings.django_version == Version("5.0")
        assert any("not a version" in w for w in settings.warnings)


class TestProjectRoot:
    def test_nearest_marker(self, tmp_path):
        write(tmp_path, "proj/manage.py", "")
        write(tmp_path, "proj/app/views.py", "")
        assert find_project_root([tmp_path / "proj/app/views.py"], tmp_path) == tmp_path / "proj"

    def test_common_ancestor_of_several_paths(self, tmp_path):
        write(tmp_path, "proj/pyproject.toml", "")
        write(tmp_path, "proj/a/x.py", "")
        write(tmp_path, "proj/b/y.py", "")
        assert (
            find_project_root([tmp_path / "proj/a", tmp_path / "proj/b/y.py"], tmp_path)
            == tmp_path / "proj"
        )

    def test_falls_back_to_cwd(self, tmp_path):
        (tmp_path / "loose").mkdir()
        # tmp_path has no marker, but its parents might (/tmp rarely does); use an isolated cwd.
        root = find_project_root([tmp_path / "loose"], tmp_path / "loose")
        assert root in {(tmp_path / "loose").resolve(), *list(tmp_path.parents)}


class TestExactPins:
    """``Django==X.Y.Z`` is read without the requirement grammar: same answer as through it."""

    @staticmethod
    def through_the_grammar(line: str) -> Version | None:
        from packaging.requirements import Requirement

        return best_known_match(Requirement(line).specifier)

    @pytest.mark.parametrize(
        "line",
        [
            "Django==5.2.1",  # a known feature release's patch: 5.2
            "django == 4.2.17",
            "DJANGO==5.0",  # zero-padded: 5.0.0
            "Django==05.01.003",  # leading zeros are the same numbers
            "Django==5.1.39",  # the last patch best_known_match tries
            "Django==5.1.40",  # beyond the patches it tries: no version
            "Django==3.0.1",  # a feature release djvet does not know: no version
            "Django==9.9",
        ],
    )
    def test_same_answer_as_the_grammar(self, line):
        assert _spec_from_requirement(line) == self.through_the_grammar(line)

    def test_answers(self):
        assert _spec_from_requirement("Django==5.2.1") == Version("5.2")
        assert _spec_from_requirement("Django==3.0.1") is None

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("Django==4.2.7 ; python_version >= '3.8'", "4.2"),  # a marker: the grammar reads it
            ("django[argon2]==5.0.1", "5.0"),  # extras: the grammar
            ("Django===5.1.2", "5.1"),  # arbitrary equality is not ``==``: the grammar
            ("Django==5.1.*", "5.1"),  # a wildcard: the grammar
            ("django-environ==0.11.2", None),  # another project whose name holds "django"
            ("celery==5.4.0", None),  # not Django at all: never parsed
            ("Django==", None),  # not a requirement
        ],
    )
    def test_other_forms_still_use_the_grammar(self, line, expected):
        assert _spec_from_requirement(line) == (Version(expected) if expected else None)
