"""The parts of :mod:`bedrock_stream.sigv4`, one concept per module; import from there.

:mod:`.signing` does not import :mod:`.verification` or :mod:`.authorization`, so a
client that only signs loads none of the verifier's code.
"""
