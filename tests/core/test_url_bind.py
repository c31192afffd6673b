"""Binding a URL tree computes each route's names and ``has_params`` once per include.

``_bind`` carries down whether a pattern above has parameters and the namespace prefixes of
the include it is in, instead of recounting both for every route: checked against the
recount (``any`` over the route's pattern chain, ``_spellings`` of its name) on generated
URLconfs with nested includes, namespaces, i18n prefixes and parameters at every level.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.django import urls as urls_module
from djvet.core.django.urls import (
    Route,
    _Builder,
    _Entry,
    _Node,
    _Pattern,
    _root_modules,
    _spellings,
    _Table,
    build_url_index,
)
from djvet.core.project import in_memory_project

NAMESPACE = st.sampled_from(["a", "b", "shop", "store", "x-y"])
LEVELS = st.lists(st.lists(NAMESPACE, min_size=1, max_size=3).map(tuple), max_size=4).map(tuple)


@settings(max_examples=300, deadline=None)
@given(LEVELS, st.sampled_from(["detail", "", "a:b", "list-view"]))
def test_spellings_are_prefixes_then_the_name(
    namespaces: tuple[tuple[str, ...], ...], name: str
) -> None:
    assert [prefix + name for prefix in _spellings(namespaces, "")] == _spellings(namespaces, name)


ROUTES = st.sampled_from(["", "list/", "<int:pk>/", "<slug:s>/edit/", "x/<y>/", "plain/"])


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    files: dict[str, str] = {}
    depth = draw(st.integers(1, 3))
    for level in range(depth):
        lines = ["from django.urls import include, path", "from . import views", ""]
        if level == 0:
            lines.insert(1, "from django.conf.urls.i18n import i18n_patterns")
        app_name = draw(st.sampled_from([None, f"app{level}"]))
        if app_name:
            lines.append(f"app_name = {app_name!r}")
        entries = [
            f"    path({draw(ROUTES)!r}, views.v{n}, name={draw(st.sampled_from(['n', 'm', f'r{n}']))!r}),"
            for n in range(draw(st.integers(1, 4)))
        ]
        if level + 1 < depth:
            namespace = draw(st.sampled_from(["", ", namespace='ns'"]))
            entries.append(
                f"    path({draw(ROUTES)!r}, include('app.urls{level + 1}'{namespace})),"
            )
        body = "\n".join(entries)
        if level == 0 and draw(st.booleans()):
            lines.append(f"urlpatterns = i18n_patterns(\n{body}\n)")
        else:
            lines.append(f"urlpatterns = [\n{body}\n]")
        files[f"app/urls{level}.py"] = "\n".join(lines) + "\n"
    files["app/views.py"] = "".join(f"def v{n}(request):\n    pass\n" for n in range(4))
    files["settings.py"] = "ROOT_URLCONF = 'app.urls0'\n"
    return files


SEEN = {"with params": 0, "without": 0, "namespaced": 0}


def recounted(
    nodes: list[_Node],
    chain: tuple[_Pattern | None, ...],
    namespaces: tuple[tuple[str, ...], ...],
    display: str,
    index: _Table,
    depth: int = 0,
) -> None:
    """``_bind`` as it was: ``has_params`` and the spellings recounted for every route."""
    if depth > urls_module._MAX_DEPTH:
        index.entries.append(_Entry(chain, None))
        return
    for node in nodes:
        here = (*chain, node.pattern) if node.pattern is not None else chain
        shown = display + (node.pattern.display if node.pattern is not None else "")
        if node.i18n:
            recounted(
                node.children or [], (*chain, None), namespaces, display + "<language>/",
                index, depth + 1,
            )  # fmt: skip
            continue
        if node.opaque or (node.children is None and node.view is None):
            index.entries.append(_Entry(here, None, node.never, node.appends_slash))
            continue
        if node.children is not None:
            inner = (*namespaces, node.namespaces) if node.namespaces else namespaces
            recounted(node.children, here, inner, shown, index, depth + 1)
            continue
        assert node.view is not None
        spellings = _spellings(namespaces, node.name) if node.name else []
        route = Route(
            name=spellings[0] if spellings else None,
            display="/" + shown,
            view=node.view,
            file=node.file,
            span=node.span,
            has_params=any(p is not None and p.has_params for p in here),
        )
        index.entries.append(_Entry(here, route))
        for spelling in spellings:
            index.names.setdefault(spelling, []).append(route)


@settings(max_examples=150, deadline=None)
@given(projects())
def test_routes_carry_the_recounted_params_and_names(files: dict[str, str]) -> None:
    index = build_url_index(in_memory_project(files))
    routes = 0
    for route, chain in index.route_chains():
        routes += 1
        assert route.has_params == any(p is not None and p.has_params for p in chain)
        SEEN["with params" if route.has_params else "without"] += 1
        if route.name and ":" in route.name:
            SEEN["namespaced"] += 1
    assert routes > 0
    # The whole table is the recounting binding's (same entries, same names, same order).
    project = in_memory_project(files)
    builder = _Builder(project)
    for root in sorted(_root_modules(project, builder), key=lambda m: m.module):
        nodes = builder.module(root)
        carried, reference = _Table(), _Table()
        urls_module._bind(nodes, (), (), "", carried)
        recounted(nodes, (), (), "", reference)
        assert carried.entries == reference.entries
        assert carried.names == reference.names


def test_the_generator_reaches_every_case() -> None:
    test_routes_carry_the_recounted_params_and_names()
    assert min(SEEN.values()) > 20, SEEN
