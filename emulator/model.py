"""The one internal model that every definition format loads into: whole REST APIs, as API Gateway stores them.

The YAML definitions are the first loader; OpenAPI, SAM, CloudFormation and serverless.yml importers
produce the same objects, through the same builder (``emulator.config.builder``), and an exporter writes them
back. So the model holds everything a definition can say, even parts the gateway does not execute
yet (``emulator.deployment`` says which): a method's authorization, request parameters and models,
its integration's templates and integration responses, an API's authorizers, validators and models.

The objects mirror API Gateway's own resources and keep AWS's names and values (``AWS_PROXY``,
``WHEN_NO_MATCH``, ``method.response.header.X``), so an importer maps fields one to one. They are
frozen: a loaded model is never changed; ``deployment.deploy`` compiles what a request needs from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# A module of their own, so that a Lambda worker unpickles its ``Function`` without building the
# gateway's two dozen dataclasses; one model still, from here.
from emulator.lambda_function import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY
from emulator.lambda_function import NOWHERE as NOWHERE
from emulator.lambda_function import Function as Function
from emulator.lambda_function import Location as Location

#: The verbs a REST API method may use, besides ``ANY`` which stands for all of them.
HTTP_METHODS: tuple[str, ...] = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ANY = "ANY"

#: Integration types (AWS's ``type``); keys of the integration registry (``emulator.integrations``).
AWS = "AWS"
AWS_PROXY = "AWS_PROXY"
HTTP = "HTTP"
HTTP_PROXY = "HTTP_PROXY"
MOCK = "MOCK"
INTEGRATION_TYPES: tuple[str, ...] = (AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK)
#: Types whose backend answers the client as it is, without integration responses.
PROXY_TYPES = frozenset({AWS_PROXY, HTTP_PROXY})

#: ``passthroughBehavior``: what a non-proxy integration does with a body no request template matches.
WHEN_NO_MATCH = "WHEN_NO_MATCH"
WHEN_NO_TEMPLATES = "WHEN_NO_TEMPLATES"
NEVER = "NEVER"
PASSTHROUGH_BEHAVIORS: tuple[str, ...] = (WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER)

#: ``contentHandling`` of integration requests and responses (``None``: pass through).
CONTENT_HANDLINGS: tuple[str, ...] = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")

#: ``authorizationType`` of a method.
AUTHORIZATION_TYPES: tuple[str, ...] = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
#: Authorizer ``type``s.
AUTHORIZER_TYPES: tuple[str, ...] = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
#: ``apiKeySource`` of an API.
API_KEY_SOURCES: tuple[str, ...] = ("HEADER", "AUTHORIZER")
#: Endpoint types; ``EDGE`` is AWS's default for CreateRestApi, CloudFormation and SAM.
EDGE = "EDGE"
REGIONAL = "REGIONAL"
PRIVATE = "PRIVATE"
ENDPOINT_TYPES: tuple[str, ...] = (EDGE, REGIONAL, PRIVATE)

#: The integration timeout's bounds and default (``timeoutInMillis``), reference 4.4.
MIN_TIMEOUT_MS = 50
MAX_TIMEOUT_MS = 29_000

#: The console's "Enable CORS" default for Access-Control-Allow-Headers [AWS-doc how-to-cors-console].
DEFAULT_CORS_ALLOW_HEADERS: tuple[str, ...] = (
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
)

#: Where a method response's header mappings live, and what a mapping to a fixed value looks like.
METHOD_RESPONSE_HEADER = "method.response.header."


def literal(value: str) -> str:
    """A mapping expression for a fixed value: API Gateway quotes literals in single quotes."""
    return f"'{value}'"


@dataclass(frozen=True)
class CorsConfig:
    """What AWS's "Enable CORS" form asks; the builder compiles it into the methods AWS would store."""

    allow_origin: str = "*"
    allow_headers: tuple[str, ...] = DEFAULT_CORS_ALLOW_HEADERS
    #: ``None`` means the console's default: the resource's own verbs plus OPTIONS.
    allow_methods: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class IntegrationResponse:
    """One of an integration's responses: which backend answers it takes, and how it maps them."""

    #: The method response it produces (AWS's ``statusCode``, a string as AWS stores it).
    status: str
    #: A regex over a Lambda function error's ``errorMessage``, or over an HTTP backend's status code;
    #: ``None`` for the default response, which takes everything no pattern matches.
    selection_pattern: str | None = None
    #: ``method.response.header.X`` -> ``'literal'``, ``integration.response.header.Y``,
    #: ``integration.response.body``, ``integration.response.body.JSONPath``.
    response_parameters: Mapping[str, str] = field(default_factory=dict)
    #: Content type -> mapping template for the response body.
    response_templates: Mapping[str, str] = field(default_factory=dict)
    content_handling: str | None = None
    #: The emulator's own: a file read on every request as the body (a mock a frontend developer edits).
    body_file: Path | None = None
    #: The emulator's own: where each response template is defined (by content type), for its errors.
    template_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Integration:
    """The backend of one method: AWS's Integration resource, less what only AWS's console shows."""

    type: str
    #: ``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations``, an HTTP URL, or
    #: an AWS service action; ``None`` for MOCK.
    uri: str | None = None
    #: The local Lambda function that ``uri`` names, for AWS and AWS_PROXY; ``None`` when the uri names
    #: it through a stage variable (``function:${stageVariables.fn}``), resolved per request.
    function: str | None = None
    #: The HTTP method of the call to the backend (``POST`` for Lambda).
    http_method: str | None = None
    request_templates: Mapping[str, str] = field(default_factory=dict)
    #: ``integration.request.header|querystring|path.X`` -> ``method.request.…``, ``'literal'``, …
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    passthrough_behavior: str = WHEN_NO_MATCH
    content_handling: str | None = None
    #: API Gateway's own limit on waiting for the backend (50-29000 ms).
    timeout_ms: int = MAX_TIMEOUT_MS
    cache_key_parameters: tuple[str, ...] = ()
    #: The role API Gateway assumes to call the backend (``credentials``).
    credentials: str | None = None
    #: In the order they were defined; at most one has no selection pattern (the default).
    responses: tuple[IntegrationResponse, ...] = ()
    #: The emulator's own: a mock's added delay, to see a page's loading states.
    latency_ms: int = 0
    #: The emulator's own: the YAML ``mocks:`` entry this integration came from, for tables and messages.
    mock_name: str | None = None
    #: The emulator's own: the YAML ``integrations:`` entry it came from, for tables and messages.
    name: str | None = None
    #: The emulator's own: where each request template is defined (by content type), for its errors.
    template_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_proxy(self) -> bool:
        return self.type in PROXY_TYPES

    def default_response(self) -> IntegrationResponse | None:
        for response in self.responses:
            if response.selection_pattern is None:
                return response
        return None

    def describe(self) -> str:
        """How messages name the backend: ``function 'x'``, ``mock 'x'``, ``integration 'x'``, ``MOCK integration``…"""
        if self.function is not None:
            return f"function '{self.function}'"
        if self.mock_name is not None:
            return f"mock '{self.mock_name}'"
        if self.name is not None:
            return f"integration '{self.name}'"
        return f"{self.type} integration" + (f" {self.uri}" if self.uri else "")


@dataclass(frozen=True)
class MethodResponse:
    """A status code the method may answer with, and the headers and models it declares for it."""

    status: str
    #: ``method.response.header.X`` -> whether it is required.
    response_parameters: Mapping[str, bool] = field(default_factory=dict)
    #: Content type -> model name.
    response_models: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    """One verb (or ``ANY``) on one resource, bound to exactly one integration."""

    http_method: str
    integration: Integration
    location: Location = NOWHERE
    authorization_type: str = "NONE"
    #: The name of one of the API's authorizers, for ``CUSTOM`` and ``COGNITO_USER_POOLS``.
    authorizer: str | None = None
    authorization_scopes: tuple[str, ...] = ()
    api_key_required: bool = False
    #: ``method.request.header|querystring|path.X`` -> whether it is required.
    request_parameters: Mapping[str, bool] = field(default_factory=dict)
    #: Content type -> model name.
    request_models: Mapping[str, str] = field(default_factory=dict)
    #: The name of one of the API's request validators.
    request_validator: str | None = None
    #: By status code (``"200"``).
    method_responses: Mapping[str, MethodResponse] = field(default_factory=dict)
    operation_name: str | None = None

    @property
    def is_proxy(self) -> bool:
        return self.integration.is_proxy


@dataclass(frozen=True)
class Resource:
    """A node of the API's path tree, e.g. ``/items/{id}``; parents exist even without methods."""

    path: str
    id: str
    methods: Mapping[str, Method] = field(default_factory=dict)


@dataclass(frozen=True)
class Throttle:
    #: Requests per second, steady state, and the token bucket's size.
    rate: float
    burst: int


@dataclass(frozen=True)
class Stage:
    """A named deployment of the whole API with its stage variables and throttling settings."""

    name: str
    deployment_id: str
    variables: Mapping[str, str] = field(default_factory=dict)
    #: The stage's default method throttling (AWS's method settings for ``*/*``): each method its own bucket.
    throttle: Throttle | None = None
    #: Per-method throttling (method settings for ``/path/VERB``), by (resource path, verb); wins over ``throttle``.
    method_throttles: Mapping[tuple[str, str], Throttle] = field(default_factory=dict)


DEFAULT_4XX = "DEFAULT_4XX"
DEFAULT_5XX = "DEFAULT_5XX"

#: Every gateway response type with its default status (reference section 4.1, from GetGatewayResponses).
GATEWAY_RESPONSE_TYPES: Mapping[str, int | None] = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    DEFAULT_4XX: None,
    DEFAULT_5XX: None,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403,
    "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "WAF_FILTERED": 403,
}

#: The header-mapping sources a gateway response may read (AWS refuses anything else at PutGatewayResponse).
GATEWAY_RESPONSE_HEADER_SOURCES = (
    "method.request.header.",
    "method.request.path.",
    "method.request.querystring.",
    "stageVariables.",
    "context.",
)


@dataclass(frozen=True)
class GatewayResponseSpec:
    """One customised gateway response (AWS's PutGatewayResponse); ``None`` fields inherit (see gateway_responses)."""

    response_type: str
    status: int | None = None
    #: (header name, value expression): ``'literal'``, ``method.request.header.X``, ``stageVariables.x``…
    headers: tuple[tuple[str, str], ...] = ()
    #: The ``application/json`` template, e.g. ``{"message":$context.error.messageString}``.
    template: str | None = None
    #: The emulator's own: where the template is defined, for its errors.
    template_location: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Authorizer:
    """An API's authorizer: a Lambda function (TOKEN, REQUEST) or a Cognito user pool."""

    name: str
    type: str
    #: The Lambda authorizer's invocation URI, and the local function it names.
    uri: str | None = None
    function: str | None = None
    #: ``method.request.header.Authorization``, several comma-separated for REQUEST.
    identity_source: str | None = None
    identity_validation_expression: str | None = None
    result_ttl_seconds: int = 300
    #: The user pools' ARNs, for COGNITO_USER_POOLS.
    provider_arns: tuple[str, ...] = ()
    credentials: str | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Model:
    """A JSON Schema (draft 4) that request and response bodies may be validated against."""

    name: str
    content_type: str = "application/json"
    schema: Mapping[str, object] = field(default_factory=dict)
    location: Location = NOWHERE


@dataclass(frozen=True)
class RequestValidator:
    name: str
    validate_request_body: bool = False
    validate_request_parameters: bool = False


@dataclass(frozen=True)
class RestApi:
    """A REST API: the unit that owns resources, stages and settings such as binary media types."""

    name: str
    id: str
    resources: Mapping[str, Resource] = field(default_factory=dict)
    stages: Mapping[str, Stage] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    location: Location = NOWHERE
    #: Customised gateway responses by type (``DEFAULT_4XX``, ``MISSING_AUTHENTICATION_TOKEN``…).
    gateway_responses: Mapping[str, GatewayResponseSpec] = field(default_factory=dict)
    endpoint_type: str = EDGE
    api_key_source: str = "HEADER"
    authorizers: Mapping[str, Authorizer] = field(default_factory=dict)
    models: Mapping[str, Model] = field(default_factory=dict)
    request_validators: Mapping[str, RequestValidator] = field(default_factory=dict)
    description: str | None = None
    #: The resource policy (an IAM policy document), kept as written: not enforced yet.
    policy: Mapping[str, object] | None = None

    def methods(self) -> list[tuple[Resource, Method]]:
        """Every method of the API, resource by resource."""
        return [
            (resource, method) for resource in self.resources.values() for method in resource.methods.values()
        ]


@dataclass(frozen=True)
class ApiKey:
    name: str
    value: str
    id: str
    enabled: bool = True
    location: Location = NOWHERE


@dataclass(frozen=True)
class Quota:
    limit: int
    #: ``DAY``, ``WEEK`` or ``MONTH``.
    period: str
    offset: int = 0


@dataclass(frozen=True)
class UsagePlan:
    name: str
    id: str
    #: (api name, stage name) pairs.
    stages: tuple[tuple[str, str], ...] = ()
    throttle: Throttle | None = None
    quota: Quota | None = None
    #: API key names.
    keys: tuple[str, ...] = ()
    location: Location = NOWHERE
    #: Per-key throttling of one method (AWS's ``apiStages[].throttle``), by (api name, stage name,
    #: resource path, verb); wins over ``throttle`` for that method.
    method_throttles: Mapping[tuple[str, str, str, str], Throttle] = field(default_factory=dict)


@dataclass(frozen=True)
class UserPool:
    """A Cognito user pool whose tokens the gateway verifies (the YAML's ``user_pools:``).

    ``jwks`` is the pool's JSON Web Key Set as read from its file; ``None`` means the built-in local
    issuer signs and verifies its tokens (``apig-emu token``).
    """

    id: str
    jwks: Mapping[str, object] | None = None
    jwks_path: Path | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class IamCredential:
    """An IAM caller whose SigV4 signatures the gateway verifies (the YAML's ``iam: credentials:``).

    ``user_arn`` is an IAM user's ARN or a role session's (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``),
    and ``user_id`` IAM's unique id of the user (``AIDA...``) or role (``AROA...``): together they are
    what ``$context.identity`` shows of the caller.
    """

    access_key_id: str
    secret_access_key: str
    user_arn: str
    user_id: str
    #: Session credentials' token: a request signed with them must carry it as ``X-Amz-Security-Token``.
    session_token: str | None = None
    location: Location = NOWHERE

    @property
    def account_id(self) -> str:
        return self.user_arn.split(":")[4]

    @property
    def caller(self) -> str:
        """``$context.identity.caller``: the user's id, or for a role's session ``ROLE_ID:SESSION``."""
        if ":assumed-role/" in self.user_arn:
            return f"{self.user_id}:{self.user_arn.rsplit('/', 1)[1]}"
        return self.user_id

    def __repr__(self) -> str:
        # Never the secret: definitions are printed in messages and kept by the inspector's records.
        return f"IamCredential(access_key_id={self.access_key_id!r}, user_arn={self.user_arn!r}, secret=***)"


@dataclass(frozen=True)
class AuthOff:
    """The YAML's ``auth_off:``: what a method whose authorization is skipped receives instead.

    ``methods`` holds (api, resource path, verb) of the methods skipped always; ``serve --auth off``
    skips every method's. Cognito methods get ``claims``, Lambda-authorizer methods ``principal_id``
    and ``context``.
    """

    claims: Mapping[str, str] = field(default_factory=dict)
    principal_id: str = "offline-user"
    context: Mapping[str, str] = field(default_factory=dict)
    methods: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True)
class Serving:
    """The emulator's own: where a definition asks to be served (serverless-offline's settings, say).

    On AWS the host names the API and the path starts with the stage; a local server decides its own
    port, and a tool the definitions were written for may have put a prefix before every path or the
    stage at the root. ``serve``'s options win over these.
    """

    #: ``serve``'s port when ``--port`` is not given.
    port: int | None = None
    #: A path segment (or several) every request's path starts with, without its slashes.
    path_prefix: str = ""
    #: ``False``: each API's stage is served at the root (``/users``, not ``/dev/users``), as a custom
    #: domain's empty base path maps it; an API with several stages is served in its first.
    stage_in_path: bool = True


@dataclass(frozen=True)
class AwsCredentials:
    """Keys that sign requests to AWS services (the YAML's ``aws.credentials``), instead of botocore's chain."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        # Never the secret: settings are printed in messages and kept by the inspector's records.
        return f"AwsCredentials(access_key_id={self.access_key_id!r}, secret_access_key=***)"


@dataclass(frozen=True)
class AwsSettings:
    """The emulator's own: where AWS service integrations send their calls, in which region, as whom.

    On AWS the uri names the service and API Gateway knows its endpoint; locally a user points each
    service at moto's server, LocalStack or DynamoDB Local (``emulator/aws/endpoints.py`` adds the
    command line and the environment to these).
    """

    #: Every service's endpoint (``aws.endpoint_url``).
    endpoint_url: str | None = None
    #: One service's endpoint, by the service's name in the uri (``dynamodb``, ``sqs``…).
    endpoints: Mapping[str, str] = field(default_factory=dict)
    #: Replaces the region every uri names; ``None``: the uri's.
    region: str | None = None
    credentials: AwsCredentials | None = None
    #: ``--aws-endpoint-url`` (or the harness's ``aws_endpoint_url``): every service's, winning over the file.
    command_line_endpoint_url: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Definitions:
    """Everything one configuration describes: APIs, the functions their methods integrate with, API keys."""

    apis: Mapping[str, RestApi] = field(default_factory=dict)
    functions: Mapping[str, Function] = field(default_factory=dict)
    api_keys: Mapping[str, ApiKey] = field(default_factory=dict)
    usage_plans: Mapping[str, UsagePlan] = field(default_factory=dict)
    #: Cognito user pools by pool id (``us-east-1_AbC123``); a pool an authorizer names without an
    #: entry here is the built-in local issuer's.
    user_pools: Mapping[str, UserPool] = field(default_factory=dict)
    auth_off: AuthOff = field(default_factory=AuthOff)
    #: The ``iam:`` section's credentials by access key id, whose signatures ``AWS_IAM`` methods verify.
    iam: Mapping[str, IamCredential] = field(default_factory=dict)
    #: The files it was read from, for reloading and messages.
    sources: tuple[Path, ...] = ()
    serving: Serving = field(default_factory=Serving)
    aws: AwsSettings = field(default_factory=AwsSettings)
    #: The ``apig-emu.yaml`` read beside a template (``config/companion.py``), named when the definitions
    #: are loaded, so that nobody wonders where a setting the template cannot hold came from.
    companion: Path | None = None
