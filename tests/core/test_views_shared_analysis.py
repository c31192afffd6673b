"""``ViewResolver.analyze`` gives the same analysis however many classes one resolver served.

The resolver remembers what it read of an MRO past its first class (handlers by the names
sought, completeness, ``http_method_names``), which view classes share; an analysis must not
depend on which classes were analysed before, nor survive a node the resolver replaces (a
document's fresher class under the same key). Checked on generated hierarchies of project
mixins over Django's views, each analysed by one shared resolver in a random order and by a
fresh resolver of its own.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.django.views import ViewResolver
from djvet.core.project import in_memory_project
from djvet.core.python.facts import extract_module
from djvet.core.python.parse import parse_python

DJANGO_BASES = [
    "View", "TemplateView", "RedirectView", "ListView", "DetailView", "FormView", "CreateView",
    "UpdateView", "DeleteView", "LogoutView", "LoginRequiredMixin", "ArchiveIndexView",
]  # fmt: skip
MEMBERS = [
    "def get(self, request): ...",
    "async def get(self, request): ...",
    "async def post(self, request): ...",
    "def post(self, request): ...",
    "def put(self, request): ...",
    "async def delete(self, request): ...",
    "def options(self, request): ...",
    "head = get",
    "patch = None",
    'http_method_names = ["get", "post"]',
    "http_method_names = View.http_method_names",
    "def dispatch(self, request): ...",
    "@method_decorator(login_required)\n    async def get(self, request): ...",
]
HEADER = (
    "from django.contrib.auth.decorators import login_required\n"
    "from django.contrib.auth.mixins import LoginRequiredMixin\n"
    "from django.contrib.auth.views import LogoutView\n"
    "from django.utils.decorators import method_decorator\n"
    "from django.views import View\n"
    "from django.views.generic import (\n"
    "    ArchiveIndexView, CreateView, DeleteView, DetailView, FormView, ListView,\n"
    "    RedirectView, TemplateView, UpdateView,\n"
    ")\n"
    "from unknown import Mystery\n"
)


@st.composite
def hierarchies(draw: st.DrawFn) -> str:
    classes: list[str] = []
    chunks = [HEADER]
    for index in range(draw(st.integers(2, 9))):
        pool = DJANGO_BASES + classes + ["Mystery"]
        bases = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        members = draw(st.lists(st.sampled_from(MEMBERS), max_size=3))
        decorator = ""
        if draw(st.integers(0, 4)) == 0:
            decorator = '@method_decorator(login_required, name="get")\n'
        name = f"C{index}"
        chunks.append(
            f"{decorator}class {name}({', '.join(bases)}):\n"
            + "".join(f"    {m}\n" for m in members or ["pass"])
        )
        classes.append(name)
    return "\n\n".join(chunks)


@settings(max_examples=150, deadline=None)
@given(hierarchies(), st.randoms(use_true_random=False), st.sampled_from(["4.2", "5.1", "5.2"]))
def test_a_shared_resolver_analyses_like_a_fresh_one(text: str, rng, version: str) -> None:
    project = in_memory_project({"app/views.py": text})
    module = project.modules["/project/app/views.py"]
    if module.syntax_error:
        return
    classes = list(module.classes.values())
    shared = ViewResolver(project, Version(version))
    order = classes * 2
    rng.shuffle(order)
    for cls in order:
        assert shared.analyze(cls) == ViewResolver(project, Version(version)).analyze(cls)


def test_a_replaced_node_is_not_answered_from_memory() -> None:
    """A document's fresher class under a key the index placed first: the tails read through
    the old node are forgotten."""
    old = (
        HEADER
        + "\n\nclass Base(View):\n    def get(self, request): ...\n\n\nclass A(Base):\n    pass\n"
    )
    new = old.replace("def get(self, request): ...", "async def get(self, request): ...")
    project = in_memory_project({"app/views.py": old})
    resolver = ViewResolver(project, Version("5.2"))
    indexed = project.modules["/project/app/views.py"]
    first = resolver.analyze(indexed.classes["A"])
    assert first is not None and [h.kind for h in first.handlers] == ["sync"]
    fresher = extract_module(parse_python(new, "x"), "app.views", indexed.path, "d")
    resolver.analyze(fresher.classes["Base"])  # replaces the node of app.views.Base
    second = resolver.analyze(indexed.classes["A"])
    assert second is not None
    assert [h.kind for h in second.handlers] == ["async"]  # what the current node says
