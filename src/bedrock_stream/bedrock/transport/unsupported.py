""":class:`Unsupported`: the built-in transport cannot serve this environment; boto3 must.

Also :func:`shared_files`, the one check :mod:`.endpoints` and :mod:`.credentials` share:
whether botocore would read a profile or a shared file. Both only ever say *Unsupported*
where botocore would read something the built-in transport does not, or would fail: the
caller then builds a boto3 client, which reads it (or raises its own error).
"""

from __future__ import annotations

import os

from bedrock_stream._sigv4.value import Value

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Unsupported", "shared_files"]

PROFILE_VARIABLES = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")
"""The variables that select a profile, botocore's ``profile`` setting."""
SHARED_FILES = (
    ("AWS_CONFIG_FILE", "~/.aws/config"),
    ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
)
"""botocore's shared config and credentials files: the variable naming each, its default."""


class Unsupported(Value):
    """The built-in transport cannot serve this; boto3 must. ``reason`` says why, for people."""

    __slots__ = ("reason",)
    __match_args__ = ("reason",)
    _fields = __match_args__
    _shown = __match_args__
    reason: str

    def __init__(self, reason: str) -> None:
        self._set(reason=reason)


def expand(path: str) -> str:
    """``path`` with ``$VARIABLES`` and ``~`` expanded as botocore's config loader does."""
    return os.path.expanduser(os.path.expandvars(path))


def shared_files(
    environ: Mapping[str, str], is_file: Callable[[str], bool] = os.path.isfile
) -> Unsupported | None:
    """Say why not if botocore would read a profile or a shared file, else ``None``.

    That is: a profile variable is set (to anything: botocore then insists the profile
    exists), or the shared config or credentials file botocore would read (the one its
    variable names, else the default under ``~``) is a file. botocore merges both files'
    profiles, so either may set the region, the endpoint or the credentials. Only
    ``is_file`` touches the file system; ``~`` and ``$VARIABLES`` in a path expand
    through the process's environment, as in botocore.
    """
    for name in PROFILE_VARIABLES:
        if name in environ:
            return Unsupported(f"{name} selects a profile; boto3 reads profiles")
    for name, default in SHARED_FILES:
        path = expand(environ.get(name, default))
        if is_file(path):
            return Unsupported(
                f"the shared file {path} may set the region, endpoint or credentials;"
                " boto3 reads it"
            )
    return None
