"""The state of one request as it moves along the chain, and the one ``$context`` every consumer reads.

``RequestContext`` has a slot for everything a step can read or fill. ``$context`` (``variables``)
is built once, right after routing, as the nested mapping AWS documents: the proxy event's
``requestContext`` is it, gateway-response templates and the access log read it, and so will
mapping templates. Before routing (or when it fails) it holds what the request alone says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.account import ACCOUNT_ID
from emulator.errors import GatewayError
from emulator.events import RequestIds, request_time
from emulator.invocations import Invocation
from emulator.model import Function, RestApi, Stage
from emulator.request import GatewayRequest
from emulator.response import GatewayResponse
from emulator.routing import RouteMatch

if TYPE_CHECKING:
    from emulator.auth.api_keys import UsagePlans
    from emulator.auth.lambda_authorizer import LambdaAuthorizers
    from emulator.deployment import Deployment
    from emulator.integrations.base import BackendReply, IntegrationKind
    from emulator.integrations.http_client import OutboundRequest

#: ``$context.identity``'s keys, in the order AWS sends them; ``null`` unless a caller is known.
IDENTITY_KEYS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "sourceIp",
    "user",
    "userAgent",
    "userArn",
)


@dataclass(slots=True)
class RequestContext:
    ids: RequestIds
    #: The deployment serving this request, fixed when it arrives: a reload never changes it midway.
    deployment: Deployment
    #: Filled by parsing; ``None`` only when the request could not be read (e.g. too large).
    request: GatewayRequest | None = None
    #: Filled by routing: API, stage, resource, method and path parameters.
    match: RouteMatch | None = None
    #: ``$context``, from routing on.
    variables: dict[str, Any] | None = None
    #: The integration kind serving the method, from the integration request on.
    kind: IntegrationKind | None = None
    #: The body the integration receives, converted by contentHandling (``emulator.mapping.content_handling``);
    #: ``request.body`` stays what the client sent.
    integration_body: bytes | None = None
    #: The event the integration request built for a Lambda function.
    event: Any = None
    #: The body the integration request's template rendered for other backends (a MOCK's ``{"statusCode": 200}``).
    rendered_request: str | None = None
    #: The call the integration request built for a backend reached over HTTP (HTTP, HTTP_PROXY).
    outbound: OutboundRequest | None = None
    #: ``$context.requestOverride`` and ``$context.responseOverride``, once a mapping template read them:
    #: what a request template sets there, the integration request and the response phase apply.
    request_override: dict[str, Any] | None = None
    response_override: dict[str, Any] | None = None
    #: ``$context`` as mapping templates read it (``emulator.mapping.variables``), built on first use.
    template_context: dict[str, Any] | None = None
    #: The Lambda function called, and its invocation, once it was called.
    function: Function | None = None
    invocation: Invocation | None = None
    #: What the backend answered, before integration responses map it.
    backend: BackendReply | None = None
    #: The response to send, once the integration response produced it.
    response: GatewayResponse | None = None
    #: The gateway's own error, when one ended the request (for the inspector and its CORS verdict).
    error: GatewayError | None = None
    #: A Lambda authorizer's ``usageIdentifierKey``: the API key of an API whose key source is ``AUTHORIZER``.
    usage_identifier_key: str | None = None
    #: The gateway's usage plans (its clock and counters), which the ``authorize`` step draws on.
    usage_plans: UsagePlans | None = None
    #: The gateway's Lambda authorizers (its invoker, clock and their cached answers).
    lambda_authorizers: LambdaAuthorizers | None = None
    #: A Lambda authorizer's own invocation, when this request called one (a cached answer calls none).
    authorizer_invocation: Invocation | None = None
    authorizer_function: Function | None = None
    #: The authorize step's decision and why, for the inspector (``None``: the method has no authorization).
    authorization: str | None = None
    #: The IAM caller whose SigV4 signature an ``AWS_IAM`` method verified: its ARN, exactly as
    #: ``$context.identity.userArn`` has it (``arn:aws:iam::ACCOUNT:user/NAME``, or for a role's session
    #: ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``). It is the principal a resource policy matches;
    #: ``None`` means anonymous: the method is not ``AWS_IAM``, or its check was skipped (auth off).
    iam_principal: str | None = None
    #: Whether the API's resource policy allows the request, as read before a Lambda authorizer is asked:
    #: then the authorizer's policy need not allow it too (AWS's policy evaluation table A).
    resource_policy_allows: bool = False


def domain_name(host: str) -> str:
    """``domainName``: the Host without a port, which AWS never shows."""
    return host.rsplit(":", 1)[0] if ":" in host and not host.endswith("]") else host


def build_variables(
    ids: RequestIds,
    request: GatewayRequest | None,
    match: RouteMatch | None,
    *,
    api: RestApi | None = None,
    stage: Stage | None = None,
) -> dict[str, Any]:
    """``$context`` for a request, in the key order of the proxy event's ``requestContext``.

    Without a match (the gateway answers itself), ``api`` and ``stage`` are those the request was
    addressed to, if known, and the resource's keys are empty.
    """
    if match is not None:
        api, stage = match.api, match.stage
    identity = dict.fromkeys(IDENTITY_KEYS)
    host = domain_name(request.host) if request is not None else ""
    if request is not None:
        identity["sourceIp"] = request.client_ip
        identity["userAgent"] = request.header("user-agent")
    return {
        "resourceId": match.resource.id if match is not None else None,
        "resourcePath": match.resource.path if match is not None else None,
        "httpMethod": request.method if request is not None else None,
        "extendedRequestId": ids.extended_request_id,
        "requestTime": request_time(ids.epoch_ms),
        "path": match.stage_path
        if match is not None
        else (request.raw_path if request is not None else None),
        "accountId": ACCOUNT_ID,
        "protocol": f"HTTP/{request.http_version}" if request is not None else "HTTP/1.1",
        "stage": stage.name if stage is not None else None,
        "domainPrefix": host.split(".", 1)[0],
        "requestTimeEpoch": ids.epoch_ms,
        "requestId": ids.request_id,
        "identity": identity,
        "domainName": host,
        "deploymentId": stage.deployment_id if stage is not None else None,
        "apiId": api.id if api is not None else None,
    }


def flatten(variables: Mapping[str, Any], prefix: str = "context.") -> dict[str, str]:
    """``context.identity.sourceIp`` -> its text, for templates that name variables by path.

    ``None`` is left out, so a reference to it renders empty, as AWS renders an absent variable.
    """
    flat: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif value is not None:
            flat[prefix + key] = value if isinstance(value, str) else str(value)
    return flat
