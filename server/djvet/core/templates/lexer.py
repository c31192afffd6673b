"""Tokenize Django and Jinja2 templates into text / variable / block / comment tokens with exact spans.

The Django mode mirrors ``django.template.base.Lexer``: a tag is the shortest ``{% ... %}``,
``{{ ... }}`` or ``{# ... #}`` on one line (Django's ``tag_re`` has no DOTALL), ``{% verbatim %}``
turns everything up to its matching ``{% endverbatim %}`` into text, and the parser-level
``{% comment %}...{% endcomment %}`` region is recorded as a comment. The Jinja2 mode follows
Jinja's lexer: tags may span lines, ``{%- -%}`` / ``{%+`` whitespace control, ``{# #}``
comments, ``{% raw %}...{% endraw %}``, and ``}}`` / ``%}`` inside string literals or open
brackets do not end a tag.

Every scan is linear in the text: closing delimiters are searched with ``str.find`` and the
result is remembered, so a megabyte of ``{{{{`` or of unclosed quotes costs one pass, not one
pass per opening brace. Broken input (an unclosed tag at the end of the file) becomes a text
token plus an entry in ``errors``, never an exception.

Offsets are ``str`` indices (code points); :meth:`TemplateSource.span` turns them into the
0-based (line, column) spans the rest of djvet uses. The HTML structure of the text (tags,
attributes, forms, HTML comments) is computed on demand by :mod:`.html`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..text import LineIndex
from ..types import Span

if TYPE_CHECKING:
    from .html import HtmlDocument


class TokenKind(str, enum.Enum):
    TEXT = "text"
    VAR = "var"  # {{ ... }}
    BLOCK = "block"  # {% ... %}
    COMMENT = "comment"  # {# ... #}


@dataclass(frozen=True, slots=True)
class Token:
    """One template token. ``start``/``end`` cover the delimiters; ``contents`` is stripped.

    ``inner_start``/``inner_end`` delimit the text between the delimiters (whitespace-control
    markers ``-``/``+`` excluded). ``broken`` marks an unclosed tag kept as text.
    """

    kind: TokenKind
    start: int
    end: int
    inner_start: int
    inner_end: int
    contents: str
    broken: bool = False

    @property
    def tag_name(self) -> str:
        """The first word of a block tag (``url`` in ``{% url 'x' %}``), else ``""``."""
        if self.kind is not TokenKind.BLOCK:
            return ""
        head = self.contents.split(None, 1)
        return head[0] if head else ""


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of the text that renders nothing: ``{# #}`` or ``{% comment %}...{% endcomment %}``."""

    start: int
    end: int


@dataclass
class TemplateSource:
    """A tokenized template: tokens in order, comment regions, errors, position helpers."""

    text: str
    jinja: bool
    tokens: list[Token]
    comments: list[Region] = field(default_factory=list)
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, message)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    def span(self, start: int, end: int) -> Span:
        return self.lines.span(start, end)

    @cached_property
    def code_tokens(self) -> list[Token]:
        """The VAR and BLOCK tokens that take effect (not inside a ``{% comment %}`` region)."""
        regions = self.comments
        out: list[Token] = []
        index = 0
        for token in self.tokens:
            if token.kind not in (TokenKind.VAR, TokenKind.BLOCK):
                continue
            while index < len(regions) and regions[index].end <= token.start:
                index += 1
            if index < len(regions) and regions[index].start <= token.start < regions[index].end:
                continue
            out.append(token)
        return out

    @cached_property
    def opaque(self) -> dict[int, tuple[int, bool]]:
        """start offset -> (end offset, is_comment) of every template construct HTML must skip.

        Comment regions swallow the tokens inside them; the HTML scanner treats a comment as
        absent and a VAR/BLOCK token as an opaque piece of the surrounding markup.
        """
        table: dict[int, tuple[int, bool]] = {}
        for region in self.comments:
            table[region.start] = (region.end, True)
        for token in self.code_tokens:
            table.setdefault(token.start, (token.end, False))
        return table

    @cached_property
    def html(self) -> HtmlDocument:
        from .html import scan_html

        return scan_html(self)

    def tokens_between(self, start: int, end: int) -> list[Token]:
        """Code tokens lying entirely inside ``[start, end)``, in order."""
        from bisect import bisect_left

        tokens = self.code_tokens
        starts = self._code_starts
        index = bisect_left(starts, start)
        out = []
        while index < len(tokens) and tokens[index].start < end:
            if tokens[index].end <= end:
                out.append(tokens[index])
            index += 1
        return out

    @cached_property
    def _code_starts(self) -> list[int]:
        return [t.start for t in self.code_tokens]

    def in_comment(self, offset: int) -> bool:
        """True when ``offset`` lies inside a template comment region."""
        from bisect import bisect_right

        starts = self._comment_starts
        index = bisect_right(starts, offset) - 1
        return index >= 0 and self.comments[index].start <= offset < self.comments[index].end

    def comments_between(self, start: int, end: int) -> list[Region]:
        """Comment regions overlapping ``[start, end)``, in order."""
        from bisect import bisect_right

        index = max(bisect_right(self._comment_starts, start) - 1, 0)
        out = []
        while index < len(self.comments) and self.comments[index].start < end:
            if self.comments[index].end > start:
                out.append(self.comments[index])
            index += 1
        return out

    @cached_property
    def _comment_starts(self) -> list[int]:
        return [r.start for r in self.comments]

    @cached_property
    def _rendered_blocks(self) -> list[Region] | None:
        """For a Django child template, the ``{% block %}`` stretches; None otherwise.

        A Django template whose first tag is ``{% extends %}`` renders its parent with the
        child's blocks: text and tags outside every ``{% block %}`` are never output. (Jinja2
        prints what precedes ``{% extends %}``, so it gets None.)
        """
        tokens = [t for t in self.code_tokens if t.kind is TokenKind.BLOCK]
        if self.jinja or not tokens or tokens[0].tag_name != "extends":
            return None
        regions: list[Region] = []
        depth = 0
        start = 0
        for token in tokens:
            if token.tag_name == "block":
                if depth == 0:
                    start = token.start
                depth += 1
            elif token.tag_name == "endblock" and depth > 0:
                depth -= 1
                if depth == 0:
                    regions.append(Region(start, token.end))
        if depth > 0:
            regions.append(Region(start, len(self.text)))
        return regions

    def is_rendered(self, offset: int) -> bool:
        """False when ``offset`` lies outside every block of a Django child template."""
        regions = self._rendered_blocks
        return regions is None or any(r.start <= offset < r.end for r in regions)

    def retokenizes_cleanly(self) -> bool:
        """True when the text has no unclosed tag and every comment/verbatim/raw block is closed."""
        return not self.errors


class _Finder:
    """``str.find`` of one needle with the last answer remembered (keeps scans linear).

    Queries come with non-decreasing ``start``; an answer found earlier at or after ``start``
    (or a miss up to the same ``limit``) is still the answer, so no stretch is searched twice.
    """

    __slots__ = ("_found", "_from", "_limit", "needle", "text")

    def __init__(self, text: str, needle: str) -> None:
        self.text = text
        self.needle = needle
        self._from = -1
        self._limit = -1
        self._found = -1

    def find(self, start: int, limit: int) -> int:
        if self._from >= 0 and self._from <= start:
            if self._found >= start and (self._found + len(self.needle) <= limit):
                return self._found
            if self._found < 0 and self._limit == limit:
                return -1
        found = self.text.find(self.needle, start, limit)
        self._from, self._limit, self._found = start, limit, found
        return found


# ---------------------------------------------------------------------------------------------
# Django
# ---------------------------------------------------------------------------------------------

_OPENERS = ("{%", "{{", "{#")
_DJANGO_CLOSERS = {"{%": "%}", "{{": "}}", "{#": "#}"}
_KINDS = {"{%": TokenKind.BLOCK, "{{": TokenKind.VAR, "{#": TokenKind.COMMENT}


def _tokenize_django(text: str) -> TemplateSource:
    tokens: list[Token] = []
    errors: list[tuple[int, int, str]] = []
    finders = {opener: _Finder(text, closer) for opener, closer in _DJANGO_CLOSERS.items()}
    newline = _Finder(text, "\n")
    length = len(text)
    position = 0  # where the next text token starts
    index = text.find("{", 0)
    verbatim_end: str | None = None
    verbatim_start = 0
    while 0 <= index < length - 1:
        opener = text[index : index + 2]
        if opener not in _DJANGO_CLOSERS:
            index = text.find("{", index + 1)
            continue
        line_end = newline.find(index, length)
        if line_end < 0:
            line_end = length
        close = finders[opener].find(index + 2, line_end)
        if close < 0:
            index = text.find("{", index + 1)
            continue
        end = close + 2
        contents = text[index + 2 : close].strip()
        kind = _KINDS[opener]
        if verbatim_end is not None:
            # Inside {% verbatim %}: only the matching end tag is a tag (Django's Lexer).
            if kind is TokenKind.BLOCK and contents == verbatim_end:
                verbatim_end = None
            else:
                index = text.find("{", end)
                continue
        elif kind is TokenKind.BLOCK and contents[:9] in ("verbatim", "verbatim "):
            verbatim_end = f"end{contents}"
            verbatim_start = index
        if index > position:
            tokens.append(Token(TokenKind.TEXT, position, index, position, index, ""))
        tokens.append(Token(kind, index, end, index + 2, close, contents))
        position = end
        index = text.find("{", end)
    if position < length:
        tokens.append(Token(TokenKind.TEXT, position, length, position, length, ""))
    if verbatim_end is not None:
        errors.append(
            (verbatim_start, length, f"{{% verbatim %}} is not closed by {{% {verbatim_end} %}}")
        )
    source = TemplateSource(text, False, _merge_text(tokens), errors=errors)
    source.comments = _django_comment_regions(source.tokens, errors, length)
    return source


def _merge_text(tokens: list[Token]) -> list[Token]:
    """Join adjacent TEXT tokens (verbatim content is split where tags were skipped)."""
    out: list[Token] = []
    for token in tokens:
        if out and token.kind is TokenKind.TEXT and out[-1].kind is TokenKind.TEXT:
            previous = out[-1]
            out[-1] = Token(
                TokenKind.TEXT, previous.start, token.end, previous.start, token.end, ""
            )
        else:
            out.append(token)
    return out


def _django_comment_regions(
    tokens: list[Token], errors: list[tuple[int, int, str]], length: int
) -> list[Region]:
    """``{# #}`` tokens and ``{% comment %}...{% endcomment %}`` stretches (parser skip_past)."""
    regions: list[Region] = []
    open_at: int | None = None
    for token in tokens:
        if open_at is not None:
            if token.kind is TokenKind.BLOCK and token.contents == "endcomment":
                regions.append(Region(open_at, token.end))
                open_at = None
            continue
        if token.kind is TokenKind.COMMENT:
            regions.append(Region(token.start, token.end))
        elif token.kind is TokenKind.BLOCK and token.tag_name == "comment":
            open_at = token.start
    if open_at is not None:
        regions.append(Region(open_at, length))
        errors.append((open_at, length, "{% comment %} is not closed by {% endcomment %}"))
    return regions


# ---------------------------------------------------------------------------------------------
# Jinja2
# ---------------------------------------------------------------------------------------------

_JINJA_CLOSERS = {"{%": "%}", "{{": "}}"}
_BRACKETS_OPEN = "([{"
_BRACKETS_CLOSE = ")]}"


def _jinja_tag_end(text: str, start: int, closer: str) -> int:
    """Offset of the ``closer`` ending the tag whose body starts at ``start`` (-1: unclosed).

    Strings (with backslash escapes) and open brackets are skipped like Jinja's lexer does.
    One forward pass; the caller never rescans the same stretch.
    """
    length = len(text)
    depth = 0
    index = start
    first = closer[0]
    while index < length:
        char = text[index]
        if char in {"'", '"'}:
            close = index + 1
            while True:
                close_quote = text.find(char, close)
                if close_quote < 0:
                    return -1
                backslashes = 0
                probe = close_quote - 1
                while probe > index and text[probe] == "\\":
                    backslashes += 1
                    probe -= 1
                if backslashes % 2 == 0:
                    break
                close = close_quote + 1
            index = close_quote + 1
            continue
        if char in _BRACKETS_OPEN:
            depth += 1
        elif char == first and depth == 0 and text.startswith(closer, index):
            return index
        elif char in _BRACKETS_CLOSE and depth > 0:
            depth -= 1
        index += 1
    return -1


def _tokenize_jinja(text: str) -> TemplateSource:
    tokens: list[Token] = []
    errors: list[tuple[int, int, str]] = []
    comments: list[Region] = []
    length = len(text)
    position = 0
    index = text.find("{", 0)
    plain_scan = False  # after one unclosed string, stop honouring quotes (keeps it linear)
    finders = {opener: _Finder(text, closer) for opener, closer in _JINJA_CLOSERS.items()}
    comment_finder = _Finder(text, "#}")
    newline = _Finder(text, "\n")
    while 0 <= index < length - 1:
        opener = text[index : index + 2]
        if opener not in _OPENERS:
            index = text.find("{", index + 1)
            continue
        body = index + 2
        if body < length and text[body] in "-+":
            body += 1
        if opener == "{#":
            close = comment_finder.find(body, length)
            if close < 0:
                errors.append((index, length, "comment {# is not closed by #}"))
                comments.append(Region(index, length))
                if index > position:
                    tokens.append(Token(TokenKind.TEXT, position, index, position, index, ""))
                tokens.append(
                    Token(TokenKind.COMMENT, index, length, body, length, text[body:].strip(), True)
                )
                position = length
                break
            inner_end = close - 1 if close > body and text[close - 1] == "-" else close
            comments.append(Region(index, close + 2))
            if index > position:
                tokens.append(Token(TokenKind.TEXT, position, index, position, index, ""))
            tokens.append(
                Token(
                    TokenKind.COMMENT,
                    index,
                    close + 2,
                    body,
                    inner_end,
                    text[body:inner_end].strip(),
                )
            )
            position = close + 2
            index = text.find("{", position)
            continue
        closer = _JINJA_CLOSERS[opener]
        close = -1 if plain_scan else _jinja_tag_end(text, body, closer)
        if close < 0:
            if not plain_scan:
                plain_scan = True
                jinja_rejects = True
            else:
                jinja_rejects = False
            close = finders[opener].find(body, length)
            if close >= 0 and jinja_rejects:
                errors.append((index, close + 2, f"unterminated string or bracket before {closer}"))
            if close < 0:
                line_end = newline.find(index, length)
                stop = length if line_end < 0 else line_end
                if not errors or errors[-1][1] <= index:  # one report per broken stretch
                    errors.append((index, stop, f"{opener} is not closed by {closer}"))
                index = text.find("{", index + 1)
                continue
        inner_end = close - 1 if close > body and text[close - 1] in "-+" else close
        contents = text[body:inner_end].strip()
        kind = _KINDS[opener]
        if index > position:
            tokens.append(Token(TokenKind.TEXT, position, index, position, index, ""))
        tokens.append(Token(kind, index, close + 2, body, inner_end, contents))
        position = close + 2
        if kind is TokenKind.BLOCK and contents == "raw":
            raw_end = _jinja_endraw(text, position)
            if raw_end is None:
                errors.append((index, length, "{% raw %} is not closed by {% endraw %}"))
                tokens.append(Token(TokenKind.TEXT, position, length, position, length, ""))
                position = length
                break
            end_start, end_stop = raw_end
            if end_start > position:
                tokens.append(Token(TokenKind.TEXT, position, end_start, position, end_start, ""))
            tokens.append(
                Token(TokenKind.BLOCK, end_start, end_stop, end_start + 2, end_stop - 2, "endraw")
            )
            position = end_stop
        index = text.find("{", position)
    if position < length:
        tokens.append(Token(TokenKind.TEXT, position, length, position, length, ""))
    return TemplateSource(text, True, tokens, comments=comments, errors=errors)


def _jinja_endraw(text: str, start: int) -> tuple[int, int] | None:
    """The span of the ``{% endraw %}`` (any whitespace control) closing a raw block."""
    index = text.find("{%", start)
    while index >= 0:
        probe = index + 2
        if probe < len(text) and text[probe] in "-+":
            probe += 1
        while probe < len(text) and text[probe] in " \t\r\n":
            probe += 1
        if text.startswith("endraw", probe):
            probe += 6
            while probe < len(text) and text[probe] in " \t\r\n":
                probe += 1
            if probe < len(text) and text[probe] in "-+":
                probe += 1
            if text.startswith("%}", probe):
                return index, probe + 2
        index = text.find("{%", index + 2)
    return None


def tokenize_template(text: str, jinja: bool = False) -> TemplateSource:
    """Tokenize a Django template (``jinja=False``) or a Jinja2 template (``jinja=True``)."""
    return _tokenize_jinja(text) if jinja else _tokenize_django(text)
