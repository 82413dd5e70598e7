"""The ``GET /v1/models`` list of the models a route serves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["models_list"]


def models_list(
    model_ids: Iterable[str], *, created: int = 0, owned_by: str = "bedrock"
) -> dict[str, Any]:
    """Return ``{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}``."""
    data = [
        {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}
        for model_id in model_ids
    ]
    return {"object": "list", "data": data}
