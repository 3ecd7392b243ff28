"""What the AWS service integrations' tests call: moto's server (a real DynamoDB and SQS), a recording
upstream standing in for a service, and SigV4 checked by hand, independently of the botocore that signs."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a free port of 127.0.0.1, for the session: every service behind one URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server: str) -> str:
    """moto's server, emptied: each test makes its own tables and queues."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).close()
    return moto_server


@dataclass
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """A service stand-in: records each request and answers ``status``/``body``; ``hold`` keeps it waiting."""

    url: str = ""
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/x-amz-json-1.0"
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            state.received.append(
                Received(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            if state.hold is not None:
                state.hold.wait(30)
            self.send_response(state.status)
            self.send_header("Content-Type", state.content_type)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
    server.server_close()


_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature_problem(request: Received, secret: str) -> str | None:
    """Why ``request``'s SigV4 signature is wrong for ``secret`` (computed here from the spec), or ``None``."""
    found = _AUTHORIZATION.fullmatch(request.headers.get("authorization", ""))
    if found is None:
        return f"no SigV4 Authorization header: {request.headers.get('authorization')!r}"
    signed = found["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return f"host and x-amz-date must be signed, signed: {signed}"

    def encode(text: str) -> str:
        return quote(text, safe="-_.~")

    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(request.query))
    headers = "".join(f"{name}:{' '.join(request.headers[name].split())}\n" for name in signed)
    payload = request.headers.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    scope = found["scope"]
    # Every service but S3 encodes the (already encoded) path a second time.
    path = (
        quote(unquote(request.path), safe="/-_.~") if "/s3/" in scope else quote(request.path, safe="/-_.~")
    )
    canonical = "\n".join([request.method, path, query, headers, found["signed"], payload])
    text = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            request.headers["x-amz-date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    date, region, service, terminator = scope.split("/")
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), terminator)
    expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, found["signature"]) else "the signature does not match"


def credential_scope(request: Received) -> tuple[str, str, str]:
    """(access key, region, service) of the request's signature."""
    found = _AUTHORIZATION.fullmatch(request.headers["authorization"])
    assert found is not None
    _, region, service, _ = found["scope"].split("/")
    return found["key"], region, service
