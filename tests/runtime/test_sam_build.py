"""A real `sam build` artifact: the wrapper keeps its execute bit and starts the runtime.

`sam build` (aws-sam-cli, PyPI) installs requirements by extracting wheels, which drops
file modes; the wrapper lives in CodeUri, so it must arrive executable. The built
function directory is then started the way the managed python3.x bootstrap starts it.

aws-sam-cli pins its own dependency versions, so it is not in the test extra: `.ci/run`
installs it in a separate environment and puts `sam` and a python3.13 on PATH. Where
either is missing the test skips with the reason.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_packaging import _serve_one, _start_managed

from bedrock_stream import __version__
from bedrock_stream.cli import write_wrapper
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.local.stack import LocalStack

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "runtime"
SAM_APP = ROOT / "examples" / "sam-app"

SAM = shutil.which("sam")
PYTHON313 = shutil.which("python3.13")
pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="shell scripts"),
    pytest.mark.skipif(
        SAM is None, reason="aws-sam-cli (`sam`) is not on PATH; .ci/run installs it"
    ),
    pytest.mark.skipif(
        PYTHON313 is None, reason="sam build for python3.13 needs python3.13 on PATH"
    ),
]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's wheel, for requirements that pin the unpublished version."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    return wheels


def _sam_build(app: Path, wheels: Path) -> Path:
    """Run `sam build` in ``app``; return the build directory."""
    env = {**os.environ, "PIP_FIND_LINKS": str(wheels), "SAM_CLI_TELEMETRY": "0"}
    build = subprocess.run(
        [str(SAM), "build", "--template", "template.yaml"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return app / ".aws-sam" / "build"


def test_sam_build_artifact_streams_through_the_wrapper(tmp_path: Path, wheels: Path) -> None:
    app = tmp_path / "app"
    source = app / "src"
    source.mkdir(parents=True)
    shutil.copy(EXAMPLE / "template.yaml", app / "template.yaml")
    shutil.copy(EXAMPLE / "app.py", source / "app.py")
    (source / "requirements.txt").write_text(f"bedrock-stream=={__version__}\n")
    write_wrapper(source)  # what `bedrock-stream init-wrapper src/` commits with the app
    artifact = _sam_build(app, wheels) / "StreamFunction"
    wrapper = artifact / "bedrock-stream"
    assert os.access(wrapper, os.X_OK), "the wrapper lost its execute bit"
    assert (artifact / "bedrock_stream" / "runtime" / "__main__.py").is_file()

    with RuntimeAPIServer() as api:
        # pyenv's python3.13 has no bedrock-stream: only the artifact's copy can run.
        _serve_one(api, _start_managed(api, tmp_path, artifact, wrapper, str(PYTHON313)))


def test_the_built_reference_app_streams_on_the_local_stack(tmp_path: Path, wheels: Path) -> None:
    app = tmp_path / "sam-app"
    shutil.copytree(SAM_APP, app, ignore=shutil.ignore_patterns("__pycache__", ".aws-sam"))
    built = _sam_build(app, wheels)
    assert os.access(built / "StreamingFunction" / "bedrock-stream", os.X_OK)
    with LocalStack(built / "template.yaml", port=0, speed=0) as stack:
        for function in stack.template.functions.values():
            assert function.code_dir.is_relative_to(built)  # the artifact, not the sources
        answers = []
        # The built authorizer admits the stack's key, as the deployed one would.
        headers = {"Content-Type": "application/json", "x-api-key": stack.api_keys["ApiKey"]}
        for name in ("StreamingApi", "NonStreamingApi"):
            parts = urlsplit(stack.endpoint(name).url)
            connection = http.client.HTTPConnection(parts.netloc, timeout=60)
            try:
                body = json.dumps({"message": "What does sam build do?"})
                connection.request("POST", parts.path, body=body, headers=headers)
                response = connection.getresponse()
                answers.append((response.status, response.getheader("Transfer-Encoding")))
                answers.append(response.read())
            finally:
                connection.close()
        text = stack.bedrock.requests[-1].text.encode()
    assert answers == [(200, "chunked"), text, (200, None), text]
