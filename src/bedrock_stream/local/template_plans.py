"""API keys and usage plans, as a translated template declares them.

Read from the ``AWS::ApiGateway::ApiKey``, ``UsagePlan`` and ``UsagePlanKey`` resources; a
plan's stages, throttles and quota become the
:class:`~bedrock_stream.local.deployment.UsagePlan` the local stack enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from bedrock_stream.local.deployment import ApiKey, PlanStage, Quota, Throttle, UsagePlan
from bedrock_stream.local.references import TemplateError, flag, ref

__all__ = ["api_keys", "usage_plans"]


def api_keys(resources: dict[str, Any]) -> dict[str, ApiKey]:
    """Read the ``AWS::ApiGateway::ApiKey`` resources (``Enabled`` is false unless set)."""
    found = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGateway::ApiKey":
            continue
        properties = resource.get("Properties") or {}
        value = properties.get("Value")
        found[name] = ApiKey(
            name=name,
            value=None if value is None else str(value),
            enabled=flag(name, "Enabled", properties.get("Enabled", False)),
        )
    return found


def usage_plans(resources: dict[str, Any]) -> dict[str, UsagePlan]:
    """Read the ``AWS::ApiGateway::UsagePlan`` resources, with the keys added to each."""
    keys: dict[str, list[str]] = {}
    for resource in resources.values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::ApiGateway::UsagePlanKey":
            plan, key = ref(properties.get("UsagePlanId")), ref(properties.get("KeyId"))
            if plan is not None and key is not None:
                keys.setdefault(plan, []).append(key)
    plans = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGateway::UsagePlan":
            continue
        properties = resource.get("Properties") or {}
        stages = []
        for stage in properties.get("ApiStages") or ():
            api = ref(stage.get("ApiId"))
            stage_name = stage.get("Stage")
            if isinstance(stage_name, dict):  # Ref to an AWS::ApiGateway::Stage
                target = resources.get(ref(stage_name) or "") or {}
                stage_name = (target.get("Properties") or {}).get("StageName")
            if api is None or not isinstance(stage_name, str):
                raise TemplateError(f"{name}: an ApiStages entry names no API or stage")
            throttles = {
                str(method): _throttle(spec)
                for method, spec in (stage.get("Throttle") or {}).items()
            }
            stages.append(PlanStage(api, stage_name, throttles))
        quota = properties.get("Quota")
        plans[name] = UsagePlan(
            name=name,
            stages=tuple(stages),
            keys=tuple(keys.get(name, ())),
            throttle=_throttle(properties["Throttle"]) if properties.get("Throttle") else None,
            quota=None
            if not quota
            else Quota(
                limit=int(quota["Limit"]),
                period=_period(name, quota.get("Period", "DAY")),
                offset=int(quota.get("Offset", 0)),
            ),
        )
    return plans


def _throttle(spec: Mapping[str, Any]) -> Throttle:
    return Throttle(rate=float(spec.get("RateLimit", 0)), burst=int(spec.get("BurstLimit", 0)))


_PERIODS: Mapping[str, Literal["DAY", "WEEK", "MONTH"]] = {
    "DAY": "DAY",
    "WEEK": "WEEK",
    "MONTH": "MONTH",
}


def _period(plan: str, period: Any) -> Literal["DAY", "WEEK", "MONTH"]:
    if period not in _PERIODS:
        raise TemplateError(f"{plan}: quota period {period!r} is not DAY, WEEK or MONTH")
    return _PERIODS[period]
