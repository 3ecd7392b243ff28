"""``AWS`` with a service's uri (not Lambda's): the mapped request, signed with SigV4, sent to the service.

Teams build "Lambda-less" APIs this way: a request template turns the client's body into DynamoDB's
``PutItem`` or SQS's ``SendMessage``, a response template turns the service's answer into the API's.
The integration request is built as API Gateway builds it (``aws/targets.py`` reads the uri,
``aws/protocols.py`` says how the service takes an action, ``mapping/parameters.py`` adds the mapped
headers, query and path parameters), addressed to the endpoint the user named (``aws/endpoints.py``:
moto's server, LocalStack, DynamoDB Local), signed as the settings say (``aws/signing.py``) and sent
through the gateway's shared ``HttpClient``, which answers a timeout with AWS's 504 and an unreachable
endpoint with its 500. The service's status selects the integration response, as an HTTP backend's does.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from emulator.aws.endpoints import Endpoint, endpoint_for, missing_endpoint, region_for
from emulator.aws.targets import NotAServiceUri, ServiceTarget, service_target
from emulator.config.lambda_uris import STAGE_VARIABLE
from emulator.context import RequestContext
from emulator.errors import IntegrationFailure
from emulator.integrations.base import REFUSED_LAMBDA_HEADERS
from emulator.integrations.http import gateway_headers
from emulator.integrations.http_client import HttpClient, OutboundRequest
from emulator.integrations.request_mapping import mapped_request
from emulator.mapping.content_handling import integration_body
from emulator.mapping.parameters import (
    IntegrationParameters,
    apply_request_override,
    map_request_parameters,
    mapped_headers,
)
from emulator.model import AwsCredentials

if TYPE_CHECKING:
    from emulator.aws.signing import Signer

log = logging.getLogger("apig_emu.integration")

#: What a query-protocol service reads an action's parameters from.
_FORM = "application/x-www-form-urlencoded; charset=utf-8"
_PATH_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")


class AwsServiceIntegration:
    def __init__(self, client: HttpClient) -> None:
        self.client = client
        #: By the settings' credentials (a reload may change them): botocore's chain is looked up once each.
        self._signers: dict[AwsCredentials | None, Signer] = {}

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None
        integration = ctx.match.method.integration
        stage = ctx.match.stage

        def stage_variable(found: re.Match[str]) -> str:
            # ``${stageVariables.x}`` anywhere in the uri, as API Gateway resolves it per stage.
            value = stage.variables.get(found[1])
            if value is None:
                raise IntegrationFailure(
                    f"{integration.describe()} names ${{stageVariables.{found[1]}}}, which stage {stage.name!r} "
                    "does not define"
                )
            return value

        uri = STAGE_VARIABLE.sub(stage_variable, integration.uri or "")
        try:
            target = service_target(uri)
        except NotAServiceUri as error:
            raise IntegrationFailure(f"{integration.describe()}: {error}") from None
        backend = f"{integration.describe()} ({target.describe()})"
        parameters = map_request_parameters(ctx)
        text = mapped_request(ctx)
        body = integration_body(ctx) if text is None else text.encode()
        # The request template's $context.requestOverride has the last word over the mappings, as on AWS.
        apply_request_override(parameters, ctx.request_override)
        # What a Lambda Invoke refuses, an AWS integration refuses alike (reference A.7(b)); the signer
        # writes Authorization.
        mapped = mapped_headers(parameters, refused=REFUSED_LAMBDA_HEADERS, dropped=(), backend=backend)
        headers = gateway_headers(ctx, body)
        for name, value in mapped:
            _set(headers, name, value)
        query = list(target.action_parameters)
        if target.action is not None:
            query = _as_action(target, headers) + query
            path = "/"
        else:
            path = _path(target, parameters, backend)
        query += parameters.querystring

        settings = ctx.deployment.definitions.aws
        endpoint = endpoint_for(settings, target.service)
        if endpoint is None:
            raise IntegrationFailure(f"{backend}: {missing_endpoint(target.service)}")
        region = region_for(settings, target)
        url = endpoint.url + path + (f"?{urlencode(query, quote_via=quote)}" if query else "")
        signer = self._signer(settings.credentials)
        # The first lookup reads files (and may ask a container's endpoint): off the event loop.
        keys, source = signer.credentials() if signer.ready else await asyncio.to_thread(signer.credentials)
        from emulator.aws.protocols import signing_name

        method = (integration.http_method or "POST").upper()
        signed = signer.sign(
            keys,
            service=signing_name(target.service),
            region=region,
            method=method,
            url=url,
            headers=headers,
            body=body,
        )
        ctx.outbound = OutboundRequest(method, url, signed, body)
        ctx.event = _summary(target, region, endpoint, source, integration.credentials)
        role = f"; role {integration.credentials} not assumed" if integration.credentials else ""
        log.info(
            "AWS %s in %s -> %s %s (endpoint from %s), signed with %s credentials%s",
            target.describe(),
            region,
            method,
            url,
            endpoint.source,
            source,
            role,
        )

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.match is not None and ctx.outbound is not None
        integration = ctx.match.method.integration
        call = ctx.event
        what = f"{call['service']} action {call['action']}" if call["action"] else f"{call['service']} path"
        backend = f"AWS {what} to the endpoint {call['endpoint']}"
        ctx.backend = await self.client.send(ctx.outbound, timeout_ms=integration.timeout_ms, backend=backend)

    def _signer(self, credentials: AwsCredentials | None) -> Signer:
        signer = self._signers.get(credentials)
        if signer is None:
            from emulator.aws.signing import Signer

            signer = self._signers[credentials] = Signer(credentials)
        return signer


def _summary(
    target: ServiceTarget, region: str, endpoint: Endpoint, credentials: str, role: str | None
) -> dict[str, Any]:
    """What the exchange (and the inspector) says beside the outbound request: which call, whose endpoint
    (and where it was named), which credentials and role."""
    return {
        "service": target.service,
        "action": target.action,
        "path": target.path,
        "region": region,
        "endpoint": f"{endpoint.url} (from {endpoint.source})",
        "credentials": credentials,
        "role": role,
    }


def _as_action(target: ServiceTarget, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The action in the service's protocol: ``X-Amz-Target`` (JSON, headers changed in place), or the
    query's ``Action`` and ``Version`` (returned)."""
    from emulator.aws.protocols import JSON, UnknownService, service_protocol

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
    names = {name.lower(): value for name, value in headers}
    content_type = names.get("content-type", "")
    says_json = "x-amz-target" in names or content_type.startswith("application/x-amz-json")
    if protocol.protocol == JSON and (says_json or not protocol.also_query):
        if not says_json:
            _set(headers, "Content-Type", protocol.json_content_type)
        if "x-amz-target" not in names:
            headers.append(("X-Amz-Target", f"{protocol.target_prefix}.{target.action}"))
        return []
    if not content_type.startswith("application/x-www-form-urlencoded"):
        _set(headers, "Content-Type", _FORM)
    return [("Action", target.action), ("Version", protocol.api_version)]


def _path(target: ServiceTarget, parameters: IntegrationParameters, backend: str) -> str:
    """The REST path, ``{name}`` from ``integration.request.path.name``; S3's bucket in the host
    (``bucket.s3``) goes first, path-style, as local endpoints take it."""
    assert target.path is not None

    def parameter(found: re.Match[str]) -> str:
        value = parameters.path.get(found[1])
        if value is None:
            raise IntegrationFailure(
                f"{backend} names {{{found[1]}}} in its uri, and no request parameter "
                f"integration.request.path.{found[1]} maps a value onto it"
            )
        # As for an HTTP uri: what the client already percent-encoded stays encoded once.
        return quote(value, safe="/%:@!$&'()*+,;=~")

    path = "/" + _PATH_PLACEHOLDER.sub(parameter, target.path)
    if target.subdomain and target.service == "s3":
        path = f"/{target.subdomain}{path}"
    return path


def _set(headers: list[tuple[str, str]], name: str, value: str) -> None:
    headers[:] = [(key, old) for key, old in headers if key.lower() != name.lower()]
    headers.append((name, value))
