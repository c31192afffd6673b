"""Class-based views of the library: what DJV201, DJV202 and DJV203 catch, next to views they leave alone.

The demo targets Django 5.2 (see pyproject.toml). Firing on purpose:

- BookCreateView       DJV201  async get/post, but CreateView's inherited put is sync
- ContactView          DJV201  async get that never awaits; FormView's post and put are sync
- BookFeedView         DJV202  sync options in an async view (OPTIONS fails with TypeError)
- TagCloudView         DJV202  async options in a sync view (OPTIONS fails with ValueError)
- BookStatsView        DJV203  a sync functools.wraps wrapper around an async handler
- LoanListView         DJV203  LoginRequiredMixin's sync redirect, awaited for anonymous users

Everything else here must stay silent.
"""

import functools
import logging

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import aget_object_or_404
from django.urls import path, reverse_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from .models import Author, Book, Loan, Tag

log = logging.getLogger(__name__)


def audit_log(func):
    """Log every call of a view method (written for sync views)."""

    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        log.info("%s %s", request.method, request.path)
        return func(self, request, *args, **kwargs)

    return wrapper


# -- firing -----------------------------------------------------------------------------------


class BookCreateView(CreateView):  # DJV201: put (inherited from CreateView) is sync
    model = Book
    fields = ["title", "author"]
    success_url = reverse_lazy("library:book-list")

    async def get(self, request, *args, **kwargs):
        authors = [a async for a in Author.objects.order_by("name")]
        return JsonResponse({"authors": [a.name for a in authors]})

    async def post(self, request, *args, **kwargs):
        author = await aget_object_or_404(Author, pk=request.POST.get("author"))
        book = await Book.objects.acreate(title=request.POST.get("title", ""), author=author)
        return JsonResponse({"id": book.pk}, status=201)


class ContactView(FormView):  # DJV201: async only by accident; post and put are sync
    template_name = "library/contact.html"
    success_url = reverse_lazy("library:book-list")

    async def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BookFeedView(View):
    async def get(self, request):
        titles = [b.title async for b in Book.objects.published()[:20]]
        return JsonResponse({"books": titles})

    def options(self, request, *args, **kwargs):  # DJV202: the view is async
        response = super().options(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class TagCloudView(View):
    def get(self, request):
        return JsonResponse({"tags": list(Tag.objects.values_list("name", flat=True))})

    async def options(self, request, *args, **kwargs):  # DJV202: the view is sync
        response = HttpResponse()
        response["Allow"] = "GET, OPTIONS"
        return response


class BookStatsView(View):
    @audit_log  # DJV203: a sync wrapper returns the coroutine un-awaited
    async def get(self, request):
        return JsonResponse({"books": await Book.objects.acount()})


class LoanListView(LoginRequiredMixin, View):  # DJV203: anonymous users get a 500
    async def get(self, request):
        user = await request.auser()
        loans = [loan.book_id async for loan in Loan.active.filter(borrower=user)]
        return JsonResponse({"loans": loans})


# -- silent -----------------------------------------------------------------------------------


class BookListView(ListView):  # ListView's only handler is get
    model = Book

    async def get(self, request, *args, **kwargs):
        books = [b.title async for b in Book.objects.published()]
        return JsonResponse({"books": books})


class BookDetailView(DetailView):  # DetailView's only handler is get
    model = Book

    async def get(self, request, *args, **kwargs):
        book = await aget_object_or_404(Book, pk=kwargs["pk"])
        return JsonResponse({"title": book.title})


class BookUpdateView(UpdateView):  # every handler of UpdateView is overridden with async def
    model = Book
    fields = ["title"]

    async def get(self, request, *args, **kwargs):
        book = await aget_object_or_404(Book, pk=kwargs["pk"])
        return JsonResponse({"title": book.title})

    async def post(self, request, *args, **kwargs):
        await Book.objects.filter(pk=kwargs["pk"]).aupdate(title=request.POST.get("title", ""))
        return JsonResponse({"ok": True})

    async def put(self, request, *args, **kwargs):
        return await self.post(request, *args, **kwargs)


class AuthorSearchView(View):  # post is excluded by http_method_names
    http_method_names = ["get", "options"]

    async def get(self, request):
        query = request.GET.get("q", "")
        names = [a.name async for a in Author.objects.filter(name__icontains=query)]
        return JsonResponse({"authors": names})

    def post(self, request):
        return HttpResponse(status=405)


class PingView(View):  # all async, options included
    async def get(self, request):
        return HttpResponse("pong")

    async def options(self, request, *args, **kwargs):
        response = await super().options(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class MyLoansView(LoginRequiredMixin, View):  # raise_exception: a 403, no sync redirect
    raise_exception = True

    async def get(self, request):
        user = await request.auser()
        return JsonResponse({"loans": await Loan.active.filter(borrower=user).acount()})


class ReturnLoanView(LoginRequiredMixin, View):  # a sync view: the mixin is fine
    def post(self, request, pk):
        Loan.objects.filter(pk=pk, borrower=request.user).update(returned=True)
        return HttpResponse(status=204)


urlpatterns = [
    path("books/", BookListView.as_view(), name="book-list"),
    path("books/new/", BookCreateView.as_view(), name="book-create"),
    path("books/feed/", BookFeedView.as_view(), name="book-feed"),
    path("books/stats/", BookStatsView.as_view(), name="book-stats"),
    path("books/<int:pk>/", BookDetailView.as_view(), name="book-detail"),
    path("books/<int:pk>/edit/", BookUpdateView.as_view(), name="book-update"),
    path("authors/search/", AuthorSearchView.as_view(), name="author-search"),
    path("tags/", TagCloudView.as_view(), name="tag-cloud"),
    path("contact/", ContactView.as_view(), name="contact"),
    path("loans/", LoanListView.as_view(), name="loan-list"),
    path("loans/mine/", MyLoansView.as_view(), name="my-loans"),
    path("loans/<int:pk>/return/", ReturnLoanView.as_view(), name="loan-return"),
    path("ping/", PingView.as_view(), name="ping"),
]
