"""Rules' Django specifiers: the ``>=X.Y`` clauses read without ``packaging.specifiers`` agree with it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from djvet.core.registry import all_rules
from djvet.core.rule import _version_in


def _reference(specifier: str, version: Version) -> bool:
    return SpecifierSet(specifier).contains(version, prereleases=True)


releases = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
suffixes = st.sampled_from(["", "a1", "b2", "rc1", ".post1", ".dev0", "+local", "rc1.dev3"])
versions = st.builds(lambda release, suffix: Version(release + suffix), releases, suffixes)
clauses = releases.map(lambda release: f">={release}")
specifiers = st.lists(clauses, max_size=3).map(",".join)


@settings(max_examples=400, deadline=None)
@given(specifiers, versions)
def test_at_least_clauses_agree_with_specifier_set(specifier, version):
    assert _version_in(specifier, version) is _reference(specifier, version)


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        (">=4.1", "4.1", True),  # the bound itself
        (">=4.1", "5.2", True),
        (">=4.1", "4.0", False),  # must not apply below the bound
        (">=4.1", "4.1rc1", False),  # a pre-release of the bound is below it
        (">=4.1", "4.0+local", False),  # a local label does not lift a version over the bound
        ("", "3.2", True),  # empty: every version
        (" >= 4.2 , >=5.0", "4.2", False),  # every clause must hold (spaces as PEP 440 allows)
        # Not ``>=`` clauses: answered by packaging itself.
        ("<5.0", "4.2", True),
        ("<5.0", "5.0rc1", False),  # ``<V`` excludes V's pre-releases
        ("==4.2.*", "4.2", True),
        ("~=4.2", "4.9", True),
        ("~=4.2", "5.0", False),  # compatible release: 4.x only
        ("!=5.0", "5.0", False),
        (">=4.1,", "4.1", True),  # a trailing comma is not a clause this reads: packaging's
    ],
)
def test_known_answers(specifier, version, expected):
    assert _version_in(specifier, Version(version)) is expected
    assert _reference(specifier, Version(version)) is expected


def test_every_rule_specifier_is_read_without_packaging_specifiers():
    """What the fast path is for: each shipped rule's specifier is ``>=`` clauses or empty."""
    for rule in all_rules():
        for version in ("3.2", "4.0", "4.1", "4.2", "5.0", "5.2", "6.1", "5.1rc1"):
            assert rule.applies_to_version(Version(version)) is _reference(
                rule.django, Version(version)
            ), (rule.code, version)
