"""Generate the JSON (de)serialisers of a session's first messages before the first one arrives.

pygls converts messages with cattrs, which writes a converter function for each LSP class the
first time it meets one: ~100 ms for ``InitializeParams`` and its client capabilities, ~50 ms
for the ``initialize`` response, tens of ms for the first published diagnostics. Paying that
while the process waits for its first message, instead of while the editor waits for an
answer, is what this module is for. It only feeds sample values to the converter; nothing of
the server's state is touched, and any failure is ignored (it is an optimisation).
"""

from __future__ import annotations

import logging
import typing
from typing import Any

import attrs
from lsprotocol import types as lsp
from pygls.capabilities import ServerCapabilitiesBuilder

log = logging.getLogger("djvet.lsp")

# Parameters the client sends in a session's first seconds.
INCOMING: tuple[type, ...] = (
    lsp.InitializeParams,
    lsp.DidOpenTextDocumentParams,
    lsp.DidChangeTextDocumentParams,
    lsp.DidSaveTextDocumentParams,
    lsp.CodeActionParams,
    lsp.HoverParams,
    lsp.DocumentDiagnosticParams,
)


def attrs_classes(root: type, seen: set[type] | None = None) -> set[type]:
    """``root`` and every attrs class its fields can hold, transitively."""
    seen = set() if seen is None else seen
    if root in seen or not attrs.has(root):
        return seen
    seen.add(root)
    hints = typing.get_type_hints(root, vars(lsp))
    for item in attrs.fields(root):
        pending = [hints.get(item.name, item.type)]
        while pending:
            kind = pending.pop()
            if isinstance(kind, type) and attrs.has(kind):
                attrs_classes(kind, seen)
            else:
                pending.extend(typing.get_args(kind))
    return seen


def outgoing_samples(features: set[str], options: dict[str, Any]) -> list[Any]:
    """One realistic value of every message djvet sends early, shaped like the real ones."""
    position = lsp.Position(1, 2)
    range_ = lsp.Range(position, position)
    edit = lsp.TextEdit(range=range_, new_text="x")
    diagnostic = lsp.Diagnostic(
        range=range_,
        message="m",
        severity=lsp.DiagnosticSeverity.Error,
        code="DJV000",
        code_description=lsp.CodeDescription(href="https://docs.djangoproject.com/"),
        source="djvet",
        tags=[lsp.DiagnosticTag.Deprecated],
        related_information=[
            lsp.DiagnosticRelatedInformation(lsp.Location(uri="file:///a", range=range_), "r")
        ],
        data={"version": 1, "fix": {"title": "t", "safe": True, "edits": []}},
    )
    versioned = lsp.OptionalVersionedTextDocumentIdentifier(uri="file:///a", version=1)
    actions = [
        lsp.CodeAction(
            title="t",
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=True,
            edit=lsp.WorkspaceEdit(
                document_changes=[lsp.TextDocumentEdit(text_document=versioned, edits=[edit])]
            ),
        ),
        lsp.CodeAction(
            title="t",
            kind="source.fixAll.djvet",
            edit=lsp.WorkspaceEdit(changes={"file:///a": [edit]}),
        ),
    ]
    capabilities = ServerCapabilitiesBuilder(
        lsp.ClientCapabilities(),
        features,
        options,
        [],
        lsp.TextDocumentSyncKind.Incremental,
        None,
        lsp.PositionEncodingKind.Utf16,
    ).build()  # type: ignore[no-untyped-call]
    return [
        lsp.InitializeResponse(
            id=0, result=lsp.InitializeResult(capabilities, lsp.ServerInfo("djvet", "0"))
        ),
        lsp.PublishDiagnosticsNotification(
            params=lsp.PublishDiagnosticsParams(
                uri="file:///a", diagnostics=[diagnostic], version=1
            )
        ),
        lsp.CodeActionResponse(id=0, result=list(actions)),
        lsp.HoverResponse(
            id=0,
            result=lsp.Hover(
                contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="v"), range=range_
            ),
        ),
        lsp.DocumentDiagnosticResponse(
            id=0, result=lsp.RelatedFullDocumentDiagnosticReport(items=[diagnostic], result_id="1")
        ),
        lsp.LogMessageNotification(
            params=lsp.LogMessageParams(type=lsp.MessageType.Info, message="m")
        ),
        lsp.WorkDoneProgressCreateRequest(id=0, params=lsp.WorkDoneProgressCreateParams(token="t")),
        lsp.ProgressNotification(
            params=lsp.ProgressParams(
                token="t", value=lsp.WorkDoneProgressBegin(title="t", percentage=0)
            )
        ),
        lsp.ProgressNotification(
            params=lsp.ProgressParams(
                token="t", value=lsp.WorkDoneProgressReport(message="m", percentage=1)
            )
        ),
        lsp.ProgressNotification(
            params=lsp.ProgressParams(token="t", value=lsp.WorkDoneProgressEnd(message="m"))
        ),
        lsp.ConfigurationRequest(
            id=0,
            params=lsp.ConfigurationParams(
                items=[lsp.ConfigurationItem(scope_uri="file:///a", section="djvet")]
            ),
        ),
        lsp.RegistrationRequest(
            id=0,
            params=lsp.RegistrationParams(
                registrations=[
                    lsp.Registration(
                        id="w",
                        method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[lsp.FileSystemWatcher(glob_pattern="**/*.py")]
                        ),
                    )
                ]
            ),
        ),
    ]


def warm_up(converter: Any, features: set[str], options: dict[str, Any]) -> None:
    """Make ``converter`` generate its hooks for djvet's early messages, both directions."""
    try:
        for root in INCOMING:
            for cls in attrs_classes(root):
                converter.get_structure_hook(cls)
        for sample in outgoing_samples(features, options):
            converter.unstructure(sample)
    except Exception as exc:  # a newer pygls or lsprotocol must never break start-up
        log.debug("converter warm-up skipped: %s", exc)
