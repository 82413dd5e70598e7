"""A Flask app as a streaming Lambda function: each item of a generator is sent as it comes."""

import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, request, stream_with_context

from bedrock_stream.wsgi import wsgi_handler

app = Flask(__name__)
WORDS = ["each", "word", "leaves", "as", "soon", "as", "it", "is", "written"]


@app.get("/where")
def where() -> dict[str, Any]:
    return {"script_root": request.script_root, "path": request.path}


@app.get("/words")
def words() -> Response:
    def each() -> Iterator[str]:
        for word in WORDS:
            yield word + "\n"
            time.sleep(0.05)

    return Response(stream_with_context(each()), mimetype="text/plain")


handler = wsgi_handler(app)
