"""``endpoint_from`` against botocore: the URL and signing region of a real boto3 client's call.

Each environment is applied to ``os.environ``, a boto3 client is built under it and one
``InvokeModel`` call is stopped at ``before-send`` (nothing leaves the process): the URL it
would go to (our URL and the operation's path) and the region of its ``Authorization`` scope are
botocore's answer. Shared files point at paths that do not exist, for botocore and ours.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.transport.endpoints import PARTITIONS, Endpoint, endpoint_from
from bedrock_stream.bedrock.transport.unsupported import Unsupported
from bedrock_transports import isolate_aws_environment

BOTOCORE_PARTITIONS: list[dict[str, Any]] = json.loads(
    (Path(botocore.__file__).parent / "data" / "partitions.json").read_text()
)["partitions"]
LEGACY_PARTITIONS: list[dict[str, Any]] = json.loads(
    (Path(botocore.__file__).parent / "data" / "endpoints.json").read_text()
)["partitions"]
KNOWN_REGIONS = sorted({region for p in BOTOCORE_PARTITIONS for region in p["regions"]})
OPERATION_PATH = "/model/m/invoke"

FLAG_SPELLINGS = ["true", "True", "TRUE", "tRuE", "false", "1", "yes", "on", "", " true"]
SIMPLE_URLS = [
    "http://localhost:4566",
    "http://127.0.0.1:8080/",
    "https://bedrock.example.com",
    "https://bedrock.example.com:443/base",
    "https://My-Host.internal/base/",
    "http://10.0.0.7:65535/a/b_c~d",
    "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
]
ODD_URLS = [
    "HTTP://localhost:4566",
    "http://localhost:4566?x=1",
    "http://localhost:4566/#f",
    "http://user@localhost",
    "http://[::1]:4566",
    "http://localhost:0",
    "http://localhost:99999",
    "http://localhost:080",
    "http://localhost//",
    "http://localhost/a/../b",
    "http://localhost/%7e",
    "localhost:4566",
    " http://localhost",
    "ftp://localhost",
    "http://-bad-.example",
]


class _Sent(Exception):
    """Raised at ``before-send``: the request is built and signed, and goes nowhere."""


@pytest.fixture(scope="module")
def missing_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("aws")
    return {
        "AWS_CONFIG_FILE": str(base / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(base / "credentials"),
    }


@pytest.fixture(scope="module")
def session(missing_files: dict[str, str]) -> Iterator[boto3.Session]:
    """One boto3 session for every example: its loaders keep the service model loaded."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_aws_environment(monkeypatch, missing_files)
        yield boto3.Session(botocore_session=botocore.session.Session())


def botocore_endpoint(session: boto3.Session) -> tuple[str, str] | Exception:
    """The URL a boto3 client built under ``os.environ`` sends InvokeModel to, its region."""
    sent: dict[str, str] = {}

    def stop(request: Any, **_: Any) -> None:
        sent["url"] = request.url
        sent["authorization"] = request.headers["Authorization"].decode()
        raise _Sent

    try:
        client = session.client(
            "bedrock-runtime", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
        )
        client.meta.events.register("before-send.bedrock-runtime.InvokeModel", stop)
        client.invoke_model(modelId="m", body=b"{}")
    except _Sent:
        pass
    except Exception as error:  # botocore refuses this environment, one way or another
        return error
    scope = re.search(r"Credential=AKIDEXAMPLE/\d{8}/([^/]*)/bedrock/", sent["authorization"])
    assert scope is not None, sent["authorization"]
    return sent["url"], scope[1]


def _flag() -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(FLAG_SPELLINGS)


def _regions() -> st.SearchStrategy[str | None]:
    made_up = st.from_regex(
        r"(us|eu|ap|cn|sa|xx|eusc-de|us-iso|us-gov)-[a-z]{2,9}-[0-9]{1,2}", fullmatch=True
    )
    fips = st.builds(
        lambda region, form: form.format(region),
        st.sampled_from(KNOWN_REGIONS),
        st.sampled_from(["fips-{}", "{}-fips"]),
    )
    odd = st.text(alphabet="abusUS-019_.\n ", max_size=12)
    return st.none() | st.sampled_from(KNOWN_REGIONS) | made_up | fips | odd


def _urls() -> st.SearchStrategy[str | None]:
    return st.none() | st.just("") | st.sampled_from(SIMPLE_URLS) | st.sampled_from(ODD_URLS)


@st.composite
def environments(draw: st.DrawFn) -> dict[str, str]:
    variables = {
        "AWS_DEFAULT_REGION": draw(_regions()),
        "AWS_REGION": draw(st.none() | st.sampled_from(KNOWN_REGIONS)),
        "AWS_USE_FIPS_ENDPOINT": draw(_flag()),
        "AWS_USE_DUALSTACK_ENDPOINT": draw(_flag()),
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": draw(_flag()),
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": draw(_urls()),
        "AWS_ENDPOINT_URL": draw(_urls()),
    }
    return {name: value for name, value in variables.items() if value is not None}


def _partition(region: str) -> str | None:
    """The first of botocore's partitions whose pattern (not only its region list) takes it."""
    return next((p["id"] for p in BOTOCORE_PARTITIONS if re.match(p["regionRegex"], region)), None)


def _has_dualstack_data(partition: str) -> bool:
    """Whether botocore's endpoints.json gives the partition dual-stack variants."""
    (legacy,) = [p for p in LEGACY_PARTITIONS if p["partition"] == partition]
    tags = [sorted(variant["tags"]) for variant in legacy["defaults"]["variants"]]
    return ["dualstack"] in tags and ["dualstack", "fips"] in tags


def stated_unsupported(environ: dict[str, str]) -> bool:
    """The module docstring's cases (bar the shared files, absent here), worked out anew."""
    region = environ.get("AWS_DEFAULT_REGION", "")
    if not re.fullmatch(r"[a-zA-Z0-9-]+", region):
        return True
    partition = _partition(region.replace("fips-", "").replace("-fips", ""))
    dualstack = environ.get("AWS_USE_DUALSTACK_ENDPOINT", "").lower() == "true"
    if dualstack and (partition is None or not _has_dualstack_data(partition)):
        return True
    urls = [environ.get(n, "") for n in ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")]
    ignored = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"
    configured = next((url for url in urls if url and not ignored), None)
    if configured is not None:
        return configured in ODD_URLS
    return partition is None


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(environ=environments())
def test_endpoint_is_botocores(
    environ: dict[str, str], session: boto3.Session, missing_files: dict[str, str]
) -> None:
    environ = {**environ, **missing_files}
    ours = endpoint_from(environ)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_aws_environment(monkeypatch, environ)
        theirs = botocore_endpoint(session)
    if isinstance(ours, Endpoint):
        assert theirs == (ours.url + OPERATION_PATH, ours.region), environ
    else:
        assert isinstance(ours, Unsupported)
        assert isinstance(theirs, Exception) or stated_unsupported(environ), (ours, theirs)


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"AWS_DEFAULT_REGION": "us-east-1"}, "https://bedrock-runtime.us-east-1.amazonaws.com"),
        (
            {"AWS_DEFAULT_REGION": "cn-north-1", "AWS_USE_DUALSTACK_ENDPOINT": "True"},
            "https://bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn",
        ),
        (
            {"AWS_DEFAULT_REGION": "fips-us-gov-west-1"},
            "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com",
        ),
        (
            {
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_USE_FIPS_ENDPOINT": "true",
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "",
                "AWS_ENDPOINT_URL": "http://localhost:4566/base/",
            },
            "http://localhost:4566/base",
        ),
    ],
)
def test_examples(
    environ: dict[str, str], url: str, session: boto3.Session, missing_files: dict[str, str]
) -> None:
    environ = {**environ, **missing_files}
    ours = endpoint_from(environ)
    assert isinstance(ours, Endpoint)
    assert ours.url == url
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_aws_environment(monkeypatch, environ)
        assert botocore_endpoint(session) == (ours.url + OPERATION_PATH, ours.region)


def test_aws_region_is_not_read(session: boto3.Session, missing_files: dict[str, str]) -> None:
    environ = {"AWS_REGION": "us-east-1", **missing_files}
    assert endpoint_from(environ) == Unsupported("no region: AWS_DEFAULT_REGION is not set")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_aws_environment(monkeypatch, environ)
        assert isinstance(botocore_endpoint(session), botocore.exceptions.NoRegionError)


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"AWS_DEFAULT_REGION": ""}, "no region"),
        ({"AWS_DEFAULT_REGION": "us-east-1\n"}, "not a region name"),
        ({"AWS_DEFAULT_REGION": "fips-"}, "not a region name"),
        ({"AWS_DEFAULT_REGION": "aws-global"}, "in no partition"),
        ({"AWS_DEFAULT_REGION": "xx-east-1"}, "in no partition"),
        (
            {
                "AWS_DEFAULT_REGION": "us-isof-south-1",
                "AWS_USE_DUALSTACK_ENDPOINT": "true",
                "AWS_ENDPOINT_URL": "http://localhost:4566",
            },
            "dual-stack in us-isof-south-1",
        ),
        ({"AWS_DEFAULT_REGION": "us-east-1", "AWS_PROFILE": "dev"}, "AWS_PROFILE selects"),
        ({"AWS_DEFAULT_REGION": "us-east-1", "AWS_DEFAULT_PROFILE": ""}, "AWS_DEFAULT_PROFILE"),
        ({"AWS_DEFAULT_REGION": "us-east-1", "AWS_DATA_PATH": "/x"}, "AWS_DATA_PATH"),
        (
            {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://[::1]:4566"},
            "AWS_ENDPOINT_URL is not a URL",
        ),
        (
            {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "x"},
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME is not a URL",
        ),
    ],
)
def test_unsupported(environ: dict[str, str], reason: str, missing_files: dict[str, str]) -> None:
    ours = endpoint_from({**environ, **missing_files})
    assert isinstance(ours, Unsupported)
    assert reason in ours.reason


@pytest.mark.parametrize("variable", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
def test_a_shared_file_is_unsupported_as_botocore_reads_its_region(
    variable: str, tmp_path: Path, missing_files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.write_text("[default]\nregion = eu-west-3\n")
    environ = {**missing_files, variable: str(shared)}
    ours = endpoint_from(environ)
    assert isinstance(ours, Unsupported)
    assert str(shared) in ours.reason
    isolate_aws_environment(monkeypatch, environ)
    fresh = boto3.Session(botocore_session=botocore.session.Session())
    url = "https://bedrock-runtime.eu-west-3.amazonaws.com" + OPERATION_PATH
    assert botocore_endpoint(fresh) == (url, "eu-west-3")


def test_the_default_shared_files_are_looked_for_under_home() -> None:
    looked: list[str] = []

    def is_file(path: str) -> bool:
        looked.append(path)
        return False

    assert endpoint_from({"AWS_DEFAULT_REGION": "us-east-1"}, is_file=is_file) == Endpoint(
        "https://bedrock-runtime.us-east-1.amazonaws.com", "us-east-1"
    )
    home = os.path.expanduser("~")
    assert looked == [f"{home}/.aws/config", f"{home}/.aws/credentials"]


def test_partitions_are_botocores() -> None:
    """Each partition listed is botocore's, with its pattern and suffixes, in its order."""
    by_name = {p["id"]: p for p in BOTOCORE_PARTITIONS}
    order = [p["id"] for p in BOTOCORE_PARTITIONS]
    names = [name for name, *_ in PARTITIONS]
    assert names == sorted(names, key=order.index)
    for name, pattern, dns, dualstack in PARTITIONS:
        theirs = by_name[name]
        assert theirs["regionRegex"] == "^" + pattern.replace("-", "\\-") + "$"
        outputs = theirs["outputs"]
        assert outputs["dnsSuffix"] == dns
        assert outputs["supportsFIPS"] and outputs["supportsDualStack"]
        if dualstack is None:
            assert not _has_dualstack_data(name)
        else:
            assert _has_dualstack_data(name)
            assert outputs["dualStackDnsSuffix"] == dualstack
