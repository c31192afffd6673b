"""The static workspace index: modules, classes, functions, assignments — read, never run.

``ProjectIndex`` keeps one ``ModuleInfo`` per Python file (see ``python/facts.py``) and
answers cross-file questions: what a qualified name refers to, a class's bases across
modules, which files import what. It is incremental — ``update_text``/``update_file``
re-read one file and bump ``generation`` so derived views (models, URL names; see
``core/django``) rebuild lazily. Template files are listed too, for rules that need to
know where links live.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from stat import S_ISLNK
from typing import Any, Literal, TypeVar

from ..layout import DEFAULT_EXCLUDES
from .python.facts import (
    ClassInfo,
    FunctionInfo,
    ModuleInfo,
    extract_module,
    interface_changes,
    opaque_migration,
    opaque_module,
)
from .python.parse import parse_python
from .sources import classify
from .types import SourceKind

T = TypeVar("T")

MAX_INDEX_BYTES = 4_000_000  # a generated or vendored file this big is not project code to index


def digest_text(text: str) -> str:
    """A digest of ``text``; the same string object asked again costs an identity test (one
    check reads its document's digest in several places)."""
    global _last_digest
    last = _last_digest
    if last is not None and last[0] is text:
        return last[1]
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    _last_digest = (text, digest)
    return digest


_last_digest: tuple[str, str] | None = None


def read_source(path: Path) -> str:
    """Read a file as text: UTF-8 (BOM allowed), undecodable bytes replaced, not raised."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary file (NUL byte)")
    return data.decode(
        "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8", errors="replace"
    )


@functools.lru_cache(maxsize=64)
def _split_patterns(patterns: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Plain names (no ``/``, no glob characters) match a path component: a set lookup."""
    names: set[str] = set()
    globs: list[str] = []
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if not pattern:
            continue
        if "/" not in pattern and not any(c in pattern for c in "*?["):
            names.add(pattern)
        else:
            globs.append(pattern)
    return frozenset(names), tuple(globs)


def is_excluded(relative: str, patterns: Iterable[str]) -> bool:
    """gitignore-ish globbing: ``foo`` matches a path component, ``a/**`` a subtree."""
    parts = relative.split("/")
    names, globs = _split_patterns(tuple(patterns))
    if not names.isdisjoint(parts):
        return True
    for pattern in globs:
        if "/" not in pattern and "*" not in pattern and pattern in parts:
            return True
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*"):
            return True
        if pattern.endswith("/**") and (
            relative == pattern[:-3] or relative.startswith(pattern[:-2])
        ):
            return True
        if "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


class RelativePaths:
    """Paths as POSIX text relative to ``folder`` (None for a path not below it).

    By string prefix under an absolute folder: pathlib's ``relative_to`` costs ~20 us a path,
    and the CLI asks for every file of the project several times.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.prefix = os.path.join(str(folder), "") if folder.is_absolute() else None

    def of(self, path: str) -> str | None:
        if self.prefix is None:
            try:
                return Path(path).relative_to(self.folder).as_posix()
            except ValueError:
                return None
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix) :].replace(os.sep, "/")


def has_py_suffix(path: str) -> bool:
    """``Path(path).suffix == ".py"`` for a file's path as the walk gives it (no trailing
    separator), without building the path object."""
    name = path.rpartition(os.sep)[2]
    dot = name.rfind(".")
    return 0 < dot == len(name) - 3 and name.endswith(".py")


def walk_file_paths(
    root: Path,
    start: Path,
    excludes: Iterable[str] = (),
    on_error: Callable[[Path, str], None] | None = None,
) -> Iterator[str]:
    """Files under ``start`` (a file yields itself), skipping VCS dirs, venvs, excludes and
    symlink loops, as path strings (``str(start)`` joined with the names below it): the CLI
    walks every file of the project, and a path object per file costs more than the walk."""
    patterns = (*DEFAULT_EXCLUDES, *excludes)
    if start.is_file():
        yield str(start)
        return
    # A plain name excludes a path holding it as a component: the folders above an entry were
    # tested on the way down (the start's once, here), so its own name is all there is to
    # test; a glob pattern is matched against the whole relative path.
    names, globs = _split_patterns(patterns)
    below_root = RelativePaths(root)
    relative_start = below_root.of(str(start))
    if relative_start is not None and not names.isdisjoint(relative_start.split("/")):
        return
    seen_dirs: set[tuple[int, int]] = set()
    stack = [str(start)]
    while stack:
        directory = stack.pop()
        try:
            stat = os.stat(directory)
        except OSError as exc:
            if on_error:
                on_error(Path(directory), str(exc))
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in seen_dirs:
            continue  # a symlink loop
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            if on_error:
                on_error(Path(directory), str(exc))
            continue
        subdirs = []
        for entry in entries:
            path = entry.path
            if entry.name in names:
                continue
            if globs:
                relative = below_root.of(path)
                if is_excluded(entry.name if relative is None else relative, globs):
                    continue
            try:
                if entry.is_dir():
                    if os.path.exists(os.path.join(path, "pyvenv.cfg")):
                        continue  # any virtualenv, whatever its name
                    subdirs.append(path)
                elif entry.is_file():
                    yield path
            except OSError as exc:
                if on_error:
                    on_error(Path(path), str(exc))
        stack.extend(reversed(subdirs))


def module_name(root: Path, path: Path | str, real_dirs: dict[str, str] | None = None) -> str:
    """Dotted module name of ``path`` relative to ``root`` (``books/models.py`` -> ``books.models``).

    Both are compared with symbolic links resolved. ``real_dirs`` memoises resolved folders
    across calls; ``ModuleNames`` names many files in one go.
    """
    return ModuleNames(root, real_dirs).of(os.fspath(path))


class ModuleNames:
    """``module_name`` for the files under one root, each folder's dotted prefix worked out
    once (the CLI names thousands of files in a few hundred folders in one go)."""

    def __init__(self, root: Path | str, real_dirs: dict[str, str] | None = None) -> None:
        self._real_dirs: dict[str, str] = {} if real_dirs is None else real_dirs
        self._real_root = _real(str(root), self._real_dirs)
        self._prefixes: dict[str, str | None] = {}  # folder -> dotted prefix, None: outside

    def of(self, path: str, link: bool | None = None) -> str:
        """The module name of the file at ``path``; ``link``: whether the file itself is a
        symbolic link, when the caller knows (else it is looked up)."""
        full = os.path.abspath(path)
        directory, name = os.path.split(full)  # (``full`` is ``os.path.join(directory, name)``)
        if link is None:
            try:
                link = S_ISLNK(os.lstat(full).st_mode)  # ``os.path.islink``
            except (OSError, ValueError):
                link = False
        if link:
            real = os.path.realpath(full)
            prefix = self._prefix(os.path.dirname(real), resolved=True)
            name = os.path.basename(real) if prefix is not None else name
        else:
            prefix = self._prefix(directory, resolved=False)
        dot = name.rfind(".")
        stem = name[:dot] if 0 < dot < len(name) - 1 else name  # as ``with_suffix("")``
        if stem == "__init__":
            return prefix[:-1] if prefix else ""
        return f"{prefix}{stem}" if prefix else stem

    def _prefix(self, directory: str, *, resolved: bool) -> str | None:
        """``"a.b."`` for a folder ``<root>/a/b`` (``""`` for the root itself); None for a
        folder outside the root (its files are named by their file name alone)."""
        key = directory if not resolved else "\0" + directory
        try:
            return self._prefixes[key]
        except KeyError:
            pass
        real = directory if resolved else _real(directory, self._real_dirs)
        root = self._real_root
        prefix: str | None
        if real == root:
            prefix = ""
        elif real.startswith(root) and real[len(root) : len(root) + 1] == os.sep:
            prefix = real[len(root) + 1 :].replace(os.sep, ".") + "."
        elif root == os.sep and real.startswith(os.sep):
            prefix = real[1:].replace(os.sep, ".") + "."
        else:
            prefix = None
        self._prefixes[key] = prefix
        return prefix


def _real(directory: str, memo: dict[str, str]) -> str:
    real = memo.get(directory)
    if real is None:
        real = memo[directory] = os.path.realpath(directory)
    return real


@dataclass(frozen=True)
class Resolved:
    """What a qualified name points at inside the project."""

    kind: str  # "class" | "function" | "module" | "assignment"
    module: ModuleInfo
    obj: Any  # ClassInfo | FunctionInfo | ModuleInfo | Value


class ProjectIndex:
    """An incremental, never-executing index of a Django project's Python files."""

    def __init__(
        self, root: Path | str, excludes: Iterable[str] = (), template_dirs: Iterable[str] = ()
    ):
        self.root = Path(root).resolve()
        self.excludes = tuple(excludes)
        self.template_dirs = tuple(template_dirs)
        self.modules: dict[str, ModuleInfo] = {}  # by absolute path
        self._by_name: dict[str, list[str]] = {}  # dotted suffix -> paths
        self.templates: set[str] = set()
        self.generation = 0  # bumped by every change of any file's content
        # Bumped only when what other files can see changes (a module's interface, the set of
        # files, a template's text): the whole-index views in ``derived`` key on it, so typing
        # inside a function does not rebuild the project's model and URL tables.
        self.interface_generation = 0
        # ... apart from functions: module-level functions and methods (``member_changes``).
        self.class_generation = 0
        self.body_generation = 0  # ... or what a function of any module calls or does
        self.template_generation = 0  # bumped when a template's text changes
        # Bumped when functions changed and nothing else of the shape; each bump logs which
        # functions, for the views that read functions by name (``derived``).
        self.member_generation = 0
        self._member_log: list[tuple[int, frozenset[tuple[str, str]]]] = []
        self._member_log_floor = 0  # the log covers the changes after this member generation
        self._member_reads: _MemberReads | None = None  # of the by-name view being built
        self._template_digests: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.stamps: dict[str, tuple[int, int]] = {}  # path -> (mtime_ns, size) when read from disk
        self._derived: dict[str, _Derived] = {}

    # -- building ----------------------------------------------------------------------------
    def scan(
        self,
        progress: Callable[[int, int], None] | None = None,
        cached: Mapping[str, tuple[int, int, ModuleInfo]] | None = None,
        *,
        files: Sequence[str | Path] | None = None,
        validated: bool = False,
    ) -> None:
        """Index every Python file below the root (templates are listed, not read).

        ``cached`` maps paths to (mtime_ns, size, ModuleInfo) from an earlier run: a file whose
        stamp is unchanged is adopted without being read or parsed. ``files`` is the walk of
        the root when the caller has one; ``validated`` says every ``cached`` stamp was just
        taken from the file (the CLI's own extraction), so none is taken again.
        """
        keys = (
            [str(path) for path in files]
            if files is not None
            else list(walk_file_paths(self.root, self.root, self.excludes))
        )
        python = [key for key in keys if has_py_suffix(key)]
        below_root = RelativePaths(self.root)
        for key in keys:
            relative = below_root.of(key)
            if classify(key if relative is None else relative, None, self.template_dirs) in (
                SourceKind.DJANGO_TEMPLATE,
                SourceKind.JINJA2,
            ):
                self.templates.add(key)
        for count, key in enumerate(python, 1):
            hit = cached.get(key) if cached else None
            if hit is not None and not validated:
                try:
                    stat = os.stat(key)
                except OSError:
                    hit = None
                else:
                    if (stat.st_mtime_ns, stat.st_size) != hit[:2]:
                        hit = None  # changed since the cached run: read it again
            if hit is not None:
                self.modules[key] = hit[2]
                self.stamps[key] = hit[:2]
                self._register(hit[2])
            else:
                self.update_file(key, bump=False)
            if progress and (count % 50 == 0 or count == len(python)):
                progress(count, len(python))
        self.generation += 1
        self.interface_generation += 1
        self.class_generation += 1
        self.body_generation += 1

    def fingerprint(self) -> str:
        """A digest of everything cross-file analysis depends on: every module and template path."""
        hasher = hashlib.blake2b(digest_size=16)
        for path in sorted(self.modules):
            hasher.update(f"{path}\0{self.modules[path].digest}\n".encode("utf-8", "surrogatepass"))
        for path in sorted(self.templates):
            hasher.update(f"T{path}\n".encode("utf-8", "surrogatepass"))
        return hasher.hexdigest()

    def update_file(self, path: Path | str, *, bump: bool = True) -> bool:
        """Re-read one file from disk; returns True when its facts changed."""
        path = Path(path)
        key = self.key(path)
        try:
            stat = path.stat()
            if stat.st_size > MAX_INDEX_BYTES:
                self.errors[key] = "too large to index"
                return self.remove(key, bump=bump)
            text = read_source(path)
            self.stamps[key] = (stat.st_mtime_ns, stat.st_size)
        except (OSError, UnicodeDecodeError) as exc:
            self.errors[key] = str(exc)
            return self.remove(key, bump=bump)
        self.errors.pop(key, None)
        return self.update_text(key, text, bump=bump)

    def update_text(self, path: str, text: str, *, bump: bool = True) -> bool:
        """Index ``text`` as the content of ``path`` (an open editor buffer, or a file)."""
        key = self.key(path)
        if not key.endswith(".py"):
            kind = classify(key, None, self.template_dirs)
            if kind not in (SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2):
                return False
            digest = digest_text(text)
            known = key in self.templates
            if known and self._template_digests.get(key) == digest:
                return False
            self.templates.add(key)
            self._template_digests[key] = digest
            if bump:
                self.generation += 1
                self.template_generation += 1
                if not known:
                    self.interface_generation += 1
            return True
        digest = digest_text(text)
        old = self.modules.get(key)
        if old is not None and old.digest == digest:
            return False
        module = module_name(self.root, Path(key))
        if opaque_migration(key, text):
            info = opaque_module(key, module, digest, text)
        else:
            info = extract_module(parse_python(text, key), module, key, digest)
        classes_changed = functions_changed = bodies_changed = True
        members: frozenset[tuple[str, str]] | None = None
        if old is not None:
            self._unregister(old)
            if bump:
                classes_changed, functions_changed, bodies_changed = interface_changes(old, info)
                if classes_changed or functions_changed:
                    members = member_changes(old, info)
        self.modules[key] = info
        self._register(info)
        if bump:
            self.generation += 1
            if classes_changed or functions_changed:
                self.interface_generation += 1
                if members is None:
                    self._shape_changed()
                else:
                    self._members_changed(members)
            if bodies_changed:
                self.body_generation += 1
        return True

    def reread_text(self, path: str, text: str) -> bool:
        """Summarise ``path`` again from ``text`` when that is exactly what the index holds
        (same digest: nothing changes, no generation moves); False when it is not.

        For a buffer just opened in an editor: its facts then come from the parse its checks
        use, so the next keystroke re-summarises only the statements it touched (the facts
        memo reuses summaries by statement node, and the parse reuses unchanged blocks).
        """
        key = self.key(path)
        old = self.modules.get(key)
        if old is None or not key.endswith(".py") or old.digest != digest_text(text):
            return False
        if opaque_migration(key, text):
            return True  # the index keeps no facts of it, whatever the parse
        info = extract_module(parse_python(text, key), old.module, key, old.digest)
        self.modules[key] = info  # same path and module name: ``_by_name`` is unchanged
        return True

    def _shape_changed(self) -> None:
        self.class_generation += 1
        self._member_log.clear()  # every view the log could keep is stale now
        self._member_log_floor = self.member_generation

    def _members_changed(self, members: frozenset[tuple[str, str]]) -> None:
        self.member_generation += 1
        log = self._member_log
        log.append((self.member_generation, members))
        if len(log) > _MEMBER_LOG_SIZE:
            # Forget what no cached view needs; past the bound, views older than the log rebuild.
            needed = min(
                (entry.members_since for entry in self._derived.values() if entry.names),
                default=self.member_generation,
            )
            log[:] = [item for item in log if item[0] > needed][-_MEMBER_LOG_SIZE:]
            self._member_log_floor = log[0][0] - 1 if log else self.member_generation

    def key(self, path: str | Path) -> str:
        """The index key of a path: absolute (relative paths are taken from the root), normalised."""
        text = str(path)
        return os.path.normpath(text if os.path.isabs(text) else os.path.join(self.root, text))

    def remove(self, path: str, *, bump: bool = True) -> bool:
        key = self.key(path)
        self._template_digests.pop(key, None)
        if key in self.templates:
            self.templates.discard(key)
            if bump:
                self.generation += 1
                self.interface_generation += 1
            return True
        old = self.modules.pop(key, None)
        if old is None:
            return False
        self._unregister(old)
        if bump:
            self.generation += 1
            self.interface_generation += 1
            self._shape_changed()
            self.body_generation += 1
        return True

    def _suffixes(self, name: str) -> Iterator[str]:
        parts = name.split(".")
        for index in range(len(parts)):
            yield ".".join(parts[index:])

    def _register(self, info: ModuleInfo) -> None:
        for suffix in self._suffixes(info.module):
            self._by_name.setdefault(suffix, []).append(info.path)

    def _unregister(self, info: ModuleInfo) -> None:
        for suffix in self._suffixes(info.module):
            paths = self._by_name.get(suffix)
            if paths and info.path in paths:
                paths.remove(info.path)
                if not paths:
                    del self._by_name[suffix]

    # -- lookups -----------------------------------------------------------------------------
    def module_at(self, path: str) -> ModuleInfo | None:
        return self.modules.get(self.key(path))

    def find_module(self, name: str, near: str | None = None) -> ModuleInfo | None:
        """The module a dotted import name refers to (exact, else a unique or nearest suffix match)."""
        paths = self._by_name.get(name)
        if not paths:
            return None
        if len(paths) == 1:
            return self.modules[paths[0]]
        exact = [p for p in paths if self.modules[p].module == name]
        if len(exact) == 1:
            return self.modules[exact[0]]
        if near:
            near_dir = os.path.dirname(near)
            best = max(paths, key=lambda p: len(os.path.commonpath([p, near_dir])))
            return self.modules[best]
        return self.modules[min(paths, key=len)]

    def resolve(self, qualified: str, near: str | None = None, _depth: int = 0) -> Resolved | None:
        """What ``pkg.module.Name`` (or ``pkg.module.Class.Nested``) refers to in the project.

        Follows re-exports (``from .views import X`` in a package ``__init__``) a few levels.
        """
        if _depth > 8 or not qualified:
            return None
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:cut]), near)
            if module is None:
                continue
            rest = parts[cut:]
            if not rest:
                return Resolved("module", module, module)
            attr = ".".join(rest)
            if attr in module.classes:
                return Resolved("class", module, module.classes[attr])
            reads = self._member_reads
            if reads is not None and (len(rest) == 1 or rest[0] in module.classes):
                reads.names.add((module.path, attr))  # a function or method of that name
            if rest[0] in module.functions and len(rest) == 1:
                return Resolved("function", module, module.functions[rest[0]])
            if (
                rest[0] in module.classes
                and len(rest) == 2
                and rest[1] in module.classes[rest[0]].methods
            ):
                return Resolved("function", module, module.classes[rest[0]].methods[rest[1]])
            if rest[0] in module.imports:
                target = module.imports[rest[0]]
                tail = ".".join(rest[1:])
                return self.resolve(f"{target}.{tail}" if tail else target, module.path, _depth + 1)
            if attr in module.assignments:
                return Resolved("assignment", module, module.assignments[attr])
            return None
        return None

    def resolve_class(self, qualified: str, near: str | None = None) -> ClassInfo | None:
        found = self.resolve(qualified, near)
        return found.obj if found is not None and found.kind == "class" else None

    def resolve_function(self, qualified: str, near: str | None = None) -> FunctionInfo | None:
        found = self.resolve(qualified, near)
        return found.obj if found is not None and found.kind == "function" else None

    def classes(self) -> Iterator[ClassInfo]:
        for module in self.modules.values():
            yield from module.classes.values()

    def base_names(self, cls: ClassInfo, _seen: frozenset[str] = frozenset()) -> Iterator[str]:
        """Every base's qualified name, transitively, through project classes (not Django's)."""
        for base in cls.bases:
            yield base
            if base in _seen:
                continue
            inner = self.resolve_class(base, cls.path)
            if inner is not None:
                yield from self.base_names(inner, _seen | {base})

    def has_method(self, cls: ClassInfo, name: str) -> bool:
        """``name in cls.methods``, read the way a view reading functions by name must."""
        reads = self._member_reads
        if reads is not None:
            reads.names.add((cls.path, f"{cls.qualname}.{name}"))
        return name in cls.methods

    def derived(
        self,
        key: str,
        build: Callable[[], T],
        *,
        reads_functions: bool | Literal["by name"] = True,
        reads_bodies: bool = False,
        reads_templates: bool = False,
    ) -> T:
        """A view computed from the whole index, rebuilt only after what it reads changed.

        ``build`` must read only the modules' shape (``interface_changes``: imports,
        assignments, classes and their bases, attributes, ``Meta`` and decorators), functions
        (module-level functions and methods: which exist, their names, ``async``-ness and
        decorators) only when ``reads_functions``, function bodies only when ``reads_bodies``
        and template files only when ``reads_templates``: a keystroke inside a function body
        keeps every other derived view, and a new function or method keeps the model table.

        ``reads_functions="by name"``: ``build`` reads functions only through ``resolve``
        (``resolve_class``, ``resolve_function``, ``base_names``) and ``has_method``, which
        note the names it looked up; the view is kept until a function or method of one of
        those names (in that module) appears, disappears or changes. A view that reads
        another view inherits what that one reads.
        """
        rest = (
            self.body_generation if reads_bodies else 0,
            self.template_generation if reads_templates else 0,
        )
        outer = self._member_reads
        cached = self._derived.get(key)
        if cached is not None and self._still_valid(cached, rest):
            if outer is not None:
                outer.inherit(cached)
            value: T = cached.value
            return value
        reads = _MemberReads() if reads_functions == "by name" else None
        self._member_reads = reads
        try:
            value = build()
        finally:
            self._member_reads = outer
        everything = reads_functions is True or (reads is not None and reads.everything)
        entry = _Derived(
            value,
            rest,
            self.interface_generation if everything else self.class_generation,
            everything,
            frozenset(reads.names) if reads is not None and not everything else None,
            self.member_generation,
        )
        self._derived[key] = entry
        if outer is not None:
            outer.inherit(entry)
        return value

    def _still_valid(self, entry: _Derived, rest: tuple[int, int]) -> bool:
        if entry.rest != rest:
            return False
        if entry.everything:
            return entry.shape == self.interface_generation
        if entry.shape != self.class_generation:
            return False
        if not entry.names or entry.members_since == self.member_generation:
            return True
        if entry.members_since < self._member_log_floor:
            return False  # changes it may depend on are no longer logged
        if any(
            not changed.isdisjoint(entry.names)
            for generation, changed in self._member_log
            if generation > entry.members_since
        ):
            return False
        entry.members_since = self.member_generation  # checked up to here
        return True

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_derived"] = {}  # derived views are cheap to rebuild and may hold unpicklables
        state["_member_log"] = []  # ... and the log of function changes serves only them
        state["_member_log_floor"] = self.member_generation
        state["_member_reads"] = None
        return state


_MEMBER_LOG_SIZE = 64  # function-only changes remembered for the views reading by name


@dataclass
class _Derived:
    """A derived view, the generations it was built (or last found valid) at, what it read."""

    value: Any
    rest: tuple[int, int]  # (body generation, template generation) when it reads those, else 0
    shape: int  # ``interface_generation`` if ``everything``, else ``class_generation``
    everything: bool  # it reads every function
    names: frozenset[tuple[str, str]] | None  # by name: (path, qualname) of those it looked up
    members_since: int  # ``member_generation`` when built or last found valid


class _MemberReads:
    """The functions a by-name view looked up while it was being built."""

    def __init__(self) -> None:
        self.names: set[tuple[str, str]] = set()
        self.everything = False  # it read a view that reads every function

    def inherit(self, entry: _Derived) -> None:
        """Another view read while building this one: what it read counts as read here."""
        if entry.everything:
            self.everything = True
        elif entry.names is not None:
            self.names |= entry.names


def member_changes(old: ModuleInfo, new: ModuleInfo) -> frozenset[tuple[str, str]] | None:
    """The functions of a module (path, qualname: ``f`` or ``Class.method``) that appeared,
    disappeared or changed shape between two summaries of it; None when anything else of
    its shape changed (``interface_changes``, which this asks member by member).

    The order of a module's functions or a class's methods is not counted: views that read
    functions by name do not see it.
    """
    if interface_changes(_without_functions(old), _without_functions(new))[0]:
        return None
    changed: set[str] = set()
    for name in old.functions.keys() | new.functions.keys():
        a, b = old.functions.get(name), new.functions.get(name)
        if a is not b and (
            a is None
            or b is None
            or interface_changes(_holding(old, {}, {name: a}), _holding(old, {}, {name: b}))[1]
        ):
            changed.add(name)
    for qualname, cls in new.classes.items():
        before = old.classes[qualname]  # the same classes: checked above
        if cls is before:
            continue
        for name in before.methods.keys() | cls.methods.keys():
            a, b = before.methods.get(name), cls.methods.get(name)
            if a is not b and (
                a is None
                or b is None
                or interface_changes(
                    _holding(old, {qualname: replace(before, methods={name: a})}, {}),
                    _holding(old, {qualname: replace(before, methods={name: b})}, {}),
                )[0]
            ):
                changed.add(f"{qualname}.{name}")
    return frozenset((new.path, name) for name in changed)


def _without_functions(info: ModuleInfo) -> ModuleInfo:
    classes = {name: replace(cls, methods={}) for name, cls in info.classes.items()}
    return replace(info, classes=classes, functions={})


def _holding(
    info: ModuleInfo, classes: dict[str, ClassInfo], functions: dict[str, FunctionInfo]
) -> ModuleInfo:
    """``info`` reduced to the given classes and functions (to compare one member)."""
    return replace(
        info, imports={}, star_imports=(), assignments={}, classes=classes, functions=functions
    )


def in_memory_project(files: Mapping[str, str], root: str = "/project") -> ProjectIndex:
    """An index of in-memory files (relative path -> text) under a virtual root.

    Used by rule examples, tests and the language server before the disk scan finishes.
    """
    index = ProjectIndex(root)
    for relative, text in files.items():
        index.update_text(str(index.root / relative), text, bump=False)
    index.generation += 1
    index.interface_generation += 1
    index.class_generation += 1
    index.body_generation += 1
    return index
