"""Fixtures shared by the local Lambda service's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bedrock_stream.local.deployment import Function
from bedrock_stream.local.lambda_service import LambdaService

MakeService = Callable[..., LambdaService]
"""What ``service_for`` gives (test modules spell the same alias for their annotations)."""


@pytest.fixture
def lines() -> list[str]:
    """The log lines of the services ``service_for`` makes."""
    return []


@pytest.fixture
def service_for(lines: list[str]) -> Iterator[MakeService]:
    """Make a service for one function ``Fn``; every service made is closed at the end."""
    services: list[LambdaService] = []

    def make(function: Function, **options: Any) -> LambdaService:
        service = LambdaService({"Fn": function}, log=lines.append, **options)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()
