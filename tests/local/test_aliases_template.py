"""Names template.py and template_access.py held before their split still import from them."""

from __future__ import annotations

from bedrock_stream.local import deployment, references, template, template_access, template_plans

_ACCESS_MODEL = (
    "ApiKey",
    "Authorization",
    "AuthorizerSpec",
    "KeySource",
    "PlanStage",
    "Quota",
    "Throttle",
    "UsagePlan",
)


def test_template_names_are_the_new_objects() -> None:
    for name in set(deployment.__all__) - {"Authorization", "KeySource"}:
        assert getattr(template, name) is getattr(deployment, name), name
        assert name in template.__all__
    assert template.TemplateError is references.TemplateError
    assert template.Function.__module__ == "bedrock_stream.local.deployment"


def test_template_access_names_are_the_new_objects() -> None:
    for name in _ACCESS_MODEL:
        assert getattr(template_access, name) is getattr(deployment, name), name
        assert name in template_access.__all__
    for name in template_plans.__all__:
        assert getattr(template_access, name) is getattr(template_plans, name), name
        assert name in template_access.__all__
    assert template_access.UsagePlan.__module__ == "bedrock_stream.local.deployment"
