"""asgi_bench_app's app under Mangum, which buffers the whole response before returning it."""

from asgi_bench_app import app
from mangum import Mangum

handler = Mangum(app)
