#!/bin/sh
# Container image entry point: the Lambda Runtime API when deployed, AWS's runtime
# interface emulator (bundled in the base image; it buffers streamed responses) when
# the image runs locally without AWS_LAMBDA_RUNTIME_API.
export PYTHONPATH="${LAMBDA_TASK_ROOT:-/var/task}${PYTHONPATH:+:$PYTHONPATH}"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec aws-lambda-rie python3 -m bedrock_stream.runtime "$@"
fi
exec python3 -m bedrock_stream.runtime "$@"
