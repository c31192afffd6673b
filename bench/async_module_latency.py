"""Keystroke latency of the DJV30x family on a generated 2,000-line async-heavy module.

Generates a small app (models with foreign keys, many-to-many, a custom QuerySet and a custom
Manager; a services module with sync helpers) and a views module of ~2,000 lines of async
views — about a third of them with findings — then simulates typing: each step edits one
line inside one function (as an editor buffer change), updates the project index like the
language server does, and runs ``check()`` with the five DJV30x rules.

Reported (milliseconds): the index update, the document parse, the DJV30x analysis alone
(cold: first check of the module; warm: after an edit, per-function results reused; wall and
process CPU time, the latter steadier on a shared machine), and the whole ``check()`` of the
family; median, p95 and max over the edits.

    python bench/async_module_latency.py [--lines 2000] [--edits 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from djvet.core.config import Settings
from djvet.core.engine import check
from djvet.core.facts import newest_version
from djvet.core.project import in_memory_project
from djvet.core.python.async_orm import analyse
from djvet.core.python.parse import parse_python
from djvet.core.registry import all_rules
from djvet.core.rule import Document
from djvet.core.types import SourceKind

MODELS = """
from django.conf import settings
from django.db import models


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def by(self, author):
        return self.filter(author=author)

    def total_pages(self):
        return self.aggregate(n=models.Sum("pages"))["n"]


class LoanManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(returned=False)

    def overdue_count(self):
        return self.get_queryset().filter(overdue=True).count()


class Publisher(models.Model):
    name = models.CharField(max_length=100)


class Author(models.Model):
    name = models.CharField(max_length=100)
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, null=True)


class Book(models.Model):
    title = models.CharField(max_length=100)
    pages = models.IntegerField(default=0)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books")

    objects = BookQuerySet.as_manager()


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Loan(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    returned = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)

    objects = models.Manager()
    active = LoanManager()
"""

SERVICES = """
from .models import Book, Loan


def book_count():
    return Book.objects.count()


def mark_returned(loan):
    loan.returned = True
    loan.save()


def titles():
    return [b.title for b in Book.objects.all()]
"""

HEADER = '''"""Generated async views for the DJV30x latency benchmark."""

from django.contrib.auth import alogin, login
from django.http import JsonResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, render

from .models import Author, Book, Loan, Tag
from .services import book_count, mark_returned, titles
'''

CLEAN = [
    '''
async def clean_{i}(request, pk):
    """Only async ORM calls: nothing to report."""
    book = await Book.objects.select_related("author").aget(pk=pk)
    qs = Book.objects.filter(author=book.author).order_by("-id")
    names = [b.title async for b in qs]
    count = await qs.acount()
    data = {{"n": count, "names": names, "page": request.GET.get("page")}}
    if await Book.objects.published().aexists():
        data["author"] = book.author.name
    async for loan in Loan.active.filter(book=book):
        data.setdefault("loans", []).append(loan.book_id)
    return JsonResponse(data)
''',
    '''
async def listing_{i}(request):
    """Lazy chains, awaited aggregates, a dict .get(): silent."""
    params = {{"q": request.GET.get("q", ""), "limit": 10}}
    books = Book.objects.published().filter(title__icontains=params.get("q"))[:10]
    result = []
    async for book in books.select_related("author__publisher"):
        result.append((book.title, book.author.name, book.author.publisher_id))
    total = await books.acount()
    user = await request.auser()
    return JsonResponse({{"total": total, "rows": result, "user": user.pk}})
''',
]

DIRTY = [
    '''
async def dirty_{i}(request, pk):
    """A sync get(), a sync loop and a lazy FK: three findings."""
    book = Book.objects.get(pk=pk)
    qs = Book.objects.filter(published=True)
    for other in qs:
        print(other.title)
    author = await Author.objects.aget(pk=book.author_id)
    first = await Book.objects.afirst()
    label = first.author.name if first else ""
    return JsonResponse({{"t": book.title, "a": author.name, "l": label}})
''',
    '''
async def auth_{i}(request):
    """Auth, shortcut and helper calls from async code."""
    obj = get_object_or_404(Book, pk=1)
    login(request, request.user)
    total = book_count()
    names = len(Book.objects.all())
    if request.user.is_authenticated:
        total += 1
    return render(request, "x.html", {{"books": Book.objects.all(), "n": total, "o": obj.pk, "k": names}})
''',
]


def generate(lines: int) -> str:
    parts = [HEADER]
    count = 0
    index = 0
    while count < lines:
        template = (DIRTY if index % 3 == 0 else CLEAN)[index % 2]
        chunk = template.format(i=index)
        parts.append(chunk)
        count += chunk.count("\n")
        index += 1
    return "".join(parts)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    views = generate(args.lines)
    files = {"app/models.py": MODELS, "app/services.py": SERVICES, "app/views.py": views}
    project = in_memory_project(files, "/bench")
    path = "/bench/app/views.py"
    version = newest_version()
    settings = Settings(select=("DJV30",), django_version=version)
    rules = [r for r in all_rules() if r.code.startswith("DJV30")]

    source = parse_python(views, path)
    started = time.perf_counter()
    report = analyse(source, project, path, version)
    cold_ms = (time.perf_counter() - started) * 1000
    findings = len(report.issues)

    rng = random.Random(7)
    lines = views.split("\n")
    editable = [n for n, line in enumerate(lines) if '"""' in line and n > 10]
    index_ms: list[float] = []
    parse_ms: list[float] = []
    family_ms: list[float] = []
    family_cpu_ms: list[float] = []
    check_ms: list[float] = []
    for step in range(args.edits):
        target = rng.choice(editable)
        lines[target] = lines[target].replace('"""', f'"""edit {step} ', 1)
        text = "\n".join(lines)
        t0 = time.perf_counter()
        project.update_text(path, text)
        t1 = time.perf_counter()
        source = parse_python(text, path)
        t2 = time.perf_counter()
        c2 = time.process_time()
        analyse(source, project, path, version)
        t3 = time.perf_counter()
        family_cpu_ms.append((time.process_time() - c2) * 1000)
        result = check(
            Document(text, path, SourceKind.PYTHON, step), project, settings, rules=rules
        )
        t4 = time.perf_counter()
        index_ms.append((t1 - t0) * 1000)
        parse_ms.append((t2 - t1) * 1000)
        family_ms.append((t3 - t2) * 1000)
        check_ms.append((t4 - t3) * 1000)
        assert len(result.findings) == findings, (len(result.findings), findings)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 2),
            "p95": round(percentile(values, 0.95), 2),
            "max": round(max(values), 2),
        }

    out = {
        "module_lines": views.count("\n") + 1,
        "async_functions": views.count("async def "),
        "findings": findings,
        "cold_family_analysis_ms": round(cold_ms, 2),
        "per_edit": {
            "index_update_ms": stats(index_ms),
            "parse_ms": stats(parse_ms),
            "family_analysis_ms": stats(family_ms),
            "family_analysis_cpu_ms": stats(family_cpu_ms),
            "family_check_ms": stats(check_ms),
        },
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"module: {out['module_lines']} lines, {out['async_functions']} async functions, {findings} findings"
    )
    print(f"cold DJV30x analysis (first check): {cold_ms:.1f} ms")
    for name, values in out["per_edit"].items():  # type: ignore[union-attr]
        print(
            f"{name:>22}: median {values['median']:6.2f}  p95 {values['p95']:6.2f}  max {values['max']:6.2f}"
        )


if __name__ == "__main__":
    main()
