"""The matrix app as a Lambda function: module import is the function's init."""

from __future__ import annotations

from matrix_app import app

from bedrock_stream.asgi import asgi_handler

handler = asgi_handler(app)
