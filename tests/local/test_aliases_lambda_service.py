"""The names that left lambda_service still import from it, and are the very same objects."""

from __future__ import annotations

from bedrock_stream.local import lambda_service, sandbox, sandbox_environment, service_invocation


def test_the_moved_names_are_aliases_in_lambda_service() -> None:
    assert lambda_service.INIT_TIMEOUT == sandbox.INIT_TIMEOUT
    assert lambda_service.MANAGED_BOOTSTRAP is sandbox_environment.MANAGED_BOOTSTRAP
    assert lambda_service.Bootstrap is sandbox_environment.Bootstrap
    assert lambda_service.lambda_environment is sandbox_environment.lambda_environment
    assert lambda_service.ServiceInvocation is service_invocation.ServiceInvocation
    assert set(lambda_service.__all__) <= set(dir(lambda_service))
    moved = ("INIT_TIMEOUT", "MANAGED_BOOTSTRAP", "Bootstrap", "lambda_environment")
    for name in (*moved, "ServiceInvocation"):
        assert name in lambda_service.__all__
