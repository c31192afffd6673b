"""Discovers the rules in ``djvet.rules`` (one module, one rule) and checks codes and names are unique."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .rule import Rule


class RegistryError(RuntimeError):
    """Two rules share a code or a name, or a rule module defines no rule."""


@cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of every rule, ordered by code."""
    package = importlib.import_module("djvet.rules")
    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"djvet.rules.{info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
            and "code" in vars(obj)
        ]
        if len(classes) != 1:
            raise RegistryError(
                f"djvet.rules.{info.name} must define exactly one rule, found {len(classes)}"
            )
        found.append(classes[0])
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for cls in found:
        if cls.code in codes:
            raise RegistryError(f"rule code {cls.code} used twice")
        if cls.name in names:
            raise RegistryError(f"rule name {cls.name} used twice")
        codes[cls.code] = cls.name
        names[cls.name] = cls.code
    return tuple(cls() for cls in sorted(found, key=lambda c: c.code))


def rule_codes() -> tuple[str, ...]:
    return tuple(rule.code for rule in all_rules())


def get_rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    for rule in all_rules():
        if rule.code == key.upper() or rule.name == key.lower():
            return rule
    return None
