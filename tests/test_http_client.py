"""The shared HTTP client on its own: how it frames, reads and reuses, and what each failure becomes.

Every backend is local (``tests/upstream.py``, or a raw socket for answers that are not HTTP).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
from collections.abc import Iterator

import pytest

from emulator.errors import EndpointUnreachable, IntegrationFailure
from emulator.integrations import HttpClient, OutboundRequest
from emulator.integrations.base import BackendReply
from tests.gate import WAIT
from tests.upstream import Answer, Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    backend = Upstream()
    yield backend
    backend.close()


def send_all(*requests: OutboundRequest, client: HttpClient | None = None) -> list[BackendReply]:
    """Each request in turn through one client (closed at the end), as the gateway's requests share it."""

    async def run() -> list[BackendReply]:
        used = client or HttpClient()
        try:
            return [await used.send(request, timeout_ms=29000, backend="backend") for request in requests]
        finally:
            await used.aclose()

    return asyncio.run(run())


def test_sends_exactly_the_given_headers_plus_host_and_content_length(upstream: Upstream) -> None:
    [reply] = send_all(OutboundRequest("PUT", upstream.url + "/a b/é?q=1 2", [("X-A", "1")], b"body"))
    assert reply.status == 200
    got = upstream.last
    assert (got.method, got.target, got.body) == ("PUT", "/a%20b/%C3%A9?q=1%202", b"body")
    assert got.headers == [("X-A", "1"), ("Host", f"127.0.0.1:{upstream.port}"), ("Content-Length", "4")]


def test_a_given_host_is_sent_as_given(upstream: Upstream) -> None:
    send_all(OutboundRequest("GET", upstream.url, [("Host", "api.example")]))
    assert upstream.last.header("Host") == "api.example"


def test_answers_are_read_raw_whatever_their_framing(upstream: Upstream) -> None:
    packed = gzip.compress(b'{"a": 1}')
    answers = iter(
        [
            Answer(200, [("Content-Encoding", "gzip")], packed),
            Answer(
                200, [("Transfer-Encoding", "chunked")], b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", framed=False
            ),
            Answer(200, [("Content-Type", "text/plain")], b"until the end", framed=False),
            Answer(204, [], b"", framed=False),
            Answer(200, [("Content-Length", "5")], b"", framed=False),
        ]
    )
    upstream.respond = lambda received: next(answers)
    gzipped, chunked, until_eof, no_content, head = send_all(
        OutboundRequest("GET", upstream.url),
        OutboundRequest("GET", upstream.url),
        OutboundRequest("GET", upstream.url),
        OutboundRequest("GET", upstream.url),
        OutboundRequest("HEAD", upstream.url),
    )
    assert gzipped.body == packed and ("Content-Encoding", "gzip") in gzipped.headers
    assert chunked.body == b"abcde"
    assert until_eof.body == b"until the end"
    assert (no_content.status, no_content.body) == (204, b"")
    assert (head.status, head.body, head.selector) == (200, b"", "200")


def test_keep_alive_connections_are_reused_until_the_backend_closes_one(upstream: Upstream) -> None:
    answers = iter([Answer(), Answer(), Answer(200, [("Connection", "close")], b"{}"), Answer()])
    upstream.respond = lambda received: next(answers)
    send_all(*[OutboundRequest("GET", upstream.url) for _ in range(4)])
    ports = [received.peer_port for received in upstream.received]
    # The first three share a connection; the third's answer closed it, so the fourth opened another.
    assert ports[0] == ports[1] == ports[2] != ports[3]


def test_a_connection_the_backend_closed_while_idle_is_never_used_again(upstream: Upstream) -> None:
    async def run() -> tuple[int, int]:
        client = HttpClient()
        try:
            first = await client.send(OutboundRequest("GET", upstream.url), timeout_ms=29000, backend="b")
            # The backend drops every idle connection (as a server's keep-alive timeout does).
            for connections in client._idle.values():
                for connection in connections:
                    connection.writer.transport.abort()
                    connection.reusable = True
            second = await client.send(OutboundRequest("GET", upstream.url), timeout_ms=29000, backend="b")
            return first.status, second.status
        finally:
            await client.aclose()

    assert asyncio.run(run()) == (200, 200)


def test_an_answer_past_the_payload_limit_is_a_500_not_held_in_memory(upstream: Upstream) -> None:
    upstream.respond = lambda received: Answer(body=b"x" * 11)
    assert (
        send_all(OutboundRequest("GET", upstream.url), client=HttpClient(max_response_bytes=11))[0].body
        == b"x" * 11
    )
    with pytest.raises(
        IntegrationFailure, match=r"backend answered http://127\.0\.0\.1:\d+ with more than 10 bytes"
    ):
        send_all(OutboundRequest("GET", upstream.url), client=HttpClient(max_response_bytes=10))


class RawBackend:
    """A socket that answers every connection with fixed bytes (or none) and closes it."""

    def __init__(self, answer: bytes) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.listener.settimeout(WAIT)
        threading.Thread(target=self._serve, args=(answer,), daemon=True).start()

    def _serve(self, answer: bytes) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            connection.sendall(answer)

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"", "the backend closed the connection without answering"),
        (b"SMTP ready\r\n", "the answer is not HTTP/1.1"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            "closed the connection before its answer was complete",
        ),
    ],
)
def test_a_backend_that_breaks_off_or_is_not_http_is_the_invalid_endpoint_500(
    answer: bytes, problem: str
) -> None:
    backend = RawBackend(answer)
    try:
        with pytest.raises(EndpointUnreachable) as raised:
            send_all(OutboundRequest("GET", backend.url))
    finally:
        backend.close()
    assert raised.value.status == 500
    assert problem in raised.value.reason


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "http://bad host/x", "http://127.0.0.1:99999/x", "http:///x", "not a url"]
)
def test_a_url_that_is_not_one_is_the_invalid_endpoint_500(url: str) -> None:
    with pytest.raises(EndpointUnreachable) as raised:
        send_all(OutboundRequest("GET", url))
    assert raised.value.status == 500
    assert raised.value.reason.startswith(
        "Execution failed due to configuration error: Invalid endpoint address: "
    )
    assert f"the URL {url!r} is not a valid endpoint" in raised.value.reason


@pytest.mark.parametrize(("name", "value"), [("X-A\r\nX-Evil", "1"), ("X-A", "a\r\nX-Evil: 1"), ("X A", "1")])
def test_a_header_that_would_break_the_request_is_refused_before_sending(
    upstream: Upstream, name: str, value: str
) -> None:
    with pytest.raises(IntegrationFailure, match="cannot be sent"):
        send_all(OutboundRequest("GET", upstream.url, [(name, value)]))
    assert upstream.received == []


class DroppingBackend:
    """Answers ``200`` on keep-alive connections until ``drop`` is set; then reads each request and hangs up."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.drop = threading.Event()
        self.dropped = 0
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(WAIT)
            while connection.recv(65536):
                if self.drop.is_set():
                    self.dropped += 1
                    return
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.listener.close()


def test_a_request_the_backend_drops_is_sent_at_most_twice_however_many_connections_are_idle() -> None:
    backend = DroppingBackend()

    async def run() -> None:
        client = HttpClient()
        try:
            call = OutboundRequest("POST", backend.url, body=b"charge the card")
            await asyncio.gather(*[client.send(call, timeout_ms=29000, backend="b") for _ in range(3)])
            backend.drop.set()
            with pytest.raises(EndpointUnreachable, match="closed the connection without answering"):
                await client.send(call, timeout_ms=29000, backend="b")
        finally:
            await client.aclose()

    try:
        asyncio.run(run())
    finally:
        backend.close()
    assert backend.connections == 4  # three kept alive, one opened for the second try
    assert backend.dropped == 2


def test_an_interim_1xx_before_the_answer_is_not_the_answer() -> None:
    backend = RawBackend(
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    )
    try:
        [reply] = send_all(OutboundRequest("GET", backend.url))
    finally:
        backend.close()
    assert (reply.status, reply.body) == (200, b"ok")
    assert reply.headers == [("Content-Type", "text/plain"), ("Content-Length", "2")]
