"""djvet never executes project code: a canary project that writes a marker file if imported.

Every module a Django tool might be tempted to import (``manage.py``, ``settings.py``,
``urls.py``, ``models.py``, ``apps.py``, ``admin.py``, ``conftest.py``, template tags,
``sitecustomize.py``) and modules named like djvet's own dependencies (``packaging.py``,
``rich.py``, ``jedi.py``, a ``django/`` package, ...), placed where ``python -m`` would find
them first, each write a marker when executed. The project is otherwise a real Django
project with findings of every family, so djvet analyses all of it. After ``python -m djvet
check`` (run from the project root: the riskiest way), ``--fix``, and a full language-server
session (open, edit, hover, code actions, fix-all, save, watched files), no marker exists.
The canary itself is proven live first: running ``manage.py`` does write its marker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .stdio_client import SERVER_ENV, StdioClient, range_change

CANARY_MODULES = [
    "manage.py",
    "canary/__init__.py",
    "canary/settings.py",
    "canary/urls.py",
    "canary/wsgi.py",
    "canary/asgi.py",
    "shop/__init__.py",
    "shop/apps.py",
    "shop/models.py",
    "shop/admin.py",
    "shop/signals.py",
    "shop/templatetags/__init__.py",
    "shop/templatetags/shop_tags.py",
    "shop/migrations/__init__.py",
    "shop/migrations/0001_initial.py",
    "conftest.py",
    "setup.py",
    "sitecustomize.py",
    "usercustomize.py",
    # Named like djvet's dependencies: found first on sys.path if the cwd were on it.
    "packaging.py",
    "rich.py",
    "jedi.py",
    "parso.py",
    "libcst.py",
    "attrs.py",
    "cattrs.py",
    "lsprotocol.py",
    "pygls.py",
    "typing_extensions.py",
    "tomli.py",
    "django/__init__.py",
    "django/db/__init__.py",
    "django/db/models/__init__.py",
]

BODIES = {
    "canary/settings.py": (
        'ROOT_URLCONF = "canary.urls"\n'
        'INSTALLED_APPS = ["django.contrib.auth", "shop.apps.ShopConfig"]\n'
        'TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", '
        '"DIRS": ["templates"], "APP_DIRS": True}]\n'
    ),
    "canary/urls.py": (
        "from django.urls import include, path\n\nfrom shop import views\n\n"
        "urlpatterns = [\n"
        '    path("accounts/", include("django.contrib.auth.urls")),\n'
        '    path("bye/", views.bye, name="bye"),\n'
        '    path("books/new/", views.BookCreate.as_view()),\n'
        '    path("books/<int:pk>/", views.book),\n'
        "]\n"
    ),
    "shop/apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class ShopConfig(AppConfig):\n"
        '    name = "shop"\n\n'
        "    def ready(self):\n"
        "        from . import signals  # noqa: F401\n"
    ),
    "shop/models.py": (
        "from django.db import models\n\n\n"
        "class Book(models.Model):\n"
        "    title = models.CharField(max_length=100)\n"
    ),
    "shop/views.py": (
        "from django.contrib.auth import logout\n"
        "from django.http import JsonResponse\n"
        "from django.shortcuts import redirect\n"
        "from django.views.generic import CreateView\n\n"
        "from .models import Book\n\n\n"
        "def bye(request):\n"
        "    logout(request)\n"
        '    return redirect("/")\n\n\n'
        "class BookCreate(CreateView):\n"
        "    model = Book\n\n"
        "    async def get(self, request):\n"
        "        return JsonResponse({})\n\n\n"
        "async def book(request, pk):\n"
        "    return JsonResponse({'title': Book.objects.get(pk=pk).title})\n"
    ),
    "conftest.py": "import pytest\n\n\n@pytest.fixture\ndef book():\n    return None\n",
}
TEMPLATE = (
    "{% load shop_tags %}\n"
    "<a href=\"{% url 'logout' %}\">Log out</a>\n"
    '<a href="/accounts/logout/">Leave</a>\n'
)


def canary_line(markers: Path, name: str) -> str:
    marker = markers / name.replace("/", "__")
    return f"import pathlib as _p; _p.Path({str(marker)!r}).write_text('executed')\n"


@pytest.fixture
def canary(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "canary-project"
    markers = tmp_path / "markers"
    markers.mkdir()
    for name in [*CANARY_MODULES, "shop/views.py"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = BODIES.get(name, "")
        path.write_text(canary_line(markers, name) + body)
    (root / "templates").mkdir()
    (root / "templates" / "base.html").write_text(TEMPLATE)
    (root / "shop" / "templates").mkdir()
    (root / "shop" / "templates" / "shop.html").write_text(TEMPLATE)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "canary"\ndependencies = ["Django>=5.2,<6.0"]\n\n[tool.djvet]\nselect = ["DJV"]\n'
    )
    return root, markers


def executed(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def test_the_canary_is_live(canary: tuple[Path, Path]) -> None:
    """Running or importing a canary module does write its marker (so silence means something)."""
    root, markers = canary
    subprocess.run([sys.executable, "manage.py"], cwd=root, check=True, timeout=60)
    subprocess.run([sys.executable, "-c", "import packaging"], cwd=root, check=True, timeout=60)
    assert executed(markers) == ["manage.py", "packaging.py"]


def run_djvet(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # From the project root, as `python -m djvet`: the current directory is on sys.path.
    env = {k: v for k, v in SERVER_ENV.items() if k != "PYTHONSAFEPATH"}
    return subprocess.run(
        [sys.executable, "-m", "djvet", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_cli_never_executes_project_code(canary: tuple[Path, Path]) -> None:
    root, markers = canary
    checked = run_djvet(root, "check", "--no-cache", "--format", "json", ".")
    assert checked.returncode == 1, checked.stderr
    for code in ('"DJV101"', '"DJV103"', '"DJV201"', '"DJV301"'):
        assert code in checked.stdout, f"the canary project must exercise {code}"
    assert run_djvet(root, "check", "--fix", "--unsafe-fixes", ".").returncode in (0, 1)
    assert "@require_POST" in (root / "shop" / "views.py").read_text()  # fixes were written
    assert run_djvet(root, "check", "--format", "sarif", ".").returncode in (0, 1)
    assert run_djvet(root, "rules").returncode == 0
    assert executed(markers) == []


def test_a_server_session_never_executes_project_code(
    canary: tuple[Path, Path], tmp_path: Path
) -> None:
    root, markers = canary
    env = {k: v for k, v in SERVER_ENV.items() if k != "PYTHONSAFEPATH"}
    client = StdioClient(env=env, cwd=root, stderr_path=tmp_path / "server.stderr")
    try:
        client.initialize([root], init_options={"interpreter": sys.executable})
        uris = []
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".html") or not path.is_file():
                continue
            uri = path.as_uri()
            language = "python" if path.suffix == ".py" else "django-html"
            client.open(uri, path.read_text(), language)
            uris.append(uri)
        views = (root / "shop" / "views.py").as_uri()
        published = client.wait_published(views, 1, timeout=60)
        assert {d["code"] for d in published.diagnostics} >= {"DJV103", "DJV201", "DJV301"}
        client.change(views, 2, [range_change((0, 0), (0, 0), "# edited\n")])
        published = client.wait_published(views, 2)
        for diagnostic in published.diagnostics:
            start = diagnostic["range"]["start"]
            client.request(
                "textDocument/hover", {"textDocument": {"uri": views}, "position": start}
            )
            client.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": views},
                    "range": diagnostic["range"],
                    "context": {"diagnostics": [diagnostic]},
                },
            )
        client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": views},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll"]},
            },
        )
        template = (root / "templates" / "base.html").as_uri()
        assert client.wait_published(template, 1).diagnostics
        client.notify("textDocument/didSave", {"textDocument": {"uri": views}})
        client.notify(
            "workspace/didChangeWatchedFiles",
            {"changes": [{"uri": (root / "canary" / "urls.py").as_uri(), "type": 2}]},
        )
        client.notify(
            "workspace/didChangeConfiguration", {"settings": {"djvet": {"ignore": ["DJV2"]}}}
        )
        client.wait(
            lambda: any(
                p.uri == views and all(d["code"] != "DJV201" for d in p.diagnostics)
                for p in client.published(views)[1:]
            ),
            what="the re-check after the configuration change",
        )
        for uri in uris:
            client.close_document(uri)
        assert client.shutdown() == 0
    finally:
        client.close()
    assert executed(markers) == []
    assert os.listdir(markers) == []


@pytest.mark.parametrize("module", ["djvet", "djvet.lsp"])
def test_python_dash_m_from_a_project_root_never_imports_a_shadowing_module(tmp_path, module):
    """A project module named like a dependency (``packaging.py``) must not be imported."""
    marker = tmp_path / "shadowed"
    (tmp_path / "packaging.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    args = ["--version"] if module == "djvet" else []
    subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert not marker.exists()
