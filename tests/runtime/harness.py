"""Run code against a real Django in a subprocess: the ground truth djvet's rules are tested against.

``run_in_django(files, script)`` writes ``files`` (relative path -> text) into a fresh
directory, generates ``djvet_test_settings.py`` (a SQLite file in that directory, so threads that
``sync_to_async`` uses see the same tables; auth/sessions/admin, every
app folder in ``files`` installed, ``urls.py`` as ROOT_URLCONF when present, a Jinja2 backend
when a ``jinja2/`` folder and the jinja2 package exist), runs ``django.setup()`` and
``migrate --run-syncdb``, then runs ``script``. The script reports with ``emit(obj)``; the
last emitted object is returned. Each call is its own process, so view classes, models and
URLconfs of one test never leak into another.

Interpreters: the test interpreter's own Django, plus any listed in ``DJVET_DJANGO_PYTHONS``
(``os.pathsep``-separated paths of Pythons that have another Django installed; CI sets it to a
Django 4.2 environment so 4.x semantics are exercised too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_PRELUDE = """
import json, os, sys, warnings
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "djvet_test_settings"
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
def emit(obj):
    sys.stdout.write("\\n@@DJVET@@" + json.dumps(obj) + "\\n")
    sys.stdout.flush()
"""

_SETTINGS = """
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", *{apps!r},
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
{urlconf}
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"], "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
try:
    import jinja2  # noqa: F401
    if (BASE_DIR / "jinja2").is_dir():
        TEMPLATES.append({{"BACKEND": "django.template.backends.jinja2.Jinja2",
                          "DIRS": [BASE_DIR / "jinja2"], "APP_DIRS": False}})
except ImportError:
    pass
{extra}
"""


class DjangoRunError(RuntimeError):
    """The script failed in a way the test did not expect (its stderr is in the message)."""


def django_pythons() -> list[str]:
    """Interpreters to run runtime-agreement tests with: this one, then DJVET_DJANGO_PYTHONS."""
    extra = [p for p in os.environ.get("DJVET_DJANGO_PYTHONS", "").split(os.pathsep) if p]
    return [sys.executable, *extra]


def django_version(python: str = sys.executable) -> tuple[int, int]:
    out = subprocess.run(
        [python, "-c", "import django; print(django.VERSION[0], django.VERSION[1])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    major, minor = out.stdout.split()
    return int(major), int(minor)


def run_in_django(
    files: dict[str, str],
    script: str,
    *,
    python: str = sys.executable,
    settings: str = "",
    timeout: float = 120,
):
    """Run ``script`` in a fresh Django project made of ``files``; return the last ``emit``ted value."""
    with tempfile.TemporaryDirectory(prefix="djvet-django-") as tmp:
        root = Path(tmp)
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), "utf-8")
        apps = sorted(
            {
                Path(rel).parts[0]
                for rel in files
                if len(Path(rel).parts) > 1
                and Path(rel).name in ("models.py", "apps.py", "views.py")
            }
        )
        for app in apps:
            (root / app / "__init__.py").touch()
        urlconf = (
            'ROOT_URLCONF = "urls"' if "urls.py" in files else 'ROOT_URLCONF = "djvet_empty_urls"'
        )
        if "urls.py" not in files:
            (root / "djvet_empty_urls.py").write_text("urlpatterns = []\n")
        (root / "djvet_test_settings.py").write_text(
            _SETTINGS.format(apps=apps, urlconf=urlconf, extra=textwrap.dedent(settings))
        )
        (root / "djvet_run.py").write_text(_PRELUDE + "\n" + textwrap.dedent(script))
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [python, "djvet_run.py"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        marks = [line for line in proc.stdout.splitlines() if line.startswith("@@DJVET@@")]
        if proc.returncode != 0 or not marks:
            raise DjangoRunError(
                f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}"
            )
        return json.loads(marks[-1][len("@@DJVET@@") :])
