"""Broken code keeps its diagnostics: a syntax error in one function leaves the others checked.

One module holds a CBV mixing sync and async handlers (DJV201), an async view with a sync ORM
call (DJV301) and an async view iterating a QuerySet (DJV302); a broken function is put
between them, in every way a buffer is broken mid-keystroke. The engine, the CLI and the
language server (``test_server_promises.py``) must still report all three, and say which line
could not be read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.core.config import Settings
from djvet.core.engine import check
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.types import SourceKind

MODELS = (
    "from django.db import models\n\n\n"
    "class Book(models.Model):\n"
    "    title = models.CharField(max_length=100)\n"
)
HEAD = (
    "from django.http import JsonResponse\n"
    "from django.views.generic import CreateView\n\n"
    "from .models import Book\n\n\n"
    "class BookCreate(CreateView):\n"
    "    async def get(self, request):\n"
    "        return JsonResponse({})\n\n\n"
    "async def detail(request, pk):\n"
    "    book = Book.objects.get(pk=pk)\n"
    "    return JsonResponse({'title': book.title})\n\n\n"
)
TAIL = (
    "\n\n\nasync def shelf(request):\n"
    "    titles = []\n"
    "    for book in Book.objects.all():\n"
    "        titles.append(book.title)\n"
    "    return JsonResponse({'titles': titles})\n"
)
EXPECTED = [("DJV201", 6), ("DJV301", 12), ("DJV302", 2)]  # (code, line from HEAD / TAIL start)

BROKEN = {
    "unfinished-signature": "async def get(self,\n",
    "unclosed-call": "async def broken(request):\n    return Book.objects.filter(\n",
    "unclosed-string": "async def broken(request):\n    name = 'unclosed\n    return name\n",
    "unclosed-docstring": 'async def broken(request):\n    """never closed\n    return 1\n',
    "unclosed-bracket-list": "async def broken(request):\n    items = [1, 2,\n",
    "stray-indent": "async def broken(request):\n    x = 1\n      y = 2\n",
    "tab-space-mix": "async def broken(request):\n    x = 1\n\ty = 2\n",
    "half-typed-await": "async def broken(request):\n    return await\n",
    "colon-missing": "async def broken(request)\n    return 1\n",
    "unclosed-template-string": "def broken():\n    return '{% if'\n    x = (\n",
    "lone-operator": "def broken():\n    x = 1 +\n",
    "nested-too-deep": "def broken():\n    return " + "(" * 300 + "1" + ")" * 300 + "\n",
    "decorator-alone": "@method_decorator(\n",
}


def broken_module(kind: str) -> str:
    return HEAD + BROKEN[kind] + TAIL


def expected_lines(text: str) -> list[tuple[str, int]]:
    """The 0-based lines the three findings must be on in ``text``."""
    tail_start = text.index("\n\n\nasync def shelf") + 3
    tail_line = text.count("\n", 0, tail_start)
    return [
        ("DJV201", EXPECTED[0][1]),
        ("DJV301", EXPECTED[1][1]),
        ("DJV302", tail_line + EXPECTED[2][1]),
    ]


@pytest.mark.parametrize("kind", BROKEN)
def test_the_engine_reports_the_intact_functions(kind: str) -> None:
    text = broken_module(kind)
    project = in_memory_project({"app/models.py": MODELS, "app/views.py": text}, "/broken")
    result = check(Document(text, "/broken/app/views.py", SourceKind.PYTHON), project, Settings())
    assert not result.rule_errors
    assert sorted((f.code, f.span.line) for f in result.findings) == expected_lines(text)
    # The note names a line of the broken function (Python versions differ on which one).
    first = HEAD.count("\n") + 1
    broken_lines = range(first, first + BROKEN[kind].count("\n") + 1)
    assert len(result.notes) == 1, result.notes
    named = int(result.notes[0].split("line ", 1)[1].split()[0])
    assert named in broken_lines, (result.notes, list(broken_lines))


def test_the_cli_reports_the_intact_functions_and_names_the_broken_line(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    text = broken_module("unclosed-call")
    (app / "views.py").write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    payload = json.loads(out.stdout)
    found = sorted((f["code"], f["line"] - 1) for f in payload["findings"])
    assert found == expected_lines(text)
    messages = [e["message"] for e in payload["errors"] if e["path"] == "app/views.py"]
    unclosed_line = text.splitlines().index("    return Book.objects.filter(") + 1
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"syntax error at line {unclosed_line} "), messages
    assert "the rest of the file was checked" in messages[0]


# A broken method inside a class: the other methods of the same class keep their findings.

CLASS_HEAD = (
    "from django.http import JsonResponse\n"
    "from django.views import View\n\n"
    "from .models import Book\n\n\n"
    "class BookView(View):\n"
    "    async def get(self, request, pk):\n"
    "        book = Book.objects.get(pk=pk)\n"
    "        return JsonResponse({'title': book.title})\n\n"
)
CLASS_TAIL = (
    "\n    async def delete(self, request, pk):\n"
    "        for book in Book.objects.all():\n"
    "            await book.adelete()\n"
    "        return JsonResponse({})\n"
)
BROKEN_METHODS = {
    "unfinished-signature": "    async def post(self,\n",
    "unclosed-call": "    async def post(self, request):\n        return Book.objects.filter(\n",
    "unclosed-string": "    async def post(self, request):\n        name = 'unclosed\n        return name\n",
    "half-typed-decorator": "    @method_decorator(\n    async def post(self, request):\n        return None\n",
    "stray-indent": "    async def post(self, request):\n        x = 1\n          y = 2\n",
    "half-typed-attribute": "    model = \n",
}


@pytest.mark.parametrize("kind", BROKEN_METHODS)
def test_a_broken_method_keeps_the_findings_of_the_other_methods(kind: str) -> None:
    text = CLASS_HEAD + BROKEN_METHODS[kind] + CLASS_TAIL
    project = in_memory_project({"app/models.py": MODELS, "app/views.py": text}, "/broken")
    result = check(Document(text, "/broken/app/views.py", SourceKind.PYTHON), project, Settings())
    assert not result.rule_errors
    lines = text.splitlines()
    expected = {
        ("DJV301", lines.index("        book = Book.objects.get(pk=pk)")),
        ("DJV302", lines.index("        for book in Book.objects.all():")),
    }
    assert {(f.code, f.span.line) for f in result.findings} == expected
    assert len(result.notes) == 1
