"""What the local servers refuse in a request head that h11 would accept, sans I/O.

h11 parses leniently where RFC 9112 lets a recipient choose: it unfolds obsolete line
folding, takes a bare LF for CRLF, lets control bytes through in field values, and reads a
request that has both ``Content-Length`` and ``Transfer-Encoding`` by the latter. A proxy
in front that makes the other choice desynchronizes from the server (request smuggling),
so the local servers refuse all four, as API Gateway does, with a 400 and a closed
connection. Two more rules are about who is asking, not how:

* **Host.** A server bound to loopback answers only requests whose ``Host`` names
  loopback (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``::1``). A web page cannot
  reach the stack through DNS rebinding: its requests carry the attacker's host name.
* **Browsers.** Servers that no browser has a reason to call (the Lambda API, the Runtime
  API, the Bedrock emulator's admin endpoints) refuse requests that a browser marks as
  coming from a page: an ``Origin`` field, or ``Sec-Fetch-Site`` other than ``none``.
  Browsers send ``Origin`` with every POST, ``text/plain`` ones included, so a page's
  "simple" cross-site request, which needs no preflight, is refused too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

__all__ = ["foreign_host", "framing_violation", "from_browser", "is_loopback"]

_RULES: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"(?<!\r)\n"), "a line ends in a bare LF"),
    (re.compile(rb"\r(?!\n)"), "a bare CR"),
    (re.compile(rb"\r\n[ \t]"), "obsolete line folding"),
    (re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"), "a control byte"),
)
"""Byte patterns refused anywhere in a request head, with what each is called."""


def framing_violation(head: bytes) -> str | None:
    """Return why the raw request ``head`` (through its blank line) is refused, or None."""
    for pattern, name in _RULES:
        if pattern.search(head):
            return name
    names = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")[1:]}
    if b"content-length" in names and b"transfer-encoding" in names:
        return "Content-Length together with Transfer-Encoding"
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, without port) is this machine's loopback."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def foreign_host(host_field: str | None, bound: str) -> bool:
    """Whether a ``Host`` field must be refused by a server listening on address ``bound``.

    Only a loopback server checks: one bound to another address was opened to the network
    on purpose. A request without ``Host`` (HTTP/1.0) is not a browser's and passes.
    """
    if host_field is None or not is_loopback(bound):
        return False
    host = host_field.strip()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return not is_loopback(host)


def from_browser(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a browser says the request comes from a web page (``Origin``, ``Sec-Fetch-Site``)."""
    for name, value in headers:
        key = name.lower()
        if key == "origin" or (key == "sec-fetch-site" and value.strip().lower() != "none"):
            return True
    return False
