"""The packaged fact sheet is the team's verified one, and the helpers read it correctly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from djvet.core.facts import async_name, docs_link, docs_url, facts, known_versions

SHARED = Path(__file__).resolve().parents[2] / "shared" / "django-facts.json"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside this checkout")
def test_packaged_copy_matches_the_shared_fact_sheet():
    assert facts() == json.loads(SHARED.read_text("utf-8"))


def test_known_versions():
    assert [str(v) for v in known_versions()] == ["4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1"]


def test_async_names_respect_the_version_they_appeared_in():
    assert async_name("async_queryset_methods", "get", Version("4.1")) == "aget"
    assert async_name("async_model_methods", "save", Version("4.1")) is None
    assert async_name("async_model_methods", "save", Version("4.2")) == "asave"
    assert async_name("async_auth_functions", "login", Version("4.2")) is None
    assert async_name("async_auth_functions", "login", Version("5.0")) == "alogin"
    assert async_name("async_queryset_methods", "no_such_method", Version("6.1")) is None


def test_docs_urls_are_pinned_to_the_project_version():
    assert docs_url("topics/async/#async-views", Version("5.2")) == (
        "https://docs.djangoproject.com/en/5.2/topics/async/#async-views"
    )
    assert docs_link("LogoutView", Version("4.2")).startswith(
        "https://docs.djangoproject.com/en/4.2/topics/auth/"
    )
    assert docs_url("topics/async/", None).startswith("https://docs.djangoproject.com/en/stable/")
