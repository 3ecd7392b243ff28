"""The one internal model that every definition format loads into.

The YAML trigger definitions are the first loader; OpenAPI, SAM, CloudFormation and serverless.yml
importers will produce the same objects. Everything downstream (routing, events, integrations) reads
only this module's types, so a new format never touches the request path.

The objects mirror API Gateway's own resources: a RestApi owns Resources, a Resource owns Methods
keyed by verb (or ``ANY``), a Method has exactly one Integration, and Stages expose the whole API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: The verbs a REST API method may use, besides ``ANY`` which stands for all of them.
HTTP_METHODS: tuple[str, ...] = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ANY = "ANY"

#: The console's "Enable CORS" default for Access-Control-Allow-Headers [AWS-doc how-to-cors-console].
DEFAULT_CORS_ALLOW_HEADERS: tuple[str, ...] = (
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
)

#: Integration kinds; keys of the integration registry (``emulator.integrations``).
AWS_PROXY = "AWS_PROXY"
AWS = "AWS"
CORS_PREFLIGHT = "CORS_PREFLIGHT"
MOCK = "MOCK"


@dataclass(frozen=True)
class Location:
    """Where a definition came from, so every error can point at it."""

    file: str
    key_path: str = ""
    line: int | None = None
    #: Only where the line alone would not do: a YAML syntax error, found at one character.
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.key_path}" if self.key_path else where


@dataclass(frozen=True)
class CorsConfig:
    """What AWS's "Enable CORS" form sets; applied to the preflight and to successful non-proxy responses."""

    allow_origin: str = "*"
    allow_headers: tuple[str, ...] = DEFAULT_CORS_ALLOW_HEADERS
    #: ``None`` means the console's default: the resource's own verbs plus OPTIONS.
    allow_methods: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


#: Execution environments per function unless its ``concurrency`` says otherwise: enough to keep the
#: gateway busy (one process serves one request at a time), few enough to start quickly on a laptop.
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class Function:
    """A Lambda function: its handler and the settings Lambda reports to it."""

    name: str
    #: ``package.module.function`` as Lambda writes it.
    handler: str
    code_dir: Path
    timeout: float = 3.0
    memory: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    location: Location = Location("<memory>")
    #: How many requests it serves at once, each in an execution environment of its own (Lambda's
    #: reserved concurrency); more wait briefly, then are throttled.
    concurrency: int = DEFAULT_CONCURRENCY
    #: Where its ``handler`` key is: a handler that does not import is fixed there.
    handler_location: Location | None = None

    @property
    def module_name(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def function_attr(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class MockResponse:
    """What a ``MOCK`` method answers: AWS's mock integration with one integration response, spelled plainly."""

    #: The mock's name in the definitions (or the function it stands in for), for tables and messages.
    name: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    #: Read on every request instead of ``body``, so a frontend developer can edit it while serving.
    body_file: Path | None = None
    #: Added delay before answering, to see a page's loading states; past ``timeout_ms`` it is a 504.
    latency_ms: int = 0


@dataclass(frozen=True)
class Integration:
    """The backend of one method; ``kind`` selects its implementation in the integration registry."""

    kind: str
    #: The Lambda function's name for ``AWS`` and ``AWS_PROXY``; ``None`` for kinds without one.
    function: str | None = None
    #: API Gateway's own limit on waiting for the backend (50-29000 ms).
    timeout_ms: int = 29000
    #: The fixed answer of a ``MOCK`` integration.
    mock: MockResponse | None = None

    def describe(self) -> str:
        """How messages name the backend: ``function 'x'`` or ``mock 'x'``."""
        if self.mock is not None:
            return f"mock '{self.mock.name}'"
        return f"function '{self.function}'"


@dataclass(frozen=True)
class Method:
    """One verb (or ``ANY``) on one resource, bound to exactly one integration."""

    http_method: str
    integration: Integration
    cors: CorsConfig | None = None
    location: Location = Location("<memory>")

    @property
    def is_proxy(self) -> bool:
        return self.integration.kind == AWS_PROXY


@dataclass
class Resource:
    """A node of the API's path tree, e.g. ``/items/{id}``; parents exist even without methods."""

    path: str
    id: str
    methods: dict[str, Method] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    """A named deployment of the whole API with its stage variables."""

    name: str
    deployment_id: str
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayResponseSpec:
    """One customised gateway response (AWS's PutGatewayResponse); ``None`` fields inherit (see gateway_responses)."""

    response_type: str
    status: int | None = None
    #: (header name, value expression): ``'literal'``, ``method.request.header.X``, ``stageVariables.x``…
    headers: tuple[tuple[str, str], ...] = ()
    #: The ``application/json`` template, e.g. ``{"message":$context.error.messageString}``.
    template: str | None = None


@dataclass
class RestApi:
    """A REST API: the unit that owns resources, stages and settings such as binary media types."""

    name: str
    id: str
    resources: dict[str, Resource] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    location: Location = Location("<memory>")
    #: Customised gateway responses by type (``DEFAULT_4XX``, ``MISSING_AUTHENTICATION_TOKEN``…).
    gateway_responses: dict[str, GatewayResponseSpec] = field(default_factory=dict)


@dataclass
class Definitions:
    """Everything one configuration describes: APIs and the functions their methods integrate with."""

    apis: dict[str, RestApi] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    #: The files it was read from, for reloading and messages.
    sources: tuple[Path, ...] = ()
