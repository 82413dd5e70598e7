"""The parts of :mod:`bedrock_stream.sigv4`, one concept per module; import from there.

:mod:`.signing` does not import :mod:`.verification` or :mod:`.authorization`: a client
that imports ``bedrock_stream._sigv4.signing`` alone loads none of the verifier's code
(the :mod:`bedrock_stream.sigv4` facade loads every part).
"""
