"""DJV304: sync Django APIs that query (auth, sessions, shortcuts, paginator, transactions)."""

from __future__ import annotations

import textwrap

import pytest

from djvet.core.types import Applicability, Severity

from .test_djv301_sync_queryset_call_in_async import body, findings, fix_all, marked

SILENT = [
    ("alogin awaited", "await alogin(request, book)"),
    ("aauthenticate awaited", "u = await aauthenticate(request, username='a', password='b')"),
    ("aget_object_or_404 awaited", "b = await aget_object_or_404(Book, pk=pk)"),
    ("request.auser() awaited", "u = await request.auser()\nok = u.is_authenticated"),
    ("naming request.user evaluates nothing", "u = request.user"),
    ("passing request.user along evaluates nothing", "x = safe_helper(request.user)"),
    ("request.session named, not read", "s = request.session"),
    (
        "request.GET/POST/META are not the session",
        "q = request.GET['q']\nm = request.META.get('HTTP_HOST')",
    ),
    ("async session get", "v = await request.session.aget('k')"),
    ("async session set", "await request.session.aset('k', 1)"),
    (
        "TemplateResponse renders in a thread",
        "return TemplateResponse(request, 't.html', {'books': Book.objects.all()})",
    ),
    ("render() with a plain list", "return render(request, 't.html', {'books': ['a', 'b']})"),
    (
        "render() with a list built with async for",
        "rows = [b async for b in Book.objects.all()]\nreturn render(request, 't.html', {'books': rows})",
    ),
    (
        "render() with an evaluated QuerySet",
        "qs = Book.objects.all()\nasync for b in qs:\n    pass\nreturn render(request, 't.html', {'books': qs})",
    ),
    ("a Paginator over a list", "p = Paginator(items, 10)\npage = p.get_page(1)"),
    (
        "building a Paginator over a QuerySet does not query",
        "p = Paginator(Book.objects.all(), 10)",
    ),
    (
        "transaction.atomic used inside sync_to_async'd function",
        "def work():\n    with transaction.atomic():\n        pass\nawait sync_to_async(work)()",
    ),
    ("cache.get is not a DB call here", "v = cache.get('k')"),
    ("ahas_perm awaited", "u = await request.auser()\nok = await u.ahas_perm('x')"),
    (
        "check_password only writes when the hash must be upgraded",
        "u = await request.auser()\nok = u.check_password('x')",
    ),
    ("acreate_user awaited", "u = await User.objects.acreate_user('a')"),
    ("get_user_model() itself is not a query", "M = get_user_model()"),
    (
        "request.user evaluated in a thread first (a common idiom)",
        "ok = await sync_to_async(lambda: request.user.is_authenticated)()\nname = request.user.username",
    ),
    (
        "request.user evaluated by a nested def run in a thread",
        "def warm():\n    return request.user.is_authenticated\nawait sync_to_async(warm)()\nname = request.user.pk",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), SILENT, ids=[r for r, _ in SILENT])
def test_must_not_fire(reason: str, snippet: str) -> None:
    assert findings(body(snippet)) == [], reason


FIRING = [
    ("authenticate", "u = authenticate(request, username='a', password='b')  # !", Severity.ERROR),
    ("login", "login(request, book)  # !", Severity.ERROR),
    ("logout (a DB-backed session)", "logout(request)  # !", Severity.WARNING),
    ("get_object_or_404", "b = get_object_or_404(Book, pk=pk)  # !", Severity.ERROR),
    ("request.user attribute", "ok = request.user.is_authenticated  # !", Severity.WARNING),
    ("request.user bound then read", "u = request.user\nname = u.username  # !", Severity.WARNING),
    (
        "truth of request.user sets the lazy object up",
        "u = request.user\nif u:  # !\n    pass",
        Severity.WARNING,
    ),
    (
        "request.user.has_perm is reported once, as the user access",
        "ok = request.user.has_perm('x')  # !",
        Severity.WARNING,
    ),
    ("session read by key", "v = request.session['cart']  # !", Severity.WARNING),
    ("session get()", "v = request.session.get('cart')  # !", Severity.WARNING),
    ("session write", "request.session['cart'] = []  # !", Severity.WARNING),
    ("session delete", "del request.session['cart']  # !", Severity.WARNING),
    ("session membership", "ok = 'cart' in request.session  # !", Severity.WARNING),
    ("session flush()", "request.session.flush()  # !", Severity.WARNING),
    ("User.objects.create_user", "u = User.objects.create_user('a')  # !", Severity.ERROR),
    (
        "has_perm on a loaded user",
        "u = await request.auser()\nok = u.has_perm('x')  # !",
        Severity.WARNING,
    ),
    (
        "Paginator page over a QuerySet",
        "p = Paginator(Book.objects.all(), 10)\npage = p.get_page(1)  # !",
        Severity.ERROR,
    ),
    (
        "Paginator count",
        "p = Paginator(Book.objects.all(), 10)\nn = p.num_pages  # !",
        Severity.ERROR,
    ),
    ("transaction.atomic()", "with transaction.atomic():  # !\n    pass", Severity.ERROR),
    ("connection.cursor()", "with connection.cursor() as c:  # !\n    pass", Severity.ERROR),
    (
        "render() with a lazy QuerySet",
        "return render(request, 't.html', {'books': Book.objects.all()})  # !",
        Severity.ERROR,
    ),
    (
        "render() with a context dict built first",
        "ctx = {'books': Book.objects.filter(published=True)}\nreturn render(request, 't.html', ctx)  # !",
        Severity.ERROR,
    ),
]


@pytest.mark.parametrize(("reason", "snippet", "severity"), FIRING, ids=[r for r, _, _ in FIRING])
def test_must_fire(reason: str, snippet: str, severity: Severity) -> None:
    found = findings(body(snippet), codes=("DJV304",))
    assert sorted(f.span.line + 1 for f in found) == marked(snippet), reason
    assert {f.severity for f in found} == {severity}


def test_transaction_atomic_decorator_on_async_def() -> None:
    text = textwrap.dedent(
        """\
        from django.db import transaction


        @transaction.atomic
        async def v(request):
            return 1
        """
    )
    assert [f.span.line + 1 for f in findings(text, codes=("DJV304",))] == [4]


FIXES = [
    ("login(request, book)", "await alogin(request, book)"),
    ("u = authenticate(request, username='a')", "u = await aauthenticate(request, username='a')"),
    ("b = get_object_or_404(Book, pk=pk)", "b = await aget_object_or_404(Book, pk=pk)"),
    ("v = request.session.get('cart')", "v = await request.session.aget('cart')"),
    ("request.session['cart'] = []", "await request.session.aset('cart', [])"),
    ("del request.session['cart']", "await request.session.apop('cart')"),
    ("ok = 'cart' in request.session", "ok = await request.session.ahas_key('cart')"),
    ("u = User.objects.create_user('a')", "u = await User.objects.acreate_user('a')"),
    (
        "u = await request.auser()\nok = u.has_perm('x')",
        "u = await request.auser()\nok = await u.ahas_perm('x')",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES, ids=[b for b, _ in FIXES])
def test_safe_fix(before: str, after: str) -> None:
    assert fix_all(body(before)) == body(after)


def test_login_fix_adds_the_import() -> None:
    text = "from django.contrib.auth import login\n\n\nasync def v(request, user):\n    login(request, user)\n"
    assert (
        fix_all(text)
        == "from django.contrib.auth import login, alogin\n\n\nasync def v(request, user):\n    await alogin(request, user)\n"
    )


def test_module_attribute_call_needs_no_import() -> None:
    text = "from django.contrib import auth\n\n\nasync def v(request, user):\n    auth.login(request, user)\n"
    assert (
        fix_all(text)
        == "from django.contrib import auth\n\n\nasync def v(request, user):\n    await auth.alogin(request, user)\n"
    )


@pytest.mark.parametrize(
    ("django", "snippet", "expected"),
    [
        ("4.2", "login(request, book)", "await sync_to_async(login)(request, book)"),
        (
            "4.2",
            "b = get_object_or_404(Book, pk=pk)",
            "b = await sync_to_async(get_object_or_404)(Book, pk=pk)",
        ),
        (
            "5.0",
            "v = request.session.get('k')",
            "v = await sync_to_async(request.session.get)('k')",
        ),
        (
            "5.1",
            "u = User.objects.create_user('a')",
            "u = await sync_to_async(User.objects.create_user)('a')",
        ),
    ],
)
def test_version_without_the_async_name_uses_sync_to_async(
    django: str, snippet: str, expected: str
) -> None:
    fixed = fix_all(body(snippet), django=django)
    assert expected in fixed
    assert "alogin" not in fixed.split("async def view")[1]


def test_request_user_fix_is_unsafe_and_only_on_50_plus() -> None:
    text = body("ok = request.user.is_authenticated")
    (finding,) = findings(text, codes=("DJV304",))
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    assert fix_all(text) == text  # not applied without --unsafe-fixes
    assert fix_all(text, unsafe=True) == body("ok = (await request.auser()).is_authenticated")
    (old,) = findings(text, codes=("DJV304",), django="4.2")
    assert old.fix is None and "5.0" in old.message


def test_request_user_bound_to_a_name_is_fixed_where_it_is_bound() -> None:
    text = body("u = request.user\na = u.username\nb = u.email")
    assert fix_all(text, unsafe=True) == body(
        "u = await request.auser()\na = u.username\nb = u.email"
    )


def test_render_fix_is_unsafe_template_response() -> None:
    text = body("return render(request, 't.html', {'books': Book.objects.all()})")
    (finding,) = findings(text, codes=("DJV304",))
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    fixed = fix_all(text, unsafe=True)
    assert "return TemplateResponse(request, 't.html', {'books': Book.objects.all()})" in fixed
    assert findings(fixed) == []


def test_session_rules_silent_with_a_cookie_session_engine() -> None:
    text = body("v = request.session.get('cart')")
    extra = {
        "shop/settings.py": 'SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"\n'
    }
    assert findings(text, codes=("DJV304",), extra=extra) == []
    cached_db = {
        "shop/settings.py": 'SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"\n'
    }
    assert len(findings(text, codes=("DJV304",), extra=cached_db)) == 1


def test_custom_user_model_from_settings() -> None:
    extra = {
        "accounts/models.py": "from django.contrib.auth.models import AbstractUser\nfrom django.db import models\n\n\n"
        "class Member(AbstractUser):\n    team = models.ForeignKey('shop.Publisher', on_delete=models.CASCADE)\n",
        "shop/settings.py": 'AUTH_USER_MODEL = "accounts.Member"\n',
    }
    snippet = "u = await request.auser()\nt = u.team  # !\nok = u.has_perm('x')  # !"
    found = findings(body(snippet), extra=extra)
    team_line, perm_line = marked(snippet)
    # auser() loads the user with the default manager: no relation is selected.
    assert [(f.span.line + 1, f.code) for f in found] == [
        (team_line, "DJV303"),
        (perm_line, "DJV304"),
    ]
