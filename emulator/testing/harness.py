"""The gateway under test, without pytest: an in-process client, records, overrides, an optional socket.

``Harness`` is what the pytest plugin's ``apig`` fixture hands out, and what a test written for
another runner (or a script) can build itself, from the config and code directory that
``apig-emu serve --config ... --code-dir ...`` would take::

    with Harness("config/apig.yaml", code_dir=".") as apig:
        assert apig.get("/Prod/items/1").status == 200
        assert apig.invocations[-1].event["pathParameters"] == {"id": "1"}

Every request goes through the same ``Gateway`` as ``apig-emu serve``'s. By default handlers run in
this process on the invoker's threads, so breakpoints and ``monkeypatch`` reach them
(``isolation="process"`` runs them in worker processes instead). ``LiveServer`` puts a harness on a
real socket for clients that cannot be handed an object: ``requests``, a browser, another process;
stop it before closing the harness, whose event loop it runs on. A server still running when the
harness closes is stopped then, with a ``ResourceWarning``: left running, it kept the event loop,
and whoever waited for that loop to end (pytest, at the end of the session), waiting forever.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import anyio.from_thread
import uvicorn

from emulator.app import create_app
from emulator.auth.tokens import mint_for
from emulator.aws.endpoints import url_problem
from emulator.clock import ManualClock
from emulator.config.command_line import at_root, with_aws_endpoint
from emulator.config.nodes import did_you_mean
from emulator.deployment import deploy
from emulator.exchanges import Exchange
from emulator.gateway import Gateway
from emulator.invocations import Invocation
from emulator.runtime.invoker import Invoker
from emulator.runtime.isolation import create_invoker
from emulator.server import uvicorn_config
from emulator.testing.client import (
    CLIENT_IP_EXTENSION,
    DEFAULT_BASE_URL,
    DEFAULT_CLIENT,
    GatewayClient,
    GatewayResponseView,
    LoopCaller,
)
from emulator.testing.config import ConfigSource, as_definitions
from emulator.testing.events import EventFactory
from emulator.testing.signing import SigV4Signer

Handler = Callable[[Any, Any], Any]
#: ``auth="off"`` serves every method without its authorization, as ``serve --auth off``.
AUTH_MODES = ("on", "off")


class Override:
    """One replaced handler; ``undo()`` or leaving its ``with`` block restores the function's own."""

    def __init__(self, harness: Harness, function: str) -> None:
        self._harness = harness
        self.function = function

    def undo(self) -> None:
        self._harness.restore(self.function)

    def __enter__(self) -> Override:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.undo()


class Harness:
    """A gateway over the definitions with a client, a record of its work, and handler overrides.

    ``config`` is what ``apig-emu serve --config`` takes — a YAML file or a folder of them, relative
    to the working directory — or definitions already loaded (``definitions_from_yaml``,
    ``load_definitions``); ``code_dir`` is ``--code-dir``, where a config's handlers are imported
    from (default: the working directory). A config that does not validate raises ``ConfigErrors``
    naming each problem's file, key and line, as ``apig-emu validate`` does. ``isolation`` is where handlers run: ``thread`` (in this
    process, so debuggers and ``monkeypatch`` reach them) or ``process``. ``stage`` serves only that
    stage of a config loaded here, as ``serve --stage``; ``stage_prefix=False`` serves every API at the
    root, as ``serve --no-stage-prefix`` (``apig.get("/items")`` rather than ``"/Prod/items"``); by
    default the definitions say (a service's ``noPrependStageInUrl`` serves at the root too).
    ``aws_endpoint_url`` is ``serve --aws-endpoint-url``: where AWS service integrations call (a moto
    server the test started, say). ``clock`` is the gateway's time, a ``ManualClock`` that stands still
    until ``clock.advance()`` or ``clock.set()``: throttles, quotas and request times are what the test
    says, never how fast the machine is (``apig-emu serve`` keeps real time).

    ``invocations`` lists each function call (function, trigger, event, context values, result or
    error with its traceback, duration, captured log lines); ``exchanges`` lists every request answered,
    including those no function saw (a 403 for a mistyped path). Both are appended as the gateway
    answers, before the client gets the response.
    """

    def __init__(
        self,
        config: ConfigSource,
        *,
        code_dir: str | Path | None = None,
        isolation: str = "thread",
        invoker: Invoker | None = None,
        base_url: str = DEFAULT_BASE_URL,
        client_ip: str = DEFAULT_CLIENT[0],
        portal: anyio.from_thread.BlockingPortal | None = None,
        stage: str | None = None,
        stage_prefix: bool = True,
        aws_endpoint_url: str | None = None,
        clock: ManualClock | None = None,
        auth: str = "on",
    ) -> None:
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be 'on' or 'off', not {auth!r}")
        definitions = as_definitions(config, code_dir=code_dir, isolation=isolation, stage=stage)
        if not stage_prefix:
            definitions = at_root(definitions)
        if aws_endpoint_url is not None:
            problem = url_problem(aws_endpoint_url)
            if problem is not None:
                raise ValueError(f"aws_endpoint_url: {problem}")
            definitions = with_aws_endpoint(definitions, aws_endpoint_url)
        self.definitions = definitions
        self.invoker = invoker if invoker is not None else create_invoker(isolation)
        #: The time throttles, quotas and request times read: it stands still until the test moves it
        #: (``apig.clock.advance(1)``), so a test of a rate limit never waits and never depends on speed.
        self.clock = clock if clock is not None else ManualClock()
        self.gateway = Gateway(
            deploy(definitions, auth_off=auth == "off"), invoker=self.invoker, clock=self.clock
        )
        self.invocations: list[Invocation] = []
        self.exchanges: list[Exchange] = []
        self.gateway.bus.subscribe(self._record)
        #: Events as this gateway would build them, for handlers called directly.
        self.events = EventFactory(definitions, base_url=base_url, client_ip=client_ip)
        self.base_url = base_url
        self._client_ip = client_ip
        self._client: GatewayClient | None = None
        self._overridden: set[str] = set()
        self._closed = False
        self._portal = portal
        self._owned = ExitStack()
        #: Servers started on this harness's loop (``serve()``), stopped or not.
        self._servers: list[LiveServer] = []

    def _record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if exchange.authorizer_invocation is not None:
            self.invocations.append(exchange.authorizer_invocation)
        if exchange.invocation is not None:
            self.invocations.append(exchange.invocation)

    @property
    def portal(self) -> anyio.from_thread.BlockingPortal:
        """The event loop the gateway runs on, for the client and ``serve()`` alike; started on first use.

        Pass one to share it: invocations must all run on one loop when workers are processes,
        whose pipes belong to the loop that started them.
        """
        if self._portal is None:
            self._portal = self._owned.enter_context(anyio.from_thread.start_blocking_portal())
        return self._portal

    # The client

    @property
    def client(self) -> GatewayClient:
        """The in-process ``httpx.Client``, started on first use (it runs an event loop thread)."""
        if self._closed:
            raise RuntimeError("this harness is closed")
        if self._client is None:
            self._client = GatewayClient(
                create_app(self.gateway),
                base_url=self.base_url,
                client_ip=self._client_ip,
                portal=self.portal,
            )
        return self._client

    def request(
        self,
        method: str,
        url: str,
        *,
        sign_as: str | None = None,
        client_ip: str | None = None,
        **options: Any,
    ) -> GatewayResponseView:
        """Send a request in-process; options are ``httpx.Client.request``'s (``json=``, ``headers=``...).

        ``sign_as`` (an access key id of the ``iam:`` section) signs it with SigV4, for ``AWS_IAM`` methods.
        ``client_ip`` sends this one request from another address (``$context.identity.sourceIp``, what a
        resource policy's ``aws:SourceIp`` reads), without a harness per address.
        """
        if sign_as is not None:
            options["auth"] = self.signer(sign_as)
        if client_ip is not None:
            try:
                ipaddress.ip_address(client_ip)
            except ValueError:
                raise ValueError(f"client_ip: {client_ip!r} is not an IPv4 or IPv6 address") from None
            options["extensions"] = {**options.get("extensions", {}), CLIENT_IP_EXTENSION: client_ip}
        return cast(GatewayResponseView, self.client.request(method, url, **options))

    def get(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("POST", url, **options)

    def put(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("PUT", url, **options)

    def patch(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("PATCH", url, **options)

    def delete(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("DELETE", url, **options)

    def head(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("HEAD", url, **options)

    def options(self, url: str, **options: Any) -> GatewayResponseView:
        return self.request("OPTIONS", url, **options)

    # Overrides and state

    def override(self, function: str, handler: Handler) -> Override:
        """Run ``handler`` instead of ``function``'s own until ``undo()``, ``reset()`` or ``close()``.

        The replacement gets the function's event, context and environment, and its result goes
        through the same checks: a fake that returns ``{"statusCode": 200, "body": {}}`` gets the 502.
        """
        if function not in self.definitions.functions:
            names = sorted(self.definitions.functions)
            raise KeyError(
                f"no function {function!r}{did_you_mean(function, names)}; "
                f"the functions are: {', '.join(names) or 'none'}"
            )
        self.invoker.override(function, handler)
        self._overridden.add(function)
        return Override(self, function)

    def restore(self, function: str) -> None:
        """Give ``function`` its own handler back."""
        self.invoker.override(function, None)
        self._overridden.discard(function)

    def reset(self) -> None:
        """Forget the records and undo every override; loaded handler modules stay warm."""
        for function in list(self._overridden):
            self.restore(function)
        self.invocations.clear()
        self.exchanges.clear()

    def token(
        self,
        sub: str = "test-user",
        *,
        pool: str | None = None,
        groups: Iterable[str] = (),
        scopes: Iterable[str] = (),
        claims: Mapping[str, object] | None = None,
        expires_in: float = 3600,
        token_use: str | None = None,
        now: float | None = None,
    ) -> str:
        """A token of the built-in local issuer for ``sub``, as ``apig-emu token`` prints it: the value of
        the ``Authorization`` header of a Cognito-protected method.

        ``pool`` may be left out when the definitions have one local pool. With ``scopes`` the token is an
        access token (``token_use`` says otherwise). It is minted at ``now``, by default the gateway's clock
        (``clock``): advancing the clock past ``expires_in`` expires it, as time would.
        """
        return mint_for(
            self.definitions,
            sub,
            pool=pool,
            groups=groups,
            scopes=scopes,
            claims=claims,
            expires_in=expires_in,
            token_use=token_use,
            now=self.clock.now() if now is None else now,
        )

    def signer(self, access_key_id: str) -> SigV4Signer:
        """An auth object (``httpx``'s and ``requests``') signing as ``access_key_id`` of the ``iam:`` section,
        at this harness's clock: ``apig.get(url, auth=apig.signer("AKIDEXAMPLE"))``, or a live server's URL
        through ``requests``."""
        credential = self.definitions.iam.get(access_key_id)
        if credential is None:
            known = sorted(self.definitions.iam)
            raise KeyError(
                f"no iam credential {access_key_id!r}{did_you_mean(access_key_id, known)}; the access key ids "
                f"under iam: credentials are: {', '.join(known) or 'none'}"
            )
        return SigV4Signer(
            credential.access_key_id,
            credential.secret_access_key,
            session_token=credential.session_token,
            now=self.clock.now,
        )

    def invocations_of(self, function: str) -> list[Invocation]:
        return [invocation for invocation in self.invocations if invocation.function == function]

    def report(self) -> str:
        """Every request this harness answered, with what its function did: a failed test's evidence."""
        if not self.exchanges:
            return "no requests reached the gateway"
        lines: list[str] = []
        for number, exchange in enumerate(self.exchanges, 1):
            request = exchange.request
            where = f"{request.method} {request.raw_path}" if request is not None else "unreadable request"
            if request is not None and request.query_string:
                where += f"?{request.query_string}"
            lines.append(f"[{number}] {where} -> {exchange.response.status} ({exchange.duration_ms:.1f} ms)")
            if exchange.invocation is not None:
                lines.extend("    " + line for line in exchange.invocation.summary().splitlines())
            elif exchange.error is not None:
                # A timeout or throttle names its function in the reason; a miss reached none.
                routed = exchange.match is not None and exchange.match.method.integration.function
                note = "" if routed else " (no function was invoked)"
                lines.append(f"    gateway: {exchange.error.reason}{note}")
        return "\n".join(lines)

    # Life cycle

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> LiveServer:
        """This harness on a real socket (``port=0``: a free one); stop it, or use it in ``with``."""
        server = LiveServer(self, host=host, port=port)
        server.start()
        return server

    def stop_servers(self) -> list[str]:
        """Stop the servers ``serve()`` started that are still running; their URLs, to say so."""
        running = [server for server in self._servers if server.running]
        for server in running:
            server.stop()
        self._servers.clear()
        return [server.url for server in running]

    def close(self) -> None:
        """Stop the servers left running, the client's event loop and the invoker; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for url in self.stop_servers():
            warnings.warn(
                f"the apig-emu server on {url} was still serving when its Harness closed; close() stopped "
                "it. Stop it yourself, or use `with harness.serve() as server:`",
                ResourceWarning,
                stacklevel=2,
            )
        if self._client is not None:
            self._client.close()
        try:
            LoopCaller.of(self.portal)(self._aclose)
        finally:
            self._owned.close()

    async def _aclose(self) -> None:
        # One trip to the event loop for both: a test's teardown waited on four.
        try:
            await self.gateway.aclose()
        finally:
            await self.invoker.aclose()

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class LiveServer:
    """A harness's gateway on a real socket, served by uvicorn on the harness's event loop.

    The server is the same as ``apig-emu serve``'s (uvicorn, header case preserved). ``harness`` can be
    swapped while it runs, which is how the pytest plugin starts one server per session and still
    gives each test its own records and overrides; harnesses lent to it should share its portal.
    """

    def __init__(self, harness: Harness, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._harness = harness
        self._portal = harness.portal
        self.host = host
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        # The harness owns its invoker: lifespan "off" keeps uvicorn's shutdown from closing it.
        self.app = create_app(harness.gateway)
        self._server = uvicorn.Server(uvicorn_config(self.app, host=host, port=self.port, lifespan="off"))
        self._serving: Future[None] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, to which a test appends ``/Prod/...``."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    @property
    def harness(self) -> Harness:
        return self._harness

    @harness.setter
    def harness(self, harness: Harness) -> None:
        # The app reads its gateway on every request, so the swap is atomic for requests.
        self._harness = harness
        self.app.state.gateway = harness.gateway

    @property
    def invocations(self) -> list[Invocation]:
        return self._harness.invocations

    def override(self, function: str, handler: Handler) -> Override:
        return self._harness.override(function, handler)

    @property
    def running(self) -> bool:
        """Started and not yet stopped."""
        return self._serving is not None

    def start(self, timeout: float = 10.0) -> None:
        self._serving = self._portal.start_task_soon(self._server.serve, [self._socket])
        self._harness._servers.append(self)
        deadline = time.monotonic() + timeout
        while not self._server.started and not self._serving.done() and time.monotonic() < deadline:
            time.sleep(0.002)
        if not self._server.started:
            error = self._serving.exception() if self._serving.done() else "timed out"
            self.stop()
            raise RuntimeError(f"the apig-emu test server did not start on {self.url}: {error!r}")

    def stop(self, grace: float = 10.0) -> None:
        """Let the requests in flight finish for up to ``grace`` seconds, then end them; close the socket.

        Never waits longer: a handler stuck in a request must not keep the server, and so its event
        loop, from stopping (a pytest session would wait for that loop forever).
        """
        self._server.should_exit = True
        serving, self._serving = self._serving, None
        if serving is not None and not _ended(serving, grace):
            self._server.force_exit = True  # uvicorn stops waiting for connections and tasks
            if not _ended(serving, 1.0):
                serving.cancel()  # the portal cancels the task
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _ended(serving: Future[None], timeout: float) -> bool:
    """Whether the server's task ended within ``timeout``, however it ended."""
    try:
        serving.result(timeout=timeout)
    except FutureTimeout:
        return False
    except Exception:  # it failed as it stopped, which is stopped all the same
        pass
    return True
