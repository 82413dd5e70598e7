"""The whole local stack for one SAM template: every front door, the functions, Bedrock.

:class:`LocalStack` reads the template, starts the Bedrock emulator (unless the real
Bedrock is asked for), the local Lambda service, one API Gateway server per REST API
(each API has its own host in AWS, here its own port), one server per function URL,
the Lambda service API and, if asked, a static web page. Ports are given out in that
order from ``port`` (0 picks free ones); the Bedrock emulator takes a free port.
Functions reach it through the standard ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` variable, so
no function code is local-only.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import secrets
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from bedrock_stream.errors import LocalStackError
from bedrock_stream.local.access import AccessControl
from bedrock_stream.local.bandwidth import LAMBDA
from bedrock_stream.local.endpoints import IAM_CREDENTIALS as IAM_CREDENTIALS
from bedrock_stream.local.endpoints import Endpoint as Endpoint
from bedrock_stream.local.endpoints import sigv4_curl
from bedrock_stream.local.front_doors import FunctionUrlServer, RestApiServer
from bedrock_stream.local.lambda_api import LambdaApiServer
from bedrock_stream.local.static_site import StaticSite
from bedrock_stream.local.template import TemplateError, load
from bedrock_stream.local.usage_plans import UsagePlans

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import RestApi, Route, Template

__all__ = ["IAM_CREDENTIALS", "Endpoint", "LocalStack", "PortInUse"]

_AWS_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class _Closable(Protocol):
    def close(self) -> None: ...


class _Server(_Closable, Protocol):
    @property
    def url(self) -> str: ...

    def start(self) -> object: ...


_S = TypeVar("_S", bound=_Server)


class PortInUse(LocalStackError, OSError):
    """A port the stack needs is taken; the message names it."""


class LocalStack:
    """Run a SAM template's APIs, function URLs and functions on loopback.

    Args:
        template: the SAM template file.
        host: the address every server listens on.
        port: the first port; 0 gives every server a free one.
        bedrock: ``"local"`` for the built-in Bedrock emulator, ``"aws"`` for the real
            Bedrock with the caller's AWS credentials.
        region: ``AWS_REGION`` of the functions (and of the real Bedrock).
        speed: the emulator's pace, 1.0 for the recordings' timing, 0 for no delay.
        concurrency: execution environments per function.
        max_concurrency: run every function as on Lambda Managed Instances, this many
            invocations at once in one environment, over the template's setting.
        parameters: template parameter overrides.
        bandwidth: shape streams like Lambda (6 MiB, then 2 MiB/s: every streamed
            invocation) and API Gateway (10 MB, then 2 MB/s: ``STREAM`` routes).
        close_on_disconnect: close a function's stream when its client leaves (AWS
            lets it run to completion).
        web: a directory of static files to serve after the other servers, with a
            ``/config.json`` naming the first streaming and buffered REST routes and the
            API key they take. A template whose ``Metadata`` names a
            ``BedrockStreamLocal: WebOriginParameter`` gets the page's origin as that
            parameter, unless ``parameters`` sets it.
        api_keys: values for the template's API keys, by logical id; the others get
            random values, as API Gateway generates them (see :attr:`api_keys`).
        node_ric: where AWS's Node.js runtime client (npm ``aws-lambda-ric``) is
            installed, for ``nodejs*`` functions; default: ``BEDROCK_STREAM_NODE_RIC``.
            :meth:`start` raises :class:`~bedrock_stream.local.runtimes.RuntimeUnavailable`
            when a Node.js function has none, or a function's runtime is neither
            ``python*`` nor ``nodejs*``.
        bedrock_https: serve the Bedrock emulator over HTTPS (its CA named to the functions
            by ``AWS_CA_BUNDLE`` and ``NODE_EXTRA_CA_CERTS``), for Bedrock API keys.

    Routes with ``AWS_IAM`` authorization take requests signed with
    :data:`IAM_CREDENTIALS` (SigV4, service ``execute-api``, this region).
    """

    def __init__(
        self,
        template: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        bedrock: Literal["local", "aws"] = "local",
        region: str = "us-east-1",
        speed: float = 1.0,
        concurrency: int = 10,
        max_concurrency: int | None = None,
        parameters: Mapping[str, str] | None = None,
        bandwidth: bool = False,
        close_on_disconnect: bool = False,
        web: str | os.PathLike[str] | None = None,
        api_keys: Mapping[str, str] | None = None,
        node_ric: str | os.PathLike[str] | None = None,
        bedrock_https: bool = False,
    ) -> None:
        self.template_path = Path(template)
        self._parameters = dict(parameters or {})
        self.template: Template = load(self.template_path, parameters=parameters, region=region)
        unknown = set(api_keys or {}) - set(self.template.api_keys)
        if unknown:
            raise TemplateError(f"no API key {', '.join(sorted(unknown))} in the template")
        self.api_keys: dict[str, str] = {}
        """Every API key's value by logical id (keys that are not enabled included)."""
        self._key_values(api_keys or {})
        self._host = host
        self._next_port = port
        self._bedrock_mode = bedrock
        self._region = region
        self._speed = speed
        self._concurrency = concurrency
        self._max_concurrency = max_concurrency
        self._bandwidth = bandwidth
        self._close_on_disconnect = close_on_disconnect
        self._web = None if web is None else Path(web)
        self._node_ric = node_ric
        self._bedrock_https = bedrock_https
        self.endpoints: list[Endpoint] = []
        self._closers: list[_Closable] = []

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the template reader found deploys silently wrong, and what fails only here."""
        keyed = [
            name
            for name, function in self.template.functions.items()
            if "AWS_BEARER_TOKEN_BEDROCK" in function.environment
        ]
        if not keyed or self._bedrock_mode != "local" or self._bedrock_https:
            return self.template.warnings
        return (
            *self.template.warnings,
            f"{', '.join(keyed)}: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) goes only to an "
            "https:// endpoint; start with --https (bedrock_https=True) to reach the emulator",
        )

    def endpoint(self, name: str, kind: str | None = None) -> Endpoint:
        """Return the endpoint called ``name`` (an API's or function's logical id)."""
        for endpoint in self.endpoints:
            if endpoint.name == name and (kind is None or endpoint.kind == kind):
                return endpoint
        raise KeyError(name)

    def start(self) -> LocalStack:
        """Start every server and the Lambda service.

        Raises:
            PortInUse: a port is taken (the message says which and what to do).
            RuntimeUnavailable: a function's runtime cannot run here (the message says
                why and what to do).
        """
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every server and every function process."""
        while self._closers:
            self._closers.pop().close()

    def __enter__(self) -> LocalStack:
        return self if self._closers else self.start()  # ``with LocalStack(...).start():``

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _port(self) -> int:
        port = self._next_port
        if port:
            self._next_port += 1
        return port

    def _bind(self, factory: Callable[..., _S], what: str, *, port: int | None = None) -> _S:
        """Create and start a server on ``port`` (default: the next of the stack's ports)."""
        port = self._port() if port is None else port
        try:
            server = factory(port=port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    errno.EADDRINUSE,
                    f"port {port} ({what}) is in use: stop what holds it or pass --port",
                ) from None
            raise
        self._closers.append(server)
        server.start()
        return server

    def _start(self) -> None:
        from bedrock_stream.local.lambda_service import LambdaService

        site = self._bind_web() if self._web is not None else None
        environment: dict[str, str] = {}
        if self._bedrock_mode == "local":
            from bedrock_stream.local.bedrock.server import BedrockEmulator

            # On a free port: functions find it through the environment, people in the banner.
            bedrock = self._bind(
                functools.partial(
                    BedrockEmulator, self._host, speed=self._speed, https=self._bedrock_https
                ),
                "Bedrock",
                port=0,
            )
            environment.update(bedrock.env())  # the endpoint, and with HTTPS the CA's file
            if bedrock.tls is not None:
                environment["NODE_EXTRA_CA_CERTS"] = str(bedrock.tls.ca_bundle)
            self.endpoints.append(Endpoint("bedrock", "bedrock-runtime", bedrock.url, True))
            self.bedrock = bedrock
        credentials = None
        if self._bedrock_mode == "aws":
            credentials = _caller_credentials()
        service = LambdaService(
            self.template.functions,
            region=self._region,
            concurrency=self._concurrency,
            max_concurrency=self._max_concurrency,
            extra_environment=environment,
            credentials=credentials,
            close_on_disconnect=self._close_on_disconnect,
            bandwidth=LAMBDA if self._bandwidth else None,
            node_ric=self._node_ric,
        )
        self._closers.insert(0, service)  # closed last, after its front doors
        self.lambdas = service
        plans = self._usage_plans()  # one for every API: a key's limits count them all
        for name, api in self.template.apis.items():
            access = AccessControl(
                service,
                plans,
                iam_credentials=dict([IAM_CREDENTIALS]),
                region=self._region,
            )
            rest = self._bind(
                functools.partial(
                    RestApiServer,
                    [api],
                    service,
                    host=self._host,
                    bandwidth=self._bandwidth,
                    access=access,
                ),
                f"REST API {name}",
            )
            for route in api.routes:
                if route.function is None:
                    continue
                url = f"{rest.url}/{api.stage}{route.path}"
                self.endpoints.append(
                    Endpoint(
                        "rest-api",
                        name,
                        url,
                        route.streaming,
                        route.method,
                        self._curl_credentials(api, route),
                    )
                )
        for name, function in self.template.functions.items():
            if function.url is None:
                continue
            url_server = self._bind(
                functools.partial(
                    FunctionUrlServer,
                    function,
                    service,
                    host=self._host,
                    iam_credentials=dict([IAM_CREDENTIALS]),
                    region=self._region,
                ),
                f"function URL of {name}",
            )
            streaming = function.url.invoke_mode == "RESPONSE_STREAM"
            signing = sigv4_curl(self._region, "lambda") if function.url.auth_type != "NONE" else ()
            self.endpoints.append(
                Endpoint("function-url", name, url_server.url, streaming, credentials=signing)
            )
        api_server = self._bind(
            functools.partial(LambdaApiServer, self.template.functions, service, host=self._host),
            "Lambda API",
        )
        self.endpoints.append(Endpoint("lambda-api", "lambda", api_server.url, True))
        if site is not None:
            site.config = self._web_config()
            self.endpoints.append(Endpoint("web", "web", site.url, False))

    def _bind_web(self) -> StaticSite:
        """Start the web page first, on the port it would get last, and pass its origin on.

        The template is read again with the page's origin as its ``WebOriginParameter``
        (unless set explicitly), so that the APIs allow the page that calls them.
        """
        assert self._web is not None
        urls = sum(1 for f in self.template.functions.values() if f.url is not None)
        port = self._next_port + len(self.template.apis) + urls + 1 if self._next_port else 0
        site = self._bind(
            functools.partial(StaticSite, self._web, {}, host=self._host), "web page", port=port
        )
        name = self.template.web_origin_parameter
        if name is not None and name not in self._parameters:
            parameters = {**self._parameters, name: site.url.rstrip("/")}
            self.template = load(self.template_path, parameters=parameters, region=self._region)
            self._key_values(self.api_keys)
        return site

    def _key_values(self, given: Mapping[str, str]) -> None:
        """Give each of the template's API keys its value: given, the template's, or random."""
        for name, value in given.items():
            if not _KEY_VALUE.fullmatch(value):
                raise TemplateError(f"API key {name}: a value is 20 to 128 letters and digits")
        self.api_keys = {
            name: given.get(name) or key.value or _generated_key()
            for name, key in self.template.api_keys.items()
        }

    def _usage_plans(self) -> UsagePlans:
        enabled = {
            name: value
            for name, value in self.api_keys.items()
            if self.template.api_keys[name].enabled
        }
        return UsagePlans(self.template.usage_plans, enabled)

    def api_key_for(self, api: str) -> str | None:
        """Return the value of an enabled API key that a usage plan of ``api`` admits."""
        return self._usage_plans().key_for(api, self.template.apis[api].stage)

    def _curl_credentials(self, api: RestApi, route: Route) -> tuple[str, ...]:
        options: list[str] = []
        if route.authorization == "AWS_IAM":
            options += sigv4_curl(self._region, "execute-api")
        key = self.api_key_for(api.name) if route.api_key_required else None
        if key is not None:
            options.append(f"-H 'x-api-key: {key}'")
        return tuple(options)

    def _web_config(self) -> dict[str, str]:
        routes = [e for e in self.endpoints if e.kind == "rest-api"]
        config = {
            mode: next(e.url for e in routes if e.streaming == streaming)
            for mode, streaming in (("streaming", True), ("buffered", False))
            if any(e.streaming == streaming for e in routes)
        }
        first = next((e for e in routes if e.streaming), routes[0] if routes else None)
        key = None if first is None else self.api_key_for(first.name)
        if key is not None:
            config["apiKey"] = key
        return config


_KEY_VALUE = re.compile(r"[A-Za-z0-9]{20,128}")
"""What API Gateway accepts as an API key's value."""


def _generated_key() -> str:
    """Return a new key value like the ones API Gateway generates: 40 letters and digits."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))


def _caller_credentials() -> dict[str, str] | None:
    """Return the caller's AWS credentials, for functions that call the real Bedrock."""
    try:
        import boto3
    except ImportError:  # pragma: no cover - the local extra has boto3
        return None
    found = boto3.session.Session().get_credentials()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    values = (frozen.access_key, frozen.secret_key, frozen.token)
    return {k: v for k, v in zip(_AWS_CREDENTIALS, values, strict=True) if v}
