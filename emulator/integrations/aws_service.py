"""``AWS`` with a service's uri (not Lambda's): the mapped request, signed with SigV4, sent to the service.

Teams build "Lambda-less" APIs this way: a request template turns the client's body into DynamoDB's
``PutItem`` or SQS's ``SendMessage``, a response template turns the service's answer into the API's.
The integration request is built as API Gateway builds it (``aws/targets.py`` reads the uri,
``aws/protocols.py`` says how the service takes an action), sent to the endpoint the user named
(``aws/endpoints.py``: moto's server, LocalStack, DynamoDB Local) and signed as the settings say
(``aws/signing.py``). The service's status selects the integration response, as an HTTP backend's does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import httpx

from emulator.aws.endpoints import endpoint_for, missing_endpoint, region_for
from emulator.aws.targets import NotAServiceUri, ServiceTarget, service_target
from emulator.config.lambda_uris import STAGE_VARIABLE
from emulator.context import RequestContext
from emulator.errors import IntegrationFailure, IntegrationTimeout
from emulator.integrations.base import BackendReply, within
from emulator.integrations.request_mapping import mapped_request
from emulator.model import AwsCredentials

if TYPE_CHECKING:
    from emulator.aws.signing import Signer

log = logging.getLogger("apig_emu.integration")

#: What a service accepts for a query-protocol action's parameters.
_FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(slots=True)
class ServiceCall:
    """The integration request to a service, before the endpoint and the signature are known."""

    target: ServiceTarget
    method: str
    #: The path after the endpoint's, ``/`` for an action.
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes


class AwsServiceIntegration:
    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client
        #: By the settings' credentials (a reload may change them): botocore's chain is looked up once each.
        self._signers: dict[AwsCredentials | None, Signer] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        """One client for every call: its connections to a local service are kept and reused."""
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _signer(self, credentials: AwsCredentials | None) -> Signer:
        signer = self._signers.get(credentials)
        if signer is None:
            from emulator.aws.signing import Signer

            signer = self._signers[credentials] = Signer(credentials)
        return signer

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None
        integration = ctx.match.method.integration
        variables = ctx.match.stage.variables
        # ``${stageVariables.x}`` anywhere in the uri, as API Gateway resolves it per stage.
        uri = STAGE_VARIABLE.sub(lambda found: variables.get(found[1], ""), integration.uri or "")
        try:
            target = service_target(uri)
        except NotAServiceUri as error:
            raise IntegrationFailure(f"{integration.describe()}: {error}") from None
        text = mapped_request(ctx)
        body = ctx.request.body if text is None else text.encode()
        ctx.rendered_request = text
        headers = [
            ("Accept", "application/json"),
            ("User-Agent", f"AmazonAPIGateway_{ctx.match.api.id}"),
            ("X-Amzn-Apigateway-Api-Id", ctx.match.api.id),
            ("X-Amzn-Trace-Id", ctx.ids.trace_id),
        ]
        content_type = ctx.request.header("content-type")
        if content_type:
            headers.append(("Content-Type", content_type))
        call = ServiceCall(target, (integration.http_method or "POST").upper(), "/", [], headers, body)
        if target.action is not None:
            _as_action(call)
        else:
            call.path = _path(target)
        ctx.service_call = call

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.match is not None and ctx.service_call is not None
        call = ctx.service_call
        integration = ctx.match.method.integration
        settings = ctx.deployment.definitions.aws
        target = call.target
        endpoint = endpoint_for(settings, target.service)
        if endpoint is None:
            raise IntegrationFailure(
                f"{integration.describe()} ({target.describe()}): {missing_endpoint(target.service)}"
            )
        region = region_for(settings, target)
        url = endpoint.url + call.path + (f"?{urlencode(call.query, quote_via=quote)}" if call.query else "")
        signer = self._signer(settings.credentials)
        # The first lookup reads files (and may ask a container's endpoint): off the event loop.
        keys, source = signer.credentials() if signer.ready else await asyncio.to_thread(signer.credentials)
        from emulator.aws.protocols import signing_name

        headers = signer.sign(
            keys,
            service=signing_name(target.service),
            region=region,
            method=call.method,
            url=url,
            headers=call.headers,
            body=call.body,
        )
        ctx.event = {
            "service": target.service,
            "action": target.action,
            "region": region,
            "method": call.method,
            "url": url,
            "headers": dict(headers),
            "body": call.body.decode("utf-8", "replace"),
        }
        started = time.perf_counter()
        try:
            reply = await within(
                integration.timeout_ms / 1000,
                self.client.request(call.method, url, headers=headers, content=call.body),
            )
        except asyncio.TimeoutError:
            raise IntegrationTimeout(
                f"{target.describe()} at {endpoint.url} did not answer within the integration timeout of "
                f"{integration.timeout_ms} ms"
            ) from None
        except httpx.HTTPError as error:
            raise IntegrationFailure(
                f"{target.describe()}: the endpoint {endpoint.url} (from {endpoint.source}) cannot be reached: "
                f"{error!r}"
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        role = f"; role {integration.credentials} not assumed" if integration.credentials else ""
        log.info(
            "AWS %s in %s -> %s %s (from %s): %d in %.1f ms, signed with %s credentials%s",
            target.describe(),
            region,
            call.method,
            url,
            endpoint.source,
            reply.status_code,
            elapsed,
            source,
            role,
        )
        ctx.backend = BackendReply(
            reply.status_code, list(reply.headers.multi_items()), reply.content, str(reply.status_code)
        )


def _as_action(call: ServiceCall) -> None:
    """The action in the service's protocol: ``Action=…&Version=…`` (query) or ``X-Amz-Target`` (JSON)."""
    from emulator.aws.protocols import JSON, UnknownService, service_protocol

    target = call.target
    assert target.action is not None
    try:
        protocol = service_protocol(target.service)
    except UnknownService as error:
        raise IntegrationFailure(f"{target.describe()}: {error}") from None
    if not protocol.takes_actions:
        raise IntegrationFailure(
            f"{target.describe()}: {target.service} is a REST service ({protocol.protocol}), called by path "
            "(path/...), not by action"
        )
    names = {name.lower(): value for name, value in call.headers}
    says_json = "x-amz-target" in names or names.get("content-type", "").startswith("application/x-amz-json")
    if protocol.protocol == JSON and (says_json or not protocol.also_query):
        _set(
            call.headers,
            "Content-Type",
            names.get("content-type", "") if says_json else protocol.json_content_type,
        )
        if "x-amz-target" not in names:
            call.headers.append(("X-Amz-Target", f"{protocol.target_prefix}.{target.action}"))
        call.query.extend(target.action_parameters)
        return
    call.query.extend(
        [("Action", target.action), ("Version", protocol.api_version), *target.action_parameters]
    )
    if not names.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        _set(call.headers, "Content-Type", _FORM)


def _path(target: ServiceTarget) -> str:
    """The REST path; S3's bucket in the host (``bucket.s3``) goes first, path-style, as local endpoints take it."""
    assert target.path is not None
    path = "/" + target.path
    if target.subdomain and target.service == "s3":
        path = f"/{target.subdomain}{path}"
    return path


def _set(headers: list[tuple[str, str]], name: str, value: str) -> None:
    headers[:] = [(key, old) for key, old in headers if key.lower() != name.lower()]
    headers.append((name, value))
