"""The one public way to build ``Definitions``: every loader (YAML today, OpenAPI and SAM next) goes through it.

A loader declares APIs, functions and methods in any order and from any number of files; the builder
grows each API's resource tree, refuses what API Gateway would refuse (two integrations on one
method, two different variable children under one resource, two APIs with one id), compiles the
conveniences a definition may ask for ("Enable CORS") into the methods AWS would store, and reports
every problem with its location instead of stopping at the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from emulator import cors as cors_compiler
from emulator.config import rules
from emulator.config.errors import ConfigError
from emulator.config.lambda_uris import invocation_uri
from emulator.config.nodes import where
from emulator.ids import resource_id, stable_id
from emulator.mapping.expressions import mapping_problem
from emulator.model import (
    AWS,
    AWS_PROXY,
    HTTP,
    HTTP_PROXY,
    METHOD_RESPONSE_HEADER,
    MOCK,
    WHEN_NO_MATCH,
    ApiKey,
    AuthOff,
    CorsConfig,
    Definitions,
    Function,
    IamCredential,
    Integration,
    IntegrationResponse,
    Location,
    Method,
    MethodResponse,
    Resource,
    RestApi,
    Serving,
    Stage,
    UsagePlan,
    UserPool,
    literal,
)
from emulator.velocity import literal_template


@dataclass(frozen=True)
class MethodRequest:
    """What a method asks of a request (AWS's method request): parameters, body models, a validator."""

    #: ``method.request.path|querystring|header.X`` -> whether it is required.
    parameters: Mapping[str, bool] = field(default_factory=dict)
    #: Content type -> the name of one of the API's models.
    models: Mapping[str, str] = field(default_factory=dict)
    #: The name of one of the API's request validators.
    validator: str | None = None


NO_REQUEST = MethodRequest()


@dataclass(frozen=True)
class IntegrationMapping:
    """The mapping settings a non-proxy Lambda trigger adds to its integration (AWS's methodIntegration).

    ``responses`` empty means the console's default, one 200 integration response passing the payload.
    """

    request_templates: Mapping[str, str] = field(default_factory=dict)
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    passthrough_behavior: str = WHEN_NO_MATCH
    content_handling: str | None = None
    responses: tuple[IntegrationResponse, ...] = ()
    #: Where each request template starts (``Integration.template_locations``).
    template_locations: Mapping[str, Location] = field(default_factory=dict)


def lambda_method(
    verb: str,
    function: str,
    *,
    proxy: bool,
    timeout_ms: int,
    location: Location,
    function_arn: str,
    mapping: IntegrationMapping | None = None,
    request: MethodRequest = NO_REQUEST,
) -> Method:
    """A method integrated with a Lambda function, as the console creates it.

    Non-proxy: one default integration response (200, the payload passed through) and its method
    response, unless ``mapping`` says otherwise; a function error is a 200 too, until an integration
    response selects it. Each status an integration response answers gets its method response, as AWS
    refuses an integration response without one.
    """
    mapping = mapping or IntegrationMapping()
    integration = Integration(
        type=AWS_PROXY if proxy else AWS,
        uri=invocation_uri(function_arn),
        function=function,
        http_method="POST",
        request_templates=dict(mapping.request_templates),
        request_parameters=dict(mapping.request_parameters),
        passthrough_behavior=mapping.passthrough_behavior,
        content_handling=mapping.content_handling,
        timeout_ms=timeout_ms,
        responses=() if proxy else mapping.responses or (IntegrationResponse("200"),),
        template_locations=dict(mapping.template_locations),
    )
    return integration_method(verb, integration, location=location, request=request)


def integration_method(
    verb: str, integration: Integration, *, location: Location, request: MethodRequest = NO_REQUEST
) -> Method:
    """A method bound to ``integration``, with the method responses its integration responses need.

    An HTTP or HTTP_PROXY integration without an ``http_method`` calls its backend with the method's
    own verb (``ANY`` passes the client's on).
    """
    if integration.http_method is None and integration.type in (HTTP, HTTP_PROXY):
        integration = replace(integration, http_method=verb)
    return Method(
        verb,
        integration,
        location=location,
        request_parameters=dict(request.parameters),
        request_models=dict(request.models),
        request_validator=request.validator,
        method_responses=declared_responses(integration.responses),
    )


def declared_responses(responses: tuple[IntegrationResponse, ...]) -> dict[str, MethodResponse]:
    """The method responses that ``responses`` answer with: each status, declaring the headers mapped onto it.

    AWS stores an ``Empty`` model for each, as the console does for the 200 it creates.
    """
    declared: dict[str, MethodResponse] = {}
    for response in responses:
        headers = {
            target: False
            for target in response.response_parameters
            if target.startswith(METHOD_RESPONSE_HEADER)
        }
        own = declared.get(response.status)
        if own is not None:
            headers = {**own.response_parameters, **headers}
        declared[response.status] = MethodResponse(response.status, headers, {"application/json": "Empty"})
    return declared


@dataclass(frozen=True)
class MockAnswer:
    """A mock's answer as the YAML's ``mocks:`` and ``serve --mock`` spell it."""

    #: The mock's name in the definitions (or the function it stands in for), for tables and messages.
    name: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    #: Read on every request instead of ``body``, so a frontend developer can edit it while serving.
    body_file: Path | None = None
    #: Added delay before answering, to see a page's loading states; past the timeout it is a 504.
    latency_ms: int = 0


def mock_method(
    verb: str, answer: MockAnswer, *, timeout_ms: int, location: Location, request: MethodRequest = NO_REQUEST
) -> Method:
    """AWS's MOCK integration for a fixed answer: a request template that selects the status, and one
    integration response that maps the headers and holds the body as its template."""
    status = str(answer.status)
    parameters = {METHOD_RESPONSE_HEADER + name: literal(value) for name, value in answer.headers}
    integration = Integration(
        type=MOCK,
        request_templates={"application/json": json.dumps({"statusCode": answer.status})},
        timeout_ms=timeout_ms,
        responses=(
            IntegrationResponse(
                status,
                response_parameters=parameters,
                response_templates={"application/json": literal_template(answer.body)},
                body_file=answer.body_file,
            ),
        ),
        latency_ms=answer.latency_ms,
        mock_name=answer.name,
    )
    return integration_method(verb, integration, location=location, request=request)


def answered_by_mock(method: Method, answer: MockAnswer | None) -> Method:
    """``method`` as ``serve --mock`` serves it when it replaced the method's function: everything but
    the integration is kept, and the mock's status is declared beside the method's own responses."""
    if answer is None:
        return method
    mocked = mock_method(
        method.http_method, answer, timeout_ms=method.integration.timeout_ms, location=method.location
    )
    return replace(
        method,
        integration=mocked.integration,
        method_responses={**method.method_responses, **mocked.method_responses},
    )


@dataclass
class _ApiTree:
    """One API as it grows: its settings, stages and resources, and what Enable CORS asked for."""

    api: RestApi
    stages: dict[str, Stage]
    resources: dict[str, dict[str, Method]] = field(default_factory=dict)
    #: Parent path -> its variable child's segment and where it was declared.
    variable_children: dict[str, tuple[str, str, Location]] = field(default_factory=dict)
    #: Resource path -> verb -> the CORS settings asked for that method.
    cors: dict[str, dict[str, CorsConfig]] = field(default_factory=dict)


class DefinitionsBuilder:
    """Collects a definition's parts; ``build()`` returns the model, ``errors`` what was refused."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []
        #: What API Gateway would accept with a warning: printed, and errors under ``--fail-on-warnings``.
        self.warnings: list[ConfigError] = []
        self._apis: dict[str, _ApiTree] = {}
        self._api_ids: dict[str, RestApi] = {}
        self._functions: dict[str, Function] = {}
        self._function_locations: dict[str, Location] = {}
        self._api_keys: dict[str, ApiKey] = {}
        self._usage_plans: dict[str, UsagePlan] = {}
        self._sources: list[Path] = []
        self._serving = Serving()
        self._user_pools: dict[str, UserPool] = {}
        self._auth_off = AuthOff()
        self._iam: dict[str, IamCredential] = {}

    def include(self, definitions: Definitions) -> None:
        """Everything another loader built, so what is added next is checked against it as one file of a
        folder is checked against the others: a companion ``apig-emu.yaml`` on a template's model.

        Its APIs were built already (CORS compiled, stages deployed); building them again leaves them as
        they are.
        """
        for api in definitions.apis.values():
            self._api_ids.setdefault(api.id, api)
            tree = _ApiTree(api, dict(api.stages))
            for path, resource in api.resources.items():
                tree.resources[path] = dict(resource.methods)
                for parent, segment in _steps(path):
                    if rules.is_variable(segment):
                        located = next(iter(resource.methods.values()), None)
                        where_declared = located.location if located is not None else api.location
                        tree.variable_children.setdefault(parent, (segment, path, where_declared))
            self._apis[api.name] = tree
        for name, function in definitions.functions.items():
            self._function_locations[name] = function.location
            self._functions[name] = function
        self._api_keys.update(definitions.api_keys)
        self._usage_plans.update(definitions.usage_plans)
        self._user_pools.update(definitions.user_pools)
        self._iam.update(definitions.iam)
        self._auth_off = definitions.auth_off
        self._sources.extend(definitions.sources)
        self._serving = definitions.serving

    def error(self, location: Location, message: str) -> None:
        self.errors.append(ConfigError(location, message))

    def warn(self, location: Location, message: str) -> None:
        self.warnings.append(ConfigError(location, message))

    def add_source(self, path: Path) -> None:
        self._sources.append(path)

    def serve_as(self, serving: Serving) -> None:
        """Where the definitions ask to be served (a port, a path prefix, the stage at the root)."""
        self._serving = serving

    def add_api(self, api: RestApi) -> None:
        """An API with its settings and stages; its resources come from ``add_method``."""
        first = self._apis.get(api.name)
        if first is not None:
            self._defined_twice("api", api.name, first.api.location, api.location)
            return
        same_id = self._api_ids.setdefault(api.id, api)
        if same_id is not api:
            # The id is the first segment of every URL, so two APIs sharing one could not both be served.
            # The api is still kept, so that its methods are checked and its triggers find it.
            self.error(
                api.location,
                f"api id '{api.id}' is used by both api '{same_id.name}' ({where(same_id.location)}) "
                f"and api '{api.name}' ({where(api.location)}); each api needs its own id",
            )
        tree = _ApiTree(api, dict(api.stages))
        self._apis[api.name] = tree
        # Every API has a root resource, as on AWS.
        tree.resources["/"] = {}

    def has_api(self, name: str) -> bool:
        return name in self._apis

    def api_names(self) -> list[str]:
        return list(self._apis)

    def api(self, name: str) -> RestApi:
        """An added API's settings (models, validators…), without its resources."""
        return self._apis[name].api

    def stage_names(self, api: str) -> list[str]:
        return list(self._apis[api].stages)

    def add_stage(self, api: str, name: str) -> None:
        """A stage a method is deployed to; one the API declares keeps its variables."""
        tree = self._apis[api]
        tree.stages.setdefault(name, Stage(name, _deployment_id(tree.api)))

    def add_function(self, name: str, location: Location, function: Function | None) -> bool:
        """A function; ``None`` when its settings were invalid (reported), so a second definition is still caught.

        ``False`` if the name was taken.
        """
        first = self._function_locations.get(name)
        if first is not None:
            self._defined_twice("function", name, first, location)
            return False
        self._function_locations[name] = location
        if function is not None:
            self._functions[name] = function
        return True

    def has_function(self, name: str) -> bool:
        """Whether a function of that name was added, even one whose settings were refused."""
        return name in self._function_locations

    def function_names(self) -> list[str]:
        return list(self._function_locations)

    def add_api_key(self, key: ApiKey) -> None:
        first = self._api_keys.setdefault(key.name, key)
        if first is not key:
            self._defined_twice("api key", key.name, first.location, key.location)

    def add_usage_plan(self, plan: UsagePlan) -> None:
        first = self._usage_plans.setdefault(plan.name, plan)
        if first is not plan:
            self._defined_twice("usage plan", plan.name, first.location, plan.location)

    def add_user_pool(self, pool: UserPool) -> None:
        first = self._user_pools.setdefault(pool.id, pool)
        if first is not pool:
            self._defined_twice("user pool", pool.id, first.location, pool.location)
        elif pool.jwks_path is not None:
            # Watched as the definitions are: saving a new JWKS redeploys with its keys.
            self.add_source(pool.jwks_path)

    def add_iam_credential(self, credential: IamCredential) -> None:
        first = self._iam.setdefault(credential.access_key_id, credential)
        if first is not credential:
            self._defined_twice(
                "iam access key id", credential.access_key_id, first.location, credential.location
            )

    def set_auth_off(self, auth_off: AuthOff) -> None:
        self._auth_off = auth_off

    def add_method(
        self,
        api: str,
        path: str,
        method: Method,
        *,
        path_location: Location | None = None,
        cors: CorsConfig | None = None,
    ) -> None:
        """``method`` on ``path`` of ``api`` (which must have been added), creating the resources on the way.

        ``cors`` asks for "Enable CORS" on this method; it is compiled when the API is built, once the
        resource's other methods are known.
        """
        tree = self._apis[api]
        path_location = path_location or method.location
        steps = _steps(path)
        for parent, segment in steps:
            first = tree.variable_children.get(parent)
            if rules.is_variable(segment) and first is not None and first[0] != segment:
                first_segment, first_path, first_location = first
                # API Gateway could not tell which of the two a request's segment is meant for.
                self.error(
                    path_location,
                    f"resource '{path}' on api '{api}' clashes with '{first_path}' "
                    f"({where(first_location)}): '{parent}' would have two different variable children, "
                    f"'{first_segment}' and '{segment}'; a resource may have only one",
                )
                return
        for parent, segment in steps:
            if rules.is_variable(segment):
                tree.variable_children.setdefault(parent, (segment, path, path_location))
            tree.resources.setdefault(_join(parent, segment), {})
        for target, source in method.integration.request_parameters.items():
            problem = mapping_problem(target, source)
            if problem is not None:
                self.error(method.location, f"{method.http_method} {path} on api '{api}': {problem}")
        methods = tree.resources[path]
        existing = methods.get(method.http_method)
        if existing is not None:
            either_mock = existing.integration.type == MOCK or method.integration.type == MOCK
            either_named = existing.integration.name is not None or method.integration.name is not None
            self.error(
                method.location,
                f"{method.http_method} {path} on api '{api}' is integrated with both "
                f"{existing.integration.describe()} ({where(existing.location)}) and "
                f"{method.integration.describe()} ({where(method.location)}); "
                "a method integrates with exactly one function"
                + (" or mock" if either_mock else "")
                + (" or integration" if either_named else ""),
            )
            return
        methods[method.http_method] = method
        if cors is not None:
            tree.cors.setdefault(path, {})[method.http_method] = cors

    def build(self) -> Definitions:
        return Definitions(
            apis={name: _build_api(tree) for name, tree in self._apis.items()},
            functions=dict(self._functions),
            api_keys=dict(self._api_keys),
            usage_plans=dict(self._usage_plans),
            user_pools=dict(self._user_pools),
            auth_off=self._auth_off,
            iam=dict(self._iam),
            sources=tuple(self._sources),
            serving=self._serving,
        )

    def _defined_twice(self, kind: str, name: str, first: Location, second: Location) -> None:
        self.error(second, f"{kind} '{name}' is defined in both {where(first)} and {where(second)}")


def _deployment_id(api: RestApi) -> str:
    # Every stage is a deployment of the same, whole API.
    return stable_id(api.id, "deployment", length=6)


def _build_api(tree: _ApiTree) -> RestApi:
    resources = {}
    for path in sorted(tree.resources):
        methods = dict(tree.resources[path])
        asked = tree.cors.get(path)
        if asked:
            for verb, cors in asked.items():
                methods[verb] = cors_compiler.map_onto_success(methods[verb], cors)
            if "OPTIONS" not in methods:
                verb, cors = next(iter(asked.items()))
                methods["OPTIONS"] = cors_compiler.preflight_method(cors, methods, methods[verb])
        resources[path] = Resource(path, resource_id(tree.api.id, path), methods)
    stages = {
        name: stage if stage.deployment_id else replace(stage, deployment_id=_deployment_id(tree.api))
        for name, stage in tree.stages.items()
    }
    return replace(tree.api, resources=resources, stages=stages)


def _steps(path: str) -> list[tuple[str, str]]:
    """(parent path, segment) for each segment of ``path``, from the root down."""
    steps: list[tuple[str, str]] = []
    parent = "/"
    for segment in rules.segments(path):
        steps.append((parent, segment))
        parent = _join(parent, segment)
    return steps


def _join(parent: str, segment: str) -> str:
    return f"{parent.rstrip('/')}/{segment}"
