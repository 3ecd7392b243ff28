"""Serving the app with uvicorn, keeping the header-name case that API Gateway preserves.

ASGI lowercases header names; AWS passes them to the proxy event as the client sent them
(``tEsT-HEADeR`` stays so, reference section 1.3). uvicorn's httptools protocol sees the raw names
first, so a small subclass hands them over in a scope extension. uvicorn with uvloop and httptools is
the fastest maintained ASGI stack for this workload (see the benchmark in ``scripts/bench.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from emulator.listening import format_address
from emulator.request import RAW_HEADER_NAMES
from emulator.stopping import STOP_SIGNALS, exit_interrupted

log = logging.getLogger("apig_emu.server")

LOOPBACK = ("127.0.0.1", "localhost", "::1")

#: Seconds a client has to send a whole request, head and body, from its first byte (or from connecting).
#: uvicorn has no such bound: a request that stalls (slowloris) would hold its connection forever.
DEFAULT_REQUEST_TIMEOUT = 30.0
#: A memory guard only: uvicorn buffers a request's head without limit. AWS's own quota (10,240 bytes of
#: request line and header values) is far lower and is the gateway's to answer (``check_head_size``).
MAX_BUFFERED_HEAD_BYTES = 1024 * 1024


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop buffering; httptools wraps it in ``HttpParserCallbackError``."""


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus the raw header names under ``scope["extensions"]``.

    It also bounds what uvicorn leaves open: a request must arrive whole within ``request_timeout``
    (else 408 and the connection closes, and no handler runs for a half-sent body), and its head may
    not exceed ``MAX_BUFFERED_HEAD_BYTES`` (else 431).
    """

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._request_timer: asyncio.TimerHandle | None = None
        #: ``idle`` (connected, nothing sent) → ``head`` → ``body`` → ``done``, per request.
        self._request_state = "idle"
        self._head_bytes = 0
        self._head_too_large = False
        self._arm_request_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._raw_header_names: list[bytes] = []
        self.scope["extensions"] = {RAW_HEADER_NAMES: self._raw_header_names}  # type: ignore[dict-item]
        self._request_state = "head"
        self._head_bytes = 0
        self._arm_request_timer()

    def on_url(self, url: bytes) -> None:
        self._count_head_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head_bytes(len(name) + len(value))
        self._raw_header_names.append(name)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._request_state = "body"
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._request_state = "done"
        self._cancel_request_timer()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # The connection now belongs to the WebSocket protocol; this one's timer must not touch it.
        self._request_state = "done"
        self._cancel_request_timer()
        super().handle_websocket_upgrade()

    def _count_head_bytes(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_BUFFERED_HEAD_BYTES:
            self._head_too_large = True
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            log.warning("a request's head exceeded %d bytes: answered 431", MAX_BUFFERED_HEAD_BYTES)
            self._send_and_close(431, b'{"message":"Request Header Fields Too Large"}')
        else:
            super().send_400_response(msg)

    def _send_and_close(self, status: int, body: bytes) -> None:
        """An answer written by the server itself, as AWS's front end answers what never reaches a stage."""
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    def _arm_request_timer(self) -> None:
        self._cancel_request_timer()
        if self.request_timeout > 0:
            self._request_timer = self.loop.call_later(self.request_timeout, self._request_timed_out)

    def _cancel_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        state = self._request_state
        if self.transport.is_closing() or state == "done":
            return
        if state == "idle":
            self.transport.close()
            return
        cycle = self.cycle
        if state == "head":
            if cycle is not None and not cycle.response_complete:
                self._arm_request_timer()  # still answering the previous request on this connection
                return
        else:
            if cycle.response_complete:
                self.transport.close()  # answered early (413, 431): nothing left to say
                return
            if cycle.response_started or any(queued is cycle for queued, _ in self.pipeline):
                self._arm_request_timer()  # waiting its turn behind a pipelined response
                return
            # The app is waiting for the rest of the body: it gets a disconnect, so no handler runs.
            cycle.disconnected = True
            cycle.message_event.set()
        log.warning(
            "no complete request within %.1f s (%s %s stalled in its %s): answered 408 and closed the connection",
            self.request_timeout,
            self.scope.get("method", "?"),
            self.url.decode("latin-1")[:200],
            state,
        )
        self._send_and_close(408, b'{"message":"Request Timeout"}')


def protocol_class(request_timeout: float) -> type[CasePreservingHttpToolsProtocol]:
    """The protocol with its own request timeout; uvicorn instantiates the class it is given."""
    return type(
        "CasePreservingHttpToolsProtocol",
        (CasePreservingHttpToolsProtocol,),
        {"request_timeout": request_timeout},
    )


def uvicorn_config(
    app: Any, *, host: str, port: int, request_timeout: float = DEFAULT_REQUEST_TIMEOUT, **options: Any
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(request_timeout),
        loop="auto",
        server_header=False,
        # The gateway adds the peer to X-Forwarded-For itself; uvicorn's rewriting would make a local
        # client's header its source IP (and cost a middleware a request).
        proxy_headers=False,
        access_log=False,
        log_config=None,
        **options,
    )


class GracefulServer(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT or SIGTERM as uvicorn does, and remembering which came.

    uvicorn raises the signal again once it has shut down, for the program's own handling; Python's
    is a ``KeyboardInterrupt`` traceback after "Finished server process". ``serve`` ends the process
    itself instead, as ``emulator.stopping`` describes.

    A second Ctrl-C, while the first waits for requests in flight, ends the process there and then,
    having called ``abandon`` (which kills the workers). uvicorn's own "force quit" would return
    from ``run`` with those requests still running, to have them cancelled, each with a traceback
    in the log, or waiting on a handler thread that nothing can cancel.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_signals: list[int] = []
        self.abandon: Callable[[], None] = lambda: None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers; whoever runs this server stops it
            return
        previous = {signum: signal.signal(signum, self.handle_exit) for signum in STOP_SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            log.warning("Ctrl-C again: stopping at once; requests in flight get no answer")
            self.abandon()
            exit_interrupted()
        self.stop_signals.append(sig)
        super().handle_exit(sig, frame)

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C (SIGINT) stopped it, rather than SIGTERM or nothing."""
        return signal.SIGINT in self.stop_signals


def log_listening(sockets: list[socket.socket]) -> None:
    """Where the server listens, as bound (uvicorn logs this only for sockets it binds itself)."""
    addresses = [sock.getsockname() for sock in sockets]
    urls = ", ".join(f"http://{format_address(str(host), int(port))}" for host, port, *_ in addresses)
    log.info("Listening on %s (Ctrl-C to stop)", urls)


#: The collector's first threshold for a serving process (Python's default is 700).
GC_YOUNG_THRESHOLD = 7_000


def tune_garbage_collector() -> None:
    """Collect the young generation less often, as a long-running server can afford to.

    The inspector keeps the last requests (their events, responses, invocations) for a while, so at
    every young collection the collector walks thousands of live objects; at Python's default that
    was 2.5 to 4 µs a request, at this threshold 0.9 (measured in-process with the inspector on).
    """
    young, *older = gc.get_threshold()
    if young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, *older)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_exposed(host: str) -> None:
    if not is_loopback(host):
        log.warning(
            "!!! apig-emu is listening on %s, reachable from other machines: it runs your handlers for "
            "anyone who can connect and has no authentication. Use --host 127.0.0.1 unless you mean it.",
            host,
        )


def abandon_handler_threads(*, interrupted: bool) -> None:
    """Exit now if handler threads outlive the server, instead of letting Python wait for them.

    In thread isolation a timed-out handler, or one that started a thread of its own, keeps running;
    Python joins such threads at exit, so Ctrl-C would hang until they end. Lambda freezes or discards
    an environment without waiting, and so does the emulator. Returns when no such thread is left;
    otherwise ends the process as ``emulator.stopping`` says (130 after Ctrl-C, 0 after SIGTERM).
    """
    deadline = time.monotonic() + 0.5
    lingering: list[threading.Thread] = []
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        # Idle pool workers are on their way out after the invoker's shutdown: give them a moment.
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            lingering.append(thread)
    if not lingering:
        return
    log.warning(
        "%d handler thread(s) still running (%s): exiting without waiting for them",
        len(lingering),
        ", ".join(thread.name for thread in lingering[:5]),
    )
    if interrupted:
        exit_interrupted()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
