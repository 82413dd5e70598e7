"""A real `sam build` artifact: the wrapper keeps its execute bit and starts the runtime.

`sam build` (aws-sam-cli, PyPI) installs requirements by extracting wheels, which drops
file modes; the wrapper lives in CodeUri, so it must arrive executable. The built
function directory is then started the way the managed python3.x bootstrap starts it.

aws-sam-cli pins its own dependency versions, so it is not in the test extra: `.ci/run`
installs it in a separate environment and puts `sam` and a python3.13 on PATH. Where
either is missing the test skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_packaging import _serve_one, _start_managed

from bedrock_stream import __version__
from bedrock_stream.cli import write_wrapper
from bedrock_stream.local.runtime_api import RuntimeAPIServer

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "runtime"

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


def test_sam_build_artifact_streams_through_the_wrapper(tmp_path: Path) -> None:
    app = tmp_path / "app"
    source = app / "src"
    source.mkdir(parents=True)
    shutil.copy(EXAMPLE / "template.yaml", app / "template.yaml")
    shutil.copy(EXAMPLE / "app.py", source / "app.py")
    (source / "requirements.txt").write_text(f"bedrock-stream=={__version__}\n")
    write_wrapper(source)  # what `bedrock-stream init-wrapper src/` commits with the app
    wheels = tmp_path / "wheels"
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
    artifact = app / ".aws-sam" / "build" / "StreamFunction"
    wrapper = artifact / "bedrock-stream"
    assert os.access(wrapper, os.X_OK), "the wrapper lost its execute bit"
    assert (artifact / "bedrock_stream" / "runtime" / "__main__.py").is_file()

    with RuntimeAPIServer() as api:
        # pyenv's python3.13 has no bedrock-stream: only the artifact's copy can run.
        _serve_one(api, _start_managed(api, tmp_path, artifact, wrapper, str(PYTHON313)))
