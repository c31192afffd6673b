"""The URL table's cheaper construction builds the table the plain construction builds.

``_Builder.path_call`` asks ``include`` only of a view that can be one (not a call of
anything but ``include``), and routes, entries and views are made slot by slot
(``slot_constructor``) instead of through the frozen dataclasses' ``__init__``. Checked
against the plain construction (``include`` asked of every view, the dataclasses' own
constructors) on generated URLconfs: views of every shape (``as_view``, functions through
re-exports, decorated views, assignments), includes by string, module and ``(module, app)``,
admin sites and routes without names.
"""

from __future__ import annotations

import dataclasses
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.django import urls as urls_module
from djvet.core.django.urls import (
    Route,
    ViewSpec,
    _Builder,
    _Entry,
    _make_entry,
    _make_route,
    _make_view,
    _Node,
    _Pattern,
    _Table,
    build_url_index,
)
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.facts import Call, Lit, ModuleInfo, Ref, Value
from djvet.core.types import Span


class PlainBuilder(_Builder):
    """``_Builder`` as it was: ``include`` asked of every view, views made by ``ViewSpec``."""

    def path_call(self, call: Call, module: ModuleInfo, depth: int) -> _Node:
        route = call.args[0] if call.args else call.kwarg("route")
        view = call.args[1] if len(call.args) > 1 else call.kwarg("view")
        name_value = call.args[3] if len(call.args) > 3 else call.kwarg("name")
        name = (
            name_value.value
            if isinstance(name_value, Lit) and isinstance(name_value.value, str)
            else None
        )
        if not (isinstance(route, Lit) and isinstance(route.value, str)) or view is None:
            return _Node(None, opaque=True, file=module.path, span=call.span)
        is_regex = call.func in urls_module.REGEX_FUNCTIONS
        include = self.include(view, module, depth, call.span)
        if include is not None:
            children, namespaces = include
            return _Node(
                _Pattern(route.value, is_regex, endpoint=False),
                children=children,
                namespaces=namespaces,
                file=module.path,
                span=call.span,
            )
        return _Node(
            _Pattern(route.value, is_regex, endpoint=True),
            name=name,
            view=self.view_spec(view, module),
            file=module.path,
            span=call.span,
        )

    def view_spec(
        self, view: Value, module: ModuleInfo, wrappers: tuple[Value, ...] = ()
    ) -> ViewSpec:
        if isinstance(view, Call):
            if view.func.endswith(".as_view"):
                name = view.func[: -len(".as_view")]
                cls = self.project.resolve_class(name, module.path)
                if cls is not None:
                    name = f"{cls.module}.{cls.qualname}"
                return ViewSpec("class", name, view.kwargs, wrappers)
            inner = view.args[0] if len(view.args) == 1 else None
            if inner is not None and len(wrappers) < 8:
                return self.view_spec(inner, module, (*wrappers, view))
            return ViewSpec("unknown", wrappers=wrappers)
        if isinstance(view, Ref):
            found = self.project.resolve(view.name, module.path)
            if found is not None and found.kind == "assignment" and isinstance(found.obj, Call):
                return self.view_spec(found.obj, found.module, wrappers)
            if found is not None and found.kind == "function":
                return ViewSpec(
                    "function", f"{found.module.module}.{found.obj.qualname}", (), wrappers
                )
            return ViewSpec("function", view.name, (), wrappers)
        return ViewSpec("unknown", wrappers=wrappers)


def plain_index(project: ProjectIndex) -> urls_module.UrlIndex:
    original = urls_module._Builder
    urls_module._Builder = PlainBuilder  # type: ignore[misc]
    try:
        return build_url_index(project)
    finally:
        urls_module._Builder = original  # type: ignore[misc]


def entries(table: _Table) -> list[tuple[object, ...]]:
    """A table's entries, patterns by what they match (each build makes its own)."""
    return [
        (
            tuple(
                None if p is None else (p.kind, p.display, p.endpoint, p.has_params)
                for p in entry.chain
            ),
            entry.route,
            entry.never,
            entry.appends_slash,
        )
        for entry in table.entries
    ]


VIEWS = {
    "cbv": "views.Page.as_view()",
    "cbv kwargs": "views.Page.as_view(template_name='x.html')",
    "function": "views.page",
    "re-exported": "reexport.page_again",
    "assigned": "views.assigned",
    "decorated": "login_required(views.page)",
    "decorated cbv": "login_required(views.Page.as_view())",
    "unknown name": "views.missing",
    "lambda": "(lambda request: None)",
}
ROUTES = st.sampled_from(["", "a/", "<int:pk>/", "x/<slug:s>/", "^re/(?P<n>[0-9]+)/$"])
SEEN: dict[str, int] = dict.fromkeys([*VIEWS, "include", "admin", "unnamed"], 0)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    files = {
        "app/views.py": (
            "from django.views import View\n\n\n"
            "class Page(View):\n    pass\n\n\n"
            "def page(request):\n    pass\n\n\n"
            "assigned = Page.as_view()\n"
        ),
        "app/reexport.py": "from .views import page as page_again\n",
        "settings.py": "ROOT_URLCONF = 'app.urls0'\n",
    }
    depth = draw(st.integers(1, 3))
    for level in range(depth):
        entries = []
        for _ in range(draw(st.integers(1, 5))):
            route = draw(ROUTES)
            function = "re_path" if route.startswith("^") else "path"
            kind = draw(st.sampled_from([*VIEWS, "include", "admin"]))
            if kind == "admin":
                entries.append(f"    path({route!r}, admin.site.urls),")
            elif kind == "include":
                if level + 1 < depth:
                    target = draw(
                        st.sampled_from(
                            [
                                f"include('app.urls{level + 1}')",
                                f"include(('app.urls{level + 1}', 'inner'))",
                                f"include('app.urls{level + 1}', namespace='ns{level}')",
                            ]
                        )
                    )
                    entries.append(f"    path({route!r}, {target}),")
            else:
                named = draw(st.booleans())
                name = f", name='n{draw(st.integers(0, 3))}'" if named else ""
                if not named:
                    SEEN["unnamed"] += 1
                entries.append(f"    {function}({route!r}, {VIEWS[kind]}{name}),")
            SEEN[kind] += 1
        app_name = draw(st.sampled_from(["", f"app_name = 'app{level}'\n"]))
        files[f"app/urls{level}.py"] = (
            "from django.contrib import admin\n"
            "from django.contrib.auth.decorators import login_required\n"
            "from django.urls import include, path, re_path\n"
            "from . import reexport, views\n"
            f"{app_name}"
            "urlpatterns = [\n" + "\n".join(entries) + "\n]\n"
        )
    return files


@settings(max_examples=200, deadline=None)
@given(projects())
def test_the_table_is_the_plain_constructions(files: dict[str, str]) -> None:
    project = in_memory_project(files)
    built, plain = build_url_index(project), plain_index(in_memory_project(files))
    assert built.roots == plain.roots
    assert len(built.tables) == len(plain.tables)
    for ours, theirs in zip(built.tables, plain.tables, strict=True):
        assert entries(ours) == entries(theirs)
        assert ours.names == theirs.names
        assert list(ours.names) == list(theirs.names)  # the same order too


def test_the_generator_reaches_every_view_shape() -> None:
    test_the_table_is_the_plain_constructions()
    assert min(SEEN.values()) > 10, SEEN


# Must-fire cases of the shortcut in ``path_call``: each view ``include`` answers for.
INCLUDES = [
    ("path('a/', include('app.inner'))", "include of a module by name"),
    ("path('a/', include(('app.inner', 'ns')))", "include of (module, app_name)"),
    ("path('a/', admin.site.urls)", "an admin site (a name, not a call)"),
    ("path('a/', ('app.inner', 'ns'))", "a bare (module, app_name) pair: an include too"),
]


def test_includes_are_still_read_as_includes() -> None:
    for line, reason in INCLUDES:
        files = {
            "app/inner.py": (
                "from django.urls import path\nfrom . import views\n"
                "urlpatterns = [path('x/', views.page, name='x')]\n"
            ),
            "app/views.py": "def page(request):\n    pass\n",
            "app/urls.py": (
                "from django.contrib import admin\nfrom django.urls import include, path\n"
                f"urlpatterns = [{line}]\n"
            ),
            "settings.py": "ROOT_URLCONF = 'app.urls'\n",
        }
        index = build_url_index(in_memory_project(files))
        routes = list(index.routes)
        assert routes, reason
        assert all(route.display.startswith("/a/") for route in routes), reason
        assert entries(index.tables[0]) == entries(plain_index(in_memory_project(files)).tables[0])


def test_slot_made_objects_are_the_constructors() -> None:
    """Equal, equally hashed, frozen and picklable: the same objects as far as anyone sees."""
    view = _make_view("class", "app.views.Page", (("x", Lit(1)),), (), "", "")
    assert view == ViewSpec("class", "app.views.Page", (("x", Lit(1)),))
    assert hash(view) == hash(ViewSpec("class", "app.views.Page", (("x", Lit(1)),)))
    span = Span(1, 2, 1, 9)
    route = _make_route("ns:n", "/a/", view, "/p/urls.py", span, True)
    plain_route = Route(
        name="ns:n", display="/a/", view=view, file="/p/urls.py", span=span, has_params=True
    )
    assert route == plain_route and hash(route) == hash(plain_route)
    assert pickle.loads(pickle.dumps(route)) == plain_route
    pattern = _Pattern("a/", False, endpoint=True)
    entry = _make_entry((pattern,), route, False, False)
    assert entry == _Entry((pattern,), plain_route)
    for frozen, field in ((view, "kind"), (route, "name"), (entry, "route")):
        try:
            setattr(frozen, field, None)
        except dataclasses.FrozenInstanceError:
            continue
        raise AssertionError(f"{type(frozen).__name__} is not frozen")
