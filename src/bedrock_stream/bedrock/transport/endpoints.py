"""Where Bedrock Runtime calls go: :func:`endpoint_from` reads it from the environment.

It answers what ``boto3.client("bedrock-runtime")`` resolves from the same variables
(botocore's endpoint rule set for Bedrock Runtime and its ``partitions.json``, mirrored in
:data:`PARTITIONS`), or :class:`.Unsupported` where boto3 would read more than the
environment, or would fail, or where this module does not follow it:

* a profile variable, or a shared config or credentials file (:func:`.shared_files`);
* ``AWS_DATA_PATH`` (data files that may replace the rule set or the endpoints);
* no region, or not a region name, or one no partition below claims (botocore would fall
  back on the ``aws`` partition; a newer botocore may know where it belongs);
* dual-stack (``AWS_USE_DUALSTACK_ENDPOINT``) outside the partitions that have it below,
  even with a configured endpoint URL;
* a configured endpoint URL other than ``http(s)://host[:port][/path]`` with a DNS name or
  IPv4 host, a port in 1-65535 and a path of plain segments (no query, fragment, user,
  IPv6 literal, percent-escape, empty segment or one starting with ``.``).

The region is ``AWS_DEFAULT_REGION`` only: botocore does not read ``AWS_REGION``. As in
botocore, a FIPS pseudo-region (``fips-`` or ``-fips`` in it) means the region without
them, over FIPS. A configured endpoint URL (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, else
``AWS_ENDPOINT_URL``; empty ones skipped; both ignored when
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true) wins over FIPS and dual-stack, which
botocore then leaves out of the rule set. A flag is true when its value is ``true`` in any
case, as in botocore. The region signs the calls, wherever they go.
"""

from __future__ import annotations

import os
import re

from bedrock_stream._sigv4.value import Value

from .unsupported import Unsupported, shared_files

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["PARTITIONS", "Endpoint", "endpoint_from"]


class Endpoint(Value):
    """Where calls go, and the region they are signed for.

    ``url`` is ``scheme://host[:port][/path]`` without a trailing slash: a request's URL is
    it followed by the operation's path.
    """

    __slots__ = ("region", "url")
    __match_args__ = ("url", "region")
    _fields = __match_args__
    _shown = __match_args__
    url: str
    region: str

    def __init__(self, url: str, region: str) -> None:
        self._set(url=url, region=region)


PARTITIONS = (
    ("aws", r"(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+", "amazonaws.com", "api.aws"),
    ("aws-cn", r"cn-\w+-\d+", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ("aws-eusc", r"eusc-(de)-\w+-\d+", "amazonaws.eu", "api.amazonwebservices.eu"),
    ("aws-iso", r"us-iso-\w+-\d+", "c2s.ic.gov", None),
    ("aws-iso-b", r"us-isob-\w+-\d+", "sc2s.sgov.gov", None),
    ("aws-iso-e", r"eu-isoe-\w+-\d+", "cloud.adc-e.uk", None),
    ("aws-iso-f", r"us-isof-\w+-\d+", "csp.hci.ic.gov", None),
    ("aws-us-gov", r"us-gov-\w+-\d+", "amazonaws.com", "api.aws"),
)
"""botocore's partitions in its order: name, region pattern, DNS suffix, dual-stack suffix.

A region is in the first partition whose pattern it matches (whole, ASCII); botocore also
takes the ``*-global`` names its data lists, which this module leaves to boto3. Every
partition has FIPS endpoints. Dual-stack is ``None`` where botocore's older endpoint data
(``endpoints.json``, consulted on every client's creation) has no dual-stack variant: there
botocore refuses it, or falls back on another partition's data.
"""

_REGION = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")
"""A region botocore accepts (``validate_region_name``), but never empty."""
_PATTERNS = tuple(
    (re.compile(pattern, re.ASCII), dns, dualstack) for _, pattern, dns, dualstack in PARTITIONS
)
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_URL = re.compile(
    rf"(?P<base>https?://{_LABEL}(?:\.{_LABEL})*"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*)/?"
)
"""A configured endpoint URL this module takes; ``base`` is it without a trailing slash.

A path segment never starts with ``.``: no ``.`` or ``..`` for urllib3 to resolve.
"""


def endpoint_from(
    environ: Mapping[str, str], *, is_file: Callable[[str], bool] = os.path.isfile
) -> Endpoint | Unsupported:
    """Return where ``boto3.client("bedrock-runtime")`` would send calls, or why not.

    ``environ`` is the process's environment (``os.environ`` in production). Nothing is
    read but ``environ`` and, through ``is_file``, whether the shared config and
    credentials files exist (see :func:`.shared_files`).
    """
    unsupported = shared_files(environ, is_file)
    if unsupported is not None:
        return unsupported
    if "AWS_DATA_PATH" in environ:
        return Unsupported("AWS_DATA_PATH may replace botocore's endpoint data; boto3 reads it")
    named = environ.get("AWS_DEFAULT_REGION", "")
    if not named:
        return Unsupported("no region: AWS_DEFAULT_REGION is not set")
    # botocore's FIPS pseudo-regions: "fips-us-gov-west-1" means us-gov-west-1, over FIPS.
    region = named.replace("fips-", "").replace("-fips", "")
    if _REGION.fullmatch(named) is None or _REGION.fullmatch(region) is None:
        return Unsupported(f"AWS_DEFAULT_REGION is not a region name: {named!r}")
    partition = next((p for p in _PATTERNS if p[0].fullmatch(region)), None)
    dualstack = _true(environ, "AWS_USE_DUALSTACK_ENDPOINT")
    if dualstack and (partition is None or partition[2] is None):
        return Unsupported(f"dual-stack in {region}, whose endpoint data botocore lacks")
    if not _true(environ, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        for name in ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"):
            configured = environ.get(name, "")
            if configured:
                return _configured(name, configured, region)
    if partition is None:
        return Unsupported(f"the region {region!r} is in no partition this transport knows")
    _, dns, dualstack_dns = partition
    fips = region != named or _true(environ, "AWS_USE_FIPS_ENDPOINT")
    host = "bedrock-runtime-fips" if fips else "bedrock-runtime"
    return Endpoint(f"https://{host}.{region}.{dualstack_dns if dualstack else dns}", region)


def _true(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").lower() == "true"


def _configured(name: str, url: str, region: str) -> Endpoint | Unsupported:
    match = _URL.fullmatch(url)
    if match is None or int(match["port"] or 1) > 65535:
        return Unsupported(f"{name} is not a URL of the form http(s)://host[:port][/path]")
    return Endpoint(match["base"], region)
