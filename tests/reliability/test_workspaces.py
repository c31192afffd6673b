"""Workspace edge cases, in one server session with two workspace folders.

- ``shop/`` (folder 1): a Django project with Django's auth URLs, and nested in it
  ``legacy/``, a second Django project (its own ``manage.py``, settings and URLconf) whose
  logout view only accepts POST; plus ``frontend/src/templates/``, a Vue/Handlebars folder
  that happens to be called ``templates``.
- ``portal/`` (folder 2): a project whose ``templates/`` folder belongs to the **Jinja2**
  backend (``TEMPLATES`` in its settings), and which defines no ``signout`` URL.
- ``elsewhere/``: a project outside every workspace folder.

Checked: each project sees its own URLs only (a name from ``shop`` does not fire in
``portal``); the nested project's own findings are reported; the frontend folder raises no
error and no false alarm; the Jinja2 folder is read as Jinja2 (its fix inserts
``{{ csrf_input }}``, never the Django-only ``{% csrf_token %}``, which Jinja2 rejects); the
file outside every folder is checked within its own project. The CLI agrees on the same tree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .stdio_client import StdioClient

AUTH_URLS = (
    "from django.urls import include, path\n\n"
    'urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]\n'
)
FILES = {
    "shop/manage.py": "",
    "shop/shop/__init__.py": "",
    "shop/shop/settings.py": 'ROOT_URLCONF = "shop.urls"\n',
    "shop/shop/urls.py": AUTH_URLS,
    "shop/templates/base.html": "<a href=\"{% url 'logout' %}\">Log out</a>\n",
    # A nested Django project.
    "shop/legacy/manage.py": "",
    "shop/legacy/legacy_site/__init__.py": "",
    "shop/legacy/legacy_site/settings.py": 'ROOT_URLCONF = "legacy_site.urls"\n',
    "shop/legacy/legacy_site/urls.py": (
        "from django.urls import path\n\nfrom . import views\n\n"
        'urlpatterns = [path("signout/", views.signout, name="signout")]\n'
    ),
    "shop/legacy/legacy_site/views.py": (
        "from django.contrib.auth import logout\n"
        "from django.shortcuts import redirect\n"
        "from django.views.decorators.http import require_POST\n\n\n"
        "@require_POST\n"
        "def signout(request):\n"
        "    logout(request)\n"
        '    return redirect("/")\n'
    ),
    "shop/legacy/templates/legacy.html": "<a href=\"{% url 'signout' %}\">Sign out</a>\n",
    # A frontend folder named "templates": Vue and Handlebars, not Django.
    "shop/frontend/src/templates/app.html": (
        '<div id="app" v-if="user">{{ user.name }}\n'
        '  <a :href="logoutUrl" @click.prevent="logout">Log out</a>\n'
        "  {{#each items}}<li>{{this}}</li>{{/each}}\n"
        "  <p>{{ '{%' }} not a tag</p>\n"
        "</div>\n"
    ),
    # Jinja2 owns portal/templates.
    "portal/manage.py": "",
    "portal/portal/__init__.py": "",
    "portal/portal/settings.py": (
        'ROOT_URLCONF = "portal.urls"\n'
        "TEMPLATES = [\n"
        "    {\n"
        '        "BACKEND": "django.template.backends.jinja2.Jinja2",\n'
        '        "DIRS": [BASE_DIR / "templates"],\n'
        '        "APP_DIRS": False,\n'
        "    }\n"
        "]\n"
    ),
    "portal/portal/urls.py": AUTH_URLS,
    "portal/templates/base.html": (
        "<a href=\"{{ url('logout') }}\">Log out</a>\n"
        '<form action="/accounts/logout/"><button>Leave</button></form>\n'
    ),
    "portal/templates/other.html": "<a href=\"{% url 'signout' %}\">Sign out</a>\n",
    # Outside every workspace folder.
    "elsewhere/manage.py": "",
    "elsewhere/app/__init__.py": "",
    "elsewhere/app/views.py": (
        "from django.views.generic import CreateView\n\n\n"
        "class V(CreateView):\n"
        "    async def get(self, request):\n"
        "        return None\n"
    ),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspaces")
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture(scope="module")
def server(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioClient]:
    client = StdioClient(stderr_path=tmp_path_factory.mktemp("logs") / "server.stderr")
    client.initialize([tree / "shop", tree / "portal"])
    # Results before a folder's index is built may lack cross-file facts (they are refreshed
    # once it is): these tests are about the indexed state.
    for folder in ("shop", "portal"):
        client.wait(
            lambda folder=folder: any(
                m.startswith(f"djvet: indexed {tree / folder}:") for m in client.log_messages()
            ),
            timeout=60,
            what=f"the index of {folder}",
        )
    yield client
    assert client.popups() == []
    assert client.shutdown() == 0


def open_and_wait(server: StdioClient, path: Path, language: str) -> list[dict]:
    uri = path.as_uri()
    server.open(uri, path.read_text(), language)
    return server.wait_published(uri, 1, timeout=60).diagnostics


def test_each_folder_sees_its_own_urls(server: StdioClient, tree: Path) -> None:
    shop = open_and_wait(server, tree / "shop/templates/base.html", "html")
    assert [d["code"] for d in shop] == ["DJV101"]
    # 'signout' exists in the project nested in shop/, not in portal/: silent there.
    assert open_and_wait(server, tree / "portal/templates/other.html", "html") == []


def test_a_nested_django_project_reports_its_own_findings(server: StdioClient, tree: Path) -> None:
    found = open_and_wait(server, tree / "shop/legacy/templates/legacy.html", "html")
    assert [d["code"] for d in found] == ["DJV101"]
    assert "only accepts POST" in found[0]["message"]


def test_a_frontend_templates_folder_gets_no_false_alarm(server: StdioClient, tree: Path) -> None:
    assert open_and_wait(server, tree / "shop/frontend/src/templates/app.html", "html") == []
    assert not [m for m in server.log_messages() if "app.html" in m and "failed" in m]


def test_a_jinja2_templates_folder_is_read_and_fixed_as_jinja2(
    server: StdioClient, tree: Path
) -> None:
    path = tree / "portal/templates/base.html"
    found = open_and_wait(server, path, "html")
    assert sorted(d["range"]["start"]["line"] for d in found) == [0, 1]
    for diagnostic in found:
        assert "{{ csrf_input }}" in diagnostic["message"], diagnostic["message"]
        fix = json.dumps(diagnostic.get("data", {}).get("fix"))
        assert "csrf_token" not in fix, fix


def test_a_file_outside_every_folder_is_checked_in_its_own_project(
    server: StdioClient, tree: Path
) -> None:
    found = open_and_wait(server, tree / "elsewhere/app/views.py", "python")
    assert [d["code"] for d in found] == ["DJV201"]


def test_the_cli_agrees_on_the_same_tree(tree: Path) -> None:
    def check(folder: str) -> list[tuple[str, str, bool]]:
        out = subprocess.run(
            [sys.executable, "-m", "djvet", "check", "--no-cache", "--format", "json", "."],
            cwd=tree / folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode in (0, 1), out.stderr
        payload = json.loads(out.stdout)
        assert payload["errors"] == []
        return sorted(
            (f["path"], f["code"], "csrf_token" in json.dumps(f["fix"]))
            for f in payload["findings"]
        )

    assert check("shop") == [
        ("legacy/templates/legacy.html", "DJV101", True),
        ("templates/base.html", "DJV101", True),
    ]
    assert check("portal") == [
        ("templates/base.html", "DJV101", False),
        ("templates/base.html", "DJV101", False),
    ]


@pytest.mark.parametrize(
    ("dirs", "document", "jinja"),
    [
        ('[BASE_DIR / "templates"]', "templates/a.html", True),
        ('[os.path.join(BASE_DIR, "front", "templates")]', "front/templates/a.html", True),
        ('[str(BASE_DIR / "front" / "templates")]', "templates/a.html", False),  # another folder
        ('["templates"]', "app/templates/a.html", True),  # a folder of that name anywhere
        ("[]", "templates/a.html", False),  # no DIRS: only APP_DIRS' jinja2/ folders
    ],
)
def test_jinja2_backend_folders_are_read_from_settings(
    tmp_path: Path, dirs: str, document: str, jinja: bool
) -> None:
    from djvet.core.django.template_engines import is_jinja2_template
    from djvet.core.project import ProjectIndex

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "settings.py").write_text(
        f'TEMPLATES = [{{"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": {dirs}}}]\n'
    )
    project = ProjectIndex(tmp_path)
    project.scan()
    assert is_jinja2_template(project, str(tmp_path / document)) is jinja


def test_a_folder_both_backends_read_stays_django(tmp_path: Path) -> None:
    from djvet.core.django.template_engines import is_jinja2_template
    from djvet.core.project import ProjectIndex

    (tmp_path / "settings.py").write_text(
        "TEMPLATES = [\n"
        '    {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": ["templates"]},\n'
        '    {"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": ["templates"]},\n'
        "]\n"
    )
    project = ProjectIndex(tmp_path)
    project.scan()
    assert not is_jinja2_template(project, str(tmp_path / "templates" / "a.html"))
