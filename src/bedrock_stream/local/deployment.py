"""The local stack's deployment model: what a template deploys, as the stack consumes it.

Functions with their function URLs, REST APIs with their stage, routes, gateway responses and
authorizers, API keys and usage plans, and the local account id. Read from a template by
:func:`bedrock_stream.local.template.load`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ACCOUNT",
    "ApiKey",
    "Authorization",
    "AuthorizerSpec",
    "Function",
    "FunctionUrl",
    "GatewayResponseSpec",
    "KeySource",
    "PlanStage",
    "Quota",
    "RestApi",
    "Route",
    "Template",
    "Throttle",
    "UsagePlan",
]

ACCOUNT = "123456789012"
"""The local stack's AWS account id (``AWS::AccountId``, in ARNs, events and identities)."""


@dataclass(frozen=True)
class FunctionUrl:
    """A function's ``FunctionUrlConfig``."""

    invoke_mode: Literal["BUFFERED", "RESPONSE_STREAM"]
    auth_type: str
    cors: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Function:
    """An ``AWS::Serverless::Function`` after Globals, with what matters to run it locally."""

    name: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int = 3
    memory_size: int = 128
    architectures: tuple[str, ...] = ("x86_64",)
    environment: Mapping[str, str] = field(default_factory=dict)
    url: FunctionUrl | None = None
    snap_start: bool = False
    """``SnapStart: ApplyOn: PublishedVersions`` with a published version (SAM's
    ``AutoPublishAlias``): it runs as that version runs, restored from a snapshot."""
    max_concurrency: int | None = None
    """Lambda Managed Instances (``CapacityProviderConfig``): the invocations one execution
    environment serves at once (``PerExecutionEnvironmentMaxConcurrency``); None for an
    on-demand function, one invocation per environment."""


Authorization = Literal["NONE", "AWS_IAM", "CUSTOM"]
"""A route's authorization type, as API Gateway names it (Cognito is refused offline)."""


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda authorizer of a REST API (``x-amazon-apigateway-authorizer``)."""

    name: str
    type: Literal["TOKEN", "REQUEST"]
    function: str
    """The logical id of the authorizer's function."""
    identity_sources: tuple[str, ...] = ()
    """API Gateway's names, e.g. ``method.request.header.Authorization``."""
    ttl: int = 300
    """Seconds a result is cached (``authorizerResultTtlInSeconds``); 0 disables caching."""
    validation_expression: str | None = None
    """A TOKEN authorizer's ``identityValidationExpression``: tokens that do not match are
    refused without calling the function."""


@dataclass(frozen=True)
class Route:
    """One method of one resource path of a REST API."""

    method: str
    """Upper case; ``ANY`` matches every method."""
    path: str
    """The resource path, e.g. ``/ask`` or ``/items/{id}``."""
    function: str | None
    """The Lambda proxy target's logical id; None for a MOCK integration."""
    streaming: bool = False
    """Integration response transfer mode ``STREAM`` (through InvokeWithResponseStream)."""
    timeout_ms: int = 29_000
    mock_headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers of a MOCK integration (the CORS preflight SAM generates)."""
    authorization: Authorization = "NONE"
    """Who may call: anyone, IAM principals (SigV4), or a Lambda authorizer's verdict."""
    authorizer: str | None = None
    """The API's authorizer deciding a ``CUSTOM`` route (a key of :attr:`RestApi.authorizers`)."""
    api_key_required: bool = False
    """A valid API key of a usage plan of this stage is required."""

    @property
    def protected(self) -> bool:
        """Whether a caller must be authorized or bring an API key."""
        return self.authorization != "NONE" or self.api_key_required


@dataclass(frozen=True)
class GatewayResponseSpec:
    """A customized gateway response (``x-amazon-apigateway-gateway-responses``)."""

    status: int | None
    """The status to answer with instead of the default; None keeps it."""
    headers: tuple[tuple[str, str], ...]
    """Static header values (unquoted), e.g. ``Access-Control-Allow-Origin: *``."""


KeySource = Literal["HEADER", "AUTHORIZER"]
"""Where a REST API reads its callers' API keys (``x-amazon-apigateway-api-key-source``)."""


@dataclass(frozen=True)
class RestApi:
    """An API Gateway REST API with its stage and routes."""

    name: str
    stage: str
    routes: tuple[Route, ...]
    gateway_responses: Mapping[str, GatewayResponseSpec] = field(default_factory=dict)
    """By response type: ``DEFAULT_4XX``, ``DEFAULT_5XX``, ``THROTTLED``, ..."""
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    """The API's Lambda authorizers by name."""
    api_key_source: KeySource = "HEADER"
    """Where a required API key comes from: ``x-api-key``, or an authorizer's
    ``usageIdentifierKey``."""

    @property
    def api_id(self) -> str:
        """The API's local id, in its events and method ARNs."""
        return self.name.lower()[:10]


@dataclass(frozen=True)
class ApiKey:
    """An ``AWS::ApiGateway::ApiKey``."""

    name: str
    value: str | None
    """The key as callers send it; None when API Gateway would generate it."""
    enabled: bool


@dataclass(frozen=True)
class Throttle:
    """A token bucket: ``rate`` requests a second on average, ``burst`` at once."""

    rate: float
    burst: int


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` requests per ``period``.

    Periods are UTC calendar days, weeks from Monday, or months; ``offset`` requests are
    taken off the limit in the first period.
    """

    limit: int
    period: Literal["DAY", "WEEK", "MONTH"]
    offset: int = 0


@dataclass(frozen=True)
class PlanStage:
    """A stage a usage plan covers, with its per-method throttles (``/path/METHOD``)."""

    api: str
    stage: str
    method_throttles: Mapping[str, Throttle] = field(default_factory=dict)


@dataclass(frozen=True)
class UsagePlan:
    """An ``AWS::ApiGateway::UsagePlan`` with the keys its ``UsagePlanKey`` resources add."""

    name: str
    stages: tuple[PlanStage, ...]
    keys: tuple[str, ...]
    """Logical ids of its API keys."""
    throttle: Throttle | None = None
    quota: Quota | None = None


@dataclass(frozen=True)
class Template:
    """What a SAM template deploys, as far as the local stack needs it."""

    functions: Mapping[str, Function]
    apis: Mapping[str, RestApi]
    warnings: tuple[str, ...] = ()
    api_keys: Mapping[str, ApiKey] = field(default_factory=dict)
    """The ``AWS::ApiGateway::ApiKey`` resources by logical id."""
    usage_plans: Mapping[str, UsagePlan] = field(default_factory=dict)
    """The ``AWS::ApiGateway::UsagePlan`` resources by logical id, with their keys."""
    web_origin_parameter: str | None = None
    """The parameter that takes the origin of the page the local stack serves, so that the
    page may call the APIs (``Metadata: BedrockStreamLocal: WebOriginParameter``)."""
