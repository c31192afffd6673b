"""The converter warm-up feeds real message shapes (a silent failure would only cost speed)."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import client_capabilities

from djvet.lsp.server import build_server
from djvet.lsp.warmup import INCOMING, attrs_classes, outgoing_samples


def test_every_sample_message_serialises_and_every_incoming_class_is_reachable() -> None:
    server = build_server()
    features = server.protocol.fm
    converter = default_converter()
    samples = outgoing_samples(
        {*features.features, *features.builtin_features}, features.feature_options
    )
    kinds = {type(sample).__name__ for sample in samples}
    assert {"InitializeResponse", "PublishDiagnosticsNotification", "CodeActionResponse"} <= kinds
    for sample in samples:
        assert isinstance(converter.unstructure(sample), dict)
    classes = set().union(*(attrs_classes(root) for root in INCOMING))
    assert lsp.ClientCapabilities in classes and lsp.CodeActionContext in classes
    # the hooks exist for what a real editor sends
    params = default_converter().unstructure(
        lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"), process_id=1)
    )
    for cls in classes:
        converter.get_structure_hook(cls)
    assert converter.structure(params, lsp.InitializeParams).capabilities.text_document is not None
