"""The boto3 floor of a request: each field the installed botocore does not know is an error.

botocore refuses a field its bundled service model lacks ("Unknown parameter"), and Lambda's
bundled boto3 may be older than this package's ``bedrock`` extra. :func:`check_request_fields`
names the field and the first boto3 release whose ``bedrock-runtime`` model has it.

Where the versions come from: the history of
``botocore/data/bedrock-runtime/2023-09-30/service-2.json`` in github.com/boto/botocore, up to
release 1.43.67: for each field, the first release tag whose model has it. boto3 X.Y.Z pins
botocore X.Y.Z from 1.34.0 on, and boto3 1.28.57 pins botocore 1.31.57 (boto3's
``setup.cfg`` at those tags), so the numbers below are boto3's. A field absent from that
history but in a newer model (``projectIdentifier``) has no verified first release: None.

This module imports no botocore: :func:`check_request_fields` takes the service model of the
client that sends (``client.meta.service_model``); :func:`check_installed` loads botocore's
own, when called.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .errors import UnsupportedOptionError

__all__ = [
    "CONVERSE_FIELDS",
    "INVOKE_FIELDS",
    "OPERATIONS",
    "check_installed",
    "check_request_fields",
]

OPERATIONS: Mapping[str, str] = {
    "InvokeModel": "1.28.57",
    "InvokeModelWithResponseStream": "1.28.57",
    "Converse": "1.34.116",
    "ConverseStream": "1.34.116",
}
"""The first boto3 release with each operation."""

CONVERSE_FIELDS: Mapping[str, str | None] = {
    # Paths through lists and maps leave the list out: messages[].content[] is messages.content.
    "guardrailConfig": "1.34.129",
    "messages.content.guardContent": "1.34.129",
    "system.guardContent": "1.34.129",
    "messages.content.document": "1.34.131",
    "messages.content.toolResult.content.document": "1.34.131",
    "messages.content.guardContent.text.qualifiers": "1.34.143",
    "system.guardContent.text.qualifiers": "1.34.143",
    "promptVariables": "1.35.56",
    "performanceConfig": "1.35.73",
    "messages.content.video": "1.35.74",
    "messages.content.toolResult.content.video": "1.35.74",
    "requestMetadata": "1.35.74",
    "messages.content.guardContent.image": "1.35.75",
    "system.guardContent.image": "1.35.75",
    "messages.content.reasoningContent": "1.37.0",
    "messages.content.cachePoint": "1.37.24",
    "system.cachePoint": "1.37.24",
    "toolConfig.tools.cachePoint": "1.37.24",
    "messages.content.image.source.s3Location": "1.38.3",
    "messages.content.document.source.s3Location": "1.38.3",
    "messages.content.toolResult.content.image.source.s3Location": "1.38.3",
    "messages.content.toolResult.content.document.source.s3Location": "1.38.3",
    "messages.content.citationsContent": "1.39.0",
    "messages.content.document.citations": "1.39.0",
    "messages.content.document.context": "1.39.0",
    "messages.content.document.source.content": "1.39.0",
    "messages.content.document.source.text": "1.39.0",
    "messages.content.toolResult.content.document.citations": "1.39.0",
    "messages.content.toolResult.content.document.context": "1.39.0",
    "messages.content.toolResult.content.document.source.content": "1.39.0",
    "messages.content.toolResult.content.document.source.text": "1.39.0",
    "messages.content.citationsContent.citations.location.web": "1.40.62",
    "messages.content.toolResult.type": "1.40.62",
    "messages.content.toolUse.type": "1.40.62",
    "toolConfig.tools.systemTool": "1.40.62",
    "serviceTier": "1.40.76",
    "messages.content.citationsContent.citations.location.searchResultLocation": "1.41.0",
    "messages.content.citationsContent.citations.source": "1.41.0",
    "messages.content.searchResult": "1.41.0",
    "messages.content.toolResult.content.searchResult": "1.41.0",
    "messages.content.audio": "1.42.1",
    "messages.content.image.error": "1.42.1",
    "messages.content.toolResult.content.image.error": "1.42.1",
    "messages.content.cachePoint.ttl": "1.42.31",
    "system.cachePoint.ttl": "1.42.31",
    "toolConfig.tools.cachePoint.ttl": "1.42.31",
    "outputConfig": "1.42.42",
    "toolConfig.tools.toolSpec.strict": "1.42.42",
    "messages.content.toolAddition": "1.43.62",
    "messages.content.toolRemoval": "1.43.62",
    "outputConfig.effort": "1.43.62",
    "projectIdentifier": None,  # in 1.44.8's model, not in 1.43.67's
}
"""Converse and ConverseStream fields newer than the operations, with their first boto3."""

INVOKE_FIELDS: Mapping[str, str | None] = {
    "guardrailIdentifier": "1.34.90",
    "guardrailVersion": "1.34.90",
    "trace": "1.34.90",
    "performanceConfigLatency": "1.35.73",
    "serviceTier": "1.40.76",
    "requestMetadata": "1.43.12",
    "projectIdentifier": None,  # in 1.44.8's model, not in 1.43.67's
}
"""InvokeModel(WithResponseStream) parameters newer than the operations."""


def _unknown(shape: Any, node: Any, path: str) -> Iterator[str]:
    """Yield the dotted path of each key of ``node`` that ``shape`` has no member for."""
    kind = shape.type_name
    if kind == "structure" and not getattr(shape, "is_document_type", False):
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in shape.members:
                yield from _unknown(shape.members[key], value, where)
            else:
                yield where
    elif kind == "list" and isinstance(node, (list, tuple)):
        for item in node:
            yield from _unknown(shape.member, item, path)
    elif kind == "map" and isinstance(node, Mapping):
        for value in node.values():
            yield from _unknown(shape.value, value, path)


def _since(table: Mapping[str, str | None], name: str) -> str:
    if name not in table:
        return "no boto3 release this package knows of has it (is the name right?)"
    version = table[name]
    if version is None:
        return "its first boto3 release is unknown (one newer than 1.43.67)"
    return f"boto3 {version} is the first release that has it"


def check_request_fields(service_model: Any, operation: str, request: Mapping[str, Any]) -> None:
    """Raise if ``request`` has a field ``service_model`` does not know.

    ``service_model`` is botocore's ``bedrock-runtime`` model, as the sending client has it
    (``client.meta.service_model``); ``request`` the keyword arguments of ``operation``.

    Raises:
        UnsupportedOptionError: names the field and the first boto3 release that has it.
    """
    if operation not in service_model.operation_names:
        raise UnsupportedOptionError(
            f"the installed botocore has no {operation} operation; "
            f"{_since(OPERATIONS, operation)}: upgrade boto3"
        )
    table = INVOKE_FIELDS if operation.startswith("Invoke") else CONVERSE_FIELDS
    input_shape = service_model.operation_model(operation).input_shape
    for path in _unknown(input_shape, request, ""):
        raise UnsupportedOptionError(
            f"the installed botocore does not know the {operation} field {path!r}; "
            f"{_since(table, path)}: upgrade boto3, or leave the option out"
        )


def check_installed(request: Mapping[str, Any], operation: str = "ConverseStream") -> None:
    """:func:`check_request_fields` against the installed botocore's own model (loads it)."""
    import botocore.session  # lazy: boto3 is optional and heavy to import

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    check_request_fields(model, operation, request)
