"""Async function views of the library: what DJV301-DJV305 catch, next to views they leave alone.

The demo targets Django 5.2 (see pyproject.toml), so every message names the 5.2 replacement
(`aget`, `asave`, `alogin`, `request.auser()`, `session.aget`, ...). Firing on purpose:

- book_detail        DJV301  Book.objects.get() and book.save() in async code
- author_page        DJV301  a sync helper of this module that counts with the ORM
- shelf              DJV302  a for loop, len() and `if qs:` over QuerySets
- book_card          DJV303  book.author on an instance fetched without select_related
- author_books       DJV303  author.books.all() iterated without prefetch_related
- sign_in            DJV304  authenticate() and login() instead of aauthenticate()/alogin()
- dashboard          DJV304  request.user / request.session reads, get_object_or_404, render()
- publish            DJV305  asave() never awaited; `async for` over a Manager; awaiting aiterator()

Everything in the second half of the file must stay silent.
"""

from asgiref.sync import sync_to_async
from django.contrib.auth import aauthenticate, alogin, authenticate, login
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path

from .models import Author, Book, Loan, Tag


def overdue_count():
    """A sync helper: fine in sync views, a SynchronousOnlyOperation when async code calls it."""
    return Loan.active.filter(book__published=True).count()


# -- firing -----------------------------------------------------------------------------------


async def book_detail(request, pk):
    book = Book.objects.get(pk=pk)  # DJV301: use await Book.objects.aget()
    book.published = True
    book.save()  # DJV301: use await book.asave()
    return JsonResponse({"title": book.title})


async def author_page(request, pk):
    author = await Author.objects.aget(pk=pk)
    return JsonResponse({"name": author.name, "overdue": overdue_count()})  # DJV301: sync helper


async def shelf(request):
    books = Book.objects.published().order_by("title")
    titles = []
    for book in books:  # DJV302: use async for
        titles.append(book.title)
    tags = Tag.objects.filter(name__startswith=request.GET.get("tag", ""))
    if tags:  # DJV302: use await tags.aexists()
        titles.append(f"{len(tags)} tags")  # DJV302: use await tags.acount()
    return JsonResponse({"titles": titles})


async def book_card(request, pk):
    book = await Book.objects.aget(pk=pk)
    return JsonResponse({"title": book.title, "author": book.author.name})  # DJV303


async def author_books(request, pk):
    author = await Author.objects.aget(pk=pk)
    titles = [book.title for book in author.books.all()]  # DJV303: prefetch_related("books")
    return JsonResponse({"author": author.name, "titles": titles})


async def sign_in(request):
    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])  # DJV304
    if user is None:
        return JsonResponse({"ok": False}, status=401)
    login(request, user)  # DJV304: use await alogin(request, user)
    return HttpResponseRedirect("/")


async def dashboard(request, pk):
    if not request.user.is_authenticated:  # DJV304 (warning): use await request.auser()
        return HttpResponseRedirect("/login/")
    recent = request.session.get("recent_books", [])  # DJV304 (warning): session.aget()
    book = get_object_or_404(Book, pk=pk)  # DJV304: use await aget_object_or_404()
    loans = Loan.objects.filter(book=book)
    return render(request, "library/dashboard.html", {"book": book, "loans": loans, "recent": recent})  # DJV304


async def publish(request, pk):
    book = await Book.objects.aget(pk=pk)
    book.published = True
    book.asave()  # DJV305: the coroutine is never awaited, nothing is saved
    async for loan in Loan.active:  # DJV305: a Manager is not async-iterable, use .all()
        await loan.adelete()
    rows = await Book.objects.filter(author=book.author_id).aiterator()  # DJV305: TypeError
    return JsonResponse({"published": True, "rows": len(rows)})


# -- silent -----------------------------------------------------------------------------------


async def book_detail_async(request, pk):
    """The fixed book_detail: awaited async methods."""
    book = await Book.objects.aget(pk=pk)
    book.published = True
    await book.asave(update_fields=["published"])
    return JsonResponse({"title": book.title})


async def author_page_async(request, pk):
    """The helper runs in a thread."""
    author = await Author.objects.aget(pk=pk)
    overdue = await sync_to_async(overdue_count)()
    return JsonResponse({"name": author.name, "overdue": overdue})


async def shelf_async(request):
    """async for, acount(), aexists(); lazy chains and a stepless slice never query."""
    books = Book.objects.published().order_by("title")[:50]
    titles = [book.title async for book in books]
    tags = Tag.objects.filter(name__startswith=request.GET.get("tag", ""))
    if await tags.aexists():
        titles.append(f"{await tags.acount()} tags")
    return JsonResponse({"titles": titles, "query": str(books.query)[:20]})


async def book_card_async(request, pk):
    """select_related loads the author with the book; author_id never needed a query."""
    book = await Book.objects.select_related("author").aget(pk=pk)
    return JsonResponse({"author": book.author.name, "author_id": book.author_id})


async def author_books_async(request, pk):
    """prefetch_related fills author.books; iterating it afterwards is free."""
    author = await Author.objects.prefetch_related("books").aget(pk=pk)
    titles = [book.title for book in author.books.all()]
    return JsonResponse({"author": author.name, "titles": titles})


async def sign_in_async(request):
    user = await aauthenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is None:
        return JsonResponse({"ok": False}, status=401)
    await alogin(request, user)
    return HttpResponseRedirect("/")


async def dashboard_async(request, pk):
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponseRedirect("/login/")
    recent = await request.session.aget("recent_books", [])
    book = await aget_object_or_404(Book, pk=pk)
    loans = Loan.objects.filter(book=book)
    # A TemplateResponse is rendered in a thread: the lazy QuerySet is fine there.
    return TemplateResponse(request, "library/dashboard.html", {"book": book, "loans": loans, "recent": recent})


async def publish_async(request, pk):
    book = await Book.objects.aget(pk=pk)
    book.published = True
    await book.asave()
    async for loan in Loan.active.all():
        await loan.adelete()
    rows = [row async for row in Book.objects.filter(author=book.author_id).aiterator()]
    settings = {"page": request.GET.get("page", "1")}  # a dict .get(), not a query
    return JsonResponse({"published": True, "rows": len(rows), "page": settings.get("page")})


urlpatterns = [
    path("async/books/<int:pk>/", book_detail, name="async-book-detail"),
    path("async/authors/<int:pk>/", author_page, name="async-author"),
    path("async/shelf/", shelf, name="async-shelf"),
    path("async/books/<int:pk>/card/", book_card, name="async-book-card"),
    path("async/authors/<int:pk>/books/", author_books, name="async-author-books"),
    path("async/sign-in/", sign_in, name="async-sign-in"),
    path("async/dashboard/<int:pk>/", dashboard, name="async-dashboard"),
    path("async/books/<int:pk>/publish/", publish, name="async-publish"),
    path("async/fixed/books/<int:pk>/", book_detail_async, name="async-book-detail-fixed"),
    path("async/fixed/authors/<int:pk>/", author_page_async, name="async-author-fixed"),
    path("async/fixed/shelf/", shelf_async, name="async-shelf-fixed"),
    path("async/fixed/books/<int:pk>/card/", book_card_async, name="async-book-card-fixed"),
    path("async/fixed/authors/<int:pk>/books/", author_books_async, name="async-author-books-fixed"),
    path("async/fixed/sign-in/", sign_in_async, name="async-sign-in-fixed"),
    path("async/fixed/dashboard/<int:pk>/", dashboard_async, name="async-dashboard-fixed"),
    path("async/fixed/books/<int:pk>/publish/", publish_async, name="async-publish-fixed"),
]
