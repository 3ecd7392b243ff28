#!/usr/bin/env python3
"""Fuzz the request → event path: raw ASGI scopes in, a gateway answer or a well-formed event out.

    python scripts/fuzz_request_event.py                 # 10 seconds (CI runs 5 via tests/test_fuzz.py)
    python scripts/fuzz_request_event.py --seconds 600   # longer, on demand

Hypothesis generates what a socket could deliver — any method token, path and query bytes, header
bytes, a body split into arbitrary chunks, sometimes cut short by a disconnect — and each input goes
through the gateway's first steps: ``request_from_scope`` → ``Router.match`` → ``build_proxy_event``
(or ``build_json_event``). Allowed outcomes: a ``GatewayError`` (the gateway's own answer), or an event
that is JSON-serialisable, carries the exact body bytes and every header value. Anything else is a
bug; Hypothesis shrinks it and the script prints the smallest input and exits 1.

It runs in batches until the time is up, each batch with fresh randomness and no example database,
so a longer run explores further instead of replaying.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config import load_definitions
from emulator.context import build_variables
from emulator.errors import GatewayError
from emulator.events import RequestIds, build_json_event, build_proxy_event
from emulator.request import GatewayRequest, request_from_scope
from emulator.routing import Router

CONFIG = """
apis:
  shop:
    id: shopshop01
    binary_media_types: [image/png, application/*]
    stages:
      Prod: {variables: {table: items}}
      Dev: {}
  admin:
    id: adminadm01
functions:
  f:
    handler: handlers.f
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true}
      - {api: shop, resource: "/items/{id}", method: ANY, proxy: true}
      - {api: shop, resource: "/files/{proxy+}", method: ANY, proxy: true}
      - {api: shop, resource: /json, method: POST}
      - {api: shop, resource: /, method: GET, proxy: true, stage: Dev}
      - {api: admin, resource: "/{proxy+}", method: ANY, proxy: true}
"""

IDS = RequestIds("00000000-0000-4000-8000-000000000000", "AAAAAAAAAAAAAAA=", "Root=1-0-0", 1_700_000_000_000)

TOKEN_BYTES = st.from_regex(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}", fullmatch=True)
PATHS = st.one_of(
    st.sampled_from([b"/Prod/items", b"/Prod/items/1", b"/Prod/files/a/b/", b"/Prod/json", b"/Dev/", b"/"]),
    st.binary(max_size=60).map(lambda b: b"/" + b),
    st.lists(
        st.sampled_from([b"Prod", b"items", b"files", b"..", b"%2e%2e", b"", b"%", b"%zz", b"\x00", b"\xff"])
    ).map(lambda parts: b"/" + b"/".join(parts)),
)
HOSTS = st.one_of(
    st.sampled_from(
        [b"localhost:3000", b"shopshop01.execute-api.localhost", b"nopenopeno.execute-api.x", b""]
    ),
    st.binary(max_size=30),
)
HEADERS = st.lists(
    st.tuples(
        st.one_of(TOKEN_BYTES, st.sampled_from([b"Content-Type", b"content-length", b"X-Forwarded-For"])),
        st.binary(max_size=40),
    ),
    max_size=8,
)
CONTENT_TYPES = st.sampled_from(
    [b"image/png", b"application/json", b"text/plain; charset=utf-8", b"application/x"]
)


def _definitions() -> Any:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "handlers.py").write_text("def f(event, context):\n    return {}\n")
        config = Path(folder) / "apig.yaml"
        config.write_text(CONFIG)
        return load_definitions(config, code_dir=Path(folder))


ROUTER = Router(_definitions())


def _complete(coroutine: Coroutine[Any, Any, GatewayRequest]) -> GatewayRequest:
    """Run a coroutine whose awaits never suspend (``receive`` below answers at once)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise AssertionError("request_from_scope suspended")


def _decoded(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def check_one(
    method: bytes,
    path: bytes,
    query: bytes,
    host: bytes,
    headers: list[tuple[bytes, bytes]],
    content_type: bytes | None,
    chunks: list[bytes],
    disconnect: bool,
) -> None:
    raw_headers = [(b"Host", host), *headers]
    if content_type is not None:
        raw_headers.append((b"Content-Type", content_type))
    scope = {
        "type": "http",
        "method": method.decode("ascii"),
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": query,
        "headers": [(name.lower(), value) for name, value in raw_headers],
        "extensions": {"apig_emu.raw_header_names": [name for name, _ in raw_headers]},
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 3000),
        "http_version": "1.1",
    }
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks or [b""])
    ]
    if disconnect:
        messages[-1]["more_body"] = True
    messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if len(messages) > 1 else messages[0]

    try:
        request = _complete(request_from_scope(scope, receive))
        match = ROUTER.match(request.method, request.raw_path, request.host)
    except GatewayError:
        return
    assert not disconnect, "a request cut short by a disconnect reached routing"
    body = b"".join(chunks)
    assert request.body == body
    if not match.method.is_proxy:
        with contextlib.suppress(GatewayError):
            json.dumps(build_json_event(request))
        return
    event = build_proxy_event(request, match, build_variables(IDS, request, match), IDS.trace_id)
    assert json.loads(json.dumps(event)) == event
    if not body:
        assert event["body"] is None
    elif event["isBase64Encoded"]:
        assert base64.b64decode(event["body"]) == body
    else:
        assert event["body"].encode("utf-8") == body
    owned = {b"content-length", b"connection", b"x-forwarded-for"}
    normalised = {b"authorization": "Authorization", b"user-agent": "User-Agent"}
    multi = event["multiValueHeaders"] or {}
    for name, value in raw_headers:
        if name.lower() not in owned:
            key = normalised.get(name.lower(), name.decode("latin-1"))
            assert _decoded(value) in multi.get(key, []), (name, value)


def fuzz_batch(examples: int) -> Callable[[], None]:
    """One Hypothesis run of ``examples`` inputs; a fresh function each time, so each run is new."""

    @settings(database=None, deadline=None, max_examples=examples, suppress_health_check=list(HealthCheck))
    @given(
        method=st.one_of(
            st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS"]), TOKEN_BYTES
        ),
        path=PATHS,
        query=st.one_of(st.binary(max_size=40), st.just(b"a=1&a=2&b=%zz&=x&c")),
        host=HOSTS,
        headers=HEADERS,
        content_type=st.one_of(st.none(), CONTENT_TYPES),
        chunks=st.lists(st.one_of(st.binary(max_size=50), st.text(max_size=30).map(str.encode)), max_size=4),
        disconnect=st.booleans(),
    )
    def fuzz(
        method: bytes,
        path: bytes,
        query: bytes,
        host: bytes,
        headers: list[tuple[bytes, bytes]],
        content_type: bytes | None,
        chunks: list[bytes],
        disconnect: bool,
    ) -> None:
        check_one(method, path, query, host, headers, content_type, chunks, disconnect)

    return fuzz


def run(seconds: float, batch: int) -> int:
    """Batches of ``batch`` inputs until ``seconds`` pass; the number run, or raises on a failure."""
    deadline = time.monotonic() + seconds
    total = 0
    while time.monotonic() < deadline:
        fuzz_batch(batch)()
        total += batch
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to fuzz (default: 10)")
    parser.add_argument("--batch", type=int, default=300, help="examples per Hypothesis run (default: 300)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the gateway's per-request warnings are expected here
    started = time.monotonic()
    try:
        total = run(args.seconds, args.batch)
    except Exception:
        traceback.print_exc()
        print("fuzz: FAILED (the falsifying example is above)", file=sys.stderr)
        return 1
    print(f"fuzz: {total} inputs in {time.monotonic() - started:.1f} s, no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
