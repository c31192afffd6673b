"""``types.fast_pickle``: the summarised values and spans round-trip through pickle as themselves."""

from __future__ import annotations

import pickle

from djvet.core.python.facts import BodySummary, Call, Lit, Ref, Seq, Site, Starred, Unknown
from djvet.core.types import Span


def test_every_fast_pickled_shape_round_trips() -> None:
    span = Span(3, 4, 5, 6)
    values = [
        Lit("x"),
        Lit(None),
        Ref("app.models.Book"),  # one field
        Unknown("Subscript"),
        Starred(Ref("views.urlpatterns")),
        Seq((Lit(1), Ref("a"))),
        Call("django.urls.path", (Lit("x/"),), (("name", Lit("n")),), 7, span),
        Call("f()", (), (), 1, None, Call("f", (), (), 1, None)),
        BodySummary((("request", "django.http.HttpRequest"),), (), (("?",),), (), True),
        Site("call", ("Book", ".objects", ".get", "()"), span, conditional=True),
        span,
    ]
    for value in values:
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and type(copy) is type(value)
        assert copy.__reduce__()[1] == value.__reduce__()[1]


def test_a_shared_value_stays_shared() -> None:
    """One ``Lit``/``Ref`` object per distinct literal of a module pickles once."""
    ref = Ref("app.models.Book")
    pair = pickle.loads(pickle.dumps([ref, Seq((ref,))]))
    assert pair[0] is pair[1].items[0]
