"""The Bedrock runtime emulator: InvokeModel(-WithResponseStream) and Converse(Stream) on loopback.

Real boto3 ``bedrock-runtime`` clients reach it through ``endpoint_url`` or the
standard ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` variable (see :meth:`BedrockEmulator.env`),
over HTTP/1.1; the JavaScript SDK v3's default client over HTTP/2 (h2c, prior knowledge),
on the same port.
Formats are :mod:`.formats`, the model :mod:`.model`, faults :mod:`.faults`, the record of
requests :mod:`.record`; this module only routes requests, waits and writes frames.

Admin endpoints, for tests in another process (``/_emulator/faults`` with
``{"fault": spec, "operation"?, "model"?, "prompt"?, "times"?}``, ``/_emulator/requests``),
are :mod:`.admin`'s; no web page can drive them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from bedrock_stream.bedrock.errors import UnknownModelError
from bedrock_stream.bedrock.families import resolve_family

from ..http_exchange import BodyTooLarge, ClientGone, Exchange
from ..http_server import HTTPServer
from ..tls import LoopbackCertificate
from . import formats, validation
from .admin import serve_admin
from .auth import Access
from .family import FAMILIES
from .faults import (
    STREAM_TO_HTTP,
    Disconnect,
    ErrorResponse,
    Faults,
    Guardrail,
    InjectedFault,
    MidStreamFault,
    Stall,
    StreamFault,
    Truncate,
    fires,
    parse_fault,
    stop_events,
    stream_refusal,
)
from .formats import EVENTSTREAM, Answer, Part
from .model import intervene
from .prompt_cache import PromptCache
from .record import KEEP_BODY_BYTES, KEEP_REQUESTS, RecordedRequest, RequestLog
from .schema import ServiceError, encode_json
from .validation import OPERATIONS

__all__ = ["FAULT_HEADER", "BedrockEmulator", "RecordedRequest"]

FAULT_HEADER = "X-Bedrock-Stream-Fault"
"""Request header naming a fault for this request (a :func:`.faults.parse_fault` spec)."""
MAX_BODY = 25_000_000
"""Bedrock's request body limit, bytes."""
_POLL = 0.05


class BedrockEmulator:
    """An HTTP server speaking the Bedrock runtime API with a deterministic model.

    :attr:`requests` holds the latest ``keep_requests`` requests, oldest first, and their
    bodies up to ``keep_body_bytes`` in all (:class:`~.record.RequestLog` says how).

    Args:
        host: the address to listen on.
        port: the port; 0 picks a free one.
        speed: time scale of the model's timing (1.0: the recordings' latencies,
            0.5: twice as fast, 0: no delay). Stall faults are not scaled.
        keep_requests: how many requests :attr:`requests` keeps.
        keep_body_bytes: how many bytes of request bodies, as received, it keeps.
        api_keys: the API keys it accepts (None: any); or SigV4 (:mod:`.auth`).
        https: serve HTTPS, HTTP/2 by ALPN, with a throwaway certificate (:mod:`...tls`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        speed: float = 1.0,
        keep_requests: int = KEEP_REQUESTS,
        keep_body_bytes: int = KEEP_BODY_BYTES,
        api_keys: Iterable[str] | None = None,
        https: bool = False,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self.faults = Faults()
        self.prompt_cache = PromptCache()
        """The prompt cache every request shares (cache points write and read it)."""
        self.log = RequestLog(keep_requests, keep_body_bytes)
        self.access = Access(api_keys)
        self._closing = threading.Event()
        self.tls = LoopbackCertificate() if https else None
        context = None if self.tls is None else self.tls.context
        self._http = HTTPServer(
            self._handle, host, port, name="bedrock-emulator", http2=True, tls=context
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        """The latest requests, oldest first (:attr:`RequestLog.requests <.record.RequestLog>`)."""
        return self.log.requests

    @property
    def keep_requests(self) -> int:
        """How many requests :attr:`requests` keeps."""
        return self.log.keep_requests

    @property
    def keep_body_bytes(self) -> int:
        """How many bytes of request bodies, as received, the record keeps."""
        return self.log.keep_body_bytes

    @property
    def url(self) -> str:
        """``http://host:port`` (``https://`` with ``https=True``), for ``endpoint_url``."""
        return self._http.url

    @property
    def host(self) -> str:
        """The address the emulator listens on."""
        return self._http.host

    @property
    def port(self) -> int:
        """The port the emulator listens on."""
        return self._http.port

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 at the emulator (and trust its certificate)."""
        trust = self.tls.env() if self.tls else {}
        return {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.url, **trust}

    def start(self) -> BedrockEmulator:
        """Start serving."""
        self._http.start()
        return self

    def close(self) -> None:
        """Stop serving; streams in progress (stalls included) are cut."""
        self._closing.set()
        self._http.close()
        if self.tls is not None:
            self.tls.close()

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- routing ---------------------------------------------------------------------------

    def _handle(self, exchange: Exchange) -> None:
        path = urlsplit(exchange.target).path
        if path.startswith("/_emulator/"):
            serve_admin(exchange, path, self.faults, self.log)
            return
        record = RecordedRequest(
            exchange.method,
            exchange.target,
            exchange.headers,
            str(uuid.uuid4()),
            http_version=exchange.http_version,
        )
        self.log.add(record)
        try:
            self._serve(exchange, record, path)
        except ServiceError as error:
            record.status, record.error_code, record.outcome = error.status, error.code, "error"
            exchange.respond(*error.response(record.request_id))
        except ClientGone:
            record.outcome = "client-gone"
            raise
        except Exception:
            record.outcome = "error"
            raise

    def _serve(self, exchange: Exchange, record: RecordedRequest, path: str) -> None:
        self.access.check(exchange.header("Authorization"))
        prefix, _, rest = path.partition("/model/")
        model_path, _, suffix = rest.rpartition("/")
        if exchange.method != "POST" or prefix or not model_path or suffix not in OPERATIONS:
            raise ServiceError(404, "UnknownOperationException", "Unknown operation")
        operation = OPERATIONS[suffix]
        model_id = unquote(model_path)
        record.operation, record.model_id = operation, model_id
        try:
            raw = exchange.read_body(MAX_BODY)
        except BodyTooLarge:
            raise ServiceError(413, "ValidationException", "Request body too large.") from None
        self.log.keep_body(record, raw)
        try:
            family = resolve_family(model_id)
        except UnknownModelError:
            raise ServiceError(
                400, "ValidationException", "The provided model identifier is invalid."
            ) from None
        request = validation.parse_request(operation, family, model_id, raw, exchange.header)
        fault = self._fault(exchange, request)
        record.fault = fault
        if isinstance(fault, ErrorResponse):
            raise ServiceError(fault.status, fault.code, fault.message)
        answer = formats.answer(request, now=time.time(), cache=self.prompt_cache)
        if isinstance(fault, Guardrail):
            generation = intervene(answer.generation, fault.after_tokens, fault.message)
            turn = answer.turn
            answer = formats.answer(request, now=time.time(), generation=generation, turn=turn)
        g = answer.generation
        record.text, record.stop = g.text, g.stop
        record.input_tokens, record.output_tokens = answer.input_tokens, answer.output_tokens
        if request.streaming:
            self._stream(exchange, record, answer, fault)
        else:
            self._buffered(exchange, record, answer, fault)

    def _fault(self, exchange: Exchange, request: validation.ModelRequest) -> InjectedFault | None:
        """Return the request's fault; 400 if it is an exception the operation does not define."""
        spec = exchange.header(FAULT_HEADER)
        source = FAULT_HEADER
        if spec is not None:
            try:
                fault: InjectedFault | None = parse_fault(spec)
            except ValueError as exc:
                raise ServiceError(400, "ValidationException", f"{source}: {exc}") from None
        else:
            source = "fault rule"
            fault = self.faults.take(request.operation, request.model_id, request.prompt)
        refusal = None if fault is None else stream_refusal(fault, request.operation)
        if refusal is not None:
            raise ServiceError(400, "ValidationException", f"{source}: {refusal}")
        return fault

    # -- responses -------------------------------------------------------------------------

    def _sleep(self, milliseconds: float) -> bool:
        """Wait the model's time, scaled; False if the emulator is closing."""
        seconds = milliseconds * self.speed / 1000.0
        return seconds <= 0 or not self._closing.wait(seconds)

    def _stall(self, exchange: Exchange, seconds: float | None) -> bool:
        """Send nothing for ``seconds`` (None: forever); False once the client left or we close."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            wait = _POLL if deadline is None else min(_POLL, max(deadline - time.monotonic(), 0))
            # The SDKs never half-close: a close is a client that left, and ends the stall.
            if self._closing.wait(wait) or exchange.peer_closed(half_close=False):
                return False
        return True

    def _stream(
        self,
        exchange: Exchange,
        record: RecordedRequest,
        answer: Answer,
        fault: InjectedFault | None,
    ) -> None:
        request = answer.request
        parts: list[Part]
        headers = [("Date", formatdate(usegmt=True)), ("Content-Type", EVENTSTREAM)]
        headers.append(("x-amzn-RequestId", record.request_id))
        if request.operation == "invoke-stream":
            parts = formats.invoke_stream(answer)
            headers.append(("X-Amzn-Bedrock-Content-Type", "application/json"))
            headers += formats.echo_headers(answer)
        else:
            parts = formats.converse_stream(answer)
        exchange.start(200, headers)
        record.status = 200
        profile = FAMILIES[request.family].profile
        pending = fault if isinstance(fault, MidStreamFault) else None
        stops = stop_events([(p.tokens, p.kind) for p in parts])
        sent, seen = 0, Counter[str]()
        for index, part in enumerate([*parts, Part(b"")]):  # the last one: after every frame
            at_end, done = index >= stops, not part.frame
            if pending and fires(
                pending, sent=sent, seen=seen, tokens=part.tokens, at_end=at_end, done=done
            ):
                if self._fire(exchange, record, pending):
                    return
                pending = None
            if done:
                break
            if not self._sleep(profile.delay_ms(index, part.tokens)):
                exchange.abort()
                return
            exchange.send(part.frame)
            sent += part.tokens
            seen[part.kind] += 1
        record.outcome = "ok"  # before the last write: a client may look as soon as it ends
        exchange.end()

    def _fire(self, exchange: Exchange, record: RecordedRequest, fault: InjectedFault) -> bool:
        """Carry out a mid-stream fault; True if the response is over."""
        if isinstance(fault, StreamFault):
            record.outcome = "exception"
            exchange.send(formats.exception_frame(fault.code, fault.text))
            exchange.end()
        elif isinstance(fault, Stall):
            record.outcome = "stalled"
            if self._stall(exchange, fault.seconds):
                record.outcome = "pending"
                return False
            exchange.abort()
        elif isinstance(fault, Truncate):
            record.outcome = "truncated"
            exchange.end()
        elif isinstance(fault, Disconnect):
            record.outcome = "disconnected"
            exchange.abort()
        return True

    def _buffered(
        self,
        exchange: Exchange,
        record: RecordedRequest,
        answer: Answer,
        fault: InjectedFault | None,
    ) -> None:
        if isinstance(fault, StreamFault):
            status, code = STREAM_TO_HTTP.get(fault.code, (500, "InternalServerException"))
            raise ServiceError(status, code, fault.text)
        if isinstance(fault, Stall) and not self._stall(exchange, fault.seconds):
            exchange.abort()
            record.outcome = "stalled"
            return
        if not self._sleep(answer.latency_ms):
            exchange.abort()
            return
        headers = [("Date", formatdate(usegmt=True)), ("Content-Type", "application/json")]
        headers.append(("x-amzn-RequestId", record.request_id))
        if answer.request.operation == "invoke":
            document, extra = formats.invoke_body(answer)
            headers += extra
        else:
            document = formats.converse_body(answer)
        body = encode_json(document)
        record.status = 200
        if isinstance(fault, (Truncate, Disconnect)):
            record.outcome = "truncated" if isinstance(fault, Truncate) else "disconnected"
            exchange.start(200, headers)
            exchange.send(body[: len(body) // 2])
            exchange.abort()
            return
        record.outcome = "ok"
        exchange.respond(200, headers, body)
