"""Library models: authors, books with a custom QuerySet, loans with an extra manager."""

from django.conf import settings
from django.db import models


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Author(TimeStamped):
    name = models.CharField(max_length=200)


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def by(self, author):
        return self.filter(author=author)


class Book(TimeStamped):
    title = models.CharField(max_length=200)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books", blank=True)

    objects = BookQuerySet.as_manager()


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class ActiveLoanManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(returned=False)


class Loan(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    returned = models.BooleanField(default=False)

    objects = models.Manager()
    active = ActiveLoanManager()
