"""Editor settings: shapes, validation (bad values -> defaults + warnings), precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from djvet.core.types import Severity
from djvet.lsp.options import (
    DEFAULT_DEBOUNCE_MS,
    layer,
    parse_editor_settings,
    resolve,
    site_packages,
    unwrap,
)

CODES = ("DJV101", "DJV201", "DJV202")


def test_layers_may_be_wrapped_or_flat() -> None:
    assert unwrap({"djvet": {"ignore": ["DJV201"]}}) == {"ignore": ["DJV201"]}
    assert unwrap({"settings": {"djvet": {"enable": False}}}) == {"enable": False}
    assert unwrap({"settings": {"enable": False}}) == {"enable": False}
    assert unwrap({"ignore": ["DJV201"]}) == {"ignore": ["DJV201"]}
    assert unwrap(None) == {}
    assert unwrap(["not", "a", "mapping"]) == {}


def test_a_change_payload_holding_other_tools_settings_is_not_read_as_ours() -> None:
    payload = {"python": {"analysis": {}}, "editor": {"tabSize": 4}}
    assert unwrap(payload, flat=False) == {}
    assert unwrap({"python": {}, "ignore": ["DJV2"]}, flat=False) == {"ignore": ["DJV2"]}


def test_later_layers_win_key_by_key_and_none_never_overrides() -> None:
    merged = layer(
        {"ignore": ["DJV201"], "debounceMs": 10},
        {"select": ["DJV2"]},
        {"ignore": [], "debounceMs": None},
    )
    assert merged == {"ignore": [], "debounceMs": 10, "select": ["DJV2"]}


def test_valid_settings_parse() -> None:
    editor = parse_editor_settings(
        {
            "enable": False,
            "select": ["djv2"],
            "ignore": "DJV202",
            "severity": {"DJV201": "warning"},
            "djangoVersion": "4.2",
            "interpreter": ["/venv/bin/python", "-X", "utf8"],
            "debounceMs": 0,
        }
    )
    assert editor.enable is False
    assert editor.select == ("DJV2",)
    assert editor.ignore == ("DJV202",)
    assert editor.severity == {"DJV201": "warning"}
    assert editor.django_version == "4.2"
    assert editor.interpreter == "/venv/bin/python"
    assert editor.debounce_ms == 0
    assert editor.warnings == ()


def test_each_bad_key_falls_back_to_its_default_with_one_warning_each() -> None:
    editor = parse_editor_settings(
        {
            "enable": "yes",
            "ignore": 5,
            "severity": {"DJV201": "loud", "DJV202": "hint"},
            "djangoVersion": "five",
            "interpreter": 3,
            "debounceMs": "fast",
            "bogus": 1,
        }
    )
    assert editor.enable is True
    assert editor.ignore is None
    assert editor.severity == {"DJV202": "hint"}  # the good entry survives
    assert editor.django_version is None
    assert editor.interpreter is None
    assert editor.debounce_ms == DEFAULT_DEBOUNCE_MS
    joined = "\n".join(editor.warnings)
    for key in (
        "enable",
        "ignore",
        "severity.DJV201",
        "djangoVersion",
        "interpreter",
        "debounceMs",
        "bogus",
    ):
        assert f"djvet.{key}" in joined
    assert len(editor.warnings) == 7


def test_negative_or_huge_debounce_is_rejected() -> None:
    assert parse_editor_settings({"debounceMs": -1}).debounce_ms == DEFAULT_DEBOUNCE_MS
    assert parse_editor_settings({"debounceMs": 10**9}).debounce_ms == DEFAULT_DEBOUNCE_MS
    assert parse_editor_settings({"debounceMs": True}).debounce_ms == DEFAULT_DEBOUNCE_MS


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["Django>=4.2,<5.0"]\n\n[tool.djvet]\n' + table,
        encoding="utf-8",
    )
    return tmp_path


def test_editor_settings_override_tool_djvet_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(
        "VIRTUAL_ENV", raising=False
    )  # else this venv's Django counts as the project's
    root = _project(
        tmp_path, 'ignore = ["DJV201"]\nseverity = { DJV202 = "hint", DJV201 = "info" }\n'
    )
    only_project = resolve(root, parse_editor_settings({}), CODES)
    assert not only_project.is_enabled("DJV201")
    assert only_project.severity["DJV202"] is Severity.HINT
    assert only_project.django_version == Version("4.2")  # from the pin, not from this venv

    editor = parse_editor_settings(
        {"ignore": [], "severity": {"DJV201": "warning"}, "djangoVersion": "5.1"}
    )
    both = resolve(root, editor, CODES)
    assert both.is_enabled("DJV201")  # the editor's ignore replaces the project's
    assert both.severity["DJV201"] is Severity.WARNING  # editor wins for this code
    assert both.severity["DJV202"] is Severity.HINT  # the project's other entries stay
    assert both.django_version == Version("5.1")


def test_editor_warnings_and_project_warnings_are_reported_together(tmp_path: Path) -> None:
    root = _project(tmp_path, "bogus = 1\n")
    settings = resolve(root, parse_editor_settings({"debounceMs": "x", "ignore": ["NOPE1"]}), CODES)
    text = "\n".join(settings.warnings)
    assert "djvet.debounceMs" in text
    assert "bogus" in text
    assert "NOPE1" in text


def _fake_env(tmp_path: Path, version: str) -> Path:
    """A virtualenv on disk with Django's dist-info in it (nothing in it is ever run)."""
    site = tmp_path / "env" / "lib" / "python3.11" / "site-packages"
    (site / f"Django-{version}.dist-info").mkdir(parents=True)
    (tmp_path / "env" / "bin").mkdir()
    python = tmp_path / "env" / "bin" / "python"
    python.write_text("#!/bin/sh\nexit 99\n", encoding="utf-8")  # would fail loudly if run
    return python


def test_interpreter_decides_the_django_version_and_jedis_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    python = _fake_env(tmp_path, "4.2.7")
    root = tmp_path / "project"
    root.mkdir()
    settings = resolve(root, parse_editor_settings({"interpreter": str(python)}), CODES)
    assert settings.django_version == Version("4.2")
    assert "interpreter" in settings.django_version_source
    assert site_packages(str(python)) == (str(tmp_path / "env/lib/python3.11/site-packages"),)
    assert site_packages(str(tmp_path / "nowhere" / "bin" / "python")) == ()
