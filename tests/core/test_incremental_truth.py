"""An index updated edit by edit reports exactly what an index built afresh reports.

The whole-index views (models, URL routes, logout classifications, template links) are
rebuilt only when what they read changed (``ProjectIndex.derived``: module shapes, function
bodies, templates), and broken functions are kept as stubs. Each test replays edits through
``update_text`` (as the language server does per keystroke) and compares every file's
findings, related locations included, with a fresh scan of the same files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from djvet.core.config import Settings
from djvet.core.engine import check
from djvet.core.project import ProjectIndex
from djvet.core.rule import Document
from djvet.core.sources import classify
from djvet.core.types import SourceKind

FILES = {
    "pyproject.toml": '[project]\nname = "p"\ndependencies = ["Django>=5.2,<6.0"]\n',
    "shop/__init__.py": "",
    "shop/models.py": """from django.db import models


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    objects = BookQuerySet.as_manager()
""",
    "shop/views.py": """from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.views import View

from .models import Book


def signout(request):
    return HttpResponse("bye")


async def shelf(request):
    books = Book.objects.published()
    titles = []
    for book in books:
        titles.append(book.title)
    return JsonResponse({"titles": titles})


class Page(View):
    async def get(self, request):
        return JsonResponse({})

    async def post(self, request):
        return JsonResponse({})
""",
    "shop/urls.py": """from django.urls import path

from . import views

urlpatterns = [
    path("signout/", views.signout, name="signout"),
    path("shelf/", views.shelf, name="shelf"),
    path("page/", views.Page.as_view(), name="page"),
]
""",
    "site_/__init__.py": "",
    "site_/urls.py": """from django.urls import include, path

urlpatterns = [path("", include("shop.urls"))]
""",
    "site_/settings.py": 'ROOT_URLCONF = "site_.urls"\nINSTALLED_APPS = ["shop"]\n',
    "shop/templates/shop/nav.html": "<a href=\"{% url 'signout' %}\">Sign out</a>\n",
}


def _findings(index: ProjectIndex, root: Path, texts: dict[str, str]) -> dict[str, list[str]]:
    settings = Settings()
    out: dict[str, list[str]] = {}
    for relative, text in sorted(texts.items()):
        kind = classify(relative)
        if kind is SourceKind.OTHER:
            continue
        result = check(Document(text, str(root / relative), kind), index, settings)
        out[relative] = [
            f"{f.code} {f.span} {f.message} "
            + " ".join(f"{r.message}@{r.path}:{r.span}" for r in f.related)
            for f in result.findings
        ]
    return out


class Project:
    """A project on disk, indexed once and then kept up to date edit by edit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts = dict(FILES)
        for relative, text in self.texts.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        self.index = ProjectIndex(root)
        self.index.scan()

    def edit(self, relative: str, text: str) -> None:
        self.texts[relative] = text
        (self.root / relative).write_text(text, encoding="utf-8")
        self.index.update_text(str(self.root / relative), text)

    def assert_matches_fresh(self) -> dict[str, list[str]]:
        fresh = ProjectIndex(self.root)
        fresh.scan()
        incremental = _findings(self.index, self.root, self.texts)
        assert incremental == _findings(fresh, self.root, self.texts)
        return incremental


def make_signout_log_out(project: Project) -> None:
    """Edit the body of the ``signout`` view (routed as 'signout') so that it logs out on GET."""
    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py",
        views.replace(
            '    return HttpResponse("bye")', '    logout(request)\n    return HttpResponse("bye")'
        ),
    )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_queryset_method_body_edit_reaches_the_async_view(project: Project) -> None:
    before = project.assert_matches_fresh()
    models = project.texts["shop/models.py"]
    project.edit(
        "shop/models.py",
        models.replace(
            "return self.filter(published=True)", "return list(self.filter(published=True))"
        ),
    )
    after = project.assert_matches_fresh()
    assert after["shop/views.py"] != before["shop/views.py"]  # the query moved to the call


def test_view_body_that_starts_logging_out_is_flagged_with_its_links(project: Project) -> None:
    before = project.assert_matches_fresh()
    assert not any(f.startswith("DJV103") for f in before["shop/views.py"])
    make_signout_log_out(project)
    after = project.assert_matches_fresh()
    (finding,) = [f for f in after["shop/views.py"] if f.startswith("DJV103")]
    assert "urls.py:Span(line=5" in finding and "nav.html:Span(line=0" in finding


def test_route_locations_follow_lines_inserted_in_urls(project: Project) -> None:
    make_signout_log_out(project)
    before = project.assert_matches_fresh()
    assert any("urls.py:Span(line=5" in f for f in before["shop/views.py"])
    project.edit("shop/urls.py", "# routes\n\n\n" + project.texts["shop/urls.py"])
    after = project.assert_matches_fresh()
    assert any("urls.py:Span(line=8" in f for f in after["shop/views.py"])


def test_new_field_and_new_model_are_seen(project: Project) -> None:
    project.assert_matches_fresh()
    models = project.texts["shop/models.py"]
    project.edit(
        "shop/models.py",
        models + "\n\nclass Review(models.Model):\n"
        '    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")\n',
    )
    project.edit(
        "shop/views.py",
        project.texts["shop/views.py"] + "\n\nasync def reviews(request, pk):\n"
        "    book = await Book.objects.aget(pk=pk)\n"
        "    return JsonResponse({'n': book.reviews.count()})\n",
    )
    after = project.assert_matches_fresh()
    assert any("reviews" in f or "count" in f for f in after["shop/views.py"])


def test_typing_key_by_key_through_broken_states(project: Project) -> None:
    views = project.texts["shop/views.py"]
    anchor = views.index("    for book in books:")
    statement = "    first = Book.objects.get(pk=1)\n"
    for end in range(1, len(statement) + 1):
        project.edit("shop/views.py", views[:anchor] + statement[:end] + views[anchor:])
        project.assert_matches_fresh()
    final = project.assert_matches_fresh()
    assert any(f.startswith("DJV301") and "get" in f for f in final["shop/views.py"])
    # Breaking a class method and a handler's async-ness, then fixing them.
    text = project.texts["shop/views.py"]
    for broken in (
        text.replace("    async def post(self, request):", "    def post(self, request):"),
        text.replace("    async def post(self, request):", "    async def post(self, request"),
        text.replace("def signout(request):", "def signout(request"),
        text,
    ):
        project.edit("shop/views.py", broken)
        project.assert_matches_fresh()


def test_template_edit_updates_the_links_other_files_see(project: Project) -> None:
    make_signout_log_out(project)
    before = project.assert_matches_fresh()
    project.edit(
        "shop/templates/shop/nav.html",
        "<p>nothing here</p>\n" + project.texts["shop/templates/shop/nav.html"],
    )
    after = project.assert_matches_fresh()
    assert any("nav.html:Span(line=0" in f for f in before["shop/views.py"])
    assert any("nav.html:Span(line=1" in f for f in after["shop/views.py"])


def test_post_handler_that_starts_logging_out_flags_get_links(project: Project) -> None:
    project.edit("shop/templates/shop/nav.html", "<a href=\"{% url 'page' %}\">Sign out</a>\n")
    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py",
        views.replace(
            "    async def get(self, request):\n        return JsonResponse({})\n\n", ""
        ).replace("import logout", "import alogout, logout"),
    )
    before = project.assert_matches_fresh()  # fills the logout classification of 'page'
    assert before["shop/templates/shop/nav.html"] == []
    views = project.texts["shop/views.py"]
    project.edit(  # only a function body changes
        "shop/views.py",
        views.replace(
            "    async def post(self, request):\n",
            "    async def post(self, request):\n        await alogout(request)\n",
        ),
    )
    after = project.assert_matches_fresh()
    assert [f[:6] for f in after["shop/templates/shop/nav.html"]] == ["DJV101"]


def test_helper_body_edit_two_modules_away_reaches_the_async_view(project: Project) -> None:
    project.edit("shop/db.py", "from .models import Book\n\n\ndef run_count():\n    return 0\n")
    project.edit(
        "shop/helpers.py",
        "from .db import run_count\n\n\ndef count_books():\n    return run_count()\n",
    )
    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py",
        views.replace(
            "from .models import Book", "from .helpers import count_books\nfrom .models import Book"
        )
        + "\n\nasync def counter(request):\n    return JsonResponse({'n': count_books()})\n",
    )
    before = project.assert_matches_fresh()  # judges count_books (and run_count): no query
    assert not any("count_books" in f for f in before["shop/views.py"])
    project.edit(  # only the body of the function count_books calls changes
        "shop/db.py",
        "from .models import Book\n\n\ndef run_count():\n    return Book.objects.count()\n",
    )
    after = project.assert_matches_fresh()
    assert any("count_books" in f for f in after["shop/views.py"])


BASE = """from django.http import JsonResponse
from django.views import View

from .models import Book

TITLE = "shelf"


async def shelf(request):
    books = [b async for b in Book.objects.all()]
    return JsonResponse({"n": len(books)})


class Page(View):
    model = Book

    def get(self, request):
        return JsonResponse({})
"""


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        (BASE.replace("async def shelf", "\n\nasync def shelf"), (False, False, False)),
        (
            BASE.replace(
                "        return JsonResponse({})", "        # note\n        return JsonResponse({})"
            ),
            (False, False, False),
        ),
        (
            BASE.replace(
                "        return JsonResponse({})", "        x = 1\n        return JsonResponse({})"
            ),
            (False, False, True),
        ),
        (BASE.replace("Book.objects.all()", "Book.objects.filter(x=1)"), (False, False, True)),
        (BASE.replace("async def shelf", "def shelf"), (False, True, True)),
        (BASE.replace("    model = Book", "    model = None"), (True, True, True)),
        (BASE.replace("class Page(View):", "@csrf_exempt\nclass Page(View):"), (True, True, True)),
        (BASE + "\n\ndef helper():\n    pass\n", (False, True, True)),
        (
            BASE.replace("from .models import Book", "from .models import Book, Author"),
            (True, True, True),
        ),
        (BASE.replace('TITLE = "shelf"', 'TITLE = "shelves"'), (True, True, True)),
        (
            BASE.replace("    def get(self, request):", "    def post(self, request):"),
            (True, True, True),
        ),
    ],
)
def test_interface_changes(edited: str, expected: tuple[bool, bool, bool]) -> None:
    from djvet.core.python.facts import extract_module, interface_changes
    from djvet.core.python.parse import parse_python

    def info(text: str):  # type: ignore[no-untyped-def]
        return extract_module(
            parse_python(text, "<document>"), "shop.views", "/p/shop/views.py", "d"
        )

    assert interface_changes(info(BASE), info(BASE)) == (False, False, False)
    assert interface_changes(info(BASE), info(edited)) == expected


def test_a_new_view_function_keeps_the_model_table(project: Project) -> None:
    from djvet.core.django.models import model_index
    from djvet.core.django.urls import url_index

    project.assert_matches_fresh()
    models, urls = model_index(project.index), url_index(project.index)
    views = project.texts["shop/views.py"]
    project.edit("shop/views.py", views + "\n\nasync def pasted(request):\n    return None\n")
    assert model_index(project.index) is models
    assert url_index(project.index) is not urls  # routes may name the new function
    project.assert_matches_fresh()
