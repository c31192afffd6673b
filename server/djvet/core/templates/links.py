"""Read which URL a template attribute value points at.

Understood forms (anything else is "unknown", and rules stay silent about it):

- Django ``{% url 'name' %}`` / ``{% url "ns:name" arg %}``, Jinja2 ``{{ url('name') }}``;
- a variable bound earlier by ``{% url 'name' as var %}`` (Django) or
  ``{% set var = url('name') %}`` (Jinja2), used as ``{{ var }}``;
- a literal path (``/accounts/logout/``);

each optionally followed by a query string (``?next={{ request.path }}``) and a fragment.
The URL part must be exactly one of those: ``{{ prefix }}/logout/`` is unknown.
"""

from __future__ import annotations

import html as html_lib
from bisect import bisect_right
from dataclasses import dataclass

from .lexer import TemplateSource, Token, TokenKind

_QUOTES = "'\""


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of an attribute value: literal text (``token`` None) or one template token."""

    start: int
    end: int
    token: Token | None = None


@dataclass(frozen=True, slots=True)
class UrlReference:
    """What an attribute value points at: a URL name to reverse or a literal path."""

    name: str | None  # "logout", "admin:logout"
    path: str | None  # "/accounts/logout/" (HTML entities decoded)
    has_args: bool  # {% url 'name' arg %}
    base_start: int  # offsets of the URL before "?" / "#"
    base_end: int
    query: tuple[Piece, ...] | None  # the pieces after "?" (None: no query string)
    fragment: bool
    variable: str | None = None  # reached through {% url ... as var %} / {% set var = url(...) %}


@dataclass(frozen=True, slots=True)
class QueryPart:
    """Part of a query parameter's value: literal text (decoded) or a template token's source."""

    text: str
    token: Token | None = None


def split_bits(contents: str) -> list[str]:
    """Split tag contents on whitespace outside quotes (like Django's ``smart_split``)."""
    bits: list[str] = []
    current: list[str] = []
    quote = ""
    for char in contents:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
            current.append(char)
        elif char.isspace():
            if current:
                bits.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        bits.append("".join(current))
    return bits


def string_literal(bit: str) -> str | None:
    """The text of a quoted literal (``'logout'`` -> ``logout``), else None."""
    if len(bit) >= 2 and bit[0] in _QUOTES and bit[-1] == bit[0] and bit[0] not in bit[1:-1]:
        return bit[1:-1]
    return None


def _jinja_url_call(expression: str) -> tuple[str, bool] | None:
    """``url('name')`` / ``url("ns:name", pk=1)`` -> (name, has_args)."""
    text = expression.strip()
    if not text.startswith("url(") or not text.endswith(")"):
        return None
    inner = text[4:-1].strip()
    if not inner or inner[0] not in _QUOTES:
        return None
    close = inner.find(inner[0], 1)
    if close < 0:
        return None
    name = inner[1:close]
    rest = inner[close + 1 :].strip()
    if rest and not rest.startswith(","):
        return None
    return name, bool(rest.strip(", "))


def url_names_in(text: str) -> set[str]:
    """Every URL name ``url_tag_target`` can return for a code token of ``text`` (and more),
    read from the raw text without tokenizing it.

    Django: a ``{% url %}`` token starts at some ``{%``; its stripped contents begin with
    ``url`` and blanks, and the name is its second bit, a whole quoted literal: the text up to
    the first matching quote (``split_bits`` splits on ``str.isspace`` blanks, as here). Jinja:
    ``url(`` then blanks, then the text up to the first matching quote. Every ``{%`` and every
    ``url(`` is tried, so tokens inside comments or ``verbatim`` blocks only add names. Linear:
    a search for a closing quote stops at the next quote of its kind, and every tried opening
    holds one, so no two searches for the same quote cover the same text.
    """
    names: set[str] = set()
    length = len(text)
    for opener, needs_tag in (("{%", True), ("url(", False)):
        start = text.find(opener)
        while start >= 0:
            index = _skip_blanks(text, start + len(opener), length)
            if needs_tag:
                after = index + 3
                if not (text.startswith("url", index) and after < length and text[after].isspace()):
                    start = text.find(opener, start + 1)
                    continue
                index = _skip_blanks(text, after, length)
            if index < length and text[index] in _QUOTES:
                close = text.find(text[index], index + 1)
                if close >= 0:
                    names.add(text[index + 1 : close])
            start = text.find(opener, start + 1)
    return names


def _skip_blanks(text: str, index: int, length: int) -> int:
    while index < length and text[index].isspace():
        index += 1
    return index


def url_tag_target(token: Token, jinja: bool) -> tuple[str, bool, str | None] | None:
    """(name, has_args, as-variable) of a ``{% url %}`` tag or Jinja ``url()`` expression/``set``."""
    if jinja:
        if token.kind is TokenKind.VAR:
            call = _jinja_url_call(token.contents)
            return (call[0], call[1], None) if call else None
        if token.kind is TokenKind.BLOCK and token.tag_name == "set":
            head, equals, expression = token.contents[3:].partition("=")
            variable = head.strip()
            if not equals or not variable.isidentifier():
                return None
            call = _jinja_url_call(expression)
            return (call[0], call[1], variable) if call else None
        return None
    if token.kind is not TokenKind.BLOCK or token.tag_name != "url":
        return None
    bits = split_bits(token.contents)
    if len(bits) < 2:
        return None
    name = string_literal(bits[1])
    if name is None or not name:
        return None
    args = bits[2:]
    if len(args) >= 2 and args[-2] == "as":
        return name, bool(args[:-2]), args[-1]
    return name, bool(args), None


class UrlBindings:
    """Variables bound to a reversed URL earlier in the template, by offset."""

    def __init__(self, source: TemplateSource) -> None:
        self._by_name: dict[str, tuple[list[int], list[tuple[str | None, bool]]]] = {}
        for token in source.code_tokens:
            variable: str | None = None
            target: tuple[str | None, bool] = (None, False)
            found = url_tag_target(token, source.jinja)
            if found is not None and found[2] is not None:
                variable, target = found[2], (found[0], found[1])
            elif token.kind is TokenKind.BLOCK and token.tag_name in ("set", "with"):
                # Any other (re)binding hides an earlier URL binding of the same name.
                head = token.contents.split(None, 1)[1] if " " in token.contents else ""
                variable = head.split("=", 1)[0].strip() or None
            if variable is None:
                continue
            offsets, targets = self._by_name.setdefault(variable, ([], []))
            offsets.append(token.end)
            targets.append(target)

    def lookup(self, variable: str, offset: int) -> tuple[str | None, bool]:
        """(URL name or None, has_args) of ``variable`` as bound last before ``offset``."""
        entry = self._by_name.get(variable)
        if entry is None:
            return None, False
        index = bisect_right(entry[0], offset) - 1
        return entry[1][index] if index >= 0 else (None, False)


def value_pieces(source: TemplateSource, start: int, end: int) -> list[Piece]:
    """Literal stretches and template tokens of ``text[start:end]``; comments dropped."""
    pieces: list[Piece] = []
    cursor = start
    for token in source.tokens_between(start, end):
        if token.start > cursor:
            pieces.extend(_literal_without_comments(source, cursor, token.start))
        pieces.append(Piece(token.start, token.end, token))
        cursor = token.end
    if cursor < end:
        pieces.extend(_literal_without_comments(source, cursor, end))
    return [p for p in pieces if p.end > p.start]


def _literal_without_comments(source: TemplateSource, start: int, end: int) -> list[Piece]:
    out = []
    cursor = start
    for region in source.comments_between(start, end):
        if region.start > cursor:
            out.append(Piece(cursor, region.start))
        cursor = max(cursor, region.end)
    if cursor < end:
        out.append(Piece(cursor, end))
    return out


def _strip(source: TemplateSource, pieces: list[Piece]) -> list[Piece]:
    """Drop ASCII whitespace at both ends (browsers strip it from URLs)."""
    text = source.text
    out = list(pieces)
    while out and out[0].token is None:
        first = out[0]
        stripped = len(text[first.start : first.end]) - len(
            text[first.start : first.end].lstrip(" \t\n\r\f")
        )
        if first.start + stripped >= first.end:
            out.pop(0)
            continue
        out[0] = Piece(first.start + stripped, first.end)
        break
    while out and out[-1].token is None:
        last = out[-1]
        segment = text[last.start : last.end]
        kept = len(segment.rstrip(" \t\n\r\f"))
        if kept == 0:
            out.pop()
            continue
        out[-1] = Piece(last.start, last.start + kept)
        break
    return out


def url_reference(
    source: TemplateSource, bindings: UrlBindings, start: int, end: int
) -> UrlReference | None:
    """What the attribute value ``text[start:end]`` points at, or None when unknown."""
    pieces = _strip(source, value_pieces(source, start, end))
    if not pieces:
        return None
    text = source.text
    first = pieces[0]
    name: str | None = None
    path: str | None = None
    has_args = False
    variable: str | None = None
    rest: list[Piece]
    if first.token is not None:
        target = url_tag_target(first.token, source.jinja)
        if target is not None:
            if target[2] is not None:
                return None  # "{% url 'x' as v %}" renders nothing
            name, has_args = target[0], target[1]
        elif first.token.kind is TokenKind.VAR and first.token.contents.isidentifier():
            variable = first.token.contents
            name, has_args = bindings.lookup(variable, first.token.start)
            if name is None:
                return None
        else:
            return None
        base_start, base_end = first.start, first.end
        rest = pieces[1:]
        if rest and rest[0].token is None:
            head = text[rest[0].start : rest[0].end]
            if not head.startswith(("?", "#")):
                return None
        elif rest:
            return None
    else:
        literal = text[first.start : first.end]
        cut = min((i for i in (literal.find("?"), literal.find("#")) if i >= 0), default=-1)
        if cut < 0 and len(pieces) > 1:
            return None  # a template token inside the path itself
        base_text = literal if cut < 0 else literal[:cut]
        path = html_lib.unescape(base_text)
        if not path.startswith("/") or path.startswith("//"):
            return None
        base_start, base_end = first.start, first.start + len(base_text)
        rest = ([Piece(base_end, first.end)] if base_end < first.end else []) + pieces[1:]
    query: list[Piece] | None = None
    fragment = False
    for piece in rest:
        if piece.token is not None:
            if fragment:
                continue
            if query is None:
                return None
            query.append(piece)
            continue
        segment = text[piece.start : piece.end]
        position = 0
        if query is None and not fragment and segment.startswith("?"):
            query = []
            position = 1
        hash_at = segment.find("#", position)
        if fragment:
            continue
        if hash_at >= 0:
            if query is not None and hash_at > position:
                query.append(Piece(piece.start + position, piece.start + hash_at))
            fragment = True
            continue
        if query is None:
            return None
        if position < len(segment):
            query.append(Piece(piece.start + position, piece.end))
    return UrlReference(
        name=name,
        path=path,
        has_args=has_args,
        base_start=base_start,
        base_end=base_end,
        query=tuple(query) if query is not None else None,
        fragment=fragment,
        variable=variable,
    )


def query_params(
    source: TemplateSource, pieces: tuple[Piece, ...]
) -> list[tuple[str, list[QueryPart]]] | None:
    """``next=/a/&x={{ y }}`` -> [("next", [lit "/a/"]), ("x", [token])] (literals HTML-unescaped,
    still percent-encoded). None when a parameter name is not literal text."""
    params: list[tuple[str, list[QueryPart]]] = []
    name_parts: list[str] = []
    value: list[QueryPart] | None = None
    text = source.text

    def finish() -> None:
        name = "".join(name_parts)
        if name or value:
            params.append((name, value or []))

    for piece in pieces:
        if piece.token is not None:
            if value is None:
                return None
            value.append(QueryPart(text[piece.start : piece.end], piece.token))
            continue
        literal = html_lib.unescape(text[piece.start : piece.end])
        chunks = literal.split("&")
        for index, chunk in enumerate(chunks):
            if index > 0:
                finish()
                name_parts, value = [], None
            if value is None:
                key, equals, rest = chunk.partition("=")
                name_parts.append(key)
                if equals:
                    value = [QueryPart(rest)] if rest else []
            elif chunk:
                value.append(QueryPart(chunk))
    finish()
    return [(name, parts) for name, parts in params if name or parts]
