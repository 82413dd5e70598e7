"""The package as users get it: cheap imports, and a wheel with the right contents."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

HEAVY = [
    "asyncio",
    "awslambdaric",
    "boto3",
    "botocore",
    "h11",
    "http.server",
    "logging",
    "socketserver",
    "ssl",
    "threading",
    "urllib3",
]


@pytest.mark.parametrize(
    "statement",
    [
        "import bedrock_stream",
        "from bedrock_stream import streaming_handler, StreamingResponse, HTTPError, CORS",
        "import bedrock_stream.http_integration, bedrock_stream.sse, bedrock_stream.ndjson",
    ],
)
def test_imports_pull_in_no_heavy_module(statement: str) -> None:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(HEAVY), f"{statement} imported {sorted(loaded & set(HEAVY))}"


def test_plain_import_does_not_load_the_handler_machinery() -> None:
    code = "import sys, bedrock_stream; print('bedrock_stream.handler' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    import bedrock_stream

    assert bedrock_stream.streaming_handler.__module__ == "bedrock_stream.handler"
    assert set(bedrock_stream.__all__) <= set(dir(bedrock_stream))
    with pytest.raises(AttributeError):
        _ = bedrock_stream.no_such_name  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("bedrock_stream-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_contains_the_package_and_its_data_only(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "bedrock_stream/__init__.py" in names
    assert "bedrock_stream/py.typed" in names
    assert "bedrock_stream/http_integration.py" in names
    sources = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src").rglob("*.py")}
    assert sources <= set(names), "every module is shipped"
    top_level = {name.split("/", 1)[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"bedrock_stream"}
    assert not [n for n in names if "tests/" in n or n.endswith(".json") or "/data/" in n]


def test_wheel_metadata_keeps_heavy_dependencies_optional(wheel: zipfile.ZipFile) -> None:
    (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = wheel.read(metadata_name).decode()
    import bedrock_stream

    assert f"Version: {bedrock_stream.__version__}" in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    unconditional = [line for line in requires if "extra ==" not in line]
    assert [line.split()[1] for line in unconditional] == ["typing-extensions>=4.7"]
    for heavy in ("boto3", "awslambdaric"):
        assert all("extra ==" in line for line in requires if heavy in line)
    assert "License-Expression: Apache-2.0" in metadata
