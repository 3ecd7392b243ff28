"""Event and context factories for unit tests that call a handler directly.

They do not describe events, they produce them with the gateway's own code: httpx builds the request
with the in-process client's defaults, ``asgi_scope`` and ``request_from_scope`` turn it into the
``GatewayRequest`` the server would see, the ``Router`` picks the method, and ``emulator.events``
builds the event. So ``proxy_event("GET", "/Prod/items/1", config="config/apig.yaml")`` is, byte for
byte, what ``apig.get("/Prod/items/1")`` delivers to the handler, apart from the per-request ids and
time, which ``ids=`` pins.

Without ``config``, the request is routed to a one-method API built from ``resource`` (default: the
path itself), so a unit test needs no YAML at all.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx
import yaml

from emulator.context import RequestContext
from emulator.deployment import deploy
from emulator.errors import GatewayError
from emulator.events import RequestIds, build_proxy_event
from emulator.gateway import new_ids, route, trace
from emulator.integrations.lambda_custom import non_proxy_event
from emulator.model import AWS, AWS_PROXY, Definitions, Function
from emulator.request import GatewayRequest, request_from_scope
from emulator.routing import RouteMatch, split_path
from emulator.runtime.lambda_context import LambdaContext, log_stream_name
from emulator.table import integration_label
from emulator.testing.client import DEFAULT_BASE_URL, DEFAULT_CLIENT, asgi_scope, new_http_client
from emulator.testing.config import ConfigSource, as_definitions, definitions_from_yaml

Headers = Mapping[str, str] | Sequence[tuple[str, str]]
#: ``{"a": "1"}``, ``{"a": ["1", "2"]}``, ``[("a", "1"), ("a", "2")]`` or ``"a=1&a=2"``.
Query = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | str

T = TypeVar("T")

#: The integration kinds whose events the factories build, and their user-facing names.
_KIND_NAMES: Final = {AWS_PROXY: "proxy", AWS: "json"}


class EventError(ValueError):
    """The gateway would not deliver such an event: it answers the request itself, or another kind of event.

    ``status`` and ``message`` are what the gateway would answer (``None`` for a kind mismatch).
    """

    def __init__(self, text: str, *, status: int | None = None, message: str | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.message = message


class _Unsent(httpx.BaseTransport):
    """The factories build requests and never send them."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("event factories do not send requests")


def _complete(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends, without an event loop (a test may already be inside one).

    ``request_from_scope`` awaits only ``receive``, which here returns the whole body at once; the
    gateway's trace and route steps await nothing.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("request_from_scope suspended; the event factory cannot run it synchronously")


class EventFactory:
    """Builds the events the gateway would deliver under one set of definitions (see the module doc)."""

    def __init__(
        self,
        definitions: Definitions,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_ip: str = DEFAULT_CLIENT[0],
    ) -> None:
        self.definitions = definitions
        self.base_url = base_url
        self.client_ip = client_ip
        self._deployment = deploy(definitions)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | None = None,
        query: Query | None = None,
        body: str | bytes | None = None,
        json: Any = None,
    ) -> GatewayRequest:
        """The request as the gateway sees it, had the in-process client sent it.

        The options are httpx's, with its meanings (``json=None`` sends no body, as ``apig.post`` does).
        """
        params: Any = query  # a subset of httpx's own parameter types
        with new_http_client(self.base_url, transport=_Unsent()) as client:
            built = client.build_request(
                method, path, headers=headers, params=params, content=body, json=json
            )
        body_bytes = built.read()
        scope = asgi_scope(built, (self.client_ip, DEFAULT_CLIENT[1]))
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body_bytes, "more_body": False}

        return _complete(request_from_scope(scope, receive))

    def route(self, request: GatewayRequest, ids: RequestIds | None = None) -> RequestContext:
        """The request's context after the gateway's own first steps (trace, route); ``EventError`` with
        the gateway's answer if no method serves it."""
        ctx = RequestContext(ids or new_ids(), self._deployment, request)
        try:
            for step in (trace, route):
                _complete(step(ctx))
        except GatewayError as error:
            raise EventError(
                f"{request.method} {request.raw_path}: the gateway would answer "
                f"{error.status} {error.body().decode()} ({error.reason})",
                status=error.status,
                message=error.message,
            ) from None
        return ctx

    def routed_event(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | None = None,
        query: Query | None = None,
        body: str | bytes | None = None,
        json: Any = None,
        ids: RequestIds | None = None,
        kind: str | None = None,
    ) -> tuple[RouteMatch, Any]:
        """The matched method and its event; ``kind`` (``"proxy"`` or ``"json"``) demands one kind."""
        request = self.request(method, path, headers=headers, query=query, body=body, json=json)
        ctx = self.route(request, ids)
        match = ctx.match
        assert match is not None and ctx.variables is not None
        integration = match.method.integration.type
        where = (
            f"{method} {path} ({match.method.http_method} {match.resource.path} of API {match.api.name!r})"
        )
        actual = _KIND_NAMES.get(integration)
        if actual is None:
            raise EventError(
                f"{where} is answered by the gateway itself ({integration_label(match.method)}): "
                "no function is invoked"
            )
        if kind is not None and kind != actual:
            raise EventError(
                f"{where} is a {'Lambda proxy' if actual == 'proxy' else 'non-proxy Lambda'} integration: "
                f"its function receives a {actual} event, not a {kind} event"
            )
        if integration == AWS_PROXY:
            return match, build_proxy_event(request, match, ctx.variables, ctx.ids.trace_id)
        try:
            return match, non_proxy_event(ctx)
        except GatewayError as error:
            raise EventError(
                f"{where}: the gateway would answer {error.status} {error.body().decode()}",
                status=error.status,
                message=error.message,
            ) from None

    def event(self, method: str, path: str, **options: Any) -> Any:
        """Whichever event the matched method's function receives."""
        return self.routed_event(method, path, **options)[1]

    def proxy(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        """The Lambda proxy event; ``EventError`` if the method is not a proxy integration."""
        event: dict[str, Any] = self.routed_event(method, path, kind="proxy", **options)[1]
        return event

    def json(self, method: str, path: str, **options: Any) -> Any:
        """The non-proxy event (the JSON body); ``EventError`` if the method is a proxy integration."""
        return self.routed_event(method, path, kind="json", **options)[1]


def _trigger_definitions(
    path: str,
    method: str,
    *,
    proxy: bool,
    resource: str | None,
    stage_variables: Mapping[str, str] | None,
    binary_media_types: Sequence[str],
) -> Definitions:
    """A one-method API for the request, so a unit test needs no config file."""
    split = split_path(path.split("?", 1)[0])
    if split is None:
        raise EventError(f"{path}: the path needs a stage first, as in /Prod{path}", status=403)
    if resource is None:
        resource = "/" + "/".join(split.segments)
    api: dict[str, Any] = {"stages": {split.stage: {"variables": dict(stage_variables or {})}}}
    if binary_media_types:
        api["binary_media_types"] = list(binary_media_types)
    trigger = {"api": "api", "resource": resource, "method": method.upper(), "stage": split.stage}
    document = {
        "apis": {"api": api},
        "functions": {"function": {"handler": "handler.handler", "triggers": [{**trigger, "proxy": proxy}]}},
    }
    return definitions_from_yaml(yaml.safe_dump(document), source="<trigger>")


def _factory(
    config: ConfigSource | None,
    code_dir: str | Path | None,
    method: str,
    path: str,
    *,
    proxy: bool,
    resource: str | None,
    stage_variables: Mapping[str, str] | None,
    binary_media_types: Sequence[str],
    client_ip: str,
    base_url: str,
) -> EventFactory:
    if config is not None:
        if resource is not None or stage_variables is not None or binary_media_types:
            raise TypeError(
                "resource, stage_variables and binary_media_types describe a trigger without config"
            )
        definitions = as_definitions(config, code_dir=code_dir)
    else:
        definitions = _trigger_definitions(
            path,
            method,
            proxy=proxy,
            resource=resource,
            stage_variables=stage_variables,
            binary_media_types=binary_media_types,
        )
    return EventFactory(definitions, base_url=base_url, client_ip=client_ip)


def proxy_event(
    method: str,
    path: str,
    *,
    headers: Headers | None = None,
    query: Query | None = None,
    body: str | bytes | None = None,
    json: Any = None,
    config: ConfigSource | None = None,
    code_dir: str | Path | None = None,
    resource: str | None = None,
    stage_variables: Mapping[str, str] | None = None,
    binary_media_types: Sequence[str] = (),
    ids: RequestIds | None = None,
    client_ip: str = DEFAULT_CLIENT[0],
    base_url: str = DEFAULT_BASE_URL,
) -> dict[str, Any]:
    """The Lambda proxy event the gateway delivers for this request.

    ``path`` starts with the stage (``/Prod/items/1``), as the URL does. With ``config`` (a YAML file
    or folder, or loaded ``Definitions``) the request is routed as the server routes it; without,
    ``resource`` (``/items/{id}``; default: the path itself), ``stage_variables`` and
    ``binary_media_types`` describe the one trigger. ``ids`` pins the request ids and time.
    Raises ``EventError`` when the gateway would answer the request itself (a 403, say).
    """
    factory = _factory(
        config,
        code_dir,
        method,
        path,
        proxy=True,
        resource=resource,
        stage_variables=stage_variables,
        binary_media_types=binary_media_types,
        client_ip=client_ip,
        base_url=base_url,
    )
    return factory.proxy(method, path, headers=headers, query=query, body=body, json=json, ids=ids)


def json_event(
    method: str,
    path: str,
    *,
    headers: Headers | None = None,
    query: Query | None = None,
    body: str | bytes | None = None,
    json: Any = None,
    config: ConfigSource | None = None,
    code_dir: str | Path | None = None,
    resource: str | None = None,
) -> Any:
    """The event of a non-proxy Lambda integration: the request's JSON body (``{}`` when empty).

    Routed like ``proxy_event``; a body that is not JSON raises ``EventError`` with the gateway's 400.
    """
    factory = _factory(
        config,
        code_dir,
        method,
        path,
        proxy=False,
        resource=resource,
        stage_variables=None,
        binary_media_types=(),
        client_ip=DEFAULT_CLIENT[0],
        base_url=DEFAULT_BASE_URL,
    )
    return factory.json(method, path, headers=headers, query=query, body=body, json=json)


def lambda_context(
    function: str | Function = "function",
    *,
    config: ConfigSource | None = None,
    code_dir: str | Path | None = None,
    timeout: float | None = None,
    memory: int | None = None,
    aws_request_id: str | None = None,
) -> LambdaContext:
    """The context object Lambda passes a handler, its clock started now.

    With ``config``, ``function`` names a function there and its timeout and memory apply; without,
    a function of that name with Lambda's defaults (3 s, 128 MB). ``timeout`` and ``memory`` override.
    """
    if isinstance(function, str):
        if config is not None:
            definitions = as_definitions(config, code_dir=code_dir)
            if function not in definitions.functions:
                known = ", ".join(sorted(definitions.functions)) or "none"
                raise KeyError(f"no function {function!r} in the definitions; the functions are: {known}")
            function = definitions.functions[function]
        else:
            function = Function(name=function, handler="handler.handler", code_dir=Path.cwd())
    if timeout is not None:
        function = replace(function, timeout=timeout)
    if memory is not None:
        function = replace(function, memory=memory)
    return LambdaContext(
        function,
        aws_request_id or str(uuid.uuid4()),
        time.monotonic() + function.timeout,
        log_stream_name(),
    )
