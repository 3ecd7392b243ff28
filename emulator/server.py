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
from typing import Any, NoReturn

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from emulator.http_rules import Refusal, check_head, unparsable
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


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; httptools wraps it in ``HttpParserCallbackError``."""


def upgrade_body_framing(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The header that frames an upgrade request's body, or ``None`` if it has none.

    ``check_head`` has already refused any ``Transfer-Encoding`` but ``chunked``, and llhttp a bad or
    repeated ``Content-Length``.
    """
    if any(name == b"transfer-encoding" for name, _ in headers):
        return b"Transfer-Encoding: chunked"
    length = next((value.strip() for name, value in headers if name == b"content-length"), b"0")
    return b"Content-Length: " + length if int(length) > 0 else None


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus the raw header names under ``scope["extensions"]``.

    It also bounds what uvicorn leaves open: a request must arrive whole within ``request_timeout``
    (else 408 and the connection closes, and no handler runs for a half-sent body), and its head may
    not exceed ``MAX_BUFFERED_HEAD_BYTES`` (else 431). A head that HTTP/1.1 does not allow
    (``emulator.http_rules``) is refused before any application code runs, and every refusal is
    ``{"message": …}`` naming what is wrong.

    The server speaks no protocol but HTTP/1.x (``uvicorn_config`` sets ``ws="none"``): a request
    asking to upgrade the connection (a WebSocket handshake, ``curl --http2``'s ``Upgrade: h2c``) is
    served as an ordinary request, as RFC 9110 §7.8 lets a server ignore ``Upgrade``, and as a REST
    API answers it (API Gateway removes ``Upgrade`` and ``Connection`` before the integration; only
    its separate WebSocket APIs upgrade). httptools stops at such a request's head, skipping its body
    as if it belonged to the new protocol; ``data_received`` carries on parsing after it, body first.
    """

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._request_timer: asyncio.TimerHandle | None = None
        #: ``idle`` (connected, nothing sent) → ``head`` → ``body`` → ``done``, per request.
        self._request_state = "idle"
        self._head_bytes = 0
        #: Why the parser was stopped from a callback, to be answered by ``data_received``.
        self._refusal: Refusal | None = None
        #: The framing of an upgrade request's body, between its head and the parser reaching that body.
        self._upgrade_body: bytes | None = None
        #: While the parser reads the head that frames that body: its callbacks are no new request.
        self._reframing = False
        self._arm_request_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, except that an upgrade request is an ordinary request and a refusal says why."""
        self._unset_keepalive_if_required()
        while data:
            try:
                self.parser.feed_data(data)
                return
            except httptools.HttpParserUpgrade as upgrade:
                data = self._after_upgrade_request(data[upgrade.args[0] :])
            except httptools.HttpParserError as error:
                reason = None if isinstance(error, httptools.HttpParserCallbackError) else str(error)
                self._refuse(self._refusal or unparsable(self.parser.get_http_version(), reason))
                return

    def _after_upgrade_request(self, rest: bytes) -> bytes:
        """What the parser reads next: the rest, behind a head that frames the request's body if it has one.

        A new parser, set up as uvicorn sets up its own, is given a head that stands for the one
        already read, so it reads the body as the body (chunked or counted) and then goes on to the
        next request on the connection. (The old one would ignore it all after ``Connection: close``.)
        """
        framing = self._upgrade_body
        if framing is None:
            return rest
        self._upgrade_body = None
        self._reframing = True
        self.parser = httptools.HttpRequestParser(self)
        with contextlib.suppress(AttributeError):  # httptools < 0.6.3, as uvicorn allows
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        return b"POST / HTTP/1.1\r\n" + framing + b"\r\n\r\n" + rest

    def on_message_begin(self) -> None:
        if self._reframing:
            return
        super().on_message_begin()
        self._raw_header_names: list[bytes] = []
        self.scope["extensions"] = {RAW_HEADER_NAMES: self._raw_header_names}  # type: ignore[dict-item]
        self._request_state = "head"
        self._head_bytes = 0
        self._arm_request_timer()

    def on_url(self, url: bytes) -> None:
        if self._reframing:
            return
        self._count_head_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._reframing:
            return
        self._count_head_bytes(len(name) + len(value))
        self._raw_header_names.append(name)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._reframing:
            self._reframing = False
            return
        refusal = check_head(self.parser.get_http_version(), self.headers)
        if refusal is not None:
            self._stop_parsing(refusal)
        self._request_state = "body"
        self._upgrade_body = upgrade_body_framing(self.headers) if self.parser.should_upgrade() else None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._upgrade_body is not None:
            return  # httptools ends an upgrade request at its head: the body is still to be read
        self._request_state = "done"
        self._cancel_request_timer()
        super().on_message_complete()

    def _count_head_bytes(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_BUFFERED_HEAD_BYTES:
            self._stop_parsing(
                Refusal(
                    431,
                    "Request Header Fields Too Large",
                    f"the head exceeds {MAX_BUFFERED_HEAD_BYTES} bytes",
                )
            )

    def _stop_parsing(self, refusal: Refusal) -> NoReturn:
        self._refusal = refusal
        raise _Refused

    def _refuse(self, refusal: Refusal) -> None:
        peer = format_address(*self.client) if self.client else "a client"
        detail = f" ({refusal.detail})" if refusal.detail else ""
        log.warning(
            "refused a request from %s: %s%s: answered %d and closed the connection",
            peer,
            refusal.message,
            detail,
            refusal.status,
        )
        self._send_and_close(refusal.status, refusal.body())

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
        # A REST API has no WebSocket: an upgrade request is an ordinary request (the protocol's docstring).
        ws="none",
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
