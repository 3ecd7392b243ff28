"""Reading one file's ``apis``, ``functions``, ``mocks``, ``user_pools``, ``iam``, ``auth_off``, ``api_keys`` and
``usage_plans`` into declarations, checking each value on its own.

Checks that need the other files too (unknown apis, clashing methods and resources) happen when the
declarations are assembled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode

from emulator.config import rules
from emulator.config.api_models import read_models, read_request_validators
from emulator.config.aws_section import read_aws
from emulator.config.builder import MockAnswer
from emulator.config.gateway_responses import read_gateway_responses
from emulator.config.iam import read_iam
from emulator.config.integration_keys import MAPPING_KEYS, MappingDecl, read_mapping
from emulator.config.integrations_section import KEYS as INTEGRATION_KEYS
from emulator.config.integrations_section import read_integration
from emulator.config.lambda_authorizers import read_authorizers
from emulator.config.method_request import KEYS as METHOD_REQUEST_KEYS
from emulator.config.method_request import MethodRequestDecl, read_method_request
from emulator.config.mocks import MOCK_RESPONSE_KEYS, read_mock_response
from emulator.config.nodes import Field, Reader, one_of
from emulator.config.policies import read_policy
from emulator.config.usage_plans import (
    MethodThrottleDecl,
    PlanDecl,
    read_api_keys,
    read_method_throttles,
    read_throttle,
    read_usage_plans,
)
from emulator.config.user_pools import NamedMethod, read_auth_off, read_user_pools
from emulator.ids import stable_id
from emulator.model import (
    API_KEY_SOURCES,
    DEFAULT_CONCURRENCY,
    EDGE,
    ENDPOINT_TYPES,
    HTTP_METHODS,
    ApiKey,
    AuthOff,
    AwsSettings,
    CorsConfig,
    Function,
    IamCredential,
    Integration,
    Location,
    RestApi,
    Stage,
    UserPool,
)


@dataclass(frozen=True)
class TriggerDecl:
    """A checked trigger, kept until all apis are known so it can be placed in its api's tree."""

    function: str
    api: str
    path: str
    #: Where the ``resource`` key is, for errors about the resource tree.
    path_location: Location
    method: str
    stage: str
    proxy: bool
    timeout_ms: int
    cors: CorsConfig | None
    location: Location
    #: A ``mocks:`` entry's answer; ``None`` for a function's trigger.
    mock: MockAnswer | None = None
    #: An ``integrations:`` entry's integration (``http_method`` ``None``: the method's verb).
    integration: Integration | None = None
    #: The method request keys (``request_parameters``, ``request_models``, ``request_validator``).
    request: MethodRequestDecl = dataclasses.field(default_factory=MethodRequestDecl)
    #: A non-proxy Lambda trigger's ``integration:`` block; an ``integrations:`` entry's mapping keys.
    mapping: MappingDecl | None = None
    api_key_required: bool = False
    #: One of its api's ``authorizers:`` (a Lambda authorizer), and where the trigger names it.
    authorizer: str | None = None
    authorizer_location: Location | None = None


@dataclass(frozen=True)
class IntegrationDecl:
    """An ``integrations:`` entry: one AWS Integration and the methods bound to it."""

    name: str
    location: Location
    triggers: tuple[TriggerDecl, ...]


@dataclass(frozen=True)
class ApiReference:
    """A trigger's ``api``, checked against every file's apis even when the rest of its trigger is wrong."""

    api: str
    location: Location


@dataclass(frozen=True)
class FunctionDecl:
    name: str
    location: Location
    #: ``None`` when the function's own settings are invalid; its triggers are still checked.
    function: Function | None
    triggers: tuple[TriggerDecl, ...]
    #: The function as far as its settings are valid, defaults standing in for the rest: enough to
    #: check that its handler imports alongside the other errors. ``None`` without a valid handler.
    importable: Function | None = None


@dataclass(frozen=True)
class MockDecl:
    """A ``mocks:`` entry: a fixed answer (AWS's MOCK integration) and the methods that give it."""

    name: str
    location: Location
    triggers: tuple[TriggerDecl, ...]


@dataclass(frozen=True)
class OpenApiBinding:
    """An api whose resources, methods and settings come from an OpenAPI document (``openapi: FILE``)."""

    api: str
    #: Relative to the YAML file that names it.
    path: Path
    #: The ``openapi`` key, for a document that cannot be read.
    location: Location
    #: The binding's ``endpoint_type``: AWS's import takes the type from its request
    #: (``endpointConfigurationTypes``), not from the document, and so does ours.
    endpoint_type: str | None = None


@dataclass
class DocumentDecls:
    #: Without resources: those come from the triggers.
    apis: list[RestApi]
    functions: list[FunctionDecl]
    mocks: list[MockDecl] = dataclasses.field(default_factory=list)
    integrations: list[IntegrationDecl] = dataclasses.field(default_factory=list)
    references: list[ApiReference] = dataclasses.field(default_factory=list)
    #: Apis declared with errors: a trigger naming one is not also told the api is unknown.
    broken_apis: list[str] = dataclasses.field(default_factory=list)
    openapi: list[OpenApiBinding] = dataclasses.field(default_factory=list)
    #: The file's ``aws:`` section (``config/aws_section.py``), if it has one.
    aws: AwsSettings | None = None
    api_keys: list[ApiKey] = dataclasses.field(default_factory=list)
    usage_plans: list[PlanDecl] = dataclasses.field(default_factory=list)
    method_throttles: list[MethodThrottleDecl] = dataclasses.field(default_factory=list)
    user_pools: list[UserPool] = dataclasses.field(default_factory=list)
    #: The ``iam:`` section's credentials (``config/iam.py``).
    iam: list[IamCredential] = dataclasses.field(default_factory=list)
    #: ``auth_off:``, with where it is (one file may hold it) and the methods it lists.
    auth_off: tuple[AuthOff, Location, list[NamedMethod]] | None = None


_CORS_KEYS = (
    "allow_origin",
    "allow_headers",
    "allow_methods",
    "expose_headers",
    "max_age",
    "allow_credentials",
)


def read_document(reader: Reader, root: Field, code_dir: Path) -> DocumentDecls:
    decls = DocumentDecls([], [])
    top = reader.mapping(
        root,
        optional=(
            "apis",
            "functions",
            "mocks",
            "integrations",
            "aws",
            "user_pools",
            "auth_off",
            "api_keys",
            "usage_plans",
            "iam",
        ),
    )
    if top is None:
        return decls
    if "aws" in top:
        decls.aws = read_aws(reader, top["aws"])
    if "user_pools" in top:
        decls.user_pools = read_user_pools(reader, top["user_pools"])
    if "iam" in top:
        decls.iam = read_iam(reader, top["iam"])
    if "auth_off" in top:
        read = read_auth_off(reader, top["auth_off"])
        if read is not None:
            decls.auth_off = (read[0], reader.location(top["auth_off"]), read[1])
    for name, field in _named(reader, top.get("apis")):
        api = _api(reader, name, field, decls)
        if api is not None:
            decls.apis.append(api)
        else:
            decls.broken_apis.append(name)
    for name, field in _named(reader, top.get("functions")):
        _check(reader, field, rules.function_name_problem(name))
        decls.functions.append(_function(reader, name, field, code_dir, decls.references))
    for name, field in _named(reader, top.get("mocks")):
        decls.mocks.append(_mock(reader, name, field, decls.references))
    for name, field in _named(reader, top.get("integrations")):
        decls.integrations.append(_integration(reader, name, field, decls.references))
    if "api_keys" in top:
        decls.api_keys = read_api_keys(reader, top["api_keys"])
    if "usage_plans" in top:
        decls.usage_plans = read_usage_plans(reader, top["usage_plans"])
    return decls


def _integration(reader: Reader, name: str, field: Field, references: list[ApiReference]) -> IntegrationDecl:
    location = reader.location(field)
    if not name:
        reader.error(field, "an integration name must not be empty")
    keys = reader.mapping(field, required=("type",), optional=(*INTEGRATION_KEYS[1:], "triggers"))
    if keys is None:
        return IntegrationDecl(name, location, ())
    read = read_integration(reader, name, keys)
    integration, mapping = read if read is not None else (None, None)
    items = reader.sequence(keys["triggers"]) if "triggers" in keys else []
    triggers = []
    for item in items or []:
        # Checked even when the entry is wrong, so one run shows every error; placed only when it is not.
        trigger = _trigger(reader, name, item, references, integration=integration, kind="integration")
        if trigger is not None and name:
            triggers.append(dataclasses.replace(trigger, mapping=mapping))
    return IntegrationDecl(name, location, tuple(triggers))


def _mock(reader: Reader, name: str, field: Field, references: list[ApiReference]) -> MockDecl:
    location = reader.location(field)
    keys = reader.mapping(field, optional=(*MOCK_RESPONSE_KEYS, "triggers"))
    if keys is None:
        return MockDecl(name, location, ())
    # ``body_file`` is relative to the definition file, so a config folder can carry its mock bodies.
    response = read_mock_response(reader, name, keys, Path(reader.file).parent)
    items = reader.sequence(keys["triggers"]) if "triggers" in keys else []
    stand_in = response or MockAnswer(name)
    triggers = tuple(
        trigger
        for item in items or []
        if (trigger := _trigger(reader, name, item, references, mock=stand_in)) is not None
    )
    return MockDecl(name, location, triggers)


def _named(reader: Reader, field: Field | None) -> list[tuple[str, Field]]:
    entries = reader.entries(field) if field is not None else None
    return list(entries.items()) if entries else []


#: What an api bound to an OpenAPI document takes from the document instead, by the extension holding it.
_FROM_DOCUMENT = {
    "binary_media_types": "x-amazon-apigateway-binary-media-types",
    "gateway_responses": "x-amazon-apigateway-gateway-responses",
    "models": "components.schemas, or definitions in Swagger 2.0",
    "request_validators": "x-amazon-apigateway-request-validators",
    "api_key_source": "x-amazon-apigateway-api-key-source",
    "authorizers": "components.securitySchemes' x-amazon-apigateway-authorizer",
    "policy": "x-amazon-apigateway-policy",
}


def _api(reader: Reader, name: str, field: Field, decls: DocumentDecls) -> RestApi | None:
    if not name:
        reader.error(field, "an api name must not be empty")
        return None
    keys = reader.mapping(
        field,
        optional=(
            "id",
            "openapi",
            "binary_media_types",
            "endpoint_type",
            "stages",
            "gateway_responses",
            "models",
            "request_validators",
            "api_key_source",
            "authorizers",
            "policy",
        ),
    )
    if keys is None:
        return None
    endpoint_type = EDGE
    if "endpoint_type" in keys:
        endpoint_type = _one_of(reader, keys["endpoint_type"], ENDPOINT_TYPES) or endpoint_type
    if "openapi" in keys:
        document = reader.string(keys["openapi"])
        if document is not None and not document.strip():
            reader.error(keys["openapi"], "expected the path of an OpenAPI document, got an empty string")
        elif document is not None:
            # Relative to the YAML file, so a config folder can carry its documents.
            path = Path(reader.file).parent / document
            chosen = endpoint_type if "endpoint_type" in keys else None
            decls.openapi.append(OpenApiBinding(name, path, reader.location(keys["openapi"]), chosen))
        for key, extension in _FROM_DOCUMENT.items():
            if key in keys:
                reader.error(
                    keys[key],
                    f"'{key}' of an api with 'openapi' comes from its document ({extension}); set it there",
                )
    api_id = stable_id(name)
    if "id" in keys:
        given = reader.name(keys["id"])
        if given is not None and _check(reader, keys["id"], rules.api_id_problem(given)):
            api_id = given
    media_types: list[str] = []
    if "binary_media_types" in keys:
        for media_type, item in reader.strings(keys["binary_media_types"]) or []:
            _check(reader, item, rules.media_type_problem(media_type))
            media_types.append(media_type)
    stages: dict[str, Stage] = {}
    for stage, stage_field in _named(reader, keys.get("stages")):
        if _check(reader, stage_field, rules.stage_name_problem(stage)):
            stage_keys = (
                reader.mapping(stage_field, optional=("variables", "throttle", "method_throttle")) or {}
            )
            variables = _strings_by_name(reader, stage_keys.get("variables"), rules.variable_name_problem)
            throttle = read_throttle(reader, stage_keys["throttle"]) if "throttle" in stage_keys else None
            method_throttles = (
                read_method_throttles(
                    reader, stage_keys["method_throttle"], name, stage, decls.method_throttles
                )
                if "method_throttle" in stage_keys
                else {}
            )
            # The builder gives every stage the API's one deployment.
            stages[stage] = Stage(stage, "", variables, throttle, method_throttles)
    responses = (
        read_gateway_responses(reader, keys["gateway_responses"]) if "gateway_responses" in keys else {}
    )
    models = read_models(reader, keys["models"], api_id) if "models" in keys else {}
    validators = (
        read_request_validators(reader, keys["request_validators"]) if "request_validators" in keys else {}
    )
    key_source = (
        _one_of(reader, keys["api_key_source"], API_KEY_SOURCES) if "api_key_source" in keys else None
    )
    authorizers = read_authorizers(reader, keys["authorizers"]) if "authorizers" in keys else {}
    policy = read_policy(reader, keys["policy"]) if "policy" in keys and "openapi" not in keys else None
    return RestApi(
        name,
        api_id,
        authorizers=authorizers,
        stages=stages,
        binary_media_types=tuple(media_types),
        location=reader.location(field),
        gateway_responses=responses,
        endpoint_type=endpoint_type,
        models=models,
        request_validators=validators,
        api_key_source=key_source or "HEADER",
        policy=policy,
    )


def _function(
    reader: Reader, name: str, field: Field, code_dir: Path, references: list[ApiReference]
) -> FunctionDecl:
    location = reader.location(field)
    keys = reader.mapping(
        field,
        required=("handler",),
        optional=("timeout", "memory", "environment", "concurrency", "runtime", "triggers"),
    )
    if keys is None:
        return FunctionDecl(name, location, None, ())
    handler = reader.string(keys["handler"]) if "handler" in keys else None
    if handler is not None and not _check(reader, keys["handler"], rules.handler_problem(handler)):
        handler = None
    timeout = reader.number(keys["timeout"], 1, 900) if "timeout" in keys else 3.0
    memory = reader.integer(keys["memory"], 128, 10240) if "memory" in keys else 128
    # Lambda's default account-wide concurrency is the ceiling for one function's reservation.
    concurrency = (
        reader.integer(keys["concurrency"], 1, 1000) if "concurrency" in keys else DEFAULT_CONCURRENCY
    )
    runtime = reader.string(keys["runtime"]) if "runtime" in keys else None
    if runtime is not None and not _check(reader, keys["runtime"], rules.runtime_problem(runtime)):
        runtime = None
    environment = _strings_by_name(reader, keys.get("environment"), rules.environment_name_problem)
    if "environment" in keys:
        _check(reader, keys["environment"], rules.environment_size_problem(environment))
    items = reader.sequence(keys["triggers"]) if "triggers" in keys else []
    triggers = tuple(
        trigger for item in items or [] if (trigger := _trigger(reader, name, item, references)) is not None
    )
    if handler is None:
        return FunctionDecl(name, location, None, triggers)
    importable = Function(
        name,
        handler,
        code_dir,
        3.0 if timeout is None else timeout,
        128 if memory is None else memory,
        environment,
        location,
        concurrency=DEFAULT_CONCURRENCY if concurrency is None else concurrency,
        handler_location=reader.location(keys["handler"]),
        runtime=runtime,
        runtime_location=reader.location(keys["runtime"]) if runtime is not None else None,
    )
    valid = timeout is not None and memory is not None and concurrency is not None
    return FunctionDecl(name, location, importable if valid else None, triggers, importable)


#: What every kind of trigger may say about who may call its method.
_ACCESS_KEYS = ("api_key_required", "authorizer")

#: The keys of each kind of trigger: a function's, a mock's (no ``proxy``: a MOCK has none), an
#: ``integrations:`` entry's (whose timeout is the integration's own).
_TRIGGER_KEYS = {
    "function": ("stage", "proxy", "cors", "timeout_ms", "integration", *METHOD_REQUEST_KEYS, *_ACCESS_KEYS),
    "mock": ("stage", "cors", "timeout_ms", *METHOD_REQUEST_KEYS, *_ACCESS_KEYS),
    "integration": ("stage", "cors", *METHOD_REQUEST_KEYS, *_ACCESS_KEYS),
}


def _trigger(
    reader: Reader,
    owner: str,
    field: Field,
    references: list[ApiReference],
    *,
    mock: MockAnswer | None = None,
    integration: Integration | None = None,
    kind: str = "function",
) -> TriggerDecl | None:
    """A trigger of a function, a mock (``mock``) or an ``integrations:`` entry (``integration``, ``None``
    when the entry itself is wrong: its triggers are still checked)."""
    kind = "mock" if mock is not None else kind
    keys = reader.mapping(field, required=("api", "resource", "method"), optional=_TRIGGER_KEYS[kind])
    if keys is None:
        return None
    api = reader.name(keys["api"]) if "api" in keys else None
    if api is not None:
        references.append(ApiReference(api, reader.location(keys["api"])))
    path = reader.string(keys["resource"]) if "resource" in keys else None
    if path is not None and not _check(reader, keys["resource"], rules.resource_path_problem(path)):
        path = None
    method = _method(reader, keys["method"]) if "method" in keys else None
    stage: str | None = rules.DEFAULT_STAGE
    if "stage" in keys:
        stage = reader.name(keys["stage"])
        if stage is not None and not _check(reader, keys["stage"], rules.stage_name_problem(stage)):
            stage = None
    proxy = reader.boolean(keys["proxy"]) if "proxy" in keys else False
    cors = _cors(reader, keys["cors"]) if "cors" in keys else None
    timeout_ms = reader.integer(keys["timeout_ms"], 50, 29000) if "timeout_ms" in keys else 29000
    request = read_method_request(reader, keys, path)
    mapping = _integration_block(reader, keys, bool(proxy)) if "integration" in keys else None
    if mapping is not None and mapping.timeout_ms is not None:
        if "timeout_ms" in keys:
            reader.error(
                keys["integration"],
                "give timeout_ms once: on the trigger or in its integration block (it is the integration's)",
            )
            mapping = None
        else:
            timeout_ms = mapping.timeout_ms
    # A wrong value of the integration block is reported and left out; the trigger is still placed, so
    # the checks that need every file (its models, its validator, the api) report alongside.
    key_required = reader.boolean(keys["api_key_required"]) if "api_key_required" in keys else False
    authorizer = reader.name(keys["authorizer"]) if "authorizer" in keys else None
    if api is None or path is None or method is None or stage is None or timeout_ms is None:
        return None
    if kind == "integration" and integration is None:
        return None
    return TriggerDecl(
        owner,
        api,
        path,
        reader.location(keys["resource"]),
        method,
        stage,
        bool(proxy),
        timeout_ms,
        cors,
        reader.location(field),
        mock,
        integration,
        request,
        mapping,
        bool(key_required),
        authorizer,
        reader.location(keys["authorizer"]) if "authorizer" in keys else None,
    )


def _integration_block(reader: Reader, keys: dict[str, Field], proxy: bool) -> MappingDecl | None:
    """A non-proxy Lambda trigger's ``integration:`` block; on a proxy trigger, an error naming it."""
    field = keys["integration"]
    if proxy:
        reader.error(
            field,
            "'integration' maps a non-proxy (proxy: false) Lambda integration; a Lambda proxy integration "
            "passes the request and the function's response through as they are",
        )
        return None
    block = reader.mapping(field, optional=MAPPING_KEYS)
    if block is None:
        return None
    return read_mapping(reader, block, what="this integration")


def _method(reader: Reader, field: Field) -> str | None:
    method = reader.string(field)
    if method is None:
        return None
    if method.upper() in rules.METHODS:
        return method.upper()
    reader.error(field, f"unknown method '{method}'; expected one of {one_of(rules.METHODS)}")
    return None


def _one_of(reader: Reader, field: Field, allowed: tuple[str, ...]) -> str | None:
    value = reader.string(field)
    if value is None:
        return None
    if value.upper() in allowed:
        return value.upper()
    reader.error(field, f"unknown value '{value}'; expected one of {one_of(allowed)}")
    return None


def _cors(reader: Reader, field: Field) -> CorsConfig | None:
    if not isinstance(field.node, MappingNode):
        return CorsConfig() if reader.boolean(field, what="true, false or a mapping") else None
    keys = reader.mapping(field, optional=_CORS_KEYS)
    if keys is None:
        return None
    default = CorsConfig()
    origin = reader.string(keys["allow_origin"]) if "allow_origin" in keys else None
    headers = _cors_list(reader, keys.get("allow_headers"), rules.header_name_problem)
    methods = _cors_list(reader, keys.get("allow_methods"), _cors_method_problem)
    expose = _cors_list(reader, keys.get("expose_headers"), rules.header_name_problem)
    max_age = reader.integer(keys["max_age"], 0) if "max_age" in keys else None
    credentials = reader.boolean(keys["allow_credentials"]) if "allow_credentials" in keys else None
    # A value that is absent, or invalid and already reported, keeps the default.
    return CorsConfig(
        allow_origin=default.allow_origin if origin is None else origin,
        allow_headers=default.allow_headers if headers is None else headers,
        allow_methods=None if methods is None else tuple(method.upper() for method in methods),
        expose_headers=default.expose_headers if expose is None else expose,
        max_age=max_age,
        allow_credentials=bool(credentials),
    )


def _cors_list(
    reader: Reader, field: Field | None, problem: Callable[[str], str | None]
) -> tuple[str, ...] | None:
    values = reader.strings(field, comma_separated=True) if field is not None else None
    if values is None:
        return None
    for value, item in values:
        _check(reader, item, problem(value))
    return tuple(value for value, _ in values)


def _cors_method_problem(method: str) -> str | None:
    allowed = (*HTTP_METHODS, "*")
    if method.upper() in allowed:
        return None
    return f"unknown method '{method}'; expected one of {one_of(allowed)}"


def _strings_by_name(
    reader: Reader, field: Field | None, name_problem: Callable[[str], str | None]
) -> dict[str, str]:
    """A mapping of names to scalars as strings, like environment and stage variables."""
    result: dict[str, str] = {}
    for name, value_field in _named(reader, field):
        value = reader.text(value_field)
        if _check(reader, value_field, name_problem(name)) and value is not None:
            result[name] = value
    return result


def _check(reader: Reader, field: Field, problem: str | None) -> bool:
    if problem:
        reader.error(field, problem)
    return not problem
