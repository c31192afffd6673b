"""Django facts djvet ships with: the verified fact sheet (``data/django_facts.json``) as data.

The JSON is a copy of the team's verified fact sheet; a test keeps it identical to the
source of truth when that is present. Helpers here answer the questions rules ask:
which Django versions djvet knows, the async replacement for a sync name and the version it
appeared in, and docs URLs pinned to the project's Django version.
"""

from __future__ import annotations

import json
import pkgutil
from functools import cache
from typing import Any

from packaging.version import Version

DOCS_BASE = "https://docs.djangoproject.com/en/"


@cache
def facts() -> dict[str, Any]:
    """The parsed fact sheet (loaded once per process)."""
    # ``pkgutil.get_data`` reads through the package's loader (a folder or a zip) like
    # ``importlib.resources`` does, without importing that package (~5 ms a start-up).
    raw = pkgutil.get_data("djvet", "data/django_facts.json")
    if raw is None:  # pragma: no cover - only a loader without get_data returns None
        raise FileNotFoundError("djvet/data/django_facts.json")
    data: dict[str, Any] = json.loads(raw.decode("utf-8"))
    return data


@cache
def known_versions() -> tuple[Version, ...]:
    """The Django feature releases the fact sheet was verified against, oldest first."""
    return tuple(sorted(Version(v) for v in facts()["_meta"]["verified_against"]))


def newest_version() -> Version:
    return known_versions()[-1]


def feature_release(version: Version) -> Version:
    """``4.2.7`` -> ``4.2``."""
    return Version(f"{version.major}.{version.minor}")


def docs_url(path_or_url: str, version: Version | None) -> str:
    """A Django docs URL pinned to ``version`` (``/en/5.2/``), or ``stable`` when unknown.

    Accepts either a path below the docs root (``topics/async/#async-views``) or a full
    ``https://docs.djangoproject.com/en/stable/...`` URL from the fact sheet.
    """
    tail = path_or_url
    if tail.startswith(DOCS_BASE):
        tail = tail[len(DOCS_BASE) :].split("/", 1)[1]
    label = "stable" if version is None else f"{version.major}.{version.minor}"
    return f"{DOCS_BASE}{label}/{tail.lstrip('/')}"


def docs_link(key: str, version: Version | None) -> str:
    """The docs URL the fact sheet lists under ``docs_urls[key]``, pinned to ``version``."""
    return docs_url(facts()["docs_urls"][key], version)


def async_table(table: str) -> dict[str, dict[str, Any]]:
    """One ``async_*`` map of the fact sheet: ``{sync_name: {async, since, kind, docs?}}``."""
    data: dict[str, dict[str, Any]] = facts()[table]
    return data


def async_name(table: str, sync_name: str, version: Version) -> str | None:
    """The async replacement for ``sync_name`` if it exists in ``version``, else None."""
    entry = async_table(table).get(sync_name)
    if entry is None:
        return None
    if feature_release(version) < Version(entry["since"]):
        return None
    name: str = entry["async"]
    return name
