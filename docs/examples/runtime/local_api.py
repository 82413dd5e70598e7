import os
import subprocess

from bedrock_stream.local.runtime_api import RuntimeAPIServer


def stream_once(command: list[str], event: object) -> list[object]:
    """Run a runtime process against a local Runtime API; return one invocation's events."""
    with RuntimeAPIServer() as api:
        invocation = api.invoke(event)
        env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": api.address}
        with subprocess.Popen(command, env=env) as runtime:
            try:
                # ResponseStarted, BodyChunk..., Trailers, InvocationError, Done
                return list(invocation.events(timeout=30))
            finally:
                runtime.kill()
