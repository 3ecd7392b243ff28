"""Step 1 of the chain: the client's request as the gateway sees it, before any routing.

Paths stay percent-encoded (AWS passes ``%2B`` through to ``path`` and ``pathParameters``) and header
names keep the case the client sent, which the ASGI spec lowercases: the server hands the original
names over in a scope extension (see ``emulator.server``) and the in-process client does the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from emulator.errors import IncompleteRequest, RequestHeadersTooLarge, RequestTooLarge

#: API Gateway's payload limit (10 MB).
MAX_BODY_BYTES = 10 * 1024 * 1024
#: API Gateway's quota on the request line plus all header values (reference 4.4).
MAX_HEAD_BYTES = 10240

#: The scope extension that carries the raw header names, index-aligned with ``scope["headers"]``.
RAW_HEADER_NAMES = "apig_emu.raw_header_names"

Receive = Any


@dataclass
class GatewayRequest:
    method: str
    #: The path exactly as sent, still percent-encoded, e.g. ``/Prod/items/a%2Bb``.
    raw_path: str
    query_string: str
    #: Header (name, value) pairs in the order and case the client sent.
    headers: list[tuple[str, str]]
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    http_version: str = "1.1"
    server_port: int | None = None
    _lower: dict[str, str] | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        """The last value of a header, looked up case-insensitively."""
        if self._lower is None:
            self._lower = {key.lower(): value for key, value in self.headers}
        return self._lower.get(name.lower())

    @property
    def host(self) -> str:
        return self.header("host") or "localhost"

    def query_pairs(self) -> list[tuple[str, str]]:
        """Decoded query pairs in order: ``+`` is a space, a bare ``k`` is ``("k", "")`` (section 1.4)."""
        if not self.query_string:
            return []
        return parse_qsl(self.query_string, keep_blank_values=True, errors="replace")


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def headers_from_scope(scope: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw_names: list[bytes] | None = scope.get("extensions", {}).get(RAW_HEADER_NAMES)
    pairs = scope["headers"]
    if raw_names is None or len(raw_names) != len(pairs):
        raw_names = [name for name, _ in pairs]
    return [
        (name.decode("latin-1"), _decode_header(value))
        for name, (_, value) in zip(raw_names, pairs, strict=True)
    ]


def _declared_size(declared_length: str | None) -> int | None:
    if declared_length is None or not declared_length.isascii() or not declared_length.isdigit():
        return None
    # Past 20 digits the exact value does not matter, and int() refuses very long strings.
    return int(declared_length) if len(declared_length) <= 20 else MAX_BODY_BYTES + 1


def check_head_size(scope: Mapping[str, Any]) -> None:
    """Refuse a request line plus header values over AWS's quota, before reading any body."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    line = len(scope["method"]) + 1 + len(raw_path) + (1 + len(query) if query else 0) + 9
    size = line + sum(len(value) for _, value in scope["headers"])
    if size > MAX_HEAD_BYTES:
        raise RequestHeadersTooLarge(
            f"request line and header values take {size} bytes, over API Gateway's {MAX_HEAD_BYTES}"
        )


async def read_body(receive: Receive, declared_length: str | None) -> bytes:
    """Read the whole body, refusing to buffer more than the 10 MB limit.

    A client that disconnects before the end is ``IncompleteRequest``: a handler must never see half a body.
    """
    declared = _declared_size(declared_length)
    if declared is not None and declared > MAX_BODY_BYTES:
        raise RequestTooLarge(f"Content-Length {declared_length} exceeds {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise IncompleteRequest(
                f"the body ended after {size} bytes: the client disconnected or the request timed out"
            )
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def request_from_scope(scope: Mapping[str, Any], receive: Receive) -> GatewayRequest:
    check_head_size(scope)
    headers = headers_from_scope(scope)
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    client = scope.get("client")
    server = scope.get("server")
    request = GatewayRequest(
        method=scope["method"],
        raw_path=path,
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        client_ip=client[0] if client else "127.0.0.1",
        http_version=scope.get("http_version", "1.1"),
        server_port=server[1] if server else None,
    )
    request.body = await read_body(receive, request.header("content-length"))
    return request
