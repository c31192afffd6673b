"""Error-tolerant Python parsing with exact code-point spans for ``ast`` nodes.

A buffer being typed is often not valid Python. :func:`parse_python` first tries the whole
text; on a syntax error it re-parses each top-level statement block on its own and keeps
every block that parses, so findings in the rest of the file survive one broken function.
``ast`` reports columns in UTF-8 bytes; :class:`PythonSource` converts them to code points.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..text import LineIndex, dominant_newline, line_index, normalize_newlines
from ..types import Span, slot_constructor
from .recent import RecentFiles

_make_span = slot_constructor(Span)  # a Span without the frozen dataclass's ``__init__``

MAX_PARSE_CHARS = 8_000_000  # bigger than any hand-written module; protects the keystroke path


@dataclass
class PythonSource:
    """A parsed Python document: the (possibly partial) tree and position helpers.

    ``text`` is the analysed text: newlines normalised to ``\\n`` and a BOM replaced by a
    space, so every (line, code-point column) equals the original document's. (The tree is
    parsed from the text without the BOM, so ``ast`` columns on line 0 are one short:
    ``column`` adds it back.)
    """

    text: str
    tree: ast.Module
    syntax_errors: list[tuple[int, str]] = field(default_factory=list)  # (0-based line, message)
    newline: str = "\n"  # the original document's dominant line ending, for inserted lines
    bom: bool = False  # the document starts with U+FEFF (a space in ``text``)

    @cached_property
    def lines(self) -> LineIndex:
        return line_index(self.text)

    @property
    def recovered(self) -> bool:
        """True when part of the file did not parse and was skipped."""
        return bool(self.syntax_errors)

    @cached_property
    def ascii(self) -> bool:
        """Every character is ASCII: byte columns are code-point columns."""
        return self.text.isascii()

    @cached_property
    def plain_columns(self) -> bool:
        """``ast``'s UTF-8 byte columns are code-point columns: ASCII text, no BOM."""
        return not self.bom and self.ascii

    def column(self, line0: int, byte_col: int) -> int:
        """Convert an ``ast`` UTF-8 byte column on 0-based ``line0`` to a code-point column."""
        shift = 1 if self.bom and line0 == 0 else 0
        if byte_col <= 0:
            return shift
        if self.ascii:
            return byte_col + shift
        text = self.lines.line_text(line0)[shift:]
        if text.isascii():
            return byte_col + shift
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")) + shift

    def span(self, node: ast.AST) -> Span:
        """The code-point span of a node (statement, expression, arg, ...)."""
        line = node.lineno - 1  # type: ignore[attr-defined]
        end_line = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        column: int = node.col_offset  # type: ignore[attr-defined]
        end_col: int | None = node.end_col_offset  # type: ignore[attr-defined]
        if end_col is None:
            end_col = column
        if self.plain_columns:  # ``column`` without the calls
            return _make_span(line, column if column > 0 else 0, end_line, max(end_col, 0))
        return _make_span(line, self.column(line, column), end_line, self.column(end_line, end_col))

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """The span of a def/class *name* (what editors underline), not the whole body."""
        line0 = node.lineno - 1
        kind = type(node)
        keyword = "class" if kind is ast.ClassDef else "def"
        if self.plain_columns:  # the usual ``def name``: columns are byte offsets
            text = self.text
            starts = self.lines.starts
            start = starts[line0] if line0 < len(starts) else len(text)  # ``line_start``
            at = start + node.col_offset
            if kind is ast.AsyncFunctionDef and text.startswith("async def ", at):
                at += 6
            at += len(keyword)  # where the space after the keyword should be
            name = node.name
            if (
                text.startswith(keyword, at - len(keyword))
                and text.startswith(name, at + 1)
                and text[at] == " "
            ):
                column = at + 1 - start
                return _make_span(line0, column, line0, column + len(name))
        text = self.lines.line_text(line0)
        start = self.column(line0, node.col_offset)
        index = text.find(keyword, start)
        if index >= 0:
            index = text.find(node.name, index + len(keyword))
            if index >= 0:
                return Span(line0, index, line0, index + len(node.name))
        return Span(line0, start, line0, start)

    def attr_span(self, node: ast.Attribute) -> Span:
        """The span of the attribute name in ``value.attr`` (e.g. ``get`` in ``qs.get``)."""
        full = self.span(node)
        end_line, end_col = full.end_line, full.end_column
        return Span(end_line, end_col - len(node.attr), end_line, end_col)

    def segment(self, node: ast.AST) -> str:
        return self.lines.slice(self.span(node))


# The only lines the block split has to look at: those that can start a top-level block
# (unindented, not blank, not a comment; found from the newline before them, which the
# regex engine searches for at C speed) and those that hold a triple quote.
_UNINDENTED = re.compile(r"\n[^ \t\n#]")
_BLOCK_CONTINUATIONS = (")", "]", "}", "else", "elif", "except", "finally", "case")


def _top_level_blocks(
    lines: list[str], text: str | None = None, *, strings: bool = True
) -> list[tuple[int, int]]:
    """(start, end) line ranges of top-level statements, split at unindented lines.

    Lines inside a triple-quoted string (a module docstring's unindented lines) start
    nothing; the string tracking is by quote counts, an approximation that the callers
    verify (a wrong split only makes a block fail to parse on its own). ``text`` is
    ``"\\n".join(lines)`` when the caller has it: a regular expression then finds the few
    lines worth looking at, instead of a loop over every line. ``strings=False``: split at
    every unindented line, strings or not (for a block whose string is never closed).
    """
    numbers: Iterable[int] = range(len(lines)) if text is None else _split_line_numbers(text)
    return _spans(list(_block_starts(lines, numbers, strings=strings)), len(lines))


def _spans(starts: list[int], count: int) -> list[tuple[int, int]]:
    """(start, end) line ranges from the block starts of a text of ``count`` lines."""
    return [
        (start, starts[index + 1] if index + 1 < len(starts) else count)
        for index, start in enumerate(starts)
    ]


def _block_starts(
    lines: list[str], numbers: Iterable[int], *, strings: bool = True
) -> Iterator[int]:
    """The lines among ``numbers`` (ascending, from a line where no string or decorator is
    open: the first line, or a block start) where a top-level block starts."""
    decorated = False  # the current block is decorators still waiting for their def/class
    quote = ""  # the triple quote of a string still open at the end of the previous line
    for number in numbers:
        line = lines[number]
        if strings and (quote or '"""' in line or "'''" in line):
            opened = quote
            quote = _open_triple_quote(line, quote)
            if opened:
                continue  # the line starts inside a string
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[:1] not in (" ", "\t") and not stripped.startswith(_BLOCK_CONTINUATIONS):
            # Decorators belong to the def/class below them (and only to that one).
            if decorated:
                decorated = line.startswith("@")
                continue
            decorated = line.startswith("@")
            yield number


class _Resplit(NamedTuple):
    """A text's block starts found from an earlier version's: ``starts[:head]`` are the old
    ones, and so are ``starts[tail:]`` (``old_starts[tail_old:]``, moved down ``shift``)."""

    starts: list[int]
    head: int
    tail: int
    tail_old: int
    shift: int


def _incremental_starts(
    old_text: str, old_starts: list[int], text: str, lines: list[str]
) -> _Resplit:
    """The block starts of ``text`` (split into ``lines``), from those of ``old_text``.

    At a block start no string or decorator is open, so the split can resume there: from
    the last old start above the first changed line, until it meets an old start (shifted
    by the lines the edit added) in the text both share after the change. From there on the
    two texts, and so their splits, are the same. A keystroke re-splits one function.
    """
    prefix = _common_prefix(old_text, text)
    suffix = _common_suffix(old_text, text, min(len(old_text), len(text)) - prefix)
    changed = text.count("\n", 0, prefix)  # the first line that may differ
    kept = bisect.bisect_left(old_starts, changed) - 1  # old starts above it stay
    resume = old_starts[kept] if kept >= 0 else 0
    starts = old_starts[: max(kept, 0)]
    shared_from = len(lines)  # the first line wholly inside the shared end of both texts
    newline = text.find("\n", len(text) - suffix)
    if newline >= 0:
        shared_from = text.count("\n", 0, newline) + 1
    shift = len(lines) - 1 - old_text.count("\n")
    old = set(old_starts)
    # The lines to look at, up to the first old start past the change (where the split
    # usually meets the old one), then the rest of the file only if it does not.
    at = bisect.bisect_left(old_starts, shared_from - shift)
    stop = min(old_starts[at] + shift + 1 if at < len(old_starts) else len(lines), len(lines))
    numbers = itertools.chain(
        _candidates(lines, resume, stop), _candidates(lines, stop, len(lines))
    )
    head = len(starts)
    for start in _block_starts(lines, numbers):
        if start >= shared_from and start - shift in old:
            at = bisect.bisect_left(old_starts, start - shift)
            tail = len(starts)
            starts.extend(old + shift for old in old_starts[at:])
            return _Resplit(starts, head, tail, at, shift)
        starts.append(start)
    return _Resplit(starts, head, len(starts), len(old_starts), shift)


def _candidates(lines: list[str], first: int, stop: int) -> Iterator[int]:
    """``_split_line_numbers`` of lines ``first`` to ``stop`` (computed when first asked for)."""
    if first < stop:
        for number in _split_line_numbers("\n".join(lines[first:stop])):
            yield first + number


_CHUNK = 4096


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (compared a chunk at a time, at C speed)."""
    limit = min(len(a), len(b))
    low = 0
    while low + _CHUNK <= limit and a[low : low + _CHUNK] == b[low : low + _CHUNK]:
        low += _CHUNK
    high = min(low + _CHUNK, limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix, at most ``limit``."""
    end_a, end_b = len(a), len(b)
    low = 0
    while (
        low + _CHUNK <= limit
        and a[end_a - low - _CHUNK : end_a - low] == b[end_b - low - _CHUNK : end_b - low]
    ):
        low += _CHUNK
    high = min(low + _CHUNK, limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[end_a - middle : end_a - low] == b[end_b - middle : end_b - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _split_line_numbers(text: str) -> Iterator[int]:
    """The numbers of the lines that start unindented or hold a triple quote, in order."""
    starts = {match.start() + 1 for match in _UNINDENTED.finditer(text)}
    if text[:1] not in ("", " ", "\t", "\n", "#"):
        starts.add(0)
    for quote in ('"""', "'''"):
        found = text.find(quote)
        while found >= 0:
            starts.add(text.rfind("\n", 0, found) + 1)
            found = text.find(quote, found + 3)
    line = 0
    position = 0
    for start in sorted(starts):
        line += text.count("\n", position, start)
        position = start
        yield line


def _open_triple_quote(line: str, quote: str) -> str:
    """The triple quote still open after ``line``, given the one open before it ("": none)."""
    position = 0
    while True:
        if quote:
            found = line.find(quote, position)
            if found < 0:
                return quote
            position, quote = found + 3, ""
            continue
        double, single = line.find('"""', position), line.find("'''", position)
        hash_at = line.find("#", position)
        candidates = [i for i in (double, single) if i >= 0]
        if not candidates:
            return ""
        first = min(candidates)
        if 0 <= hash_at < first:
            return ""  # a comment (or a "#" in a one-line string: an approximation)
        quote = line[first : first + 3]
        position = first + 3


def _without_decorators(lines: list[str], start: int, end: int, filename: str) -> ast.Module | None:
    """A broken block that starts with decorators, parsed from its ``def``/``class`` line.

    A half-typed decorator (``@method_decorator(``) must not hide the function below it.
    """
    if not lines[start].startswith("@"):
        return None
    for number in range(start + 1, end):
        if lines[number].startswith(("def ", "async ", "class ")):
            try:
                return parse_quiet("\n" * number + "\n".join(lines[number:end]), filename)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
    return None


_DEF_LINE = re.compile(r"(async\s+)?def\s+([A-Za-z_]\w*)\s*\(")


def _without_broken_members(
    lines: list[str], start: int, end: int, filename: str
) -> ast.Module | None:
    """A broken top-level class, parsed with its broken members blanked out.

    A method being typed must not hide the rest of its class (the other handlers a CBV rule
    compares it with, the ORM calls in the other methods). A broken member's lines become
    blank; a broken ``def`` keeps a one-line stub with its name and ``async``-ness, so the
    class still has the handler being typed. Line numbers and columns are unchanged.
    """
    first = next((n for n in range(start, end) if lines[n].startswith("class ")), None)
    if first is None:
        return None
    header_end = next(
        (n for n in range(first, end) if lines[n].split("#", 1)[0].rstrip().endswith(":")), None
    )
    if header_end is None:
        return None
    body = [
        n
        for n in range(header_end + 1, end)
        if lines[n].strip() and not lines[n].lstrip().startswith("#")
    ]
    if not body:
        return None
    indent = lines[body[0]][: len(lines[body[0]]) - len(lines[body[0]].lstrip())]
    if not indent:
        return None
    members = [
        n
        for n in body
        if lines[n].startswith(indent)
        and lines[n][len(indent) : len(indent) + 1] not in (" ", "\t")
        and not lines[n][len(indent) :].startswith(_BLOCK_CONTINUATIONS)
    ]
    members = [
        n
        for i, n in enumerate(members)
        if i == 0 or not lines[members[i - 1]][len(indent) :].startswith("@")
    ]
    if not members or members[0] != body[0]:
        return None
    out = lines[start:end]
    broken = 0
    kept = False
    for index, member_start in enumerate(members):
        member_end = members[index + 1] if index + 1 < len(members) else end
        member = lines[member_start:member_end]
        if all(not line.strip() or line.startswith(indent) for line in member):
            try:
                parse_quiet("\n".join(line[len(indent) :] for line in member), filename)
                kept = True
                continue
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        broken += 1
        for number in range(member_start, member_end):
            out[number - start] = ""
        for number in range(member_start, member_end):
            found = _DEF_LINE.match(lines[number], len(indent))
            if found is not None:
                is_async = "async " if found.group(1) else ""
                out[number - start] = (
                    f"{indent}{is_async}def {found.group(2)}(self, *args, **kwargs): ..."
                )
                kept = True
                break
    if not broken:
        return None
    if not kept:
        out[members[0] - start] = f"{indent}pass"
    try:
        return parse_quiet("\n" * start + "\n".join(out), filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parse_quiet(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` without the warnings user code may raise; errors propagate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in user code
        return ast.parse(text, filename=filename, type_comments=False)


# The last parse, keyed by the identity of its text: one check asks for the same text object
# twice (the index re-reads the document, then the rules parse it), and a 2,000-line module
# costs ~15 ms to parse — a third of the language server's per-keystroke budget.
_last_parse: tuple[str, PythonSource] | None = None


def prime(text: str, source: PythonSource) -> None:
    """Make the next ``parse_python`` of this very string return ``source``, parsed from it
    earlier (the CLI keeps the index build's trees for the check instead of parsing twice)."""
    global _last_parse
    _last_parse = (text, source)


def parse_python(text: str, filename: str = "<document>") -> PythonSource:
    """Parse ``text``; on syntax errors keep every top-level block that still parses.

    Asking again for the very same ``text`` object returns the previous result.
    """
    global _last_parse
    last = _last_parse
    if last is not None and last[0] is text:
        return last[1]
    source = _parse_python(text, filename)
    _last_parse = (text, source)
    return source


# The top-level blocks of the files parsed lately, by (first line, text). A file parsed again
# (a buffer being typed in) is parsed block by block and only the blocks that changed are
# parsed anew: a keystroke inside one function re-parses that function, not the module. A
# block's parse depends on nothing else (its line numbers come from its first line), and
# nothing mutates parsed trees, so its nodes are reused as they are — and analyses can reuse
# what they derived from an unchanged statement by its identity.
_Block = tuple[ast.Module | None, tuple[int, str] | None]
_Blocks = dict[tuple[int, str], _Block]


@dataclass(frozen=True)
class _Split:
    """A file's last parse, block by block: the text, its block starts, the key of each of
    its blocks (``starts[i]``, the block's text) and its blocks by key."""

    text: str
    starts: list[int]
    keys: list[tuple[int, str]]
    blocks: _Blocks


@dataclass(frozen=True)
class _WholeFile:
    """A file's last parse went through in one piece: its split and blocks are cut from the
    tree when the file is parsed again (most files of a project scan never are)."""

    text: str
    tree: ast.Module

    def split(self) -> _Split:
        lines = self.text.split("\n")
        starts = list(_block_starts(lines, _split_line_numbers(self.text)))
        keys = [(start, "\n".join(lines[start:end])) for start, end in _spans(starts, len(lines))]
        return _Split(self.text, starts, keys, self._blocks(keys))

    def _blocks(self, keys: list[tuple[int, str]]) -> _Blocks:
        """The tree's statements as the block split would have parsed them; nothing when the
        split cuts a statement (the blocks are then parsed on their own)."""
        body = self.tree.body
        blocks: _Blocks = {}
        index = 0
        for number, key in enumerate(keys):
            start = key[0]
            end = keys[number + 1][0] if number + 1 < len(keys) else start + key[1].count("\n") + 1
            statements: list[ast.stmt] = []
            while index < len(body):
                node = body[index]
                decorators = getattr(node, "decorator_list", None)
                first = (decorators[0] if decorators else node).lineno - 1
                if first >= end:
                    break
                if first < start or (node.end_lineno or node.lineno) > end:
                    return {}
                statements.append(node)
                index += 1
            if not statements:
                return {}
            blocks[key] = (ast.Module(body=statements, type_ignores=[]), None)
        return blocks if index == len(body) else {}


_FILE_BLOCKS: RecentFiles[str, _Split | _WholeFile] = RecentFiles()
_INCREMENTAL_MIN_LINES = 200  # below this a whole-file parse is as fast


def _parse_block(lines: list[str], start: int, end: int, block: str, filename: str) -> _Block:
    """One top-level block of a broken file: its statements (if any part parses), its error."""
    try:
        return parse_quiet("\n" * start + block, filename), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or start + 1
        error = (line - 1, f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}")
    module = (
        _without_decorators(lines, start, end, filename)
        or _without_broken_members(lines, start, end, filename)
        or _stub_function(lines, start, end, filename)
    )
    return module, error


def _stub_function(lines: list[str], start: int, end: int, filename: str) -> ast.Module | None:
    """A broken top-level function, kept as a one-line stub with its decorators.

    The function being typed keeps its name, ``async``-ness and decorators (what other code
    refers to); its body is unknown until it parses again, so it holds nothing to report.
    """
    for number in range(start, end):
        line = lines[number]
        found = _DEF_LINE.match(line)
        if found is not None:
            break
        if line.strip() and line[:1] not in ("@", " ", "\t", ")", "#"):
            return None  # not a (decorated) function
    else:
        return None
    is_async = "async " if found.group(1) else ""
    stub = f"{is_async}def {found.group(2)}(*args, **kwargs): ..."
    for first in (start, number):  # with its decorators if they parse, else without
        try:
            return parse_quiet("\n" * first + "\n".join([*lines[first:number], stub]), filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def _parse_python(text: str, filename: str) -> PythonSource:
    newline = dominant_newline(text) if "\r" in text else "\n"
    source_text = normalize_newlines(text)
    parsed_text = source_text
    bom = source_text.startswith("\ufeff")
    if bom:
        # Keep columns in ``text`` (a space where the BOM was); parse without it: a BOM is
        # not Python, and a leading space would be an indentation error.
        parsed_text = source_text[1:]
        source_text = " " + parsed_text
    if len(source_text) > MAX_PARSE_CHARS:
        return PythonSource(
            source_text, ast.Module(body=[], type_ignores=[]), [(0, "file too large to analyse")]
        )
    kept = _FILE_BLOCKS.pop(filename, None)
    lines: list[str] | None = None
    if kept is None or filename == "<document>":
        # The first parse of this file: the whole file at once (the C parser at full speed).
        try:
            tree = parse_quiet(parsed_text, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            first_error: BaseException | None = exc.with_traceback(None)
        else:
            if filename != "<document>":  # parsed again: go block by block
                _FILE_BLOCKS.keep(filename, _WholeFile(parsed_text, tree))
            return PythonSource(source_text, tree, [], newline, bom)
        previous: _Split | None = None
    else:
        lines = parsed_text.split("\n")
        first_error = None
        if len(lines) < _INCREMENTAL_MIN_LINES:
            try:
                tree = parse_quiet(parsed_text, filename)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                first_error = exc.with_traceback(None)
            else:
                _FILE_BLOCKS.keep(filename, _WholeFile(parsed_text, tree))
                return PythonSource(source_text, tree, [], newline, bom)
        previous = kept.split() if isinstance(kept, _WholeFile) else kept
    if lines is None:
        lines = parsed_text.split("\n")
    errors: list[tuple[int, str]] = []
    body: list[ast.stmt] = []
    blocks: _Blocks = {}
    keys: list[tuple[int, str]] = []
    if previous is None:
        starts = list(_block_starts(lines, _split_line_numbers(parsed_text)))
        resplit = _Resplit(starts, 0, len(starts), 0, 0)
    else:
        resplit = _incremental_starts(previous.text, previous.starts, parsed_text, lines)
        starts = resplit.starts
    reusable = previous.blocks if previous is not None else {}
    old_keys = previous.keys if previous is not None else []
    spans = _spans(starts, len(lines))
    first_failed = -1
    for number, (start, end) in enumerate(spans):
        # The blocks the edit did not reach have the keys they had (moved down ``shift``).
        if number < resplit.head:
            key = old_keys[number]
        elif number >= resplit.tail:
            key = old_keys[number - resplit.tail + resplit.tail_old]
            if resplit.shift:
                key = (start, key[1])
        else:
            key = (start, "\n".join(lines[start:end]))
        keys.append(key)
        parsed = reusable.get(key)
        if parsed is None:
            parsed = _parse_block(lines, start, end, key[1], filename)
        blocks[key] = parsed
        module, error = parsed
        if error is not None:
            if first_failed < 0:
                first_failed = number
            pieces = _top_level_blocks(lines[start:end], strings=False)
            if len(pieces) > 1:
                # A triple quote opened here and never closed swallowed the statements after
                # it: split at every unindented line instead and keep what parses.
                for piece_start, piece_end in pieces:
                    first_line, last_line = start + piece_start, start + piece_end
                    piece_key = (first_line, "\n".join(lines[first_line:last_line]))
                    found = reusable.get(piece_key) or _parse_block(
                        lines, first_line, last_line, piece_key[1], filename
                    )
                    blocks[piece_key] = found
                    piece, piece_error = found
                    if piece_error is not None:
                        errors.append(piece_error)
                    if piece is not None:
                        body.extend(piece.body)
                continue
            errors.append(error)
        if module is not None:
            body.extend(module.body)
    _FILE_BLOCKS.keep(filename, _Split(parsed_text, starts, keys, blocks))
    if errors and first_error is None and _may_continue(lines, spans, first_failed, filename):
        # A block failed on its own, but the split may have cut a multi-line string or
        # bracket that the rest of the file closes: the whole file decides.
        try:
            tree = parse_quiet(parsed_text, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            first_error = exc.with_traceback(None)
        else:
            return PythonSource(source_text, tree, [], newline, bom)
    if not errors:
        if first_error is None:
            return PythonSource(
                source_text, ast.Module(body=body, type_ignores=[]), [], newline, bom
            )
        line = getattr(first_error, "lineno", None) or 1
        errors.append(
            (line - 1, f"{type(first_error).__name__}: {getattr(first_error, 'msg', first_error)}")
        )
    return PythonSource(source_text, ast.Module(body=body, type_ignores=[]), errors, newline, bom)


_BARRIER = re.compile(r"(async\s+)?def\s|class\s")


def _may_continue(
    lines: list[str], spans: list[tuple[int, int]], failed: int, filename: str
) -> bool:
    """Could the whole file parse although block ``failed`` does not parse on its own?

    The blocks before it parsed on their own, so it starts a statement. If the whole file
    parses, that statement ends before the next ``def``/``class`` line at column 0 (no bracket
    holds one), unless a triple-quoted string or a backslash carries it on: then the file's
    end is the bound. So when the stretch from the failed block to that bound does not parse,
    neither does the file — and a keystroke in a broken buffer costs that stretch, not a
    whole-file parse (which CPython runs twice on failure, to word its message).
    """
    start = spans[failed][0]
    end = len(lines)
    for next_start, _ in spans[failed + 1 :]:
        if _BARRIER.match(lines[next_start]):
            end = next_start
            break
    chunk = lines[start:end]
    text = "\n".join(chunk)
    if (
        text.count('"""') % 2
        or text.count("'''") % 2
        or any(line.rstrip().endswith("\\") for line in chunk)
    ):
        end = len(lines)
        text = "\n".join(lines[start:end])
    elif end == spans[failed][1]:
        return False  # the stretch is the failed block itself: it did not parse just now
    try:
        parse_quiet("\n" * start + text, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
