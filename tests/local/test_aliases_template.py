"""Names template.py held before its split still import from it, as the same objects."""

from __future__ import annotations

from bedrock_stream.local import deployment, references, template, template_access


def test_deployment_model_names_are_the_new_objects() -> None:
    for name in deployment.__all__:
        assert getattr(template, name) is getattr(deployment, name), name
        assert name in template.__all__
    assert template.Function.__module__ == "bedrock_stream.local.deployment"


def test_access_names_still_import_from_template() -> None:
    for name in ("ApiKey", "AuthorizerSpec", "PlanStage", "Quota", "Throttle", "UsagePlan"):
        assert getattr(template, name) is getattr(template_access, name), name
    assert template.TemplateError is references.TemplateError
