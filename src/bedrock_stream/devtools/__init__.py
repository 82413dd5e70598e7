"""Developer tools: they run on a developer's machine or in CI, never inside Lambda.

:mod:`.cli` (the ``bedrock-stream`` command), :mod:`.wrapper` (the exec wrapper it
writes), :mod:`.compare` (``bedrock-stream compare``'s timer) and :mod:`.pytest_plugin`
(the ``bedrock_emulator`` and ``local_stack`` fixtures). Nothing a function's cold start
imports comes from here.
"""
