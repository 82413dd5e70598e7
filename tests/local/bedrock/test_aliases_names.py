"""Names that said less than they meant still import as aliases of the new ones."""

from __future__ import annotations

import typing

import bedrock_stream.local.bedrock as package
from bedrock_stream.local.bedrock import faults, model
from bedrock_stream.runtime import diagnostic


def test_the_injected_fault_type_keeps_its_old_name() -> None:
    assert faults.Fault is faults.InjectedFault
    assert package.Fault is package.InjectedFault is faults.InjectedFault
    assert faults.StreamFault in typing.get_args(faults.InjectedFault)
    assert faults.InjectedFault is not diagnostic.Fault
    assert {"Fault", "InjectedFault"} <= set(faults.__all__) & set(package.__all__)


def test_the_stop_reason_type_keeps_its_old_name() -> None:
    assert model.Stop is model.StopReason
    assert "guardrail_intervened" in typing.get_args(model.StopReason)
    assert {"Stop", "StopReason"} <= set(model.__all__)
