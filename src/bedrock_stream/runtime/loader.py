"""Finding the handler: ``_HANDLER`` or argv, ``module.function`` or ``dir/module.function``.

Failures raise :class:`~bedrock_stream.runtime.diagnostic.Fault` with the error types
and messages awslambdaric posts to ``/runtime/init/error``.
"""

from __future__ import annotations

import importlib
import os
import sys

from bedrock_stream.runtime.diagnostic import Fault

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["load_handler", "prepare_path"]


def prepare_path(environ: Mapping[str, str]) -> None:
    """Put ``LAMBDA_TASK_ROOT`` (else the working directory) and ``/opt/python`` on ``sys.path``."""
    task_root = environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    for index, path in enumerate((task_root, "/opt/python")):
        if path not in sys.path:
            sys.path.insert(index, path)


def load_handler(name: str) -> Callable[[Any, Any], Any]:
    """Import the handler's module and return the function.

    Raises:
        Fault: ``Runtime.MalformedHandlerName``, ``Runtime.BuiltInModuleConflict``,
            ``Runtime.ImportModuleError``, ``Runtime.UserCodeSyntaxError`` or
            ``Runtime.HandlerNotFound``.
    """
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as exc:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{name}': {exc}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {exc}",
            trace,
        ) from None
    try:
        handler: Callable[[Any, Any], Any] = getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None
    return handler
