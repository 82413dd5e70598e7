"""``GET /v1/models``: the models this app serves, as OpenAI's model list.

They are ``MODEL_ID`` and the ``EXTRA_MODEL_IDS`` allow-list; a chat completion naming any
other model gets OpenAI's 404 ``model_not_found``. ``created`` is 0: Bedrock model ids carry
no creation time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bedrock_stream import StreamingResponse, chat_completions

from .model import Model


def answer(event: Mapping[str, Any], model: Model) -> StreamingResponse:
    """List the served models: ``{"object": "list", "data": [{"id", "object": "model", ...}]}``."""
    listing = chat_completions.models_list(model.settings.models)
    return StreamingResponse(body=[json.dumps(listing)], content_type="application/json")
