"""AWS Signature Version 4 for request headers, sans I/O.

:func:`sign` computes the headers that authenticate a request, byte for byte as
botocore's ``SigV4Auth`` does for every service but S3; :func:`verify` checks a
request the way API Gateway checks an ``AWS_IAM`` method, and raises the
:class:`SignatureError` whose message API Gateway would send. Nothing here
opens a socket or reads a clock unless ``now`` is omitted, and only the standard
library and :mod:`bedrock_stream.errors` are imported, so the module suits a Lambda cold
path. The code lives in ``bedrock_stream._sigv4``, one concept per module; this module is
its public face.

The canonical request (``AWS4-HMAC-SHA256``) is built as botocore builds it:

* the path has its dot segments and empty segments removed (a trailing ``/``
  is kept), then is percent-encoded *as it appears in the URL*: a path that is
  already encoded is encoded a second time (``%2F`` becomes ``%252F``);
* each query ``key=value`` is percent-decoded, re-encoded keeping only RFC 3986's
  unreserved characters, and the pairs are sorted by key then value (a bare
  ``key`` is ``key=``). botocore signs a URL's query text as it stands, so the
  two agree on every query so encoded, which is how botocore's own serializer
  writes them; for other spellings (``%7e``, ``+``) this module signs the
  canonical form the SigV4 specification describes (``~``, ``%2B``);
* header names are lowercased and sorted; each value has its surrounding
  whitespace removed and inner runs folded to one space, and repeated
  headers are joined with ``,`` in the order given;
* the payload hash is the hex SHA-256 of the body.

Header-based authentication only: presigned (query-string) requests are not
supported. Strings are UTF-8 encoded (with ``surrogateescape``, so a target
decoded that way round-trips); a server should decode header values as
Latin-1, as :mod:`http.client` encodes them.
"""

from ._sigv4.authorization import Authorization as Authorization
from ._sigv4.authorization import parse_authorization as parse_authorization
from ._sigv4.canonical import ALGORITHM as ALGORITHM
from ._sigv4.errors import IncompleteSignature as IncompleteSignature
from ._sigv4.errors import InvalidToken as InvalidToken
from ._sigv4.errors import MissingAuthentication as MissingAuthentication
from ._sigv4.errors import ScopeMismatch as ScopeMismatch
from ._sigv4.errors import SignatureError as SignatureError
from ._sigv4.errors import SignatureExpired as SignatureExpired
from ._sigv4.errors import SignatureMismatch as SignatureMismatch
from ._sigv4.signing import UNSIGNED_HEADERS as UNSIGNED_HEADERS
from ._sigv4.signing import Credentials as Credentials
from ._sigv4.signing import sign as sign
from ._sigv4.verification import verify as verify

__all__ = [
    "ALGORITHM",
    "UNSIGNED_HEADERS",
    "Authorization",
    "Credentials",
    "IncompleteSignature",
    "InvalidToken",
    "MissingAuthentication",
    "ScopeMismatch",
    "SignatureError",
    "SignatureExpired",
    "SignatureMismatch",
    "parse_authorization",
    "sign",
    "verify",
]
