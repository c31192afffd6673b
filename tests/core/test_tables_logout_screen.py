"""``build_logout_screen``'s shortcuts build the screen the plain search builds.

The screen reads every import once (``_read_imports``: the renames and which imports bind a
logout), finds the words of ``_LOGOUT_TEXT`` in one pass over the texts (each holds
``_LOGOUT_PROBE``) and passes over a word that holds a word already searched (every text
holding it is marked already). Checked against the plain construction (every module's and
stale qualifier's imports through ``reference_renames``/``_logout_aliases``, every word looked for
in every text) on generated projects, eager and deferred, and on hand-made texts for each
shortcut, each with its reason.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.django import logout as logout_module
from djvet.core.django.logout import (
    _LOGOUT_CALLEES,
    _LOGOUT_TEXT,
    _MAX_CALL_DEPTH,
    _MAX_SCREEN_WORDS,
    LogoutScreen,
    _logout_aliases,
    _read_imports,
    build_logout_screen,
)
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.facts import FunctionInfo, Qualifier
from tests.core.test_logout_screen import deferred_project, projects


def reference_renames(renames: dict[str, set[str]], imports: dict[str, str]) -> None:
    """``renames[last part of a target]`` += each local name binding it under another name."""
    for local, target in imports.items():
        last = target.rpartition(".")[2]
        if local != last:
            renames.setdefault(last, set()).add(local)


def plain_screen(project: ProjectIndex) -> LogoutScreen:
    """``LogoutScreen`` by its definition: every word looked for in every text."""
    names: list[str] = []
    functions: list[FunctionInfo] = []
    renames: dict[str, set[str]] = {}
    imports_of: dict[str, dict[str, str]] = {}
    for module in project.modules.values():
        reference_renames(renames, module.imports)
        imports_of[module.module] = module.imports
        for table in (module.functions, *(cls.methods for cls in module.classes.values())):
            names.extend(table)
            functions.extend(table.values())
    texts = {i: f.deferred.text for i, f in enumerate(functions) if f.deferred is not None}
    may = {
        i
        for i, f in enumerate(functions)
        if i not in texts and not _LOGOUT_CALLEES.isdisjoint(f.calls)
    }
    qualifiers: dict[int, Qualifier] = {}
    for i in texts:
        deferred = functions[i].deferred
        assert deferred is not None
        qualifiers.setdefault(id(deferred.qualifier), deferred.qualifier)
    for qualifier in qualifiers.values():
        known = imports_of.get(qualifier.module)
        if qualifier.imports is not known and qualifier.imports != known:
            reference_renames(renames, qualifier.imports)
    for i, text in texts.items():
        deferred = functions[i].deferred
        assert deferred is not None
        if any(alias in text for alias in _logout_aliases(deferred.qualifier.imports)):
            may.add(i)
        if not text.isascii() or any(word in text for word in _LOGOUT_TEXT):
            may.add(i)
    searched: set[str] = set()
    for _ in range(_MAX_CALL_DEPTH):
        words = {names[i] for i in may}
        frontier = list(words)
        while frontier:
            for local in renames.get(frontier.pop(), ()):
                if local not in words:
                    words.add(local)
                    frontier.append(local)
        new = words - searched
        if not new:
            break
        if len(words) > _MAX_SCREEN_WORDS:
            return LogoutScreen(frozenset(), frozenset(), (), everything=True)
        searched |= new
        may |= {i for i, text in texts.items() if any(word in text for word in new)}
        for i, function in enumerate(functions):
            if i not in texts and i not in may:
                if any(name.rpartition(".")[2] in new for name in function.calls):
                    may.add(i)
    return LogoutScreen(
        frozenset(id(functions[i]) for i in may),
        frozenset(map(id, functions)),
        tuple(functions),
        names=frozenset(names[i] for i in may),
        renames=renames,
    )


def assert_plain(files: dict[str, str]) -> tuple[ProjectIndex, LogoutScreen]:
    """The screen of ``files`` (eager and deferred) is the plain one; the deferred index and
    its screen."""
    for project in (in_memory_project(files), deferred_project(files)):
        screen = build_logout_screen(project)
        assert screen == plain_screen(project)
    return project, screen


@settings(max_examples=150, deadline=None)
@given(projects())
def test_generated_projects_get_the_plain_screen(files: dict[str, str]) -> None:
    assert_plain(files)


def test_read_imports_is_the_renames_and_logout_aliases() -> None:
    files = {
        "a.py": "from django.contrib.auth import logout\nimport os.path as p\nfrom .b import f as g\n",
        "b.py": "from django.contrib.auth.views import LogoutView as LV\nfrom .a import g as f\n",
        "c.py": "import os\nfrom .a import p\n",
    }
    project = in_memory_project(files)
    renames: dict[str, set[str]] = {}
    binding = _read_imports((module.imports for module in project.modules.values()), renames)
    expected: dict[str, set[str]] = {}
    for module in project.modules.values():
        reference_renames(expected, module.imports)
        assert (id(module.imports) in binding) == bool(_logout_aliases(module.imports))
    assert renames == expected
    assert list(renames) == list(expected)  # the same order too
    assert renames == {"path": {"p"}, "f": {"g"}, "LogoutView": {"LV"}, "g": {"f"}}


def screened_in(files: dict[str, str]) -> set[str]:
    """Names of the functions the screen keeps (``may``), checked against the plain screen."""
    project, screen = assert_plain(files)
    assert screen.known  # every function screened
    return {
        name
        for module in project.modules.values()
        for name, function in module.functions.items()
        if screen.may_log_out(function)
    }


# Must-keep next to the one-pass probe: each word of ``_LOGOUT_TEXT`` alone keeps a text.
def test_each_logout_word_alone_keeps_its_function() -> None:
    files = {
        "app/a.py": (
            "def spelled(request):\n    logout(request)\n\n\n"  # "logout": kept
            "def view_class(request):\n    return LogoutView\n\n\n"  # "LogoutView": kept
            "def at_start(request):\n    logout\n"  # the word right after the indent
        ),
    }
    assert screened_in(files) == {"spelled", "view_class", "at_start"}


# Must-not-keep: the probe's hits that are neither word.
def test_probe_hits_that_are_no_logout_word_keep_nothing() -> None:
    files = {
        "app/a.py": (
            "def capital(request):\n    return 'LOGOUT Logout'\n\n\n"  # other case: no word
            "def suffix(request):\n    return 'xogout'\n\n\n"  # "ogout" without the "l"
            "def view_lower(request):\n    return Logoutview\n\n\n"  # not "LogoutView"
            "def ogout(request):\n    pass\n"  # the probe as a name, at a text's start
        ),
    }
    assert screened_in(files) == set()


def test_a_word_holding_a_searched_word_changes_nothing() -> None:
    # ``out`` is searched (a kept function's name); ``sign_out`` holds it: every text
    # spelling ``sign_out`` holds ``out`` and is kept already. Both must be kept.
    files = {
        "app/a.py": (
            "from django.contrib.auth import logout\n\n\n"
            "def out(request):\n    logout(request)\n\n\n"
            "def sign_out(request):\n    out(request)\n\n\n"
            "def calls_sign_out(request):\n    sign_out(request)\n\n\n"
            "def calls_out(request):\n    out(request)\n\n\n"
            "def unrelated(request):\n    return request\n"
        ),
    }
    assert screened_in(files) == {"out", "sign_out", "calls_sign_out", "calls_out"}


def test_a_renamed_import_of_a_logout_keeps_its_callers() -> None:
    files = {
        "app/a.py": "from django.contrib.auth import logout as bye\n\n\ndef v(request):\n    bye(request)\n",
        "app/b.py": "from django.contrib.auth import logout as bye\n\n\ndef w(request):\n    return 1\n",
    }
    assert screened_in(files) == {"v"}  # ``w`` imports it but never spells it


@given(st.text(alphabet="logutLOGUTVievw_ ", max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_text_gets_the_plain_answer(text: str) -> None:
    files = {
        "app/a.py": f"def f(request):\n    return {text!r}\n\n\ndef g(request):\n    f(request)\n"
    }
    assert_plain(files)


def test_the_module_has_the_shortcuts_under_test() -> None:
    # The probe is in every word (what the one-pass search relies on).
    assert all(logout_module._LOGOUT_PROBE in word for word in _LOGOUT_TEXT)


def test_a_summarised_caller_of_a_project_logout_is_kept() -> None:
    # Eager index: ``helpers.logout`` (a project function named like Django's) logs out;
    # ``v`` calls it, so the second round's word "logout" keeps ``v`` (its summary's calls
    # end in "logout"), though round one already looked for that word in every text.
    files = {
        "app/helpers.py": (
            "from django.contrib.auth import logout as auth_logout\n\n\n"
            "def logout(request):\n    auth_logout(request)\n"
        ),
        "app/views.py": "from . import helpers\n\n\ndef v(request):\n    helpers.logout(request)\n",
    }
    project = in_memory_project(files)
    screen = build_logout_screen(project)
    assert screen == plain_screen(project)
    assert screen.names == {"logout", "v"}
