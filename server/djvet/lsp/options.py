"""Editor settings for the language server: read, validate, layer, and resolve into core Settings.

Settings arrive from up to three places in the editor — ``initializationOptions``, the
payload of ``workspace/didChangeConfiguration``, and ``workspace/configuration`` (section
``djvet``, asked per workspace folder) — and from the project's ``[tool.djvet]`` table.
Precedence, lowest to highest, key by key:

    built-in defaults < [tool.djvet] < initializationOptions
                      < didChangeConfiguration payload < workspace/configuration answer

so a project's ``pyproject.toml`` sets the team's defaults and a user's editor can still
override one key (say ``ignore``) without restating the rest. Every layer may be given flat
(``{"ignore": [...]}``) or wrapped (``{"djvet": {...}}`` or ``{"settings": {...}}``).

Bad values never raise: the key falls back to its default and the problem is reported once
(``warnings``; the server logs them with ``window/logMessage``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.config import Settings, parse_version, resolve_settings
from ..core.types import Severity

SECTION = "djvet"
# The debounce counts inside keystroke-to-diagnostics latency (target: p95 <= 50 ms), so it
# is small; and it is leading-edge: a change after a quiet period is checked at once, only
# changes arriving within this window of the previous one wait for the burst to end.
DEFAULT_DEBOUNCE_MS = 30
MAX_DEBOUNCE_MS = 10_000

KNOWN_KEYS = (
    "enable",
    "select",
    "ignore",
    "severity",
    "djangoVersion",
    "interpreter",
    "debounceMs",
)


@dataclass(frozen=True)
class EditorSettings:
    """The editor-side settings after validation; ``None`` means "not set here"."""

    enable: bool = True
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    django_version: str | None = None
    interpreter: str | None = None
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    warnings: tuple[str, ...] = ()


def unwrap(raw: Any, *, flat: bool = True) -> dict[str, Any]:
    """One settings layer as a flat mapping.

    ``{"djvet": {...}}`` and ``{"settings": {...}}`` are unwrapped. A mapping without either
    is taken as the settings themselves when ``flat`` (initializationOptions, the answer to
    ``workspace/configuration`` for section ``djvet``); otherwise (a didChangeConfiguration
    payload, which may hold every tool's settings) only djvet's own keys are picked from it.
    """
    if not isinstance(raw, Mapping):
        return {}
    for key in (SECTION, "settings"):
        inner = raw.get(key)
        if isinstance(inner, Mapping):
            return unwrap(inner, flat=True) if key == "settings" else dict(inner)
    if flat:
        return dict(raw)
    return {key: value for key, value in raw.items() if key in KNOWN_KEYS}


def layer(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge unwrapped settings layers, later ones winning key by key (``None`` never overrides)."""
    merged: dict[str, Any] = {}
    for raw in layers:
        for key, value in raw.items():
            if value is not None:
                merged[key] = value
    return merged


def _codes(value: Any, key: str, warnings: list[str]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip().upper() for v in value if v.strip())
    warnings.append(f"djvet.{key} must be a list of rule codes; using the default")
    return None


def parse_editor_settings(raw: Mapping[str, Any]) -> EditorSettings:
    """Validate a merged settings mapping; each bad key falls back to its default."""
    warnings: list[str] = []
    for key in raw:
        if key not in KNOWN_KEYS:
            warnings.append(f"djvet.{key} is not a djvet setting (known: {', '.join(KNOWN_KEYS)})")
    enable = raw.get("enable", True)
    if not isinstance(enable, bool):
        warnings.append("djvet.enable must be true or false; using true")
        enable = True
    select = _codes(raw["select"], "select", warnings) if "select" in raw else None
    ignore = _codes(raw["ignore"], "ignore", warnings) if "ignore" in raw else None
    severity: dict[str, str] = {}
    raw_severity = raw.get("severity", {})
    if isinstance(raw_severity, Mapping):
        for code, level in raw_severity.items():
            try:
                Severity.parse(str(level))
            except ValueError as exc:
                warnings.append(f"djvet.severity.{code}: {exc}")
                continue
            severity[str(code).upper()] = str(level)
    else:
        warnings.append("djvet.severity must map rule codes to error/warning/information/hint")
    version = raw.get("djangoVersion")
    if version is not None and (
        not isinstance(version, (str, int, float)) or parse_version(str(version)) is None
    ):
        warnings.append(f"djvet.djangoVersion {version!r} is not a version; detecting it instead")
        version = None
    interpreter = raw.get("interpreter")
    if isinstance(interpreter, list):  # VS Code Python-tool style: ["/path/python", "-X", ...]
        interpreter = interpreter[0] if interpreter and isinstance(interpreter[0], str) else None
    if interpreter is not None and not isinstance(interpreter, str):
        warnings.append("djvet.interpreter must be a path to a Python executable")
        interpreter = None
    debounce = raw.get("debounceMs", DEFAULT_DEBOUNCE_MS)
    if (
        isinstance(debounce, bool)
        or not isinstance(debounce, (int, float))
        or not 0 <= debounce <= MAX_DEBOUNCE_MS
    ):
        warnings.append(
            f"djvet.debounceMs must be a number of milliseconds (0-{MAX_DEBOUNCE_MS}); using {DEFAULT_DEBOUNCE_MS}"
        )
        debounce = DEFAULT_DEBOUNCE_MS
    return EditorSettings(
        enable=enable,
        select=select,
        ignore=ignore,
        severity=severity,
        django_version=str(version) if version is not None else None,
        interpreter=interpreter or None,
        debounce_ms=int(debounce),
        warnings=tuple(warnings),
    )


def site_packages(interpreter: str) -> tuple[str, ...]:
    """The site-packages folders of the environment ``interpreter`` belongs to (found, never run).

    ``<prefix>/bin/python`` -> ``<prefix>/lib/python3.X/site-packages`` (POSIX venvs) or
    ``<prefix>\\Lib\\site-packages`` (Windows).
    """
    prefix = Path(interpreter).parent.parent
    found = sorted(prefix.glob("lib/python3*/site-packages")) + sorted(
        prefix.glob("lib64/python3*/site-packages")
    )
    found.append(prefix / "Lib" / "site-packages")
    return tuple(str(path) for path in found if path.is_dir())


def resolve(root: Path, editor: EditorSettings, known_codes: Iterable[str]) -> Settings:
    """Core Settings for a workspace: ``[tool.djvet]`` under the editor's overrides."""
    settings = resolve_settings(
        root,
        known_codes,
        select=editor.select,
        ignore=editor.ignore,
        severity=dict(editor.severity),
        django_version=editor.django_version,
        interpreter=editor.interpreter,
    )
    if editor.warnings:
        settings = settings.with_overrides(warnings=(*editor.warnings, *settings.warnings))
    return settings
