"""The wire protocols bedrock-stream speaks, without I/O: events in, bytes out.

:mod:`.http1` frames the runtime's HTTP/1.1 requests and parses the Runtime API's answers;
:mod:`.runtime_api` names the Lambda Runtime API's paths and fields, encodes and decodes the
``/next`` headers and holds the invocation state machine; :mod:`.diagnostic` is an error
report as both sides see it (JSON body, stream trailers); :mod:`.eventstream` encodes AWS
event-stream frames and re-exports :mod:`.eventstream_decoder`, which decodes them;
:mod:`.headers` looks up HTTP header fields in any case, for every layer.

The standard library and :mod:`bedrock_stream.errors` only: :mod:`bedrock_stream.runtime`
(inside Lambda) and :mod:`bedrock_stream.local` (the emulators) both import this package and
neither imports the other. Importing the package imports none of its modules.
"""
