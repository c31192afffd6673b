"""DJV304: a sync Django API that touches the database (auth, sessions, shortcuts, ...) in async code."""

from __future__ import annotations

from ..core.rule import Invalid, Valid
from ..core.types import Severity, SourceKind
from ._async_orm_rule import AsyncOrmRule
from .djv301_sync_queryset_call_in_async import EXAMPLE_FILES


class SyncDjangoApiInAsync(AsyncOrmRule):
    """
    ## What it does
    Flags sync Django APIs that query the database when called inside an `async def`:
    `authenticate()`, `login()`, `logout()`, `get_user()`, `get_object_or_404()`,
    `get_list_or_404()`, `User.objects.create_user()`, `user.has_perm()` and friends,
    attribute access on `request.user`, reading or writing `request.session`, `Paginator`
    pages over a QuerySet, `transaction.atomic()`, `connection.cursor()`, and `render()` with
    an unevaluated QuerySet in its context.

    ## Why is this bad?
    Each of these runs SQL on the event loop, where Django raises `SynchronousOnlyOperation`.
    `request.user` and `request.session` only query when the request carries a
    database-backed session (a logged-in user), which is why tests with anonymous clients
    miss them; those findings are warnings. `render()` renders on the event loop, so a lazy
    QuerySet in its context is evaluated there; a `TemplateResponse` is rendered in a thread.

    ## Example
    ```python
    async def sign_in(request):
        user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
        login(request, user)
        return redirect("home")
    ```

    ## Use instead
    ```python
    async def sign_in(request):
        user = await aauthenticate(request, username=request.POST["u"], password=request.POST["p"])
        await alogin(request, user)
        return redirect("home")
    ```

    ## Fix safety
    The one-to-one async replacements are safe: `await alogin(...)`, `await
    aget_object_or_404(...)`, `await request.session.aget(...)`, `await
    request.session.aset(k, v)` for `request.session[k] = v`, `await
    User.objects.acreate_user(...)`, `await user.ahas_perm(...)` — with imports added. When the
    project's Django version lacks the async name the fix is `await sync_to_async(f)(...)`.
    `request.user` → `(await request.auser())` is offered as unsafe (the async user cache is
    separate from `request.user`); `render()` → `TemplateResponse(...)` is unsafe (the response
    is rendered later). Transactions, cursors and paginators get no automatic fix.

    ## Django versions
    `aauthenticate`/`alogin`/`alogout`/`aget_user`, `aget_object_or_404`, `request.auser()`:
    5.0. Async session methods: 5.1. `acreate_user`, `ahas_perm`: 5.2. `AsyncPaginator`: 6.0.
    No async transaction API up to 6.1.

    ## References
    - [Async views](https://docs.djangoproject.com/en/stable/topics/async/#async-views)
    - [alogin()](https://docs.djangoproject.com/en/stable/topics/auth/default/#django.contrib.auth.alogin)
    - [HttpRequest.auser()](https://docs.djangoproject.com/en/stable/ref/request-response/#django.http.HttpRequest.auser)
    """

    code = "DJV304"
    name = "sync-django-api-in-async"
    summary = "Sync Django API that queries, used in async code"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/async/#async-views"
    examples = (
        Valid(
            "from django.contrib.auth import alogin\n\nasync def v(request, user):\n    await alogin(request, user)\n",
            reason="the async login, awaited",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "async def v(request):\n    user = await request.auser()\n    return user.is_authenticated\n",
            reason="the user from request.auser() is a loaded instance",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from django.template.response import TemplateResponse\nfrom .models import Book\n\n"
            "async def v(request):\n    return TemplateResponse(request, 'b.html', {'books': Book.objects.all()})\n",
            reason="a TemplateResponse is rendered in a thread by the handler",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from django.shortcuts import render\n\nasync def v(request):\n    return render(request, 'b.html', {'books': ['a', 'b']})\n",
            reason="render() with a plain list in the context",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "async def v(request):\n    return request.GET.get('q'), request.session\n",
            reason="request.GET is a QueryDict; naming request.session loads nothing",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from django.core.cache import cache\nimport os\n\nasync def v():\n    return cache.get('k'), os.environ.get('HOME')\n",
            reason="cache.get() and os.environ.get() are not ORM queries",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from django.contrib.auth import login\n\nasync def v(request, user):\n    login(request, user)\n",
            reason="sync login() in async code",
            lines=(4,),
            fixed="from django.contrib.auth import login, alogin\n\nasync def v(request, user):\n    await alogin(request, user)\n",
            message="use `await alogin()`",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from django.shortcuts import get_object_or_404\nfrom .models import Book\n\n"
            "async def v(pk):\n    return get_object_or_404(Book, pk=pk)\n",
            reason="get_object_or_404 on Django 4.2: no async shortcut yet",
            lines=(5,),
            fixed="from django.shortcuts import get_object_or_404\nfrom .models import Book\n"
            "from asgiref.sync import sync_to_async\n\nasync def v(pk):\n    return await sync_to_async(get_object_or_404)(Book, pk=pk)\n",
            django="4.2",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "async def v(request):\n    return request.session.get('cart')\n",
            reason="a database-backed session read",
            lines=(2,),
            fixed="async def v(request):\n    return await request.session.aget('cart')\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "async def v(request):\n    return request.user.is_authenticated\n",
            reason="request.user attribute access",
            lines=(2,),
            fixed="async def v(request):\n    return (await request.auser()).is_authenticated\n",
            files=EXAMPLE_FILES,
        ),
    )
