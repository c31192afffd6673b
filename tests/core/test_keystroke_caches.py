"""The per-keystroke caches give exactly what a fresh computation gives.

Caches under test: ``facts._Extractor.async_calls`` (an ``async def``'s called names by its
text), ``parse._FILE_BLOCKS`` (the top-level blocks of files parsed again), ``edits.parses`` (fix
validation by text) and DJV102's text prefilter of functions.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import django
import pytest

from djvet.core.python import facts as facts_module
from djvet.core.python import parse as parse_module
from djvet.core.python.edits import _parses, parses
from djvet.core.python.facts import extract_module
from djvet.core.python.parse import parse_python

DJANGO = Path(django.__file__).parent


def _facts(text: str) -> str:
    return repr(extract_module(parse_python(text, "m.py"), "pkg.m", "/p/pkg/m.py", "d"))


def _fresh_facts(text: str) -> str:
    facts_module._ASYNC_CALLS.clear()
    facts_module._STATEMENTS.clear()
    return _facts(text)


def _django_sources(limit: int) -> list[str]:
    paths = sorted(DJANGO.rglob("*.py"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    with_async = [t for t in texts if "async def" in t]
    return with_async[:limit]


@pytest.mark.parametrize("text", _django_sources(25))
def test_async_calls_cache_matches_fresh_extraction_after_shift(text: str) -> None:
    warm = _facts(text)  # fills the cache
    assert warm == _fresh_facts(text)
    shifted = "\n# a comment line\n\n" + text  # every span moves; the function texts do not
    cached = _facts(shifted)  # served from the cache filled by ``text``
    assert cached == _fresh_facts(shifted)


def test_async_calls_follow_an_import_change() -> None:
    before = "from a import f\n\n\nasync def view():\n    return f()\n"
    after = "from b import f\n\n\nasync def view():\n    return f()\n"
    assert "a.f" in _facts(before)
    # Same function text, other import: the cached names must not be reused.
    facts = extract_module(parse_python(after, "m.py"), "pkg.m", "/p/pkg/m.py", "d")
    assert facts.functions["view"].calls == frozenset({"b.f"})


def test_async_calls_of_a_stub_are_not_reused_for_the_real_function() -> None:
    # The broken member is replaced by a one-line stub (no calls) while the file is broken;
    # once fixed, the same line must report its real call.
    broken = (
        "class V:\n    async def get(self): return f()\n        garbage(\n\n"
        "    def post(self):\n        pass\n"
    )
    fixed = "class V:\n    async def get(self): return f()\n\n\n    def post(self):\n        pass\n"
    for _ in range(2):
        src = parse_python(broken, "x.py")
        assert src.recovered
        stub = extract_module(src, "m", "x.py", "d").classes["V"].methods["get"]
        assert stub.calls == frozenset()
        real = extract_module(parse_python(fixed, "x.py"), "m", "x.py", "d")
        assert real.classes["V"].methods["get"].calls == frozenset({"f"})


def _dump(
    text: str, *, reuse_blocks: bool, recovered: bool | None = True
) -> tuple[str, tuple[tuple[int, str], ...]]:
    parse_module._last_parse = None  # no reuse of the whole previous result
    if not reuse_blocks:
        parse_module._FILE_BLOCKS.clear()
    source = parse_python(text, "views.py")
    if recovered is not None:
        assert source.recovered is recovered
    return ast.dump(source.tree, include_attributes=True), tuple(source.syntax_errors)


def test_broken_file_blocks_reused_give_the_fresh_parse() -> None:
    good = "".join(
        f"\n\nasync def v{i}(request):\n    x = await Book.objects.aget(pk={i})\n    return x\n"
        for i in range(30)
    )
    lines = good.split("\n")
    steps = []
    for typed in ("    y = Book.objects.", "    y = (Book.objects.fil", "    y = [Book.objects"):
        edited = list(lines)
        edited[10] = typed
        steps.append("\n".join(edited))
    steps.append("\n" + steps[0])  # the same broken text one line lower
    steps.append("class V:\n    def get(self):\n        return (\n" + steps[1])
    _dump(steps[0], reuse_blocks=False)
    for text in steps:
        reused = _dump(text, reuse_blocks=True)  # blocks of the previous step are reused
        assert reused == _dump(text, reuse_blocks=False)


def test_the_first_parse_again_reuses_the_statements_of_the_whole_file_parse() -> None:
    text = "".join(f"\n\nasync def v{i}(request):\n    return {i}\n" for i in range(80))
    for prefix, reused in (("", 79), ("X = [\n1,\n]\n", 0)):  # (the split cuts ``X = [...]``)
        parse_module._FILE_BLOCKS.clear()
        parse_module._last_parse = None
        first = parse_python(prefix + text, "views.py").tree  # one piece: the C parser
        edited = prefix + text.replace("    return 5\n", "    return 55\n")
        parse_module._last_parse = None
        second = parse_python(edited, "views.py").tree  # block by block
        same = {id(node) for node in first.body} & {id(node) for node in second.body}
        assert len(same) == reused
        fresh = _dump(edited, reuse_blocks=False, recovered=False)
        assert ast.dump(second, include_attributes=True) == fresh[0]


def test_parses_cache_agrees_with_parsing() -> None:
    samples = ["x = 1\n", "def f(:\n", "if True:\n    class A:\n        pass\n", "print(1\n"]
    for text in samples * 2:
        assert parses(text) is _parses(text)


@pytest.mark.parametrize(
    "broken",
    [
        "@login_required\nasync def view(request):\n    x = len(\n    return 1\n",
        "@login_required\nasync def view(request\n    return 1\n",
        "@method_decorator(\nasync def view(request):\n    return 1\n",  # broken decorator
    ],
)
def test_broken_top_level_function_keeps_its_shape(broken: str) -> None:
    text = "from django.contrib.auth.decorators import login_required\n\n\n" + broken
    text += "\n\ndef after():\n    return 2\n"
    source = parse_python(text, "m.py")
    assert source.recovered
    info = extract_module(source, "pkg.m", "/p/pkg/m.py", "d")
    assert set(info.functions) == {"view", "after"}
    view = info.functions["view"]
    assert view.is_async and not view.calls  # its body is unknown until it parses again
    if broken.startswith("@login_required"):
        assert [getattr(d, "name", None) for d in view.decorators] == [
            "django.contrib.auth.decorators.login_required"
        ]


def test_a_top_level_statement_that_is_not_a_function_gets_no_stub() -> None:
    source = parse_python("x = [\n\ndef after():\n    return 2\n", "m.py")
    info = extract_module(source, "pkg.m", "/p/pkg/m.py", "d")
    assert set(info.functions) == {"after"} and not info.assignments


STATEMENTS = ["x = (1, [2", "qs = Book.objects.filter(", 'return """doc', "if a:", "@deco", '"""']


def _typing_steps(text: str, rng: random.Random, count: int) -> list[str]:
    """Texts an editor sends while someone types into ``text``: keys, newlines, pastes, cuts."""
    steps = []
    for _ in range(count):
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        choice = rng.random()
        if choice < 0.6:  # type a statement one key at a time
            indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
            statement = rng.choice(STATEMENTS)
            rest = lines[line][len(indent) :]
            for end in range(1, len(statement) + 1):
                lines[line] = indent + statement[:end] + rest
                steps.append("\n".join(lines))
        elif choice < 0.8:  # a newline (every block below moves)
            lines.insert(line, "")
            steps.append("\n".join(lines))
        elif choice < 0.9:  # cut a few lines
            del lines[line : line + rng.randint(1, 6)]
            steps.append("\n".join(lines))
        else:  # paste a function
            lines[line:line] = ["", "async def pasted(request):", "    return await f()", ""]
            steps.append("\n".join(lines))
        text = steps[-1]
    return steps


@pytest.mark.parametrize("seed", range(4))
def test_block_by_block_parse_equals_the_whole_file_parse(seed: int) -> None:
    rng = random.Random(seed)
    texts = [t for t in _django_sources(40) if t.count("\n") > 250]
    text = texts[seed % len(texts)]
    parse_module._FILE_BLOCKS.clear()
    _dump(text, reuse_blocks=True, recovered=False)
    for step in _typing_steps(text, rng, 8):
        incremental = _dump(step, reuse_blocks=True, recovered=None)
        assert incremental == _dump(step, reuse_blocks=False, recovered=None)


def test_a_string_cut_by_the_block_split_is_still_one_valid_file() -> None:
    text = (
        "X = 1\n" * 300 + 'DOC = """\ndef looks_like_code():\n"""\n\n\ndef f():\n    return DOC\n'
    )
    parse_module._FILE_BLOCKS.clear()
    _dump(text, reuse_blocks=True, recovered=False)
    again = text.replace("X = 1", "X = 2", 1)
    assert _dump(again, reuse_blocks=True, recovered=False) == _dump(
        again, reuse_blocks=False, recovered=False
    )


def test_block_split_by_regex_equals_the_line_loop() -> None:
    from djvet.core.python.parse import _top_level_blocks

    rng = random.Random(3)
    inserts = ['"""', "'''", "\n", "@x\n", "  ", "#", "(", "\ndef f(:\n", "\n)\n", "\nelse:\n"]
    for text in _django_sources(60):
        text = text.replace("\r", "")
        for _ in range(4):
            at = rng.randrange(max(1, len(text)))
            variant = text[:at] + rng.choice(inserts) + text[at:]
            lines = variant.split("\n")
            assert _top_level_blocks(lines, variant) == _top_level_blocks(lines)


def test_block_split_resumed_after_an_edit_equals_a_fresh_split() -> None:
    from djvet.core.python.parse import _block_starts, _incremental_starts, _split_line_numbers

    def fresh(text: str) -> list[int]:
        return list(_block_starts(text.split("\n"), _split_line_numbers(text)))

    def _blocks(lines: list[str], starts: list[int]) -> list[tuple[int, str]]:
        ends = [*starts[1:], len(lines)]
        return [(start, "\n".join(lines[start:end])) for start, end in zip(starts, ends)]

    rng = random.Random(5)
    inserts = ['"""', "'''", "\n", "@x\n", "  ", "#", "(", "\ndef f(:\n", "\n)\n", "\nelse:\n"]
    inserts += ["x", "\nclass C:\n    doc = '''\n", '\n"""\n', "", "\n\n\n"]
    for text in _django_sources(60):
        text = text.replace("\r", "")
        starts = fresh(text)
        for _ in range(6):  # edits on edits: each split resumes from the previous one
            at = rng.randrange(len(text) + 1)
            cut = rng.choice([0, 0, 1, 5, 80])
            variant = text[:at] + rng.choice(inserts) + text[at + cut :]
            expected = fresh(variant)
            lines = variant.split("\n")
            resplit = _incremental_starts(text, starts, variant, lines)
            assert resplit.starts == expected
            # The blocks it says the edit did not reach are the old ones, word for word.
            old_lines = text.split("\n")
            old_blocks = _blocks(old_lines, starts)
            new_blocks = _blocks(lines, expected)
            assert new_blocks[: resplit.head] == old_blocks[: resplit.head]
            assert [text for _, text in new_blocks[resplit.tail :]] == [
                text for _, text in old_blocks[resplit.tail_old :]
            ]
            assert [start for start, _ in new_blocks[resplit.tail :]] == [
                start + resplit.shift for start, _ in old_blocks[resplit.tail_old :]
            ]
            text, starts = variant, expected
