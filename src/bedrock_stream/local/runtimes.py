"""The Lambda runtimes the local stack runs, and the runtime client that starts each one.

A function's ``Runtime`` picks its family by prefix (:data:`FAMILIES`): ``python*`` runs with
this interpreter (:func:`~bedrock_stream.local.sandbox_environment.runtime_command`),
``nodejs*`` with AWS's own Node.js runtime client, npm's ``aws-lambda-ric``, which is not
shipped with bedrock-stream: :func:`find_node_client` finds it where ``--node-ric`` (the
``node_ric`` argument) or else :data:`NODE_RIC_VARIABLE` says. Any other runtime, and a
Node.js function without that client, is refused before a process starts
(:class:`RuntimeUnavailable`), with what to do.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bedrock_stream.errors import LocalStackError

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Function

__all__ = [
    "FAMILIES",
    "NODE_RIC_PACKAGE",
    "NODE_RIC_VARIABLE",
    "Family",
    "NodeClient",
    "RuntimeUnavailable",
    "family",
    "find_node_client",
]

Family = Literal["python", "nodejs"]
"""A runtime family: what a function's ``Runtime`` starts with."""

FAMILIES: tuple[Family, ...] = ("python", "nodejs")
"""The runtime families the local stack runs; each is the prefix of its ``Runtime`` values."""

NODE_RIC_PACKAGE = "aws-lambda-ric@4.0.2"
"""The npm package of AWS's Node.js runtime client, at the version the tests pin."""

NODE_RIC_VARIABLE = "BEDROCK_STREAM_NODE_RIC"
"""The environment variable that says where the Node.js runtime client is, without
``--node-ric``."""

_ENTRY = "index.mjs"  # the package's "bin" and "main"
_INSTALL = (
    f"install it with `npm install --prefix DIR {NODE_RIC_PACKAGE}` and pass "
    f"--node-ric DIR (or set {NODE_RIC_VARIABLE}=DIR)"
)


class RuntimeUnavailable(LocalStackError, ValueError):
    """A function's ``Runtime`` cannot run locally; the message says why and what to do.

    Either the runtime is not supported, or its runtime client is not installed.
    """


@dataclass(frozen=True)
class NodeClient:
    """AWS's Node.js runtime client: started as ``<node> <entry> <handler>``."""

    node: str
    """The ``node`` executable."""
    entry: Path
    """The package's ``index.mjs``."""

    def command(self, handler: str) -> list[str]:
        """Return the runtime's command line for ``handler``, interpreter first."""
        return [self.node, str(self.entry), handler]


def family(function: Function) -> Family:
    """Return ``function``'s runtime family; raise :class:`RuntimeUnavailable` if none."""
    for name in FAMILIES:
        if function.runtime.startswith(name):
            return name
    runtime = f"Runtime {function.runtime}" if function.runtime else "no Runtime"
    raise RuntimeUnavailable(
        f"function {function.name} has {runtime}: the local stack runs "
        f"{' and '.join(f'{prefix}*' for prefix in FAMILIES)} runtimes "
        "(e.g. python3.13, nodejs22.x)"
    )


def find_node_client(
    functions: Iterable[Function], where: str | os.PathLike[str] | None = None
) -> NodeClient | None:
    """Check every function's runtime; return the Node.js client if a ``nodejs*`` one needs it.

    ``where`` (else :data:`NODE_RIC_VARIABLE`) is a directory where ``npm install
    aws-lambda-ric`` ran, or the package's own directory.

    Raises:
        RuntimeUnavailable: a runtime is not supported, or a Node.js function has no
            runtime client (or no ``node``) to run with.
    """
    node_functions = [f.name for f in functions if family(f) == "nodejs"]
    if not node_functions:
        return None
    given = where if where is not None else os.environ.get(NODE_RIC_VARIABLE) or None
    needs = f"function {node_functions[0]} (nodejs) needs AWS's Node.js runtime client"
    if given is None:
        raise RuntimeUnavailable(f"{needs}: {_INSTALL}")
    directory = Path(given).expanduser()
    for entry in (directory / "node_modules" / "aws-lambda-ric" / _ENTRY, directory / _ENTRY):
        if entry.is_file():
            break
    else:
        raise RuntimeUnavailable(f"{needs}, and there is none in {directory}: {_INSTALL}")
    node = shutil.which("node")
    if node is None:
        raise RuntimeUnavailable(f"function {node_functions[0]} (nodejs) needs node on PATH")
    return NodeClient(node, entry.resolve())
