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


def test_a_new_function_no_route_names_keeps_the_model_and_url_tables(project: Project) -> None:
    from djvet.core.django.models import model_index
    from djvet.core.django.urls import url_index

    project.assert_matches_fresh()
    models, urls = model_index(project.index), url_index(project.index)
    views = project.texts["shop/views.py"]
    project.edit("shop/views.py", views + "\n\nasync def pasted(request):\n    return None\n")
    assert model_index(project.index) is models
    assert url_index(project.index) is urls  # no route, include or admin site looks it up
    project.assert_matches_fresh()


def test_a_new_method_keeps_the_model_and_url_tables(project: Project) -> None:
    from djvet.core.django.models import model_index
    from djvet.core.django.urls import url_index

    project.assert_matches_fresh()
    models, urls = model_index(project.index), url_index(project.index)
    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py",
        views + "\n    async def put(self, request):\n        return JsonResponse({})\n",
    )
    assert model_index(project.index) is models
    assert url_index(project.index) is urls
    project.assert_matches_fresh()


SIGNOFF = """from django.contrib.auth import logout
from django.http import HttpResponse


def signoff(request):
    logout(request)
    return HttpResponse("bye")
"""


def test_a_pasted_function_that_a_route_names_reroutes_it(project: Project) -> None:
    """``views.signoff`` is routed; views.py imports it until a local ``signoff`` shadows it."""
    from djvet.core.django.urls import url_index

    project.edit("shop/accounts.py", SIGNOFF)
    project.edit(
        "shop/views.py",
        project.texts["shop/views.py"].replace(
            "from .models import Book", "from .accounts import signoff\nfrom .models import Book"
        ),
    )
    project.edit(
        "shop/urls.py",
        project.texts["shop/urls.py"].replace(
            "]\n", '    path("signoff/", views.signoff, name="signoff"),\n]\n'
        ),
    )
    project.edit("shop/templates/shop/nav.html", "<a href=\"{% url 'signoff' %}\">Leave</a>\n")
    before = project.assert_matches_fresh()
    assert any(f.startswith("DJV103") for f in before["shop/accounts.py"])
    urls = url_index(project.index)
    views = project.texts["shop/views.py"]
    pasted = views + '\n\ndef signoff(request):\n    return HttpResponse("stay")\n'
    project.edit("shop/views.py", pasted)  # only a function appears
    assert url_index(project.index) is not urls
    after = project.assert_matches_fresh()
    assert not any(f.startswith("DJV103") for f in after["shop/accounts.py"])
    project.edit("shop/views.py", views)  # and goes again
    assert project.assert_matches_fresh() == before


ADMIN_SITE = """from django.contrib import admin


class ShopAdmin(admin.AdminSite):
    site_header = "Shop"
"""
SITE_URLS = """from django.urls import include, path

from shop.admin_site import ShopAdmin

site = ShopAdmin(name="shopadmin")

urlpatterns = [path("", include("shop.urls")), path("shopadmin/", site.urls)]
"""


def test_a_get_urls_method_on_an_admin_site_is_seen_by_its_routes(project: Project) -> None:
    """Only a method appears, on the project's AdminSite: ``get_urls`` may route any path
    first, so a hard-coded link to its logout page no longer certainly reaches Django's."""
    project.edit("shop/admin_site.py", ADMIN_SITE)
    project.edit("site_/urls.py", SITE_URLS)
    project.edit("shop/templates/shop/nav.html", '<a href="/shopadmin/logout/">Out</a>\n')
    before = project.assert_matches_fresh()
    assert [f[:6] for f in before["shop/templates/shop/nav.html"]] == ["DJV101"]
    project.edit(
        "shop/admin_site.py",
        ADMIN_SITE.replace(
            '    site_header = "Shop"\n',
            '    site_header = "Shop"\n\n    def get_urls(self):\n'
            "        return super().get_urls()\n",
        ),
    )
    after = project.assert_matches_fresh()
    assert after["shop/templates/shop/nav.html"] == []


def test_a_function_shadowing_a_manager_factory_is_seen_by_the_model_table(
    project: Project,
) -> None:
    """``objects = BookManager()``: the model table resolves ``BookManager`` by name; a
    function of that name defined below the assignment takes its place."""
    models = project.texts["shop/models.py"].replace(
        "    objects = BookQuerySet.as_manager()\n", "    objects = BookManager()\n"
    )
    models = models.replace(
        "class Author(models.Model):",
        "BookManager = models.Manager.from_queryset(BookQuerySet)\n\n\nclass Author(models.Model):",
    )
    project.edit("shop/models.py", models)
    before = project.assert_matches_fresh()
    assert [f[:6] for f in before["shop/views.py"]] == ["DJV302"]  # iterating published()
    project.edit("shop/models.py", models + "\n\ndef BookManager():\n    return None\n")
    after = project.assert_matches_fresh()
    assert after["shop/views.py"] == []  # ``objects`` is no longer known to be a manager


def test_member_changes_name_the_functions_and_methods() -> None:
    from djvet.core.project import member_changes
    from djvet.core.python.facts import extract_module
    from djvet.core.python.parse import parse_python

    def info(text: str):  # type: ignore[no-untyped-def]
        return extract_module(
            parse_python(text, "<document>"), "shop.views", "/p/shop/views.py", "d"
        )

    def names(edited: str) -> frozenset[str] | None:
        found = member_changes(info(BASE), info(edited))
        return None if found is None else frozenset(name for _, name in found)

    assert names(BASE) == frozenset()
    assert names(BASE.replace("async def shelf", "\n\nasync def shelf")) == frozenset()
    assert names(BASE + "\n\ndef helper():\n    pass\n") == {"helper"}
    assert names(BASE.replace("async def shelf", "def shelf")) == {"shelf"}
    assert names(BASE + "\n    def post(self, request):\n        pass\n") == {"Page.post"}
    assert names(BASE.replace("    def get(self", "    async def get(self")) == {"Page.get"}
    assert names(BASE.replace("    def get(self", "    def head(self")) == {
        "Page.get",
        "Page.head",
    }
    assert names(BASE.replace("    model = Book", "    model = None")) is None
    assert names(BASE.replace('TITLE = "shelf"', 'TITLE = "shelves"')) is None
    assert names(BASE.replace("class Page(View):", "class Page(object):")) is None


def test_rereading_the_indexed_text_changes_nothing_and_warms_the_next_keystroke(
    project: Project,
) -> None:
    """What the language server does for a module once it is opened (``reread_text``)."""
    big = "from django.http import JsonResponse\n" + "".join(
        f"\n\nasync def view_{i}(request):\n    return JsonResponse({{'n': {i}}})\n"
        for i in range(60)
    )
    project.edit("shop/big.py", big)
    index = project.index
    path = str(project.root / "shop/big.py")
    before = index.module_at(path)
    assert before is not None
    stamps = (index.generation, index.interface_generation, index.class_generation)
    assert not index.reread_text(path, big + "\n")  # not what the index holds: nothing done
    assert index.module_at(path) is before
    assert index.reread_text(path, big)
    reread = index.module_at(path)
    assert reread is not None and reread is not before and repr(reread) == repr(before)
    assert (index.generation, index.interface_generation, index.class_generation) == stamps
    project.edit("shop/big.py", big.replace("{'n': 7}", "{'n': 77}"))  # a key in view_7
    after = index.module_at(path)
    assert after is not None
    reused = [name for name, f in after.functions.items() if f is reread.functions[name]]
    assert sorted(set(after.functions) - set(reused)) == ["view_7"]
    project.assert_matches_fresh()


def test_a_new_queryset_method_reaches_the_async_view_that_calls_it(project: Project) -> None:
    """Only a method appears (on the model file's QuerySet): the model table is kept, and
    the async view's cached analysis must still see the method now returning a QuerySet."""
    from djvet.core.django.models import model_index

    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py", views.replace("Book.objects.published()", "Book.objects.recent()")
    )
    before = project.assert_matches_fresh()
    assert before["shop/views.py"] == []  # ``recent`` is unknown: nothing to say
    models = model_index(project.index)
    project.edit(
        "shop/models.py",
        project.texts["shop/models.py"].replace(
            "class Author(models.Model):",
            "    def recent(self):\n        return self.order_by('-pk')\n\n\n"
            "class Author(models.Model):",
        ),
    )
    assert model_index(project.index) is models
    after = project.assert_matches_fresh()
    assert [f[:6] for f in after["shop/views.py"]] == ["DJV302"]


def test_a_re_exported_base_that_stops_being_a_model_is_seen(project: Project) -> None:
    """``class Review(Stamped)`` through ``from shop import Stamped`` (a package re-export):
    the model table judges Review again when Stamped changes, though Review did not."""
    project.edit(
        "shop/base.py",
        "from django.db import models\n\n\nclass Stamped(models.Model):\n"
        "    class Meta:\n        abstract = True\n",
    )
    project.edit("shop/__init__.py", "from .base import Stamped\n")
    project.edit(
        "shop/models.py",
        project.texts["shop/models.py"].replace(
            "from django.db import models\n",
            "from django.db import models\n\nfrom shop import Stamped\n",
        )
        + "\n\nclass Review(Stamped):\n    text = models.TextField()\n",
    )
    views = project.texts["shop/views.py"]
    project.edit(
        "shop/views.py",
        views.replace("from .models import Book", "from .models import Book, Review")
        + "\n\nasync def reviews(request):\n    return JsonResponse({'n': len(Review.objects.all())})\n",
    )
    before = project.assert_matches_fresh()
    assert sum("`Review.objects.all()`" in f for f in before["shop/views.py"]) == 1
    project.edit("shop/base.py", "class Stamped:\n    pass\n")  # no longer a model
    after = project.assert_matches_fresh()
    assert not any("Review" in f for f in after["shop/views.py"])
    assert len(after["shop/views.py"]) == 1  # the ``books`` loop is still reported
