"""Where the project's templates link to URLs: every ``href``/``action``/``formaction`` that
names a URL (``{% url %}``, Jinja ``url()``, a bound variable, a literal path), read from disk.

Used to tell a view's author which links must change with the view (DJV103). Template files
are read, never rendered; unreadable, binary or huge files are skipped. The table is cached
per index generation (``ProjectIndex.derived``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..project import ProjectIndex, read_source
from ..sources import classify
from ..types import SourceKind, Span
from .lexer import tokenize_template
from .links import UrlBindings, url_reference

MAX_TEMPLATE_BYTES = 1_000_000
MAX_TEMPLATES = 5_000
_URL_ATTRIBUTES = ("href", "action", "formaction")


@dataclass(frozen=True)
class TemplateLink:
    """One attribute in a template that points at a URL name or a literal path."""

    path: str  # the template file
    span: Span  # the element's start tag
    element: str  # "a", "form", "button", ...
    name: str | None
    url_path: str | None
    has_args: bool


def scan_template(path: str, text: str, jinja: bool) -> list[TemplateLink]:
    source = tokenize_template(text, jinja=jinja)
    bindings = UrlBindings(source)
    out: list[TemplateLink] = []
    for element in source.html.elements:
        for attribute_name in _URL_ATTRIBUTES:
            attribute = element.attr(attribute_name)
            if attribute is None or not attribute.has_value:
                continue
            reference = url_reference(source, bindings, attribute.value_start, attribute.value_end)
            if reference is None:
                continue
            out.append(
                TemplateLink(
                    path,
                    source.span(element.start, element.end),
                    element.name,
                    reference.name,
                    reference.path,
                    reference.has_args,
                )
            )
    return out


def _build(project: ProjectIndex) -> list[TemplateLink]:
    links: list[TemplateLink] = []
    for count, template in enumerate(sorted(project.templates)):
        if count >= MAX_TEMPLATES:
            break
        file = Path(template)
        try:
            if file.stat().st_size > MAX_TEMPLATE_BYTES:
                continue
            text = read_source(file)
        except (OSError, UnicodeDecodeError):
            continue
        relative = file.relative_to(project.root) if file.is_relative_to(project.root) else file
        kind = classify(relative, None, project.template_dirs)
        links.extend(scan_template(template, text, jinja=kind is SourceKind.JINJA2))
    return links


def template_links(project: ProjectIndex) -> list[TemplateLink]:
    """Every URL-bearing attribute of every template the index lists."""
    return project.derived(
        "djvet.templates.links",
        lambda: _build(project),
        reads_functions=False,  # template files only: a new function changes no link
        reads_templates=True,
    )
