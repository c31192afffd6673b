"""Language-server latency, measured from outside like an editor sees it (no editor needed).

Generates a Django project with a ~2,000-line async views module, starts ``djvet server``
(``python -m djvet.lsp``) and talks JSON-RPC to it over stdio:

1. ``initialize`` response time — cold (sent right after spawning: includes Python start-up
   and imports) and warm (sent to a server that has finished importing: the handler itself);
2. first diagnostics for the opened module once the index exists (``$/progress`` ended);
3. ~200 realistic edits — typing inside a function one key at a time, pasting a block,
   breaking the syntax and fixing it again — each from ``didChange`` to the first
   ``publishDiagnostics`` whose version is at least that edit's (what the user waits for;
   an edit whose check was coalesced into a later one counts until that later one arrives).

Also reported: the same latency for the last keystroke of each burst (when the typist stops
to look — the delay they notice), and with ``--breakdown`` the server's own work per edit
measured in process (index update, check, conversion) to say whose milliseconds they are.
``DJVET_BENCH_SERVER_LOG=/path`` keeps the server's debug log, which times every check.

Targets (benchmark issue, 2-core machine): keystroke-to-diagnostics p95 <= 50 ms; first
diagnostics <= 300 ms after the index exists; ``initialize`` answered in <= 100 ms.

    python bench/lsp_latency.py [--lines 2000] [--edits 200] [--typing-ms 100] [--think-ms 1000]
                                [--ignore DJV201 ...] [--breakdown] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

MODELS = """from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    pages = models.IntegerField(default=0)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    published = models.BooleanField(default=False)
"""
URLS = """from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
"""
HEADER = '''"""A large async views module (generated for the latency benchmark)."""

from django.http import JsonResponse
from django.views.generic import CreateView, View

from .models import Author, Book
'''
BLOCKS = [
    '''

async def detail_{i}(request, pk):
    """Async ORM only: nothing to report."""
    book = await Book.objects.select_related("author").aget(pk=pk)
    count = await Book.objects.filter(author=book.author).acount()
    names = [b.title async for b in Book.objects.filter(published=True)]
    return JsonResponse({{"title": book.title, "count": count, "names": names}})
''',
    '''

async def dirty_{i}(request, pk):
    """A sync query in async code."""
    book = Book.objects.get(pk=pk)
    total = 0
    for other in Book.objects.filter(author_id=book.author_id):
        total += other.pages
    return JsonResponse({{"title": book.title, "total": total}})
''',
    """

class Page{i}(View):
    async def get(self, request):
        books = [b async for b in Book.objects.all()[:10]]
        return JsonResponse({{"n": len(books)}})

    async def post(self, request):
        return JsonResponse({{"ok": True}})
""",
    """

class Create{i}(CreateView):
    model = Book
    fields = ["title"]

    async def get(self, request, *args, **kwargs):
        return JsonResponse({{"form": True}})
""",
]
PASTE = '''
async def pasted_{i}(request):
    """A pasted block."""
    author = await Author.objects.afirst()
    books = [b async for b in Book.objects.filter(author=author)]
    pages = sum(b.pages for b in books)
    return JsonResponse({{"pages": pages}})
'''


def views_module(lines: int) -> str:
    parts = [HEADER]
    index = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(BLOCKS[index % len(BLOCKS)].format(i=index))
        index += 1
    return "".join(parts)


def write_project(root: Path, lines: int, extra_modules: int) -> Path:
    files = {
        "pyproject.toml": '[project]\nname = "bench"\ndependencies = ["Django>=5.2,<6.0"]\n',
        "manage.py": "",
        "site_/__init__.py": "",
        "site_/urls.py": URLS,
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/views.py": views_module(lines),
        "templates/base.html": "<a href=\"{% url 'logout' %}\">Log out</a>\n",
    }
    for n in range(extra_modules):  # a realistic number of files for the index to read
        files[f"pkg{n % 10}/mod{n}.py"] = (
            f"from app.models import Book\n\n\ndef helper_{n}():\n    return Book.objects.count()\n"
        )
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------
# A small JSON-RPC client over stdio
# ---------------------------------------------------------------------------------------------


class Client:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.published: list[tuple[float, str, int | None, int]] = []  # (time, uri, version, count)
        self.seen: list[dict[str, Any]] = []  # every publishDiagnostics params, in order
        self.progress_ended = asyncio.Event()
        self.waiters: list[tuple[Any, asyncio.Future[None]]] = []
        self.reader = asyncio.ensure_future(self._read())

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self.send({"id": self.next_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            header = await stdout.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            now = time.perf_counter()
            if "id" in message and "method" not in message:
                future = self.pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif "id" in message:  # a request from the server: answer like a plain editor
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [None for _ in message["params"]["items"]]
                self.send({"id": message["id"], "result": result})
            elif message["method"] == "textDocument/publishDiagnostics":
                params = message["params"]
                self.seen.append(params)
                self.published.append(
                    (now, params["uri"], params.get("version"), len(params["diagnostics"]))
                )
                for condition, waiter in list(self.waiters):
                    if condition(params) and not waiter.done():
                        waiter.set_result(None)
            elif (
                message["method"] == "$/progress"
                and message["params"]["value"].get("kind") == "end"
            ):
                self.progress_ended.set()

    async def wait_published(self, condition: Any, timeout: float = 60) -> None:
        """Until a publication satisfying ``condition`` has arrived (it may already have)."""
        if any(condition(params) for params in self.seen):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append((condition, waiter))
        await asyncio.wait_for(waiter, timeout)


def capabilities() -> dict[str, Any]:
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "window": {"workDoneProgress": True},
        "workspace": {"configuration": True, "workspaceEdit": {"documentChanges": True}},
        "textDocument": {
            "synchronization": {"didSave": True},
            "publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
            "codeAction": {
                "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}
            },
            "hover": {"contentFormat": ["markdown"]},
        },
    }


async def spawn(root: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PYTHONPATH"] = str(REPO / "server")
    if os.environ.get("DJVET_BENCH_SERVER_LOG"):
        env["DJVET_LOG_LEVEL"] = "DEBUG"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "djvet.lsp",
        cwd=root,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=open(os.environ["DJVET_BENCH_SERVER_LOG"], "ab")
        if os.environ.get("DJVET_BENCH_SERVER_LOG")
        else asyncio.subprocess.DEVNULL,
    )


def init_params(root: Path, ignore: list[str]) -> dict[str, Any]:
    return {
        "initializationOptions": {"djvet": {"ignore": ignore}} if ignore else None,
        "processId": os.getpid(),
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": capabilities(),
    }


async def shutdown(client: Client) -> None:
    await client.request("shutdown", None)
    client.notify("exit", None)
    await asyncio.wait_for(client.process.wait(), 30)
    client.reader.cancel()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Buffer:
    """The editor's copy of the text; every change is computed on it and applied to it."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")

    def change(self, line: int, start: int, end: int, text: str) -> dict[str, Any]:
        current = self.lines[line]
        merged = current[:start] + text + current[end:]
        self.lines[line : line + 1] = merged.split("\n")
        return {
            "range": {
                "start": {"line": line, "character": start},
                "end": {"line": line, "character": end},
            },
            "text": text,
        }

    def returns(self) -> list[int]:
        return [
            n for n, line in enumerate(self.lines) if line.startswith("    return JsonResponse")
        ]


def edit_script(
    text: str, edits: int, rng: random.Random, key_s: float = 0.1, think_s: float = 1.0
) -> list[tuple[str, dict[str, Any], float]]:
    """(kind, content change, seconds to wait after it).

    Typing a statement one key at a time (``key_s`` apart, jittered), then a pause to look at
    the result (``think_s``); pasting a whole function; breaking the syntax and fixing it.
    Kinds ending the burst before a pause: ``type-last``, ``paste``, ``break``, ``fix``.
    """
    buffer = Buffer(text)
    script: list[tuple[str, dict[str, Any], float]] = []
    pasted = 0
    while len(script) < edits:
        line = rng.choice(buffer.returns())
        choice = rng.random()
        if choice < 0.75:  # type a new statement inside a function, one key at a time
            script.append(("newline", buffer.change(line, 0, 0, "\n"), key_s * 2))
            statement = f"    note_{len(script)} = len(request.GET)"
            for column, char in enumerate(statement):
                last = column == len(statement) - 1
                pause = think_s if last else key_s * rng.uniform(0.6, 1.4)
                change = buffer.change(line, column, column, char)
                script.append(("type-last" if last else "type", change, pause))
        elif choice < 0.88:  # paste a whole function after this one
            pasted += 1
            script.append(("paste", buffer.change(line + 1, 0, 0, PASTE.format(i=pasted)), think_s))
        else:  # break the syntax ("(" before "return"), look at it, fix it
            script.append(("break", buffer.change(line, 4, 4, "("), think_s))
            script.append(("fix", buffer.change(line, 4, 5, ""), think_s))
    return script[:edits]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="djvet-lsp-bench-") as tmp:
        root = write_project(Path(tmp), args.lines, args.modules)
        views = (root / "app/views.py").read_text(encoding="utf-8")
        uri = (root / "app/views.py").as_uri()

        # Cold initialize: sent as soon as the process exists.
        process = await spawn(root)
        client = Client(process)
        started = time.perf_counter()
        await client.request("initialize", init_params(root, args.ignore))
        results["initialize_cold_ms"] = (time.perf_counter() - started) * 1000
        client.notify("initialized", {})
        await shutdown(client)

        # Warm initialize: the server has finished importing and waits for input.
        process = await spawn(root)
        client = Client(process)
        await asyncio.sleep(args.warmup)
        started = time.perf_counter()
        await client.request("initialize", init_params(root, args.ignore))
        results["initialize_warm_ms"] = (time.perf_counter() - started) * 1000
        client.notify("initialized", {})
        started = time.perf_counter()
        await asyncio.wait_for(client.progress_ended.wait(), 120)
        results["index_build_ms"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": views}},
        )
        await client.wait_published(lambda p: p["uri"] == uri and p.get("version") == 1)
        results["first_diagnostics_ms"] = (time.perf_counter() - started) * 1000
        results["findings"] = client.published[-1][3]

        rng = random.Random(7)
        script = edit_script(views, args.edits, rng, args.typing_ms / 1000, args.think_ms / 1000)
        sent: dict[int, float] = {}
        kinds: dict[int, str] = {}
        version = 1
        for kind, change, pause in script:
            version += 1
            sent[version] = time.perf_counter()
            kinds[version] = kind
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            await asyncio.sleep(pause)
        final = version
        await client.wait_published(
            lambda p: p["uri"] == uri and (p.get("version") or 0) >= final, timeout=120
        )
        published = [(t, v) for t, u, v, _ in client.published if u == uri and v is not None]
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for v, t_sent in sent.items():
            arrival = next(t for t, pv in published if pv >= v and t >= t_sent)
            latency = (arrival - t_sent) * 1000
            latencies.append(latency)
            by_kind.setdefault(kinds[v], []).append(latency)
        results["edits"] = len(sent)
        results["publications"] = len([1 for _, pv in published if pv > 1])
        results["keystroke_to_diagnostics_ms"] = {
            "p50": statistics.median(latencies),
            "p95": percentile(latencies, 0.95),
            "max": max(latencies),
        }
        results["by_kind_p95_ms"] = {k: percentile(v, 0.95) for k, v in sorted(by_kind.items())}
        settled = [x for k in ("type-last", "paste", "break", "fix") for x in by_kind.get(k, [])]
        results["after_last_keystroke_of_a_burst_ms"] = {
            "p50": statistics.median(settled),
            "p95": percentile(settled, 0.95),
            "max": max(settled),
        }
        await shutdown(client)
    return results


def breakdown(args: argparse.Namespace) -> dict[str, Any]:
    """The server's work per edit, in process: index update, check, conversion (median / p95 ms).

    Same module, same edits, same rules as the end-to-end run, without I/O and scheduling: it
    says which part of the keystroke-to-diagnostics time is whose.
    """
    sys.path.insert(0, str(REPO / "server"))
    from lsprotocol import types as lsp

    from djvet.core.config import Settings
    from djvet.core.engine import check
    from djvet.core.project import in_memory_project
    from djvet.core.registry import all_rules
    from djvet.core.rule import Document
    from djvet.core.types import SourceKind
    from djvet.lsp.convert import (
        DiagnosticOptions,
        Encoding,
        LineMap,
        apply_content_changes,
        diagnostic,
    )

    views = views_module(args.lines)
    project = in_memory_project(
        {"app/models.py": MODELS, "site_/urls.py": URLS, "app/views.py": views}, "/bench"
    )
    path = "/bench/app/views.py"
    settings = Settings(ignore=tuple(args.ignore))
    rules = all_rules()
    text = views
    stages: dict[str, list[float]] = {"index_update": [], "check": [], "convert": []}
    for _, change, _ in edit_script(views, args.edits, random.Random(7)):  # same edits
        event = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(
                lsp.Position(
                    change["range"]["start"]["line"], change["range"]["start"]["character"]
                ),
                lsp.Position(change["range"]["end"]["line"], change["range"]["end"]["character"]),
            ),
            text=change["text"],
        )
        text, lines = apply_content_changes(text, [event], Encoding.UTF16)
        t0 = time.perf_counter()
        project.update_text(path, text)
        t1 = time.perf_counter()
        result = check(Document(text, path, SourceKind.PYTHON), project, settings, rules=rules)
        t2 = time.perf_counter()
        mapper = LineMap(text, Encoding.UTF16, lines)
        for finding in result.findings:
            diagnostic(finding, mapper, 1, DiagnosticOptions(), lambda p, s: None)
        t3 = time.perf_counter()
        stages["index_update"].append((t1 - t0) * 1000)
        stages["check"].append((t2 - t1) * 1000)
        stages["convert"].append((t3 - t2) * 1000)
    return {
        f"server_{name}_ms": {"p50": statistics.median(v), "p95": percentile(v, 0.95)}
        for name, v in stages.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--modules", type=int, default=300, help="extra small modules to index")
    parser.add_argument(
        "--typing-ms", type=float, default=100, help="mean pause between keystrokes"
    )
    parser.add_argument(
        "--think-ms", type=float, default=1000, help="pause after a burst (statement, paste)"
    )
    parser.add_argument(
        "--warmup", type=float, default=4.0, help="seconds before the warm initialize"
    )
    parser.add_argument(
        "--ignore", nargs="*", default=[], help="rule codes to switch off (initializationOptions)"
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also time the server's stages in process"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = asyncio.run(measure(args))
    if args.breakdown:
        results.update(breakdown(args))
    results["load_average_1min"] = (
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)"
    )
    results["ignored_rules"] = ",".join(args.ignore) or "none"
    targets = {"initialize_warm_ms": 100, "first_diagnostics_ms": 300}
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"{key}: " + "  ".join(f"{k} {v:.1f}" for k, v in value.items()))
        elif isinstance(value, float):
            target = f"  (target <= {targets[key]})" if key in targets else ""
            print(f"{key}: {value:.1f}{target}")
        else:
            print(f"{key}: {value}")
    print("target: keystroke_to_diagnostics p95 <= 50 ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
