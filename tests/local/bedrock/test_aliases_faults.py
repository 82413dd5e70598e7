"""The fault rule once named ``StreamException`` still imports under that name."""

from __future__ import annotations

import bedrock_stream.local.bedrock as package
from bedrock_stream.local.bedrock import faults


def test_stream_exception_is_the_stream_fault() -> None:
    assert faults.StreamException is faults.StreamFault
    assert package.StreamException is package.StreamFault is faults.StreamFault
    assert not issubclass(faults.StreamFault, BaseException)
    for module in (faults, package):
        assert {"StreamException", "StreamFault"} <= set(module.__all__)
        assert set(module.__all__) <= set(dir(module))
