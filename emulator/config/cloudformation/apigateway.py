"""CloudFormation's API Gateway resources as REST APIs of the model, as the IDE-deployed stacks write them.

``AWS::ApiGateway::RestApi`` (its ``Body`` read by the OpenAPI importer), the ``Resource`` tree
through ``ParentId``, ``Method`` with its ``Integration`` and ``MethodResponses``, ``Stage`` and
``Deployment`` (whose ``StageName`` makes a stage), ``Authorizer``, ``GatewayResponse``,
``RequestValidator``, ``Model``, ``ApiKey``, ``UsagePlan`` and ``UsagePlanKey``. Each resource's
``Ref`` resolves to its local id (``references``); the tables here turn those ids back into the
logical ids they came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from emulator.config.cloudformation.method_settings import read_method_settings, stage_throttle
from emulator.config.cloudformation.plan_limits import plan_limits, stage_method_throttles
from emulator.config.cloudformation.properties import Properties
from emulator.config.cloudformation.references import api_id
from emulator.config.cloudformation.template import Template, TemplateResource
from emulator.config.lambda_uris import UnresolvedFunction, lambda_target
from emulator.config.openapi.imported import ImportedApi
from emulator.config.openapi.importer import import_inline
from emulator.config.policies import policy_problem
from emulator.ids import resource_id, stable_id
from emulator.model import (
    ANY,
    AUTHORIZATION_TYPES,
    AUTHORIZER_TYPES,
    ENDPOINT_TYPES,
    GATEWAY_RESPONSE_TYPES,
    HTTP_METHODS,
    INTEGRATION_TYPES,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    PASSTHROUGH_BEHAVIORS,
    ApiKey,
    Authorizer,
    GatewayResponseSpec,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Model,
    RequestValidator,
    RestApi,
    Stage,
    Throttle,
    UsagePlan,
)

if TYPE_CHECKING:
    from emulator.config.cloudformation.loader import TemplateLoad

P = "AWS::ApiGateway::"
_GATEWAY_HEADER = "gatewayresponse.header."


@dataclass
class _Api:
    logical_id: str
    api: RestApi
    body: ImportedApi | None
    stages: dict[str, Stage] = field(default_factory=dict)
    #: (path, method, where) of each Method resource.
    methods: list[tuple[str, Method, Properties]] = field(default_factory=list)


def load_rest_apis(load: TemplateLoad) -> None:
    template = load.template
    apis: dict[str, _Api] = {}
    for resource in template.resources(P + "RestApi"):
        props = _props(template, resource)
        apis[resource.logical_id] = _rest_api(props, resource.logical_id)
    by_id = {api_id(logical): logical for logical in apis}
    roots = {resource_id(api_id(logical), "/"): logical for logical in apis}
    paths = _resource_paths(template, roots)
    named = _named_parts(template, apis, by_id)
    for resource in template.resources(P + "Stage", P + "Deployment"):
        _stage(_props(template, resource), resource, apis, by_id)
    for resource in template.resources(P + "Method"):
        props = _props(template, resource)
        api = _api_of(props, apis, by_id)
        if api is None:
            continue
        place = props.value("ResourceId")
        path = "/" if place in roots else paths.get(str(place))
        if path is None:
            props.error(
                "ResourceId",
                f"ResourceId {place!r} is neither a Resource of the template nor a RootResourceId",
            )
            continue
        method = _method(props, named, load)
        if method is not None:
            api.methods.append((path, method, props))
    for logical, api in apis.items():
        _add(load, logical, api)
    _keys_and_plans(load, template, by_id)


def _props(template: Template, resource: TemplateResource) -> Properties:
    return Properties(template, (*resource.path, "Properties"), resource.properties)


def _api_of(
    props: Properties, apis: dict[str, _Api], by_id: dict[str, str], name: str = "RestApiId"
) -> _Api | None:
    value = props.value(name)
    logical = by_id.get(str(value))
    if logical is None:
        if value is not None:
            props.error(name, f"{name} {value!r} is not a RestApi of the template (write !Ref TheRestApi)")
        else:
            props.error(None, f"missing {name}")
        return None
    return apis[logical]


def _rest_api(props: Properties, logical: str) -> _Api:
    api = RestApi(name=logical, id=api_id(logical), location=props.location())
    body = None
    if "Body" in props:
        document = props.template.field(props.raw["Body"], props.at("Body"))
        body = import_inline(props.template.file, document, api) if document is not None else None
        if body is not None:
            api = body.api
    if "BodyS3Location" in props:
        props.error(
            "BodyS3Location",
            "BodyS3Location is an S3 location, which cannot be read locally",
            "inline the OpenAPI document as Body",
        )
    endpoint = props.mapping("EndpointConfiguration")
    types = endpoint.strings("Types") if endpoint else []
    if types and types[0] not in ENDPOINT_TYPES:
        endpoint_props = endpoint or props
        endpoint_props.error("Types", f"endpoint type must be one of {', '.join(ENDPOINT_TYPES)}")
        types = []
    source = props.text("ApiKeySourceType") or api.api_key_source
    policy = _policy(props)
    api = replace(
        api,
        binary_media_types=tuple(
            dict.fromkeys([*api.binary_media_types, *props.strings("BinaryMediaTypes")])
        ),
        endpoint_type=types[0] if types else api.endpoint_type,
        api_key_source=source if source in ("HEADER", "AUTHORIZER") else api.api_key_source,
        description=props.text("Description") or api.description,
        policy=policy if policy is not None else api.policy,
    )
    props.unsupported(
        ("MinimumCompressionSize", "DisableExecuteApiEndpoint", "Mode"), "the emulator does not execute it"
    )
    return _Api(logical, api, body)


def _resource_paths(template: Template, roots: dict[str, str]) -> dict[str, str]:
    """Each Resource's path, by logical id, following ``ParentId`` up to an API's root."""
    parents: dict[str, tuple[str, str, Properties]] = {}
    for resource in template.resources(P + "Resource"):
        props = _props(template, resource)
        parent = props.value("ParentId")
        part = props.text("PathPart")
        if parent is None or part is None:
            props.error(None, "a Resource needs ParentId and PathPart")
            continue
        parents[resource.logical_id] = (str(parent), part, props)
    paths: dict[str, str] = {}

    def path_of(logical: str, seen: tuple[str, ...]) -> str | None:
        if logical in paths:
            return paths[logical]
        parent, part, props = parents[logical]
        if parent in roots:
            found: str | None = "/" + part
        elif parent in parents and parent not in seen:
            above = path_of(parent, (*seen, logical))
            found = None if above is None else f"{above.rstrip('/')}/{part}"
        else:
            props.error(
                "ParentId", f"ParentId {parent!r} is neither a Resource of the template nor a RootResourceId"
            )
            found = None
        if found is not None:
            paths[logical] = found
        return found

    for logical in parents:
        path_of(logical, ())
    return paths


@dataclass
class _Named:
    """Authorizers and validators by logical id, as the API names them (their ``Name``)."""

    authorizers: dict[str, str] = field(default_factory=dict)
    validators: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)


def _named_parts(template: Template, apis: dict[str, _Api], by_id: dict[str, str]) -> _Named:
    named = _Named()
    for resource in template.resources(
        P + "Authorizer", P + "Model", P + "RequestValidator", P + "GatewayResponse"
    ):
        props = _props(template, resource)
        api = _api_of(props, apis, by_id)
        if api is None:
            continue
        logical = resource.logical_id
        kind = resource.type.removeprefix(P)
        if kind == "Authorizer":
            authorizer = _authorizer(props, props.text("Name") or logical)
            if authorizer is not None:
                named.authorizers[logical] = authorizer.name
                api.api = replace(api.api, authorizers={**api.api.authorizers, authorizer.name: authorizer})
        elif kind == "Model":
            name = props.text("Name") or logical
            schema = props.value("Schema")
            model = Model(
                name,
                props.text("ContentType") or "application/json",
                schema if isinstance(schema, dict) else {},
                location=props.location("Schema" if schema is not None else None),
            )
            named.models[logical] = name
            api.api = replace(api.api, models={**api.api.models, name: model})
        elif kind == "RequestValidator":
            name = props.text("Name") or logical
            validator = RequestValidator(
                name, props.boolean("ValidateRequestBody"), props.boolean("ValidateRequestParameters")
            )
            named.validators[logical] = name
            api.api = replace(api.api, request_validators={**api.api.request_validators, name: validator})
        else:
            response = _gateway_response(props)
            if response is not None:
                responses = {**api.api.gateway_responses, response.response_type: response}
                api.api = replace(api.api, gateway_responses=responses)
    return named


def _authorizer(props: Properties, name: str) -> Authorizer | None:
    kind = props.text("Type")
    if kind not in AUTHORIZER_TYPES:
        props.error("Type", f"an Authorizer's Type is one of {', '.join(AUTHORIZER_TYPES)}")
        return None
    uri = props.text("AuthorizerUri")
    function = None
    if kind != "COGNITO_USER_POOLS":
        function = _function_of(props, "AuthorizerUri", uri)
        if function is None:
            return None
    return Authorizer(
        name,
        kind,
        uri=uri,
        function=function,
        identity_source=props.text("IdentitySource"),
        identity_validation_expression=props.text("IdentityValidationExpression"),
        result_ttl_seconds=props.integer("AuthorizerResultTtlInSeconds", 0, 3600, default=300) or 0,
        provider_arns=tuple(props.strings("ProviderARNs")),
        credentials=props.text("AuthorizerCredentials"),
        location=props.location(),
    )


def _function_of(props: Properties, name: str, uri: str | None) -> str | None:
    if uri is None:
        props.error(name, f"missing {name}")
        return None
    try:
        target = lambda_target(uri)
    except UnresolvedFunction as error:
        props.error(name, str(error))
        return None
    if target is None:
        props.error(name, f"{uri} is not a Lambda function's invocation URI")
        return None
    return target.function


def _gateway_response(props: Properties) -> GatewayResponseSpec | None:
    kind = props.text("ResponseType")
    if kind is None or kind not in GATEWAY_RESPONSE_TYPES:
        props.error("ResponseType", f"unknown gateway response type {kind!r}")
        return None
    parameters = props.mapping("ResponseParameters")
    headers: list[tuple[str, str]] = []
    for name in parameters.names() if parameters else ():
        if name.startswith(_GATEWAY_HEADER):
            headers.append(
                (name.removeprefix(_GATEWAY_HEADER), (parameters.text(name) if parameters else "") or "")
            )
        elif parameters is not None:
            parameters.warn(
                name, f"{name} is not emulated and is ignored: gateway responses map headers only here"
            )
    templates = props.mapping("ResponseTemplates")
    status = props.text("StatusCode")
    return GatewayResponseSpec(
        kind,
        status=int(status) if status is not None and status.isdigit() else None,
        headers=tuple(headers),
        template=templates.text("application/json") if templates else None,
    )


def _stage(
    props: Properties, resource: TemplateResource, apis: dict[str, _Api], by_id: dict[str, str]
) -> None:
    api = _api_of(props, apis, by_id)
    if api is None:
        return
    name = props.text("StageName")
    throttle: Throttle | None = None
    method_throttles: dict[tuple[str, str], Throttle] = {}
    if resource.type == P + "Deployment":
        description = props.mapping("StageDescription")
        variables = description.mapping("Variables") if description else None
        if description is not None:
            description.unsupported(("AccessLogSetting", "TracingEnabled"), "not emulated")
            throttle, method_throttles = read_method_settings(description)
            throttle = stage_throttle(description) or throttle
    else:
        variables = props.mapping("Variables")
        props.unsupported(
            ("AccessLogSetting", "TracingEnabled", "CacheClusterEnabled", "CanarySetting"),
            "the emulator does not execute it",
        )
        throttle, method_throttles = read_method_settings(props)
    if name is None:
        if resource.type == P + "Stage":
            props.error(None, "a Stage needs a StageName")
        return
    values = {key: variables.text(key) or "" for key in variables.names()} if variables else {}
    stage = api.stages.get(name)
    api.stages[name] = Stage(
        name,
        "",
        {**(stage.variables if stage else {}), **values},
        throttle or (stage.throttle if stage else None),
        {**(stage.method_throttles if stage else {}), **method_throttles},
    )


def _method(props: Properties, named: _Named, load: TemplateLoad) -> Method | None:
    verb = (props.text("HttpMethod") or "").upper()
    if verb not in (*HTTP_METHODS, ANY):
        props.error("HttpMethod", f"HttpMethod {verb!r} is not an HTTP method (or ANY)")
        return None
    details = props.mapping("Integration")
    if details is None:
        props.error(None, f"{verb} has no Integration; API Gateway would refuse to deploy it")
        return None
    integration = _integration(details, load)
    if integration is None:
        return None
    authorization = props.text("AuthorizationType") or "NONE"
    if authorization not in AUTHORIZATION_TYPES:
        props.error("AuthorizationType", f"AuthorizationType is one of {', '.join(AUTHORIZATION_TYPES)}")
        authorization = "NONE"
    authorizer = props.value("AuthorizerId")
    validator = props.value("RequestValidatorId")
    models = props.mapping("RequestModels")
    parameters = props.mapping("RequestParameters")
    return Method(
        verb,
        integration,
        location=props.location(),
        authorization_type=authorization,
        authorizer=named.authorizers.get(str(authorizer)) if authorizer is not None else None,
        authorization_scopes=tuple(props.strings("AuthorizationScopes")),
        api_key_required=props.boolean("ApiKeyRequired"),
        request_parameters={name: parameters.boolean(name) for name in parameters.names()}
        if parameters
        else {},
        request_models={
            kind: named.models.get(text, text)
            for kind in (models.names() if models else ())
            if (text := (models.text(kind) if models else None)) is not None
        },
        request_validator=named.validators.get(str(validator)) if validator is not None else None,
        method_responses=_method_responses(props),
        operation_name=props.text("OperationName"),
    )


def _integration(details: Properties, load: TemplateLoad) -> Integration | None:
    kind = (details.text("Type") or "").upper()
    if kind not in INTEGRATION_TYPES:
        details.error("Type", f"Integration Type is one of {', '.join(INTEGRATION_TYPES)}")
        return None
    uri = details.text("Uri")
    function = None
    if kind in ("AWS", "AWS_PROXY") and uri is not None and ":lambda:path/" in uri:
        try:
            target = lambda_target(uri)
        except UnresolvedFunction as error:
            details.error("Uri", str(error))
            return None
        function = target.function if target is not None else None
        if function is not None and not load.has_function(function):
            details.error(
                "Uri", f"the Uri names function '{function}', which is not a function of the template"
            )
            return None
    elif kind != "MOCK" and uri is None:
        details.error(None, f"a {kind} integration needs a Uri")
        return None
    passthrough = details.text("PassthroughBehavior") or "WHEN_NO_MATCH"
    if passthrough not in PASSTHROUGH_BEHAVIORS:
        details.error(
            "PassthroughBehavior", f"PassthroughBehavior is one of {', '.join(PASSTHROUGH_BEHAVIORS)}"
        )
        passthrough = "WHEN_NO_MATCH"
    return Integration(
        type=kind,
        uri=uri,
        function=function,
        http_method=details.text("IntegrationHttpMethod"),
        request_templates=_texts(details.mapping("RequestTemplates")),
        request_parameters=_texts(details.mapping("RequestParameters")),
        passthrough_behavior=passthrough,
        content_handling=details.text("ContentHandling"),
        timeout_ms=details.integer("TimeoutInMillis", MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, default=MAX_TIMEOUT_MS)
        or MAX_TIMEOUT_MS,
        cache_key_parameters=tuple(details.strings("CacheKeyParameters")),
        credentials=details.text("Credentials"),
        responses=_integration_responses(details),
    )


def _texts(props: Properties | None) -> dict[str, str]:
    if props is None:
        return {}
    return {name: text for name in props.names() if (text := props.text(name)) is not None}


def _items(props: Properties, name: str) -> list[Properties]:
    value = props.value(name)
    if value is None:
        return []
    if not isinstance(value, list):
        props.error(name, f"{name} is a list")
        return []
    path = props.at(name)
    return [
        Properties(props.template, (*path, index), item)
        for index, item in enumerate(value)
        if isinstance(item, dict)
    ]


def _integration_responses(details: Properties) -> tuple[IntegrationResponse, ...]:
    responses = []
    for item in _items(details, "IntegrationResponses"):
        status = item.text("StatusCode")
        if status is None:
            item.error(None, "an integration response needs a StatusCode")
            continue
        responses.append(
            IntegrationResponse(
                status,
                selection_pattern=item.text("SelectionPattern") or None,
                response_parameters=_texts(item.mapping("ResponseParameters")),
                response_templates=_texts(item.mapping("ResponseTemplates")),
                content_handling=item.text("ContentHandling"),
            )
        )
    return tuple(responses)


def _method_responses(props: Properties) -> dict[str, MethodResponse]:
    found: dict[str, MethodResponse] = {}
    for item in _items(props, "MethodResponses"):
        status = item.text("StatusCode")
        if status is None:
            item.error(None, "a method response needs a StatusCode")
            continue
        parameters = item.mapping("ResponseParameters")
        found[status] = MethodResponse(
            status,
            {name: parameters.boolean(name) for name in parameters.names()} if parameters else {},
            _texts(item.mapping("ResponseModels")),
        )
    return found


def _add(load: TemplateLoad, logical: str, api: _Api) -> None:
    builder = load.builder
    if not api.stages:
        load.template.warn(
            ("Resources", logical),
            f"RestApi '{logical}' has no Stage (nor a Deployment with a StageName): it is not served",
        )
    builder.add_api(replace(api.api, stages=dict(api.stages)))
    if api.body is not None:
        for pending in load.add_body(logical, api.body, None).values():
            builder.error(
                pending.method.location,
                f"{pending.name} of RestApi '{logical}' has no x-amazon-apigateway-integration; "
                "API Gateway would refuse to deploy it",
            )
    for path, method, props in api.methods:
        builder.add_method(logical, path, load.mocked(method), path_location=props.location("ResourceId"))


def _keys_and_plans(load: TemplateLoad, template: Template, by_id: dict[str, str]) -> None:
    keys: dict[str, str] = {}
    for resource in template.resources(P + "ApiKey"):
        props = _props(template, resource)
        name = props.text("Name") or resource.logical_id
        keys[resource.logical_id] = name
        value = props.text("Value") or stable_id("api-key", name, length=40)
        load.builder.add_api_key(
            ApiKey(name, value, stable_id("api-key-id", name), props.boolean("Enabled"), props.location())
        )
    plans: dict[str, UsagePlan] = {}
    for resource in template.resources(P + "UsagePlan"):
        props = _props(template, resource)
        stages = []
        method_throttles: dict[tuple[str, str, str, str], Throttle] = {}
        for item in _items(props, "ApiStages"):
            api = by_id.get(str(item.value("ApiId")))
            stage = item.text("Stage")
            if api is None or stage is None:
                item.error(None, "an ApiStage needs ApiId (!Ref a RestApi of the template) and Stage")
                continue
            stages.append((api, stage))
            for (path, verb), limits in stage_method_throttles(item).items():
                method_throttles[(api, stage, path, verb)] = limits
        throttle, quota = plan_limits(props)
        plans[resource.logical_id] = UsagePlan(
            props.text("UsagePlanName") or resource.logical_id,
            stable_id("usage-plan", resource.logical_id),
            stages=tuple(stages),
            throttle=throttle,
            quota=quota,
            location=props.location(),
            method_throttles=method_throttles,
        )
    for resource in template.resources(P + "UsagePlanKey"):
        props = _props(template, resource)
        key = keys.get(str(props.value("KeyId")))
        plan_id = str(props.value("UsagePlanId"))
        if key is None or plan_id not in plans:
            props.error(
                None, "a UsagePlanKey needs KeyId (!Ref an ApiKey) and UsagePlanId (!Ref a UsagePlan)"
            )
            continue
        plans[plan_id] = replace(plans[plan_id], keys=(*plans[plan_id].keys, key))
    for plan in plans.values():
        load.builder.add_usage_plan(plan)


def _policy(props: Properties) -> dict[str, object] | None:
    """``Policy``: a JSON policy document, as an object or its text (CloudFormation takes either)."""
    value = props.value("Policy")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            props.error("Policy", f"Policy is not a JSON policy document: {exc}")
            return None
    if not isinstance(value, dict):
        props.error("Policy", "Policy must be a policy document (a JSON object)")
        return None
    problem = policy_problem(value)
    if problem is not None:
        props.error("Policy", problem)
        return None
    return value
