"""``HTTP`` and ``HTTP_PROXY``: the method forwards to a URL, through the gateway's shared ``HttpClient``.

The integration request is what API Gateway would send (reference A.6, A.7(b), 9):

- the URL is the integration's ``uri`` with ``${stageVariables.x}`` and ``{name}`` filled in
  (``integration.request.path.name``), then the query: the client's for a proxy, and the mapped one;
- non-proxy, the backend sees only what the gateway itself sends (``Accept: application/json``,
  ``User-Agent: AmazonAPIGateway_<apiId>``, ``X-Amzn-Apigateway-Api-Id``, ``X-Amzn-Trace-Id``, the
  body's ``Content-Type``) plus the mapped headers; the body is the request template's text or the
  client's body, as the passthrough behaviour says;
- proxy, the backend sees the client's headers as a Lambda proxy event has them (hop-by-hop ones
  gone, ``X-Forwarded-For`` appended with the client's address) and the body as it came, text or
  binary as ``binaryMediaTypes`` say (``emulator.mapping.content_handling``);
- what a request template sets in ``$context.requestOverride`` (header, querystring, path) has the
  last word over the mappings;
- a mapped ``Content-Length`` or ``Transfer-Encoding`` fails every call with a 500; ``Connection``,
  ``Proxy-Authenticate``, ``TE``, ``Via`` and ``Expect`` mappings are dropped silently.

The answer: non-proxy, its status is what selection patterns match (``integration_response``);
proxy, its status, headers and body are the client's response, with the reserved headers renamed
``x-amzn-Remapped-*`` and ``Transfer-Encoding`` dropped, as for a Lambda proxy, and the body text or
binary as the client's first ``Accept`` type asks.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from emulator.context import RequestContext
from emulator.errors import IntegrationFailure
from emulator.events import event_headers
from emulator.integrations.base import BackendReply
from emulator.integrations.http_client import HttpClient, OutboundRequest
from emulator.integrations.request_mapping import mapped_request
from emulator.mapping.content_handling import integration_body, proxied_body, request_payload
from emulator.mapping.parameters import (
    IntegrationParameters,
    apply_request_override,
    map_request_parameters,
    mapped_headers,
)
from emulator.mapping.response_headers import wire_name
from emulator.model import EDGE, Integration

#: Mapped request headers that make every call fail with a 500 (recorded, reference A.7(b)).
REFUSED_HTTP_HEADERS = ("Content-Length", "Transfer-Encoding")
#: Mapped request headers the gateway leaves out without a word (recorded, reference A.7(b)).
DROPPED_HTTP_HEADERS = ("Connection", "Proxy-Authenticate", "TE", "Via", "Expect")

_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.\-]+)\}")
_PATH_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")
#: Characters a path parameter keeps as they are in the URL: a greedy ``{proxy}`` keeps its slashes,
#: and what the client already percent-encoded stays encoded once.
_PATH_SAFE = "/%:@!$&'()*+,;=~"


class HttpIntegration:
    """``HTTP``: the mapped request to the URL; integration responses select on the status it answers."""

    proxy = False

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None
        integration = ctx.match.method.integration
        parameters = map_request_parameters(ctx)
        backend = integration.describe()
        if self.proxy:
            body = request_payload(ctx, templated=False)
            headers = _proxy_headers(ctx)
        else:
            text = mapped_request(ctx)
            body = integration_body(ctx) if text is None else text.encode()
            headers = gateway_headers(ctx, body)
            apply_request_override(parameters, ctx.request_override)
        mapped = mapped_headers(
            parameters, refused=REFUSED_HTTP_HEADERS, dropped=DROPPED_HTTP_HEADERS, backend=backend
        )
        ctx.outbound = OutboundRequest(
            method=_method(integration, ctx.request.method),
            url=integration_url(ctx, parameters, forward_query=self.proxy),
            headers=_overridden(headers, mapped),
            body=body,
        )

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.match is not None and ctx.outbound is not None
        integration = ctx.match.method.integration
        reply = await self.client.send(
            ctx.outbound, timeout_ms=integration.timeout_ms, backend=integration.describe()
        )
        if self.proxy:
            reply = BackendReply(
                reply.status, remap_response_headers(reply.headers), proxied_body(ctx, reply), reply.selector
            )
        ctx.backend = reply


class HttpProxyIntegration(HttpIntegration):
    """``HTTP_PROXY``: the client's request forwarded, the backend's answer passed back."""

    proxy = True


def integration_url(ctx: RequestContext, parameters: IntegrationParameters, *, forward_query: bool) -> str:
    """The integration's ``uri`` for this request: stage variables, path parameters, then the query."""
    assert ctx.match is not None and ctx.request is not None
    integration = ctx.match.method.integration
    if not integration.uri:
        raise IntegrationFailure(f"{integration.describe()} has no uri")
    stage = ctx.match.stage

    def stage_variable(found: re.Match[str]) -> str:
        value = stage.variables.get(found[1])
        if value is None:
            raise IntegrationFailure(
                f"{integration.describe()} names ${{stageVariables.{found[1]}}}, which stage {stage.name!r} "
                "does not define"
            )
        return value

    url = _STAGE_VARIABLE.sub(stage_variable, integration.uri)

    def path_parameter(found: re.Match[str]) -> str:
        value = parameters.path.get(found[1])
        if value is None:
            raise IntegrationFailure(
                f"{integration.describe()} names {{{found[1]}}} in its uri, and no request parameter "
                f"integration.request.path.{found[1]} maps a value onto it"
            )
        return quote(value, safe=_PATH_SAFE)

    base, _, query = url.partition("?")
    url = _PATH_PLACEHOLDER.sub(path_parameter, base)
    queries = [query] if query else []
    if forward_query and ctx.request.query_string:
        queries.append(ctx.request.query_string)
    if parameters.querystring:
        queries.append(urlencode(parameters.querystring))
    return url + ("?" + "&".join(queries) if queries else "")


def remap_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A backend's response headers as the client gets them from API Gateway."""
    return [(wire, value) for name, value in headers if (wire := wire_name(name)) is not None]


def _method(integration: Integration, client_method: str) -> str:
    """The integration's HTTP method; ``ANY`` (or none) forwards the client's."""
    method = (integration.http_method or "ANY").upper()
    return client_method if method == "ANY" else method


def gateway_headers(ctx: RequestContext, body: bytes) -> list[tuple[str, str]]:
    """What a non-proxy HTTP backend, or an AWS service, receives without any mapping (recorded, reference
    A.6; section 9 for services)."""
    assert ctx.request is not None and ctx.match is not None
    api_id = ctx.match.api.id
    headers = [
        ("Accept", "application/json"),
        ("User-Agent", f"AmazonAPIGateway_{api_id}"),
        ("X-Amzn-Apigateway-Api-Id", api_id),
        ("X-Amzn-Trace-Id", ctx.ids.trace_id),
    ]
    content_type = ctx.request.header("content-type")
    if body and content_type:
        headers.append(("Content-Type", content_type))
    return headers


def _proxy_headers(ctx: RequestContext) -> list[tuple[str, str]]:
    """The client's headers as the integration sees them (a Lambda proxy event's), to another host."""
    assert ctx.request is not None and ctx.match is not None
    api = ctx.match.api
    edge = (api.id, ctx.ids.request_id) if api.endpoint_type == EDGE else None
    headers = [
        (name, value)
        for name, value in event_headers(ctx.request, ctx.ids.trace_id, edge=edge)
        if name.lower() != "host"
    ]
    headers.append(("X-Amzn-Apigateway-Api-Id", api.id))
    return headers


def _overridden(headers: list[tuple[str, str]], mapped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with each mapped name replacing what was there (a mapped ``Accept`` wins over the gateway's)."""
    if not mapped:
        return headers
    names = {name.lower() for name, _ in mapped}
    return [(name, value) for name, value in headers if name.lower() not in names] + mapped
