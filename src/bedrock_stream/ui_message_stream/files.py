"""A UI message's ``file`` part as a Converse image or document block.

Only data URLs (``data:<media type>;base64,<data>``) are taken: Converse reads bytes or S3
locations, and fetching a remote URL is I/O this package does not do. The media types are
those Converse's ``ImageBlock`` and ``DocumentBlock`` formats name.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from ..errors import HTTPError

__all__ = ["file_block"]

_IMAGES = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
_DOCUMENTS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}
_DATA_URL = re.compile(r"^data:(?P<type>[^;,]*)(?:;[^;,]*)*;base64,(?P<data>.*)$", re.DOTALL)
# A Converse document name: letters, digits, single spaces, hyphens, parentheses, brackets.
_NAME_REFUSED = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def _document_name(filename: object) -> str:
    stem = str(filename).rsplit(".", 1)[0] if isinstance(filename, str) else ""
    name = " ".join(_NAME_REFUSED.sub(" ", stem).split())
    return name or "document"


def file_block(part: Mapping[str, Any]) -> dict[str, Any]:
    """Return the image or document block of a ``file`` part whose ``url`` is a data URL.

    Raises:
        HTTPError: 400 for a remote URL, a media type Converse takes no block of, or bad base64.
    """
    url, media_type = part.get("url"), part.get("mediaType")
    if not isinstance(url, str) or not isinstance(media_type, str):
        raise HTTPError(400, "a file part needs a url and a mediaType")
    match = _DATA_URL.match(url)
    if match is None:
        raise HTTPError(400, "a file part's url must be a base64 data URL; remote URLs are refused")
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        raise HTTPError(400, "a file part's data URL is not valid base64") from None
    kind = media_type.split(";")[0].strip().lower()
    if kind in _IMAGES:
        return {"image": {"format": _IMAGES[kind], "source": {"bytes": data}}}
    if kind in _DOCUMENTS:
        name = _document_name(part.get("filename"))
        return {"document": {"format": _DOCUMENTS[kind], "name": name, "source": {"bytes": data}}}
    raise HTTPError(400, f"a file of media type {kind!r} has no Converse block")
