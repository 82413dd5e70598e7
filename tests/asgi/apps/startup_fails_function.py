"""The failing app as a Lambda function: its init raises the startup's error."""

from __future__ import annotations

from startup_fails import app

from bedrock_stream.asgi import asgi_handler

handler = asgi_handler(app)
