"""asgi_bench_app's app as a streaming Lambda handler: ``bedrock_stream.asgi.asgi_handler``."""

from asgi_bench_app import app

from bedrock_stream.asgi import asgi_handler

handler = asgi_handler(app)
