"""A local HTTP backend for HTTP and HTTP_PROXY integrations: it records what it receives and answers
what the test tells it to, on 127.0.0.1 with a port the system picks.

Every request is recorded (method, target, headers in the order and case received, body); the answer
is the test's ``respond`` function's, by default a JSON echo of the request. ``hold()`` makes the
backend wait, without answering, until the test calls ``release()``: the integration timeout is
then the only thing that can end the call, with no clock in the test. ``closed`` is set when the
gateway closes a connection it kept open.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.gate import WAIT


@dataclass
class Received:
    method: str
    #: The request target: path and query, as sent.
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    #: The client's (the gateway's) port: the same one twice means a connection was reused.
    peer_port: int

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def header_names(self) -> set[str]:
        return {key.lower() for key, _ in self.headers}


@dataclass
class Answer:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    body: bytes = b"{}"
    #: ``False``: no Content-Length is added, and the body ends when the backend closes the connection
    #: (unless the headers give a framing of their own, e.g. ``Transfer-Encoding: chunked``).
    framed: bool = True


def echo(received: Received) -> Answer:
    return Answer(
        body=json.dumps(
            {
                "method": received.method,
                "target": received.target,
                "headers": {key.lower(): value for key, value in received.headers},
                "body": received.body.decode("utf-8", "replace"),
            }
        ).encode()
    )


class Upstream:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.respond: Callable[[Received], Answer] = echo
        self.closed = threading.Event()
        self._released = threading.Event()
        self._released.set()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    method=self.command,
                    target=self.path,
                    headers=list(self.headers.items()),
                    body=self.rfile.read(length) if length else b"",
                    peer_port=self.client_address[1],
                )
                upstream.received.append(received)
                upstream._released.wait(WAIT)
                answer = upstream.respond(received)
                self.send_response_only(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if answer.framed and not any(name.lower() == "content-length" for name, _ in answer.headers):
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if received.method != "HEAD":
                    self.wfile.write(answer.body)
                if not answer.framed:
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

            def finish(self) -> None:
                super().finish()
                upstream.closed.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def last(self) -> Received:
        return self.received[-1]

    def hold(self) -> None:
        """Answer nothing until ``release()``."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
