"""Settings: ``[tool.djvet]`` in pyproject.toml, overrides from front ends, and Django version detection.

Precedence, lowest to highest: built-in defaults < ``[tool.djvet]`` < editor settings <
command-line flags. Problems in configuration never raise: they become warnings and the
defaults stay in force.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from ..layout import VENV_NAMES, site_packages_candidates
from .facts import feature_release, known_versions, newest_version
from .types import Severity

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

# Imported where a file needs them, not up front: most projects have no TOML file to read, or
# none that names Django, and ``packaging.specifiers`` alone costs ~14 ms a start-up (it
# imports ``packaging.tags``, hence ``subprocess``, ``logging`` and ``platform``).

KNOWN_KEYS = frozenset(
    {"select", "ignore", "severity", "django-version", "exclude", "extend-exclude", "template-dirs"}
)


@dataclass(frozen=True)
class Settings:
    """What the user asked for. ``django_version`` is the resolved version used by rules."""

    select: tuple[str, ...] = ()  # code prefixes; empty means every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    django_version: Version = field(default_factory=newest_version)
    django_version_source: str = "default"
    exclude: tuple[str, ...] = ()
    template_dirs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def is_enabled(self, code: str) -> bool:
        """Selection like ruff's: the longest matching prefix of select/ignore wins."""
        best_select = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        if not self.select:
            best_select = 0
        best_ignore = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return best_select >= 0 and best_select >= best_ignore + (1 if best_ignore >= 0 else 0)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


@dataclass(frozen=True)
class RawConfig:
    """``[tool.djvet]`` as read, validated, before the version is resolved."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    django_version: Version | None = None
    exclude: tuple[str, ...] = ()
    template_dirs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _str_list(value: Any, key: str, warnings: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    warnings.append(f"[tool.djvet] {key} must be a list of strings; ignored")
    return ()


def parse_version(text: str) -> Version | None:
    try:
        return feature_release(Version(str(text).strip()))
    except InvalidVersion:
        return None


def validate_codes(codes: Iterable[str], known_codes: Iterable[str], where: str) -> list[str]:
    """Warnings for codes/prefixes that match no rule."""
    known = tuple(known_codes)
    out = []
    for code in codes:
        if code == "ALL":
            continue
        if not any(k.startswith(code) for k in known):
            out.append(f"{where}: unknown rule code {code!r}")
    return out


def parse_tool_table(table: Mapping[str, Any], known_codes: Iterable[str]) -> RawConfig:
    """Validate a ``[tool.djvet]`` table (or an editor's equivalent mapping)."""
    warnings: list[str] = []
    known_codes = tuple(known_codes)
    for key in table:
        if key not in KNOWN_KEYS:
            warnings.append(
                f"[tool.djvet] unknown key {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})"
            )
    select = _str_list(table.get("select", []), "select", warnings)
    ignore = _str_list(table.get("ignore", []), "ignore", warnings)
    select = tuple("" if s == "ALL" else s for s in select)
    warnings += validate_codes(select, known_codes, "[tool.djvet] select")
    warnings += validate_codes(ignore, known_codes, "[tool.djvet] ignore")
    severity: dict[str, Severity] = {}
    raw_sev = table.get("severity", {})
    if isinstance(raw_sev, Mapping):
        for code, value in raw_sev.items():
            try:
                severity[str(code)] = Severity.parse(str(value))
            except ValueError as exc:
                warnings.append(f"[tool.djvet] severity.{code}: {exc}")
        warnings += validate_codes(severity, known_codes, "[tool.djvet] severity")
    else:
        warnings.append("[tool.djvet] severity must be a table of CODE = level")
    version = None
    if "django-version" in table:
        version = parse_version(str(table["django-version"]))
        if version is None:
            warnings.append(
                f"[tool.djvet] django-version {table['django-version']!r} is not a version"
            )
    exclude = _str_list(table.get("exclude", []), "exclude", warnings)
    exclude += _str_list(table.get("extend-exclude", []), "extend-exclude", warnings)
    template_dirs = _str_list(table.get("template-dirs", []), "template-dirs", warnings)
    return RawConfig(
        select=select,
        ignore=ignore,
        severity=severity,
        django_version=version,
        exclude=exclude,
        template_dirs=template_dirs,
        warnings=tuple(warnings),
    )


def _toml() -> Any:
    """The TOML parser (``tomllib``; ``tomli`` before Python 3.11)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


def read_pyproject(root: Path) -> tuple[dict[str, Any], list[str]]:
    """The parsed pyproject.toml at ``root`` (empty when absent) and any read problems."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}, []
    toml = _toml()
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = toml.load(fh)
            return data, []
    except (OSError, toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot read ({exc}); using defaults"]


def load_raw_config(root: Path, known_codes: Iterable[str]) -> RawConfig:
    data, warnings = read_pyproject(root)
    table = data.get("tool", {}).get("djvet", {})
    if not isinstance(table, dict):
        return RawConfig(warnings=(*warnings, "[tool.djvet] must be a table"))
    raw = parse_tool_table(table, known_codes)
    return replace(raw, warnings=(*warnings, *raw.warnings))


# ---------------------------------------------------------------------------------------------
# Django version detection
# ---------------------------------------------------------------------------------------------

_VERSION_TUPLE = re.compile(r"^VERSION\s*=\s*\((\d+)\s*,\s*(\d+)", re.M)
_DIST_INFO = re.compile(r"^django-(\d+\.\d+[^-]*)\.(?:dist|egg)-info$", re.I)


def _django_in_site_packages(site: Path) -> Version | None:
    try:
        entries = list(site.iterdir())
    except OSError:
        return None
    for entry in entries:
        match = _DIST_INFO.match(entry.name)
        if match:
            version = parse_version(match.group(1))
            if version:
                return version
    init = site / "django" / "__init__.py"
    try:
        match2 = _VERSION_TUPLE.search(init.read_text("utf-8", errors="replace"))
    except OSError:
        return None
    if match2:
        return Version(f"{match2.group(1)}.{match2.group(2)}")
    return None


def _site_packages_of(prefix: Path) -> list[Path]:
    return [c for c in site_packages_candidates(prefix) if c.is_dir()]


def _environment_prefixes(root: Path, interpreter: str | None) -> list[tuple[Path, str]]:
    prefixes: list[tuple[Path, str]] = []
    if interpreter:
        exe = Path(interpreter)
        # <prefix>/bin/python or <prefix>\Scripts\python.exe: read, never run.
        prefixes.append((exe.parent.parent, f"interpreter {interpreter}"))
    for name in VENV_NAMES:
        candidate = root / name
        if (candidate / "pyvenv.cfg").is_file():
            prefixes.append((candidate, f"{name}/"))
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        prefixes.append((Path(venv), "$VIRTUAL_ENV"))
    return prefixes


# ``Django==4.2.7``: the commonest pin, read without the requirement grammar.
_EXACT_PIN = re.compile(r"django[ \t]*==[ \t]*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", re.I)
_PATCHES_TRIED = 40  # ``best_known_match`` looks for ``==X.Y.Z`` among X.Y.0 .. X.Y.39


def best_known_match(spec: SpecifierSet) -> Version | None:
    """The newest Django feature release djvet knows that the specifier admits."""
    matches = [v for v in known_versions() if spec.contains(v, prereleases=True)]
    if matches:
        return max(matches)
    # ``==4.2.7`` does not admit ``4.2``: try patch releases of each feature release.
    for version in reversed(known_versions()):
        for patch in range(0, _PATCHES_TRIED):
            if spec.contains(Version(f"{version}.{patch}"), prereleases=True):
                return version
    return None


_POETRY_CARET = re.compile(r"^\^?\s*(\d+)\.(\d+)")


def _spec_from_requirement(line: str) -> Version | None:
    """``Django>=4.2,<5.0`` / ``django[argon2]==4.2.7 ; python_version>'3'`` -> a known version."""
    text = line.split("#", 1)[0].strip()
    # A requirement whose name is Django has it in its text: other lines (most of a
    # requirements file) are not parsed at all.
    if not text or text.startswith("-") or "django" not in text.lower():
        return None
    pin = _EXACT_PIN.fullmatch(text)
    if pin is not None:
        # ``==X.Y.Z`` admits only X.Y's patch Z (zero-padded: ``==X.Y`` is X.Y.0), so
        # ``best_known_match`` would answer X.Y when it knows X.Y and Z is a patch it tries.
        version = Version(f"{int(pin.group(1))}.{int(pin.group(2))}")
        patch = int(pin.group(3) or 0)
        return version if version in known_versions() and patch < _PATCHES_TRIED else None
    # Imported here: it compiles its grammar's regexes (~20 ms), and a project whose
    # environment has Django installed never reads a pin.
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if requirement.name.lower() != "django" or not str(requirement.specifier):
        return None
    return best_known_match(requirement.specifier)


def _version_from_poetry(value: Any) -> Version | None:
    if isinstance(value, dict):
        value = value.get("version", "")
    if not isinstance(value, str):
        return None
    text = value.strip()
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if text.startswith(("^", "~")) or re.match(r"^\d", text):
        match = _POETRY_CARET.match(text.lstrip("~"))
        if match:
            return Version(f"{match.group(1)}.{match.group(2)}")
    try:
        return best_known_match(SpecifierSet(text.replace(" ", "")))
    except InvalidSpecifier:
        return None


def _from_lock_files(root: Path) -> tuple[Version, str] | None:
    for name in ("uv.lock", "poetry.lock", "pdm.lock"):
        path = root / name
        if not path.is_file():
            continue
        toml = _toml()
        try:
            data = toml.loads(path.read_text("utf-8"))
        except (OSError, toml.TOMLDecodeError, UnicodeDecodeError):
            continue
        for package in data.get("package", []):
            if str(package.get("name", "")).lower() == "django":
                version = parse_version(str(package.get("version", "")))
                if version:
                    return version, name
    pipfile = root / "Pipfile.lock"
    if pipfile.is_file():
        try:
            data = json.loads(pipfile.read_text("utf-8"))
            entry = data.get("default", {}).get("django", {})
            version = parse_version(str(entry.get("version", "")).lstrip("="))
            if version:
                return version, "Pipfile.lock"
        except (OSError, ValueError, AttributeError):
            pass
    return None


def _from_pins(root: Path) -> tuple[Version, str] | None:
    locked = _from_lock_files(root)
    if locked:
        return locked
    data, _ = read_pyproject(root)
    project = data.get("project", {})
    for dep in project.get("dependencies", []) if isinstance(project, dict) else []:
        if isinstance(dep, str):
            version = _spec_from_requirement(dep)
            if version:
                return version, "pyproject.toml [project] dependencies"
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict):
        for name, value in poetry.items():
            if name.lower() == "django":
                version = _version_from_poetry(value)
                if version:
                    return version, "pyproject.toml [tool.poetry.dependencies]"
    requirement_files = sorted(root.glob("requirements*.txt")) + sorted(
        root.glob("requirements/*.txt")
    )
    for path in requirement_files:
        try:
            lines = path.read_text("utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            version = _spec_from_requirement(line)
            if version:
                return version, path.relative_to(root).as_posix()
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        try:
            text = setup_cfg.read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        for line in text.splitlines():
            version = _spec_from_requirement(line.strip())
            if version:
                return version, "setup.cfg"
    return None


def detect_django_version(
    root: Path,
    explicit: Version | str | None = None,
    configured: Version | None = None,
    interpreter: str | None = None,
) -> tuple[Version, str]:
    """The Django feature release the project targets, and where that came from.

    Order: an explicit setting (flag / editor), ``[tool.djvet] django-version``, the Django
    installed in the project's environment (its dist-info or ``django/__init__.py`` is read,
    never imported), a pin in lock files / pyproject / requirements / setup.cfg, else the
    newest release djvet knows.
    """
    if explicit is not None:
        version = explicit if isinstance(explicit, Version) else parse_version(explicit)
        if version is not None:
            return feature_release(version), "explicit setting"
    if configured is not None:
        return configured, "[tool.djvet] django-version"
    for prefix, label in _environment_prefixes(root, interpreter):
        for site in _site_packages_of(prefix):
            version = _django_in_site_packages(site)
            if version is not None:
                return version, f"installed Django ({label})"
    pinned = _from_pins(root)
    if pinned is not None:
        return pinned
    return newest_version(), "default (newest known)"


def resolve_settings(
    root: Path,
    known_codes: Iterable[str],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extend_ignore: Iterable[str] = (),
    severity: Mapping[str, str] | None = None,
    django_version: str | None = None,
    exclude: Iterable[str] = (),
    interpreter: str | None = None,
) -> Settings:
    """Combine ``[tool.djvet]`` with front-end overrides into the Settings rules see."""
    known_codes = tuple(known_codes)
    raw = load_raw_config(root, known_codes)
    warnings = list(raw.warnings)
    sev = dict(raw.severity)
    for code, level in (severity or {}).items():
        try:
            sev[code] = Severity.parse(level)
        except ValueError as exc:
            warnings.append(f"severity.{code}: {exc}")
    explicit = None
    if django_version:
        explicit = parse_version(django_version)
        if explicit is None:
            warnings.append(
                f"django version {django_version!r} is not a version; detecting instead"
            )
    version, source = detect_django_version(root, explicit, raw.django_version, interpreter)
    if version not in known_versions() and version < known_versions()[0]:
        warnings.append(
            f"Django {version} predates the versions djvet checks ({known_versions()[0]}+); "
            "rules use their oldest behaviour"
        )
    sel = tuple("" if s == "ALL" else s for s in select) if select is not None else raw.select
    ign = (tuple(ignore) if ignore is not None else raw.ignore) + tuple(extend_ignore)
    warnings += validate_codes([s for s in sel if s], known_codes, "select")
    warnings += validate_codes(ign, known_codes, "ignore")
    return Settings(
        select=sel,
        ignore=ign,
        severity=sev,
        django_version=version,
        django_version_source=source,
        exclude=(*raw.exclude, *exclude),
        template_dirs=raw.template_dirs,
        warnings=tuple(warnings),
    )
