"""The emulator's validation module still names what moved to its shared schema module."""

from __future__ import annotations

from bedrock_stream.local.bedrock import schema, validation


def test_the_validation_names_are_aliases_of_the_schema_ones() -> None:
    assert validation.ServiceError is schema.ServiceError
    assert validation.encode_json is schema.encode_json
    assert validation.ERROR_TYPE_SUFFIX == schema.ERROR_TYPE_SUFFIX
    assert {"ServiceError", "encode_json", "ERROR_TYPE_SUFFIX"} <= set(validation.__all__)
    assert set(validation.__all__) <= set(dir(validation))
