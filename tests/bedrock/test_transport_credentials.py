"""``auth_from`` and ``ContainerCredentialSource`` against botocore's credential providers.

Fetches go to the local stack's container credentials endpoint, which botocore's
``ContainerProvider`` reads as well, or to a small loopback server of this module's whose
answers and ``Expiration`` the test sets. The resolution order is compared with what a real
boto3 client built under the same environment signs a call with (stopped at
``before-send``: nothing leaves the process).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.credentials import (
    ContainerProvider,
    RefreshableCredentials,
    create_credential_resolver,
)
from botocore.exceptions import CredentialRetrievalError, PartialCredentialsError
from botocore.utils import ContainerMetadataFetcher

from bedrock_stream._sigv4.signing import Credentials
from bedrock_stream.bedrock.errors import BedrockError
from bedrock_stream.bedrock.transport.credentials import (
    ADVISORY_REFRESH,
    MANDATORY_REFRESH,
    Bearer,
    ContainerCredentialSource,
    CredentialSource,
    StaticCredentials,
    auth_from,
    parse_expiration,
)
from bedrock_stream.bedrock.transport.unsupported import Unsupported
from bedrock_stream.local.container_credentials import ContainerCredentials
from bedrock_transports import isolate_aws_environment

KEYS = {
    "AWS_ACCESS_KEY_ID": "ASIACONTAINER",
    "AWS_SECRET_ACCESS_KEY": "container-secret",
    "AWS_SESSION_TOKEN": "container-session-token",
}
EXPIRY = 2_000_000_000.0  # what the refresh server's Expiration says, unless told otherwise
EXPIRATION = "2033-05-18T03:33:20Z"


class _Sent(Exception):
    """Raised at ``before-send``: the request is built and signed, and goes nowhere."""


@pytest.fixture
def endpoint() -> Iterator[ContainerCredentials]:
    server = ContainerCredentials(KEYS).start()
    yield server
    server.close()


@pytest.fixture
def no_files(tmp_path: Path) -> dict[str, str]:
    """Every file botocore would read, pointed where nothing is; the IMDS turned off."""
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "BOTO_CONFIG": str(tmp_path / "boto"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class Answers:
    """A loopback credentials endpoint that counts requests and answers what it is told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.status = 200
        self.body: bytes | None = None
        self.expiration = EXPIRATION
        answers = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answers.requests.append(dict(self.headers))
                body = answers.body
                if body is None:
                    n = len(answers.requests)
                    body = json.dumps(
                        {
                            "AccessKeyId": f"AKID{n}",
                            "SecretAccessKey": f"secret{n}",
                            "Token": f"token{n}",
                            "Expiration": answers.expiration,
                        }
                    ).encode()
                self.send_response(answers.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/creds"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def answers() -> Iterator[Answers]:
    server = Answers()
    yield server
    server.close()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _source(answers: Answers, clock: Clock, **options: Any) -> ContainerCredentialSource:
    return ContainerCredentialSource(
        answers.url, token="t0k3n", clock=clock, sleep=lambda _: None, **options
    )


# ---- fetching: ours and botocore's ContainerProvider, on the local stack's endpoint


@pytest.mark.parametrize("session_token", ["container-session-token", ""])
def test_fetch_is_botocores(endpoint: ContainerCredentials, session_token: str) -> None:
    endpoint.credentials["AWS_SESSION_TOKEN"] = session_token
    environ = endpoint.environment()
    source = auth_from(environ, is_file=lambda _: False)
    assert isinstance(source, ContainerCredentialSource)
    ours = source.credentials()
    theirs = ContainerProvider(environ=environ).load().get_frozen_credentials()
    assert ours == Credentials(theirs.access_key, theirs.secret_key, theirs.token or None)
    assert ours.access_key == KEYS["AWS_ACCESS_KEY_ID"]
    assert ours.token == (session_token or None)


def test_the_token_file_wins_over_the_token(endpoint: ContainerCredentials, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(endpoint.token)
    environ = {
        **endpoint.environment(),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
    }
    source = auth_from(environ, is_file=lambda _: False)
    assert isinstance(source, ContainerCredentialSource)
    theirs = ContainerProvider(environ=environ).load().get_frozen_credentials()
    assert source.credentials() == Credentials(theirs.access_key, theirs.secret_key, theirs.token)


def test_the_token_file_is_read_at_each_fetch(answers: Answers, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("one")
    clock = Clock(EXPIRY - 3600)
    source = ContainerCredentialSource(answers.url, token_file=str(token_file), clock=clock)
    source.credentials()
    token_file.write_text("two")
    clock.now = EXPIRY - ADVISORY_REFRESH + 1
    source.credentials()
    assert [request["Authorization"] for request in answers.requests] == ["one", "two"]


def test_a_token_file_with_a_newline_is_refused(answers: Answers, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("t0k3n\n")
    source = ContainerCredentialSource(answers.url, token_file=str(token_file))
    with pytest.raises(BedrockError, match="not a header value"):
        source.credentials()
    assert answers.requests == []
    environ = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": answers.url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
    }
    with pytest.raises(ValueError, match="not a legal header value"):
        ContainerProvider(environ=environ).load()


def test_missing_token_file(answers: Answers, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    source = ContainerCredentialSource(answers.url, token_file=str(missing))
    with pytest.raises(BedrockError, match=f"cannot read the token file {missing}"):
        source.credentials()


def test_a_wrong_token_is_a_clear_error(endpoint: ContainerCredentials) -> None:
    environ = endpoint.environment()
    url = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    wrong = endpoint.token + "x"
    source = ContainerCredentialSource(url, token=wrong, sleep=lambda _: None)
    with pytest.raises(BedrockError) as refused:
        source.credentials()
    message = str(refused.value)
    assert message == f"the container credentials endpoint {url} answered HTTP 403"
    assert refused.value.code == ""
    assert wrong not in message and endpoint.token not in message
    environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = wrong
    fetcher = ContainerMetadataFetcher(sleep=lambda _: None)
    with pytest.raises(CredentialRetrievalError, match="403"):
        ContainerProvider(environ=environ, fetcher=fetcher).load()


def test_failures_are_tried_three_times_like_botocore(answers: Answers) -> None:
    answers.status = 500
    source = _source(answers, Clock(EXPIRY - 3600))
    with pytest.raises(BedrockError, match="answered HTTP 500"):
        source.credentials()
    ours = len(answers.requests)
    fetcher = ContainerMetadataFetcher(sleep=lambda _: None)
    with pytest.raises(Exception, match="500"):
        fetcher.retrieve_full_uri(answers.url, headers={"Authorization": "t0k3n"})
    assert ours == len(answers.requests) - ours == 3
    assert answers.requests[0]["Authorization"] == "t0k3n"
    assert answers.requests[0]["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "a body that is not JSON"),
        (b"[]", "without the strings AccessKeyId, SecretAccessKey, Token, Expiration"),
        (b'{"AccessKeyId": "a", "SecretAccessKey": "s", "Token": "t"}', "without the strings"),
        (
            b'{"AccessKeyId": "a", "SecretAccessKey": "s", "Token": "t", "Expiration": 5}',
            "without the strings",
        ),
        (
            b'{"AccessKeyId": "a", "SecretAccessKey": "s", "Token": "t",'
            b' "Expiration": "2033-05-18T03:33:20"}',
            "not an ISO 8601 time with a time zone",
        ),
    ],
)
def test_garbage_is_a_clear_error(answers: Answers, body: bytes, message: str) -> None:
    answers.body = body
    with pytest.raises(BedrockError, match=message) as refused:
        _source(answers, Clock(EXPIRY - 3600)).credentials()
    assert answers.url in str(refused.value)


def test_unreachable_is_a_clear_error(answers: Answers) -> None:
    answers.close()
    source = ContainerCredentialSource(answers.url, sleep=lambda _: None)
    with pytest.raises(BedrockError, match=f"{answers.url} failed: ConnectionRefusedError"):
        source.credentials()


# ---- caching and refreshing


def test_nothing_is_fetched_before_the_first_call(answers: Answers) -> None:
    environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": answers.url}
    source = auth_from(environ, is_file=lambda _: False)
    assert isinstance(source, ContainerCredentialSource)
    assert answers.requests == []
    source.credentials()
    assert len(answers.requests) == 1
    assert "Authorization" not in answers.requests[0]


def test_far_from_expiry_credentials_are_kept(answers: Answers) -> None:
    clock = Clock(EXPIRY - 3600)
    source = _source(answers, clock)
    first = source.credentials()
    clock.now = EXPIRY - ADVISORY_REFRESH
    assert source.credentials() == first == Credentials("AKID1", "secret1", "token1")
    assert len(answers.requests) == 1


def test_near_expiry_credentials_are_refetched(answers: Answers) -> None:
    clock = Clock(EXPIRY - 3600)
    source = _source(answers, clock)
    source.credentials()
    clock.now = EXPIRY - ADVISORY_REFRESH + 1
    assert source.credentials() == Credentials("AKID2", "secret2", "token2")
    assert len(answers.requests) == 2


def test_an_advisory_refresh_that_fails_keeps_the_credentials(answers: Answers) -> None:
    clock = Clock(EXPIRY - 3600)
    source = _source(answers, clock)
    first = source.credentials()
    answers.status = 503
    clock.now = EXPIRY - MANDATORY_REFRESH
    assert source.credentials() == first
    assert len(answers.requests) == 1 + 3
    clock.now = EXPIRY - MANDATORY_REFRESH + 1
    with pytest.raises(BedrockError, match="answered HTTP 503"):
        source.credentials()
    answers.status = 200
    assert source.credentials() == Credentials("AKID8", "secret8", "token8")  # 1 + 3 + 3 + 1


def _botocore_outcome(seconds_left: float, fails: bool) -> str:
    """What botocore's RefreshableCredentials do with ``seconds_left`` before expiry."""
    expiry = datetime.fromtimestamp(EXPIRY, timezone.utc)
    now = expiry - timedelta(seconds=seconds_left)

    def refresh() -> dict[str, str]:
        if fails:
            raise RuntimeError("the endpoint is down")
        return {"access_key": "new", "secret_key": "s", "token": "t", "expiry_time": EXPIRATION}

    theirs = RefreshableCredentials("old", "s", "t", expiry, refresh, "test", lambda: now)
    try:
        return "kept" if theirs.get_frozen_credentials().access_key == "old" else "refreshed"
    except RuntimeError:
        return "raised"


@pytest.mark.parametrize(
    ("seconds_left", "fails", "outcome"),
    [
        (ADVISORY_REFRESH, False, "kept"),
        (ADVISORY_REFRESH - 1, False, "refreshed"),
        (ADVISORY_REFRESH - 1, True, "kept"),
        (MANDATORY_REFRESH, True, "kept"),
        (MANDATORY_REFRESH - 1, False, "refreshed"),
        (MANDATORY_REFRESH - 1, True, "raised"),
    ],
)
def test_refresh_windows_are_botocores(
    answers: Answers, seconds_left: float, fails: bool, outcome: str
) -> None:
    clock = Clock(EXPIRY - 3600)
    source = _source(answers, clock)
    first = source.credentials()
    clock.now = EXPIRY - seconds_left
    answers.status = 503 if fails else 200
    try:
        ours = "kept" if source.credentials() == first else "refreshed"
    except BedrockError:
        ours = "raised"
    assert ours == outcome == _botocore_outcome(seconds_left, fails)


def test_expired_answers_are_an_error(answers: Answers) -> None:
    source = _source(answers, Clock(EXPIRY + 1))
    with pytest.raises(BedrockError, match="answered credentials that have expired"):
        source.credentials()


def test_one_fetch_for_many_threads(answers: Answers) -> None:
    source = _source(answers, Clock(EXPIRY - 3600))
    start = threading.Barrier(8)
    got: list[Credentials] = []

    def call() -> None:
        start.wait()
        got.append(source.credentials())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers.requests) == 1
    assert got == [Credentials("AKID1", "secret1", "token1")] * 8


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2033-05-18T03:33:20Z", EXPIRY),
        ("2033-05-18T03:33:20z", EXPIRY),
        ("2033-05-18T03:33:20.000Z", EXPIRY),
        ("2033-05-18T03:33:20.5Z", EXPIRY + 0.5),
        ("2033-05-18T03:33:20.250000001+00:00", EXPIRY + 0.25),
        ("2033-05-18T03:33:20.+00:00", None),
        ("2033-05-18T05:33:20+02:00", EXPIRY),
        ("2033-05-18T03:33:20", None),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_expiration(text: str, seconds: float | None) -> None:
    assert parse_expiration(text) == seconds


# ---- what authenticates: ours against a real boto3 client's signed request


def _botocore_auth(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> object:
    """What a boto3 client built under ``environ`` authenticates InvokeModel with."""
    isolate_aws_environment(monkeypatch, environ)
    session = boto3.Session(botocore_session=botocore.session.Session())
    sent: dict[str, Any] = {}

    def stop(request: Any, **_: Any) -> None:
        sent.update(request.headers)
        raise _Sent

    client = session.client("bedrock-runtime", region_name="us-east-1")
    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", stop)
    with pytest.raises(_Sent):
        client.invoke_model(modelId="m", body=b"{}")
    authorization = sent["Authorization"]
    authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
    if authorization.startswith("Bearer "):
        return Bearer(authorization.removeprefix("Bearer "))
    access_key = authorization.split("Credential=", 1)[1].split("/", 1)[0]
    token = sent.get("X-Amz-Security-Token")
    return (access_key, token.decode() if isinstance(token, bytes) else token)


def _ours(auth: Bearer | CredentialSource | Unsupported) -> object:
    if isinstance(auth, (Bearer, Unsupported)):
        return auth
    credentials = auth.credentials()
    return (credentials.access_key, credentials.token)


ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"AWS_BEARER_TOKEN_BEDROCK": "api-key"}, Bearer("api-key")),
        ({"AWS_BEARER_TOKEN_BEDROCK": "api-key", **ENV_KEYS}, Bearer("api-key")),
        ({"AWS_BEARER_TOKEN_BEDROCK": "api-key", "container": "yes"}, Bearer("api-key")),
        (ENV_KEYS, ("AKIDENV", None)),
        ({**ENV_KEYS, "AWS_SESSION_TOKEN": "st"}, ("AKIDENV", "st")),
        ({**ENV_KEYS, "AWS_SESSION_TOKEN": "st", "AWS_SECURITY_TOKEN": "sec"}, ("AKIDENV", "sec")),
        ({**ENV_KEYS, "AWS_SESSION_TOKEN": "st", "AWS_SECURITY_TOKEN": ""}, ("AKIDENV", "st")),
        ({**ENV_KEYS, "container": "yes"}, ("AKIDENV", None)),
        ({**ENV_KEYS, "shared": "yes", "AWS_PROFILE": "default"}, ("AKIDENV", None)),
        (
            {"AWS_ACCESS_KEY_ID": "", "container": "yes"},
            ("ASIACONTAINER", "container-session-token"),
        ),
        ({"container": "yes"}, ("ASIACONTAINER", "container-session-token")),
    ],
)
def test_resolution_order_is_botocores(
    case: dict[str, str],
    expected: object,
    endpoint: ContainerCredentials,
    no_files: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = {**no_files, **case}
    if environ.pop("container", None):
        environ.update(endpoint.environment())
    if environ.pop("shared", None):
        shared = tmp_path / "credentials"
        shared.write_text("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = x\n")
    ours = _ours(auth_from(environ))
    assert ours == expected
    assert _botocore_auth(environ, monkeypatch) == ours


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ({"AWS_BEARER_TOKEN_BEDROCK": ""}, "AWS_BEARER_TOKEN_BEDROCK is empty"),
        ({"AWS_BEARER_TOKEN_BEDROCK": "a\r\nb"}, "not a header value"),
        ({"AWS_ACCESS_KEY_ID": "AKID"}, "without AWS_SECRET_ACCESS_KEY"),
        ({**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2033-05-18T03:33:20Z"}, "expiring"),
        ({"AWS_PROFILE": "dev", "container": "yes"}, "AWS_PROFILE selects a profile"),
        ({"file": "AWS_CONFIG_FILE", "container": "yes"}, "may set the region, endpoint or"),
        ({"file": "AWS_SHARED_CREDENTIALS_FILE"}, "may set the region, endpoint or credentials"),
        ({"file": "BOTO_CONFIG", "container": "yes"}, "boto2 config file"),
        ({"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "container": "yes"}, "boto3 assumes the role"),
        ({"AWS_CREDENTIAL_FILE": "/c", "container": "yes"}, "EC2 credentials file"),
        ({}, "instance metadata service"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/c"}, "not a URL botocore"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/c"}, "not a URL botocore"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1.nip.io/"}, "not a URL"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": ""}, "not a URL botocore"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "ftp://127.0.0.1/c"}, "not a URL botocore"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:x/c"}, "not a URL botocore"),
        ({"container": "yes", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\nb"}, "not a header"),
    ],
)
def test_unsupported(
    case: dict[str, str],
    reason: str,
    endpoint: ContainerCredentials,
    no_files: dict[str, str],
) -> None:
    environ = {**no_files, **case}
    if environ.pop("container", None):
        environ = {**endpoint.environment(), **environ}
    existing = environ.pop("file", None)
    if existing is not None:
        Path(environ[existing]).write_text("[default]\n")
    ours = auth_from(environ)
    assert isinstance(ours, Unsupported)
    assert reason in ours.reason


def test_botocore_fails_or_looks_further_where_we_say_unsupported(
    no_files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment-only refusals: botocore raises, or finds nothing short of the IMDS."""
    isolate_aws_environment(monkeypatch, {**no_files, "AWS_ACCESS_KEY_ID": "AKID"})
    with pytest.raises(PartialCredentialsError):
        create_credential_resolver(botocore.session.Session()).load_credentials()
    isolate_aws_environment(monkeypatch, no_files)
    assert create_credential_resolver(botocore.session.Session()).load_credentials() is None
    for url in ["http://10.0.0.1/c", "http://example.com/c", "http://127.0.0.1.nip.io/", ""]:
        with pytest.raises(ValueError, match="Unsupported host"):
            ContainerMetadataFetcher().retrieve_full_uri(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/c",
        "http://127.0.0.2:1/c",
        "http://localhost:1/c",
        "http://[::1]:1/c",
        "http://169.254.170.2/c",
        "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/c",
        "https://creds.example.com/c",
    ],
)
def test_container_hosts_botocore_fetches_from(url: str) -> None:
    source = auth_from({"AWS_CONTAINER_CREDENTIALS_FULL_URI": url}, is_file=lambda _: False)
    assert isinstance(source, ContainerCredentialSource)
    assert source.url == url


def test_relative_uri_is_on_the_ecs_host_and_wins() -> None:
    environ = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/c",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
    }
    source = auth_from(environ, is_file=lambda _: False)
    assert isinstance(source, ContainerCredentialSource)
    assert source.url == ContainerMetadataFetcher().full_url("/v2/credentials/abc")


def test_reprs_hide_secrets() -> None:
    static = auth_from({**ENV_KEYS, "AWS_SESSION_TOKEN": "session-secret"}, is_file=lambda _: False)
    assert isinstance(static, StaticCredentials)
    assert "env-secret" not in repr(static) and "session-secret" not in repr(static)
    assert "api-key" not in repr(Bearer("api-key"))
