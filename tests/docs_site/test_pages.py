"""The guide pages state what the code does: CLI options, limits, faults, fixtures, banners.

Each test reads a page of docs/ and checks its claims against the code they describe, so a
change on either side that makes the page wrong fails here.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream import http_integration
from bedrock_stream.bedrock import client as bedrock_client
from bedrock_stream.devtools import cli, pytest_plugin
from bedrock_stream.runtime import stream as runtime_stream

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text()


def section(text: str, heading: str) -> str:
    """Return the text under ``heading`` (a full heading line) up to the next heading."""
    start = text.index(heading + "\n") + len(heading)
    level = heading.split(" ", 1)[0]
    following = re.search(rf"^#{{1,{len(level)}}} ", text[start:], re.M)
    return text[start : start + following.start()] if following else text[start:]


def table_rows(text: str) -> list[list[str]]:
    """Return the cells of every markdown table row in ``text`` (header and rule excluded)."""
    rows = []
    for block in re.findall(r"(?:^\|.*\|\n)+", text, re.M):
        lines = block.strip("\n").split("\n")[2:]
        for line in lines:
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            rows.append([cell.strip() for cell in cells])
    return rows


def cli_parsers() -> dict[str, argparse.ArgumentParser]:
    """The ``bedrock-stream`` subcommands' parsers, as ``cli.main`` builds them."""

    class Built(Exception):
        pass

    seen: list[argparse.ArgumentParser] = []

    def capture(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        seen.append(self)
        raise Built

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        with pytest.raises(Built):
            cli.main([])
    (parser,) = seen
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest != "help"]


# -- the CLI (docs/local.md) ---------------------------------------------------------------


def test_cli_parsers_are_found() -> None:
    parsers = cli_parsers()
    assert set(parsers) == {"init-wrapper", "local", "compare"}
    assert "--port" in {s for a in options(parsers["local"]) for s in a.option_strings}


@pytest.mark.parametrize("command", ["local", "compare", "init-wrapper"])
def test_every_cli_option_is_on_the_local_page(command: str) -> None:
    text = page("local.md")
    assert f"bedrock-stream {command}" in text
    for action in options(cli_parsers()[command]):
        for flag in action.option_strings:
            assert re.search(rf"`{re.escape(flag)}(?![\w-])[^`]*`", text), (command, flag)


def test_the_local_options_table_gives_each_default() -> None:
    options_part = page("local.md").split("## Compare streaming and buffered")[0]
    rows = {row[0]: row[1] for row in table_rows(options_part)}
    for action in options(cli_parsers()["local"]):
        (row,) = [
            meaning for flags, meaning in rows.items() if f"`{action.option_strings[0]}" in flags
        ]
        default = action.default
        if action.dest == "region":
            default = "us-east-1"  # the fallback when AWS_REGION is not set
        if default in (None, False, []):
            continue
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        assert re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w.])", row), (action.dest, row)


# -- banners (docs/local.md, docs/index.md) --------------------------------------------------


def printed_banner(directory: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``bedrock-stream local`` prints in ``directory``, ports made uniform."""
    pytest.importorskip("samtranslator", reason="the local stack needs the local extra")
    from bedrock_stream.local.stack import LocalStack

    monkeypatch.chdir(directory)
    web = Path("web") if Path("web").is_dir() else None
    with LocalStack("template.yaml", port=0, speed=0.0, web=web) as stack:
        banner = cli._banner(stack)
    return uniform_ports(banner).splitlines()


def uniform_ports(text: str) -> str:
    """Make the ports, and the API keys generated at each start, the same in every banner."""
    text = re.sub(r"(x-api-key: )[A-Za-z0-9]{40}", r"\1KEY", text)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


def test_the_local_page_shows_the_reference_apps_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    text = page("local.md")
    shown = re.search(r"```text\n(bedrock-stream local: .*?)```", text, re.S)
    assert shown is not None
    expected = printed_banner(ROOT / "examples" / "sam-app", monkeypatch)
    assert uniform_ports(shown[1]).splitlines() == expected


def test_the_home_page_shows_the_start_of_the_examples_banner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = page("index.md")
    shown = re.search(r"\$ bedrock-stream local\n(.*?)\n\.\.\.\n", text, re.S)
    assert shown is not None
    lines = uniform_ports(shown[1]).splitlines()
    expected = printed_banner(DOCS / "examples" / "local", monkeypatch)
    assert lines == expected[: len(lines)]
    assert len(lines) >= 3


def test_the_home_page_says_what_native_python_streaming_would_change() -> None:
    """The section on AWS's plan cites it and names the seam the code really has."""
    from bedrock_stream import sink
    from bedrock_stream.runtime.stream import StreamingSink

    text = " ".join(
        section(page("index.md"), "### When AWS's Python runtime streams natively").split()
    )
    assert "https://github.com/aws/aws-lambda-roadmap/issues/39" in text
    assert (
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html" in text
    )
    assert "stated plan, not a released feature" in text
    assert StreamingSink.__name__ in text and sink.attach_sink.__name__ in text
    assert {"start", "write"} <= set(dir(sink.ResponseSink))
    assert "`start` sets the content type" in text and "`write` writes to it" in text
    assert (
        "drop `AWS_LAMBDA_EXEC_WRAPPER`" in text and "`python3 -m bedrock_stream.runtime`" in text
    )


# -- limits (docs/limits.md) ---------------------------------------------------------------

UNITS = {"KiB": (1024,), "MiB": (1024**2,), "MB": (10**6, 1024**2)}
"""Byte multipliers; AWS writes "MB" for what its own code often counts in MiB."""


def sizes(text: str) -> list[set[int]]:
    """Every byte size in ``text``: each as the set of values its unit allows."""
    found = re.findall(r"(\d[\d ]*)\s?(KiB|MiB|MB)\b", text)
    return [{int(n.replace(" ", "")) * m for m in UNITS[unit]} for n, unit in found]


def limit_row(where: str, limit: str) -> str:
    rows = table_rows(section(page("limits.md"), "## Limits"))
    matches = [r for r in rows if r[0] == where and r[1] == limit]
    assert len(matches) == 1, (where, limit)
    return matches[0][2]


def local_modules() -> Any:
    pytest.importorskip("h11", reason="the local stack needs the local extra")
    from bedrock_stream.local import bandwidth, front_doors, invoker, rest_api, runtime_api
    from bedrock_stream.local import template as local_template

    return bandwidth, front_doors, invoker, rest_api, runtime_api, local_template


def test_the_limits_table_matches_the_library_and_the_local_stack() -> None:
    bandwidth, front_doors, invoker, rest_api, runtime_api, local_template = local_modules()
    streamed = "Lambda, streamed response"
    assert sizes(limit_row(f"{streamed} (`InvokeWithResponseStream`)", "maximum size")) == [
        {200 * 10**6, runtime_api.STREAMING_CAP}
    ]
    burst, rate = sizes(limit_row(streamed, "bandwidth"))
    assert bandwidth.LAMBDA.burst in burst and bandwidth.LAMBDA.rate in rate
    (buffered,) = sizes(limit_row("Lambda, buffered response (`Invoke`)", "maximum size"))
    assert runtime_api.BUFFERED_CAP - 100 in buffered  # RAPID: 6 MiB + 100 bytes
    assert invoker.MAX_EVENT in sizes(limit_row("Lambda, synchronous request", "event size"))[0]

    stream = "API Gateway REST, `STREAM`"
    duration = limit_row(stream, "stream duration")
    assert f"{front_doors.STREAM_LIMIT / 60:g} minutes" in duration
    assert f"{front_doors.STREAM_LIMIT * 1000:,.0f}".replace(",", " ") in duration
    idle = inspect.signature(front_doors.RestApiServer).parameters["idle_timeout"].default
    assert limit_row(stream, "idle time between bytes").startswith(f"{idle / 60:g} minutes")
    assert "30 seconds (edge-optimized" in limit_row(stream, "idle time between bytes")
    burst, rate = sizes(limit_row(stream, "bandwidth"))
    assert bandwidth.API_GATEWAY.burst in burst and bandwidth.API_GATEWAY.rate in rate
    assert sizes(limit_row(stream, "prelude")) == [{http_integration.PRELUDE_WINDOW}]

    default_ms = local_template.Route.__dataclass_fields__["timeout_ms"].default
    timeout = limit_row("API Gateway REST, `BUFFERED`", "integration timeout")
    assert timeout.startswith(f"{default_ms // 1000} s by default")
    (request,) = sizes(limit_row("API Gateway REST, both modes", "request payload"))
    assert rest_api.MAX_REQUEST_BODY in request
    assert "no response streaming" in limit_row("function URL", "inside a VPC")


def test_the_limits_table_states_the_librarys_own_limits() -> None:
    own = "bedrock-stream"
    assert sizes(limit_row(own, "prelude JSON")) == [
        {http_integration.MAX_METADATA_SIZE},
        {http_integration.PRELUDE_WINDOW},
    ]
    queued = limit_row(own, "unsent chunks queued in the runtime")
    assert sizes(queued) == [{runtime_stream.HIGH_WATER}]
    read_timeout = limit_row(own, "Bedrock client `read_timeout`")
    assert read_timeout == f"{bedrock_client.READ_TIMEOUT:,.0f} s".replace(",", " ")


def test_the_limits_page_gives_the_two_cloudfront_traps_with_their_sources() -> None:
    from bedrock_stream import streaming_handler

    silent = limit_row(
        "CloudFront in front of an API or a function URL",
        "origin response timeout: silence before the first byte or between two bytes",
    )
    assert silent.startswith("30 s by default") and "edge-optimized" in silent
    assert "`x-amz-content-sha256`" in limit_row(
        "CloudFront with origin access control in front of a function URL",
        "`POST` and `PUT` bodies",
    )
    traps = " ".join(section(page("limits.md"), "### CloudFront in front of a stream").split())
    for source in [
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html",
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html",
    ]:
        assert source in traps, source
    # The heartbeat the page shows is a real option, and beats well inside the 30 s.
    shown = re.search(r'`@streaming_handler\(format="sse", heartbeat=(\d+)\)`', traps)
    assert shown is not None and int(shown[1]) < 30
    streaming_handler(format="sse", heartbeat=int(shown[1]))


@pytest.mark.parametrize(
    "symptom",
    [
        "### curl prints the whole answer at once",
        '### `500 {"message": "Internal server error"}` on every request of a `STREAM` route',
        "### Status and headers arrive, but no body",
        "### An empty `200` from a function URL",
        '### `502 "Lambda response must be valid json"` under `sam local start-api`',
        "### The stream stops early (a truncated answer)",
        "### The function keeps running after the client has gone",
    ],
)
def test_each_known_symptom_has_its_entry(symptom: str) -> None:
    assert section(page("limits.md"), symptom).strip()


# -- the fidelity table (docs/local.md) --------------------------------------------------------


def test_the_fidelity_table_has_the_specified_columns_and_the_stacks_answers() -> None:
    _, _, _, rest_api, _, _ = local_modules()
    from bedrock_stream.local import function_url

    fidelity = section(page("local.md"), "## Fidelity")
    header = re.search(r"^\|(.*)\|\n\|[-|]+\|$", fidelity, re.M)
    assert header is not None
    assert [c.strip() for c in header[1].split("|")] == ["behaviour", "emulator", "AWS", "verified"]
    for response in [
        rest_api.INTERNAL_ERROR,
        rest_api.BAD_GATEWAY,
        rest_api.TIMEOUT,
        rest_api.MISSING_TOKEN,
        rest_api.THROTTLED,
        function_url.BAD_GATEWAY,
    ]:
        message = json.loads(response.body)["message"]
        assert f'{response.status} `{{"message": "{message}"}}`' in fidelity, message
    for row in table_rows(fidelity):
        assert len(row) == 4 and row[3], row  # every behaviour says how it was verified


NOT_ENFORCED_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Http:
          Type: HttpApi
          Properties: {Path: /h, Method: get}
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        DefaultCacheBehavior: {TargetOriginId: o, ViewerProtocolPolicy: https-only}
        Origins:
          - Id: o
            DomainName: example.com
            CustomOriginConfig: {OriginProtocolPolicy: https-only}
"""


def test_the_fidelity_table_ends_with_what_the_stack_does_not_enforce(tmp_path: Path) -> None:
    """The last rows say what AWS enforces and the stack does not, each with AWS's source."""
    local_modules()
    from bedrock_stream.local import template as local_template

    rows = table_rows(section(page("local.md"), "## Fidelity"))
    marked = [i for i, row in enumerate(rows) if row[3] == "not enforced"]
    assert len(marked) >= 10 and marked == list(range(len(rows) - len(marked), len(rows)))
    for row in rows[marked[0] :]:
        assert "https://docs.aws.amazon.com/" in row[2] or "(limits.md#" in row[2], row
    behaviours = " ".join(row[0] for row in rows[marked[0] :])
    for topic in ["HttpApi", "execution role", "CloudFront", "custom domain", "`Cors`", "quotas"]:
        assert topic in behaviours, topic

    # What the rows claim of the two the stack passes over without a word.
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(NOT_ENFORCED_TEMPLATE)
    loaded = local_template.load(tmp_path / "template.yaml")
    assert loaded.apis == {} and loaded.warnings == ()
    assert "Cdn" not in loaded.functions and set(loaded.functions) == {"Fn"}


# -- fault injection (docs/local-bedrock.md) ---------------------------------------------------


def fault_specs(text: str) -> list[str]:
    """The spec column's examples, with N and S given values."""
    specs = []
    for row in table_rows(section(text, "## Faults")):
        if len(row) != 4:
            continue
        for code in re.findall(r"`([^`]+)`", row[1]):
            if re.fullmatch(r"(after|seconds|status|code|message)(=.*)?", code):
                continue  # an option named on its own, not a spec
            code = re.sub(r"=N\b", "=5", re.sub(r"=S\b", "=2", code))
            code = code.replace("message=...", "message=blocked")
            assert "..." not in code, code
            specs.append(code)
    return specs


def test_every_fault_kind_is_documented_with_a_spec_that_parses() -> None:
    pytest.importorskip("h11", reason="the emulator needs the local extra")
    from bedrock_stream.local.bedrock import faults

    text = page("local-bedrock.md")
    parsed = [faults.parse_fault(spec) for spec in fault_specs(text)]
    kinds = set(typing.get_args(faults.InjectedFault))
    assert {type(fault) for fault in parsed} == kinds
    errors = {(f.status, f.code) for f in parsed if isinstance(f, faults.ErrorResponse)}
    named = {(f().status, f().code) for f in faults._NAMED.values()}
    assert named <= errors  # every named error kind is in the table
    for kind in faults._NAMED:
        assert f"`{kind}`" in text


def test_the_exception_codes_map_as_documented() -> None:
    pytest.importorskip("h11", reason="the emulator needs the local extra")
    from bedrock_stream.local.bedrock import faults

    rows = {r[0]: r[1] for r in table_rows(section(page("local-bedrock.md"), "## Faults"))}
    for code, (status, name) in faults.STREAM_TO_HTTP.items():
        assert rows[f"`{code}`"] == f"{status} `{name}`"


def test_the_rule_header_and_admin_api_are_documented() -> None:
    pytest.importorskip("h11", reason="the emulator needs the local extra")
    from bedrock_stream.local.bedrock import admin, faults, server

    text = section(page("local-bedrock.md"), "## Faults")
    assert f"`{server.FAULT_HEADER}: <spec>`" in text
    source = inspect.getsource(admin.serve_admin)
    for method, path in re.findall(r"`(POST|GET|DELETE) (/_emulator/\w+)`", text):
        assert f'path == "{path}" and exchange.method == "{method}"' in source
    assert len(re.findall(r"`(POST|GET|DELETE) /_emulator/", text)) == 3
    operations = typing.get_args(faults.OperationFilter)
    for operation in operations:
        assert f"`{operation}`" in text


# -- the pytest plugin (docs/local.md) ---------------------------------------------------------


def test_the_fixtures_are_documented_with_the_complete_example() -> None:
    testing = section(page("local.md"), "## Testing your own handlers")
    for fixture in pytest_plugin.__all__:
        assert f"`{fixture}`" in testing
    snippet = "<!-- snippet: docs/examples/local/test_answer.py -->"
    assert snippet in testing
    example = (DOCS / "examples" / "local" / "test_answer.py").read_text()
    used = set(re.findall(r"^def test_\w+\((\w+)\)", example, re.M))
    assert used == set(pytest_plugin.__all__)  # the example uses both fixtures
    defaults = inspect.getsource(pytest_plugin.local_stack)
    for option, value in re.findall(r'options\.setdefault\("(\w+)", ([\d.]+)\)', defaults):
        assert f"`{option}={float(value):g}`" in testing
