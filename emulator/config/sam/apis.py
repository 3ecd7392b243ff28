"""SAM's ``AWS::Serverless::Api`` (and the implicit ``ServerlessRestApi``) as a REST API of the model.

What SAM's transform would generate for it, the model holds directly: the stage and its variables,
binary media types (SAM's ``~1`` for ``/``), the endpoint type, gateway responses, models, Cognito and
Lambda authorizers, and a usage plan with its key. ``Cors`` is the builder's "Enable CORS" on every
method. ``DefinitionBody`` and a local ``DefinitionUri`` are read by the OpenAPI importer. What the
model has no field for is a warning naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emulator.config.cloudformation.method_settings import read_method_settings
from emulator.config.cloudformation.plan_limits import plan_limits
from emulator.config.cloudformation.properties import Properties
from emulator.config.cloudformation.references import api_id
from emulator.config.lambda_uris import UnresolvedFunction, invocation_uri, lambda_target
from emulator.config.openapi.imported import ImportedApi
from emulator.config.openapi.importer import import_inline, import_openapi
from emulator.config.sam import resource_policy
from emulator.config.schema import OpenApiBinding
from emulator.ids import stable_id
from emulator.model import (
    ENDPOINT_TYPES,
    GATEWAY_RESPONSE_TYPES,
    ApiKey,
    Authorizer,
    CorsConfig,
    GatewayResponseSpec,
    Model,
    RestApi,
    Stage,
    UsagePlan,
)

IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"
_UNSUPPORTED = (
    "AccessLogSetting",
    "TracingEnabled",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "Domain",
    "MinimumCompressionSize",
    "DisableExecuteApiEndpoint",
    "Mode",
)


@dataclass
class SamApi:
    """One API of the template, with what its events need: authorizers, the default auth, CORS."""

    logical_id: str
    api: RestApi
    stage: str
    props: Properties
    cors: CorsConfig | None = None
    default_authorizer: str | None = None
    api_key_required: bool = False
    cors_preflight_authorized: bool = False
    #: The authorizers' Lambda functions, to be checked once every function is known: (name, arn, where).
    authorizer_functions: list[tuple[str, str, Properties]] = field(default_factory=list)
    body: ImportedApi | None = None
    #: Sources read besides the template (a ``DefinitionUri`` file), for hot reload.
    sources: list[Path] = field(default_factory=list)
    usage_plan: UsagePlan | None = None
    api_key: ApiKey | None = None
    #: ``CreateUsagePlan: SHARED``: one plan for every API that asks for it.
    shared_plan: bool = False
    #: ``Auth.ResourcePolicy`` as written, applied to each event's method (``sam/resource_policy.py``).
    resource_policy: object = None


def read_api(props: Properties, logical: str, base: Path, *, implicit: bool = False) -> SamApi:
    stage = IMPLICIT_STAGE if implicit else (props.text("StageName") or "")
    if not stage:
        props.error(None, f"api '{logical}' has no StageName")
        stage = IMPLICIT_STAGE
    variables = props.mapping("Variables")
    stage_variables = {name: variables.text(name) or "" for name in variables.names()} if variables else {}
    throttle, method_throttles = read_method_settings(props)
    stages = {stage: Stage(stage, "", stage_variables, throttle, method_throttles)}
    api = RestApi(
        name=logical,
        id=api_id(logical),
        stages=stages,
        location=props.location(),
        description=props.text("Description"),
    )
    sam = SamApi(logical, api, stage, props)
    props.unsupported(_UNSUPPORTED, "the emulator does not execute it")
    body = _body(sam, base)
    sam.body = body
    if body is not None:
        api = body.api
    models = dict(api.models)
    models_props = props.mapping("Models")
    for name, schema in models_props.entries() if models_props else ():
        models[name] = Model(name, "application/json", dict(schema.raw), location=schema.location())
    authorizers = dict(api.authorizers)
    authorizers.update(_authorizers(sam))
    binary = [
        *api.binary_media_types,
        *(item.replace("~1", "/") for item in props.strings("BinaryMediaTypes")),
    ]
    sam.api = RestApi(
        name=logical,
        id=api_id(logical),
        stages=stages,
        binary_media_types=tuple(dict.fromkeys(binary)),
        location=props.location(),
        gateway_responses={**api.gateway_responses, **_gateway_responses(props)},
        endpoint_type=_endpoint_type(props) or api.endpoint_type,
        api_key_source=api.api_key_source,
        authorizers=authorizers,
        models=models,
        request_validators=dict(api.request_validators),
        description=props.text("Description") or api.description,
        policy=api.policy,
    )
    sam.cors = _cors(props)
    return sam


def _body(sam: SamApi, base: Path) -> ImportedApi | None:
    props = sam.props
    if "DefinitionBody" in props:
        body = props.template.field(props.raw["DefinitionBody"], props.at("DefinitionBody"))
        return import_inline(props.template.file, body, sam.api) if body is not None else None
    if "DefinitionUri" not in props:
        return None
    uri = props.value("DefinitionUri")
    if not isinstance(uri, str) or uri.startswith("s3://"):
        props.error(
            "DefinitionUri",
            "DefinitionUri is an S3 location, which cannot be read locally",
            "point it at the OpenAPI file, relative to the template",
        )
        return None
    path = (props.template.document.path.parent / uri).resolve()
    sam.sources.append(path)
    return import_openapi(OpenApiBinding(sam.logical_id, path, props.location("DefinitionUri")), sam.api)


def _endpoint_type(props: Properties) -> str | None:
    if "EndpointConfiguration" not in props:
        return None
    value = props.value("EndpointConfiguration")
    kind = value.get("Type") if isinstance(value, dict) else value
    if kind not in ENDPOINT_TYPES:
        props.error(
            "EndpointConfiguration",
            f"EndpointConfiguration's Type must be one of {', '.join(ENDPOINT_TYPES)}",
        )
        return None
    return str(kind)


def _unquoted(value: str) -> str:
    """SAM's CORS values are mapping expressions: a literal is in single quotes (``"'*'"``)."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


def _cors(props: Properties) -> CorsConfig | None:
    if "Cors" not in props:
        return None
    if isinstance(props.value("Cors"), str):
        return CorsConfig(allow_origin=_unquoted(props.text("Cors") or "*"))
    cors = props.mapping("Cors")
    if cors is None:
        return None
    origin = cors.text("AllowOrigin")
    if origin is None:
        cors.error(None, "Cors needs AllowOrigin (e.g. \"'*'\")")
        return None

    def listed(name: str) -> tuple[str, ...] | None:
        text = cors.text(name)
        return (
            None
            if text is None
            else tuple(part.strip() for part in _unquoted(text).split(",") if part.strip())
        )

    max_age = cors.text("MaxAge")
    return CorsConfig(
        allow_origin=_unquoted(origin),
        allow_headers=listed("AllowHeaders") or CorsConfig().allow_headers,
        allow_methods=listed("AllowMethods"),
        max_age=int(_unquoted(max_age)) if max_age is not None and _unquoted(max_age).isdigit() else None,
        allow_credentials=cors.boolean("AllowCredentials"),
    )


def _gateway_responses(props: Properties) -> dict[str, GatewayResponseSpec]:
    responses = props.mapping("GatewayResponses")
    found: dict[str, GatewayResponseSpec] = {}
    for kind, spec in responses.entries() if responses else ():
        if kind not in GATEWAY_RESPONSE_TYPES:
            spec.error(None, f"unknown gateway response type '{kind}'")
            continue
        parameters = spec.mapping("ResponseParameters")
        headers = parameters.mapping("Headers") if parameters else None
        if parameters is not None:
            parameters.unsupported(("Paths", "QueryStrings"), "gateway responses map headers only here")
        templates = spec.mapping("ResponseTemplates")
        found[kind] = GatewayResponseSpec(
            kind,
            status=spec.integer("StatusCode", 100, 599),
            headers=tuple((name, headers.text(name) or "") for name in headers.names()) if headers else (),
            template=templates.text("application/json") if templates else None,
        )
    return found


def _authorizers(sam: SamApi) -> dict[str, Authorizer]:
    auth = sam.props.mapping("Auth")
    if auth is None:
        return {}
    sam.default_authorizer = auth.text("DefaultAuthorizer")
    sam.api_key_required = auth.boolean("ApiKeyRequired")
    sam.cors_preflight_authorized = auth.boolean("AddDefaultAuthorizerToCorsPreflight", default=True)
    auth.unsupported(("InvokeRole",), "IAM invoke roles are not used locally")
    sam.resource_policy = auth.value("ResourcePolicy")
    wrong = resource_policy.problem(sam.resource_policy) if sam.resource_policy is not None else None
    if wrong is not None:
        auth.error("ResourcePolicy", wrong)
        sam.resource_policy = None
    _usage_plan(sam, auth)
    declared = auth.mapping("Authorizers")
    found: dict[str, Authorizer] = {}
    for name, spec in declared.entries() if declared else ():
        authorizer = _authorizer(sam, name, spec)
        if authorizer is not None:
            found[name] = authorizer
    known = {*found, "AWS_IAM", "NONE"}
    if sam.default_authorizer is not None and sam.default_authorizer not in known:
        auth.error(
            "DefaultAuthorizer",
            f"DefaultAuthorizer '{sam.default_authorizer}' is not one of the api's Authorizers "
            f"({', '.join(sorted(found)) or 'none'}) nor AWS_IAM",
        )
        sam.default_authorizer = None
    return found


def _authorizer(sam: SamApi, name: str, spec: Properties) -> Authorizer | None:
    identity = spec.mapping("Identity")
    ttl = identity.integer("ReauthorizeEvery", 0, 3600, default=300) if identity else 300
    validation = identity.text("ValidationExpression") if identity else None
    header = (identity.text("Header") if identity else None) or "Authorization"
    if "UserPoolArn" in spec:
        return Authorizer(
            name,
            "COGNITO_USER_POOLS",
            identity_source=f"method.request.header.{header}",
            identity_validation_expression=validation,
            result_ttl_seconds=ttl or 0,
            provider_arns=tuple(spec.strings("UserPoolArn")),
            location=spec.location(),
        )
    arn = spec.text("FunctionArn")
    if arn is None:
        spec.error(None, f"authorizer '{name}' has neither UserPoolArn (Cognito) nor FunctionArn (Lambda)")
        return None
    payload = spec.text("FunctionPayloadType") or "TOKEN"
    if payload not in ("TOKEN", "REQUEST"):
        spec.error("FunctionPayloadType", "FunctionPayloadType is TOKEN or REQUEST")
        return None
    uri = invocation_uri(arn)
    try:
        target = lambda_target(uri)
    except UnresolvedFunction as error:
        spec.error("FunctionArn", f"authorizer '{name}': {error}")
        return None
    if target is None or target.function is None:
        spec.error("FunctionArn", f"authorizer '{name}': {arn} is not a Lambda function's ARN")
        return None
    sam.authorizer_functions.append((name, target.function, spec))
    source = f"method.request.header.{header}" if payload == "TOKEN" else _request_sources(identity)
    return Authorizer(
        name,
        payload,
        uri=uri,
        function=target.function,
        identity_source=source or None,
        identity_validation_expression=validation if payload == "TOKEN" else None,
        result_ttl_seconds=ttl or 0,
        credentials=spec.text("FunctionInvokeRole"),
        location=spec.location(),
    )


def _request_sources(identity: Properties | None) -> str:
    if identity is None:
        return ""
    sources = [
        *(f"method.request.header.{name}" for name in identity.strings("Headers")),
        *(f"method.request.querystring.{name}" for name in identity.strings("QueryStrings")),
        *(f"stageVariables.{name}" for name in identity.strings("StageVariables")),
        *(f"context.{name}" for name in identity.strings("Context")),
    ]
    return ", ".join(sources)


def _usage_plan(sam: SamApi, auth: Properties) -> None:
    plan = auth.mapping("UsagePlan")
    if plan is None:
        return
    kind = plan.text("CreateUsagePlan") or "NONE"
    if kind not in ("PER_API", "SHARED", "NONE"):
        plan.error("CreateUsagePlan", "CreateUsagePlan is PER_API, SHARED or NONE")
        return
    if kind == "NONE":
        return
    throttle, quota = plan_limits(plan)
    prefix = sam.logical_id if kind == "PER_API" else "Serverless"
    key_name = f"{prefix}ApiKey"
    sam.shared_plan = kind == "SHARED"
    sam.api_key = ApiKey(
        key_name,
        stable_id("api-key", key_name, length=40),
        stable_id("api-key-id", key_name),
        location=plan.location(),
    )
    sam.usage_plan = UsagePlan(
        plan.text("UsagePlanName") or f"{prefix}UsagePlan",
        stable_id("usage-plan", prefix),
        stages=((sam.logical_id, sam.stage),),
        throttle=throttle,
        quota=quota,
        keys=(key_name,),
        location=plan.location(),
    )
