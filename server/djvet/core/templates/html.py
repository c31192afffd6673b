"""Scan the HTML in a template: start/end tags, attributes, HTML comments, element and form nesting.

The scanner reads the template text the way a browser would read the rendered page, with
template constructs kept opaque: ``{{ }}`` / ``{% %}`` inside an attribute value are part of
the value (``href="{% url "logout" %}"`` is one attribute even with its inner quotes),
between attributes they mark the tag as *templated* (attributes may be conditional), and
template comments are skipped as if absent. HTML comments, ``<script>``/``<style>``/
``<textarea>``/``<title>`` contents and ``<!DOCTYPE>`` are not markup.

Nesting follows the parts of the HTML tree-construction rules that matter for djvet: void
elements, ``<p>``/``<li>``/``<dd>``/``<dt>`` implied end tags, end tags closing the nearest
open element of their name (unknown end tags ignored), and the form owner of every element.
A ``<form>`` opened while another is open is taken as an alternative branch of a template
conditional (``{% if %}<form ...>{% else %}<form ...>``), so both are recorded as open.

One forward pass: every character is looked at a bounded number of times, whatever the input
(unclosed quotes, ``<a <a <a``, binary junk). An unclosed tag at the end of the text is
dropped like browsers drop it, and reported in ``errors``.
"""

from __future__ import annotations

import html as html_lib
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .lexer import TemplateSource

WHITESPACE = " \t\n\r\f"
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
RAW_TEXT_ELEMENTS = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
_P_CLOSERS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
        "dd",
        "dt",
        "summary",
        "search",
    }
)
_SCOPE_BOUNDARIES = frozenset(
    {"table", "td", "th", "caption", "html", "marquee", "object", "template", "button", "applet"}
)
_LIST_STOPPERS = frozenset(
    {"ul", "ol", "dl", "table", "td", "th", "body", "html", "template", "menu"}
)
_FOREIGN = frozenset({"svg", "math"})
_BOUNDED_WALK = 32  # implied-end-tag searches look this deep into the open elements at most
_MAX_FORMS = 8  # form alternatives remembered per element (bounded for generated input)


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute as written. Offsets index the template text; ``value_start`` is -1 without a value."""

    name: str  # ASCII-lower-cased name as written (may contain template tokens)
    start: int
    end: int
    value_start: int
    value_end: int
    quote: str  # '"', "'" or "" (unquoted / no value)

    @property
    def has_value(self) -> bool:
        return self.value_start >= 0


@dataclass(slots=True)
class Element:
    """A start tag, where its end tag is (if found), its parent and its form owner."""

    index: int
    name: str
    start: int
    end: int  # just after the start tag's ">"
    attributes: tuple[Attribute, ...]
    self_closing: bool
    templated: bool  # template tokens between the attributes
    parent: int | None
    forms_open: tuple[int, ...]  # every <form> open here (more than one: template alternatives)
    in_foreign: bool = False
    close_start: int = -1  # the matching end tag, when there is one
    close_end: int = -1

    def attr(self, name: str) -> Attribute | None:
        """The first attribute called ``name`` (browsers ignore later duplicates)."""
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None

    @property
    def form(self) -> int | None:
        return self.forms_open[-1] if self.forms_open else None


@dataclass
class HtmlDocument:
    """Every start tag of a template in order, the HTML comments, and scanning problems."""

    elements: list[Element] = field(default_factory=list)
    comments: list[tuple[int, int]] = field(default_factory=list)
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def by_id(self, element_id: str, text: str) -> list[Element]:
        """Elements whose literal ``id`` attribute equals ``element_id``."""
        out = []
        for element in self.elements:
            attribute = element.attr("id")
            if attribute is None or not attribute.has_value:
                continue
            if html_lib.unescape(text[attribute.value_start : attribute.value_end]) == element_id:
                out.append(element)
        return out

    def inside(self, start: int, end: int) -> list[Element]:
        """Elements whose start tag begins inside ``[start, end)``."""
        if len(self._starts) != len(self.elements):
            self._starts = [e.start for e in self.elements]
        index = bisect_left(self._starts, start)
        out = []
        while index < len(self.elements) and self.elements[index].start < end:
            out.append(self.elements[index])
            index += 1
        return out


class _Scanner:
    def __init__(self, source: TemplateSource) -> None:
        self.source = source
        self.text = source.text
        self.length = len(self.text)
        self.opaque = source.opaque  # start -> (end, is_comment)
        self.opaque_starts = sorted(self.opaque)
        self.doc = HtmlDocument()
        self.stack: list[int] = []
        self.open_count: dict[str, int] = {}
        self.forms_open: list[int] = []
        self.foreign_depth = 0

    # -- helpers -----------------------------------------------------------------------------
    def next_opaque(self, start: int) -> int:
        """Offset of the first template construct starting at or after ``start`` (or length)."""
        index = bisect_left(self.opaque_starts, start)
        return self.opaque_starts[index] if index < len(self.opaque_starts) else self.length

    def find_skipping(self, needle: str, start: int) -> int:
        """``text.find(needle, start)`` that steps over template constructs (-1: not found)."""
        position = start
        found = self.text.find(needle, position)
        while True:
            if found < 0:
                return -1
            token = self.next_opaque(position)
            if token >= found:
                return found
            position = self.opaque[token][0]
            if position > found:  # the needle was inside the template construct: look further
                found = self.text.find(needle, position)

    # -- main loop ---------------------------------------------------------------------------
    def run(self) -> HtmlDocument:
        text = self.text
        index = 0
        while index < self.length:
            lt = text.find("<", index)
            if lt < 0:
                break
            token = self.next_opaque(index)
            if token < lt:
                index = self.opaque[token][0]
                continue
            index = self.markup(lt)
        return self.doc

    def markup(self, lt: int) -> int:
        text = self.text
        following = text[lt + 1 : lt + 2]
        if text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            end = self.length if close < 0 else close + 3
            self.doc.comments.append((lt, end))
            return end
        if following in ("!", "?"):
            close = text.find(">", lt + 2)
            return self.length if close < 0 else close + 1
        if following == "/":
            name_start = lt + 2
            if (
                name_start < self.length
                and text[name_start].isascii()
                and text[name_start].isalpha()
            ):
                return self.tag(lt, name_start, closing=True)
            return lt + 2
        if following.isascii() and following.isalpha():
            return self.tag(lt, lt + 1, closing=False)
        return lt + 1

    def tag(self, lt: int, name_start: int, closing: bool) -> int:
        text = self.text
        length = self.length
        position = name_start
        while position < length and text[position] not in WHITESPACE and text[position] not in "/>":
            if position in self.opaque:
                break
            position += 1
        name = text[name_start:position].lower()
        attributes: list[Attribute] = []
        templated = False
        self_closing = False
        while True:
            if position >= length:
                self.doc.errors.append((lt, length, f"<{name}> is not closed"))
                return length
            char = text[position]
            opaque = self.opaque.get(position)
            if opaque is not None:
                if not opaque[1]:
                    templated = True
                position = opaque[0]
                continue
            if char in WHITESPACE:
                position += 1
                continue
            if char == ">":
                position += 1
                break
            if char == "/":
                if text.startswith("/>", position):
                    self_closing = True
                    position += 2
                    break
                position += 1
                continue
            attribute, position = self.attribute(position)
            if attribute is None:
                self.doc.errors.append((lt, length, f"<{name}> is not closed"))
                return length
            attributes.append(attribute)
        if closing:
            self.end_tag(name, lt, position)
            return position
        self.start_tag(name, lt, position, tuple(attributes), self_closing, templated)
        if name in RAW_TEXT_ELEMENTS and not (self_closing and self.foreign_depth):
            return self.raw_text(name, position)
        return position

    def attribute(self, start: int) -> tuple[Attribute | None, int]:
        text = self.text
        length = self.length
        position = start + 1  # the first character may be anything, even "="
        while position < length:
            char = text[position]
            if char in WHITESPACE or char in "/>=":
                break
            opaque = self.opaque.get(position)
            if opaque is not None:
                position = opaque[0]
                continue
            position += 1
        name_end = position
        name = text[start:name_end].lower()
        probe = position
        while probe < length and text[probe] in WHITESPACE:
            probe += 1
        if probe >= length:
            return None, length
        if text[probe] != "=":
            return Attribute(name, start, name_end, -1, -1, ""), name_end
        probe += 1
        while probe < length and text[probe] in WHITESPACE:
            probe += 1
        if probe >= length:
            return None, length
        quote = text[probe]
        if quote in "\"'":
            close = self.find_skipping(quote, probe + 1)
            if close < 0:
                return None, length
            return Attribute(name, start, close + 1, probe + 1, close, quote), close + 1
        value_start = probe
        while probe < length:
            char = text[probe]
            if char in WHITESPACE or char == ">":
                break
            opaque = self.opaque.get(probe)
            if opaque is not None:
                probe = opaque[0]
                continue
            probe += 1
        return Attribute(name, start, probe, value_start, probe, ""), probe

    def raw_text(self, name: str, start: int) -> int:
        """Skip the contents of a raw-text element up to its end tag."""
        text = self.text
        position = start
        while True:
            found = text.find("</", position)
            if found < 0:
                return self.length
            after = found + 2 + len(name)
            if text[found + 2 : after].lower() == name and (
                after >= self.length or text[after] in WHITESPACE + "/>"
            ):
                return found
            position = found + 2

    # -- tree --------------------------------------------------------------------------------
    def push(self, index: int, name: str) -> None:
        self.stack.append(index)
        self.open_count[name] = self.open_count.get(name, 0) + 1
        if name in _FOREIGN:
            self.foreign_depth += 1

    def pop(self) -> int:
        index = self.stack.pop()
        name = self.doc.elements[index].name
        self.open_count[name] -= 1
        if name in _FOREIGN:
            self.foreign_depth -= 1
        return index

    def close_through(self, name: str, stoppers: frozenset[str]) -> None:
        """Pop up to and including the nearest open ``name`` unless a stopper comes first."""
        if not self.open_count.get(name):
            return
        for depth in range(1, min(len(self.stack), _BOUNDED_WALK) + 1):
            current = self.doc.elements[self.stack[-depth]].name
            if current == name:
                for _ in range(depth):
                    self.pop()
                return
            if current in stoppers:
                return

    def start_tag(
        self,
        name: str,
        start: int,
        end: int,
        attributes: tuple[Attribute, ...],
        self_closing: bool,
        templated: bool,
    ) -> None:
        if not self.foreign_depth:
            if name in _P_CLOSERS:
                self.close_through("p", _SCOPE_BOUNDARIES)
            if name == "li":
                self.close_through("li", _LIST_STOPPERS)
            elif name in ("dd", "dt"):
                self.close_through("dd", _LIST_STOPPERS)
                self.close_through("dt", _LIST_STOPPERS)
            elif name == "option":
                self.close_through("option", frozenset({"select", "datalist", "optgroup"}))
            elif name == "a":
                self.close_through("a", _SCOPE_BOUNDARIES)
        index = len(self.doc.elements)
        element = Element(
            index=index,
            name=name,
            start=start,
            end=end,
            attributes=attributes,
            self_closing=self_closing,
            templated=templated,
            parent=self.stack[-1] if self.stack else None,
            forms_open=tuple(self.forms_open[-_MAX_FORMS:]),
            in_foreign=bool(self.foreign_depth),
        )
        self.doc.elements.append(element)
        if name == "form" and not self.foreign_depth:
            self.forms_open.append(index)
        if name in VOID_ELEMENTS or (self_closing and self.foreign_depth):
            return
        self.push(index, name)

    def end_tag(self, name: str, start: int, end: int) -> None:
        if name == "form" and self.forms_open and not self.foreign_depth:
            form = self.doc.elements[self.forms_open.pop()]
            if form.close_start < 0:
                form.close_start, form.close_end = start, end
        if not self.open_count.get(name):
            return
        while self.stack:
            index = self.pop()
            element = self.doc.elements[index]
            if element.name == name:
                if element.close_start < 0:
                    element.close_start, element.close_end = start, end
                return


def scan_html(source: TemplateSource) -> HtmlDocument:
    """The HTML structure of a tokenized template (see the module docstring)."""
    return _Scanner(source).run()
