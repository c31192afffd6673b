"""Error-tolerant Python parsing with exact code-point spans for ``ast`` nodes.

A buffer being typed is often not valid Python. :func:`parse_python` first tries the whole
text; on a syntax error it re-parses each top-level statement block on its own and keeps
every block that parses, so findings in the rest of the file survive one broken function.
``ast`` reports columns in UTF-8 bytes; :class:`PythonSource` converts them to code points.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from ..text import LineIndex, dominant_newline, line_index, normalize_newlines
from ..types import Span
from .recent import RecentFiles

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
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset  # type: ignore[attr-defined]
        return Span(
            line,
            self.column(line, node.col_offset),  # type: ignore[attr-defined]
            end_line,
            self.column(end_line, end_col),
        )

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """The span of a def/class *name* (what editors underline), not the whole body."""
        line0 = node.lineno - 1
        text = self.lines.line_text(line0)
        start = self.column(line0, node.col_offset)
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
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


# Lines that can start a top-level block (unindented, not blank, not a comment) and lines that
# hold a triple quote: the only lines the block split has to look at.
_SPLIT_LINES = re.compile(r"^(?:[^ \t\n#]|.*?(?:\"\"\"|\'\'\'))", re.MULTILINE)


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
    if text is None:
        numbers: Iterable[int] = range(len(lines))
    else:
        numbers = _split_line_numbers(text)
    starts: list[int] = []
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
        if line[:1] not in (" ", "\t") and not stripped.startswith(
            (")", "]", "}", "else", "elif", "except", "finally", "case")
        ):
            # Decorators belong to the def/class below them (and only to that one).
            if decorated:
                decorated = line.startswith("@")
                continue
            decorated = line.startswith("@")
            starts.append(number)
    blocks = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        blocks.append((start, end))
    return blocks


def _split_line_numbers(text: str) -> Iterator[int]:
    line = 0
    position = 0
    for match in _SPLIT_LINES.finditer(text):
        start = match.start()
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
                return _parse_quiet("\n" * number + "\n".join(lines[number:end]), filename)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
    return None


_BLOCK_CONTINUATIONS = (")", "]", "}", "else", "elif", "except", "finally", "case")
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
                _parse_quiet("\n".join(line[len(indent) :] for line in member), filename)
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
        return _parse_quiet("\n" * start + "\n".join(out), filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parse_quiet(text: str, filename: str) -> ast.Module:
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
_FILE_BLOCKS: RecentFiles[str, dict[tuple[int, str], _Block]] = RecentFiles()
_INCREMENTAL_MIN_LINES = 200  # below this a whole-file parse is as fast


def _parse_block(lines: list[str], start: int, end: int, block: str, filename: str) -> _Block:
    """One top-level block of a broken file: its statements (if any part parses), its error."""
    try:
        return _parse_quiet("\n" * start + block, filename), None
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
            return _parse_quiet("\n" * first + "\n".join([*lines[first:number], stub]), filename)
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
    previous = _FILE_BLOCKS.pop(filename, None)
    lines: list[str] | None = None
    if previous is None or filename == "<document>":
        # The first parse of this file: the whole file at once (the C parser at full speed).
        try:
            tree = _parse_quiet(parsed_text, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            first_error: BaseException | None = exc.with_traceback(None)
        else:
            if filename != "<document>":
                _FILE_BLOCKS.keep(filename, {})  # parsed again: go block by block
            return PythonSource(source_text, tree, [], newline, bom)
        previous = {}
    else:
        lines = parsed_text.split("\n")
        first_error = None
        if len(lines) < _INCREMENTAL_MIN_LINES:
            try:
                tree = _parse_quiet(parsed_text, filename)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                first_error = exc.with_traceback(None)
            else:
                _FILE_BLOCKS.keep(filename, {})
                return PythonSource(source_text, tree, [], newline, bom)
    if lines is None:
        lines = parsed_text.split("\n")
    errors: list[tuple[int, str]] = []
    body: list[ast.stmt] = []
    blocks: dict[tuple[int, str], _Block] = {}
    spans = _top_level_blocks(lines, parsed_text)
    first_failed = -1
    for number, (start, end) in enumerate(spans):
        key = (start, "\n".join(lines[start:end]))
        parsed = previous.get(key)
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
                    found = previous.get(piece_key) or _parse_block(
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
    _FILE_BLOCKS.keep(filename, blocks)
    if errors and first_error is None and _may_continue(lines, spans, first_failed, filename):
        # A block failed on its own, but the split may have cut a multi-line string or
        # bracket that the rest of the file closes: the whole file decides.
        try:
            tree = _parse_quiet(parsed_text, filename)
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
    try:
        _parse_quiet("\n" * start + text, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
