"""The Flask matrix app as a Lambda function."""

from __future__ import annotations

from flask_app import application

from bedrock_stream.wsgi import wsgi_handler

handler = wsgi_handler(application)
