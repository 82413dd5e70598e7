"""bedrock_stream.sigv4 still exports every public name, and they are the _sigv4 parts' objects."""

from __future__ import annotations

from bedrock_stream import sigv4
from bedrock_stream._sigv4 import authorization, canonical, errors, signing, verification

PUBLIC = {
    "ALGORITHM": canonical,
    "UNSIGNED_HEADERS": signing,
    "Authorization": authorization,
    "Credentials": signing,
    "IncompleteSignature": errors,
    "InvalidToken": errors,
    "MissingAuthentication": errors,
    "ScopeMismatch": errors,
    "SignatureError": errors,
    "SignatureExpired": errors,
    "SignatureMismatch": errors,
    "parse_authorization": authorization,
    "sign": signing,
    "verify": verification,
}


def test_the_public_module_names_the_parts_objects() -> None:
    assert set(sigv4.__all__) == set(PUBLIC)
    for name, part in PUBLIC.items():
        assert getattr(sigv4, name) is getattr(part, name), name
