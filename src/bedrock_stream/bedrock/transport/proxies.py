"""Which proxy botocore would send a request through: ``urllib.request``'s environment rules.

The built-in transport uses no proxy: where :func:`proxy_for` names one, boto3 serves. The
rules are written here rather than imported, as ``urllib.request`` costs about 8 ms more than
the transport's own imports (``-X importtime``, CPython 3.11).
"""

from __future__ import annotations

from urllib.parse import urlsplit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["proxy_for"]


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """Return the proxy URL botocore would use for ``url`` under ``environ``, else None.

    The proxy comes from ``<scheme>_proxy`` (any case, the lowercase name winning; ``HTTP_PROXY``
    ignored when ``REQUEST_METHOD`` is set, as for CGI) unless ``no_proxy`` lists the host:
    ``*``, the host itself, or a suffix of it (leading dot or not), with or without its port.
    A proxy written without a scheme gets ``http://``, as botocore does.
    """
    proxies = _environment_proxies(environ)
    parts = urlsplit(url)
    no_proxy = proxies.get("no")
    if no_proxy is not None and _bypassed(parts.netloc, no_proxy):
        return None
    proxy = proxies.get(parts.scheme)
    if not proxy or proxy.startswith(("http:", "https:")):
        return proxy
    return "http:" + proxy if proxy.startswith("//") else "http://" + proxy


def _environment_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` over ``environ``: scheme to proxy URL."""
    proxies: dict[str, str] = {}
    found: list[tuple[str, str, str]] = []
    for name, value in environ.items():
        if len(name) > 5 and name[-6] == "_" and name[-5:].lower() == "proxy":
            scheme = name[:-6].lower()
            found.append((name, value, scheme))
            if value:
                proxies[scheme] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value, scheme in found:
        if name[-6:] == "_proxy":  # the lowercase names win, an empty one removes the proxy
            if value:
                proxies[scheme] = value
            else:
                proxies.pop(scheme, None)
    return proxies


def _bypassed(netloc: str, no_proxy: str) -> bool:
    """``urllib.request.proxy_bypass_environment``: whether ``no_proxy`` lists the host."""
    if no_proxy == "*":
        return True
    host = netloc.lower()
    head, colon, port = host.rpartition(":")
    bare = head if colon and not port.strip("0123456789") else host
    for entry in no_proxy.split(","):
        name = entry.strip()
        if name:
            name = name.lstrip(".").lower()
            suffix = "." + name
            if name in (bare, host) or bare.endswith(suffix) or host.endswith(suffix):
                return True
    return False
