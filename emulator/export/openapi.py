"""One API of the model as an OpenAPI 3.0 document with API Gateway's extensions, as its export writes one.

Everything the model holds goes out under AWS's names and values (reference section 8), so that API
Gateway's import, and ours, rebuild the same API: the methods the YAML's conveniences compiled (Lambda
triggers, mocks, the CORS preflights) are plain methods by then and go out as such. What AWS cannot
store (a mock's delay, a body read from a file on every request) is written the nearest way AWS can
and reported in ``notes``.

Where OpenAPI and AWS pull apart, the document follows OpenAPI so that its validators accept it:
every path variable is declared (``proxy+`` as the path spells it), and a method without method
responses declares a bare 200, which API Gateway's console creates for such methods anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from emulator.config import rules
from emulator.config.lambda_uris import LambdaFunction, Target, invoked_function
from emulator.export.notes import Notes
from emulator.export.schemas import SCHEMAS_REF, openapi_schema
from emulator.model import (
    ANY,
    EDGE,
    METHOD_RESPONSE_HEADER,
    Authorizer,
    Definitions,
    IntegrationResponse,
    Method,
    Resource,
    RestApi,
    Stage,
)
from emulator.templates import DEFAULT_CONTENT_TYPE, literal_template

OPENAPI_VERSION = "3.0.1"
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"

#: The models API Gateway creates with every API, which methods may name without defining them.
DEFAULT_MODELS: Mapping[str, Mapping[str, object]] = {
    "Empty": {"title": "Empty Schema", "type": "object"},
    "Error": {"title": "Error Schema", "type": "object", "properties": {"message": {"type": "string"}}},
}
#: The security schemes API Gateway's import reads as "API key required" and as IAM authorization.
API_KEY_SCHEME: Mapping[str, object] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
SIGV4_SCHEME: Mapping[str, object] = {
    "type": "apiKey",
    "name": "Authorization",
    "in": "header",
    "x-amazon-apigateway-authtype": "awsSigv4",
}

_PARAMETER_PLACES = {"path": "path", "querystring": "query", "header": "header"}
_REQUEST_PARAMETER = "method.request."
_HEADER_SOURCE = "method.request.header."
_WORD = re.compile(r"[A-Za-z0-9]+")

#: How a Lambda function is named in a URI: a full ARN here, ``Fn::Sub`` in a SAM template.
LambdaUri = Callable[[LambdaFunction], object]


def export_openapi(
    api: RestApi, definitions: Definitions, *, stages: Sequence[Stage], target: Target, notes: Notes
) -> dict[str, object]:
    """The document ``apig-emu export --format openapi`` writes: one server per stage in ``stages``.

    What belongs to the API's stages and account rather than to its definition (stage variables, usage
    plans and API keys) has no place in the document, as in AWS's own export; the SAM template has it.
    """
    for stage in stages:
        if stage.variables:
            notes.add(
                f"stage {stage.name}",
                f"its variables ({', '.join(stage.variables)}) are not part of an OpenAPI document: "
                "set them on the stage (the SAM export has them)",
            )
    for plan in definitions.usage_plans.values():
        if any(api_name == api.name for api_name, _ in plan.stages):
            notes.add(
                f"usage plan '{plan.name}'",
                "usage plans and their API keys are not part of an OpenAPI document (the SAM export has them)",
            )
    if api.endpoint_type != EDGE:
        # AWS's import reads the type from its request, never from the document (its
        # x-amazon-apigateway-endpoint-configuration holds only VPC endpoints and the default endpoint's switch).
        notes.add(
            f"api '{api.name}'",
            f"the endpoint type {api.endpoint_type} is not part of an OpenAPI document; import it with "
            f"`aws apigateway import-rest-api --parameters endpointConfigurationTypes={api.endpoint_type}` "
            f"(apig-emu: `endpoint_type: {api.endpoint_type}` beside `openapi:`)",
        )
    return openapi_document(api, stages=stages, target=target, notes=notes)


def openapi_document(
    api: RestApi,
    *,
    stages: Sequence[Stage],
    target: Target,
    notes: Notes,
    lambda_uri: LambdaUri | None = None,
) -> dict[str, object]:
    """``api`` as an OpenAPI 3.0 document; ``lambda_uri`` names Lambda functions (default: ``target``'s ARNs)."""
    return _Writer(api, target, notes, lambda_uri or target.invocation_uri).document(stages)


class _Writer:
    """One document's writing: it collects the models and security schemes the operations refer to."""

    def __init__(self, api: RestApi, target: Target, notes: Notes, lambda_uri: LambdaUri) -> None:
        self.api = api
        self.target = target
        self.notes = notes
        self.lambda_uri = lambda_uri
        self.models: set[str] = set()
        self.operation_ids: set[str] = set()
        #: The API key's and IAM's schemes, by kind; each authorizer's scheme is named after it.
        self.schemes = _scheme_names(api)
        self.schemes_used: set[str] = set()

    def document(self, stages: Sequence[Stage]) -> dict[str, object]:
        api = self.api
        paths = {
            resource.path: self.path_item(resource)
            for resource in sorted(api.resources.values(), key=lambda resource: resource.path)
            if resource.methods
        }
        info: dict[str, object] = {"title": api.name}
        if api.description:
            info["description"] = api.description
        # AWS writes the deployment's date; the deployment's id is as stable and says the same.
        info["version"] = stages[0].deployment_id if stages and stages[0].deployment_id else "1.0"
        document: dict[str, object] = {"openapi": OPENAPI_VERSION, "info": info}
        if stages:
            document["servers"] = [self.server(stage) for stage in stages]
        document["paths"] = paths
        components: dict[str, object] = {}
        schemas = self.schemas()
        if schemas:
            components["schemas"] = schemas
        schemes = self.security_schemes()
        if schemes:
            components["securitySchemes"] = schemes
        if components:
            document["components"] = components
        document.update(self.api_extensions())
        return document

    def server(self, stage: Stage) -> dict[str, object]:
        return {
            "url": f"https://{self.api.id}.execute-api.{self.target.region}.{self.target.dns_suffix}/{{basePath}}",
            "variables": {"basePath": {"default": stage.name}},
        }

    def api_extensions(self) -> dict[str, object]:
        api = self.api
        extensions: dict[str, object] = {}
        if api.binary_media_types:
            extensions["x-amazon-apigateway-binary-media-types"] = list(api.binary_media_types)
        if api.gateway_responses:
            extensions["x-amazon-apigateway-gateway-responses"] = {
                response_type: _gateway_response(spec.status, spec.headers, spec.template)
                for response_type, spec in api.gateway_responses.items()
            }
        if api.request_validators:
            extensions["x-amazon-apigateway-request-validators"] = {
                name: {
                    "validateRequestBody": validator.validate_request_body,
                    "validateRequestParameters": validator.validate_request_parameters,
                }
                for name, validator in api.request_validators.items()
            }
        extensions["x-amazon-apigateway-api-key-source"] = api.api_key_source
        if api.policy is not None:
            extensions["x-amazon-apigateway-policy"] = dict(api.policy)
        return extensions

    def path_item(self, resource: Resource) -> dict[str, object]:
        return {
            ANY_METHOD if verb == ANY else verb.lower(): self.operation(resource, method)
            for verb, method in resource.methods.items()
        }

    def operation(self, resource: Resource, method: Method) -> dict[str, object]:
        where = f"{method.http_method} {resource.path}"
        operation: dict[str, object] = {"operationId": self.operation_id(resource.path, method, where)}
        parameters = self.parameters(resource.path, method, where)
        if parameters:
            operation["parameters"] = parameters
        if method.request_models:
            operation["requestBody"] = {
                "content": {
                    content_type: {"schema": self.model_ref(model)}
                    for content_type, model in method.request_models.items()
                },
                "required": True,
            }
        operation["responses"] = self.responses(method, where)
        security = self.security(method, where)
        if security:
            operation["security"] = security
        if method.request_validator is not None:
            operation["x-amazon-apigateway-request-validator"] = method.request_validator
        operation[INTEGRATION] = self.integration(method, where)
        return operation

    def operation_id(self, path: str, method: Method, where: str) -> str:
        """The method's operation name, else one made of its verb and path (``getItemsId``), unique in the document."""
        base = method.operation_name or _made_operation_id(method.http_method, path)
        chosen, number = base, 1
        while chosen in self.operation_ids:
            number += 1
            chosen = f"{base}{number}"
        if method.operation_name is not None and chosen != base:
            self.notes.add(
                where, f"operation name '{base}' is taken by another method; written as '{chosen}'"
            )
        self.operation_ids.add(chosen)
        return chosen

    def parameters(self, path: str, method: Method, where: str) -> list[dict[str, object]]:
        declared = dict(method.request_parameters)
        parameters: list[dict[str, object]] = []
        for segment in rules.segments(path):
            if rules.is_variable(segment):
                name = segment[1:-1]
                declared.pop(f"{_REQUEST_PARAMETER}path.{name.rstrip('+')}", None)
                parameters.append(_parameter(name, "path", required=True))
        for key, required in declared.items():
            place, _, name = key[len(_REQUEST_PARAMETER) :].partition(".")
            where_in = _PARAMETER_PLACES.get(place) if key.startswith(_REQUEST_PARAMETER) else None
            if where_in is None or not name:
                self.notes.add(where, f"request parameter '{key}' has no OpenAPI equivalent; left out")
            elif where_in == "path":
                self.notes.add(where, f"request parameter '{key}' names no variable of the path; left out")
            else:
                parameters.append(_parameter(name, where_in, required=required))
        return parameters

    def responses(self, method: Method, where: str) -> dict[str, object]:
        if not method.method_responses:
            # OpenAPI requires one response; a method response no integration response selects changes nothing.
            return {"200": {"description": "200 response"}}
        responses: dict[str, object] = {}
        for status in sorted(method.method_responses):
            declared = method.method_responses[status]
            response: dict[str, object] = {"description": f"{status} response"}
            headers: dict[str, object] = {}
            for key, required in declared.response_parameters.items():
                if not key.startswith(METHOD_RESPONSE_HEADER):
                    self.notes.add(where, f"method response {status}'s '{key}' is not a header; left out")
                    continue
                header: dict[str, object] = {"schema": {"type": "string"}}
                if required:
                    header["required"] = True
                headers[key[len(METHOD_RESPONSE_HEADER) :]] = header
            if headers:
                response["headers"] = headers
            if declared.response_models:
                response["content"] = {
                    content_type: {"schema": self.model_ref(model)}
                    for content_type, model in declared.response_models.items()
                }
            responses[status] = response
        return responses

    def security(self, method: Method, where: str) -> list[dict[str, list[str]]]:
        requirement: dict[str, list[str]] = {}
        kind = method.authorization_type
        if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
            if method.authorizer is not None and method.authorizer in self.api.authorizers:
                requirement[method.authorizer] = list(method.authorization_scopes)
            else:
                self.notes.add(
                    where,
                    f"{kind} authorization names no authorizer of the API ({method.authorizer!r}); left out",
                )
        elif kind == "AWS_IAM":
            requirement[self.use_scheme("sigv4")] = []
        if method.api_key_required:
            requirement[self.use_scheme("api_key")] = []
        return [requirement] if requirement else []

    def use_scheme(self, kind: str) -> str:
        self.schemes_used.add(kind)
        return self.schemes[kind]

    def integration(self, method: Method, where: str) -> dict[str, object]:
        integration = method.integration
        written: dict[str, object] = {"type": integration.type.lower()}
        uri = self.uri(integration.uri, integration.function)
        if uri is not None:
            written["uri"] = uri
        if integration.http_method is not None:
            written["httpMethod"] = integration.http_method
        if integration.credentials is not None:
            written["credentials"] = integration.credentials
        if integration.request_parameters:
            written["requestParameters"] = dict(integration.request_parameters)
        if integration.request_templates:
            written["requestTemplates"] = dict(integration.request_templates)
        written["passthroughBehavior"] = integration.passthrough_behavior.lower()
        if integration.content_handling is not None:
            written["contentHandling"] = integration.content_handling
        written["timeoutInMillis"] = integration.timeout_ms
        if integration.cache_key_parameters:
            written["cacheKeyParameters"] = list(integration.cache_key_parameters)
        if integration.responses:
            written["responses"] = {
                response.selection_pattern or "default": self.integration_response(response, where)
                for response in integration.responses
            }
        if integration.latency_ms:
            self.notes.add(
                where,
                f"latency_ms {integration.latency_ms} of {integration.describe()} is left out: "
                "the delay is the emulator's own, AWS's MOCK answers at once",
            )
        return written

    def integration_response(self, response: IntegrationResponse, where: str) -> dict[str, object]:
        written: dict[str, object] = {"statusCode": response.status}
        if response.response_parameters:
            written["responseParameters"] = dict(response.response_parameters)
        templates = dict(response.response_templates)
        if response.body_file is not None:
            templates = self.body_file_templates(response, templates, where)
        if templates:
            written["responseTemplates"] = templates
        if response.content_handling is not None:
            written["contentHandling"] = response.content_handling
        return written

    def body_file_templates(
        self, response: IntegrationResponse, templates: dict[str, str], where: str
    ) -> dict[str, str]:
        """A body read from a file on every request, as AWS can store it: the file's text now, as a template
        that renders to exactly that text."""
        path = response.body_file
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notes.add(
                where, f"body_file {path} cannot be read ({exc}); its response template is left empty"
            )
            return templates
        self.notes.add(
            where,
            f"body_file {path} is written as its current contents: AWS stores text, "
            "so later edits to the file need another export",
        )
        return {content_type: literal_template(text) for content_type in templates or [DEFAULT_CONTENT_TYPE]}

    def uri(self, uri: str | None, function: str | None) -> object:
        named = invoked_function(uri, function)
        return uri if named is None else self.lambda_uri(named)

    def model_ref(self, name: str) -> dict[str, str]:
        self.models.add(name)
        return {"$ref": SCHEMAS_REF + name}

    def schemas(self) -> dict[str, object]:
        schemas: dict[str, object] = {}
        for name, model in self.api.models.items():
            problems: list[str] = []
            schemas[name] = openapi_schema(model.schema, problems)
            for problem in problems:
                self.notes.add(f"model '{name}'", problem)
        wanted = set(self.models) | set(_refs(schemas))
        for name in sorted(wanted - set(schemas)):
            if name in DEFAULT_MODELS:
                schemas[name] = dict(DEFAULT_MODELS[name])
            else:
                self.notes.add(
                    f"model '{name}'", "is referred to but not defined; written as an empty schema"
                )
                schemas[name] = {}
        return schemas

    def security_schemes(self) -> dict[str, object]:
        schemes: dict[str, object] = {
            name: self.authorizer_scheme(authorizer) for name, authorizer in self.api.authorizers.items()
        }
        if "sigv4" in self.schemes_used:
            schemes[self.schemes["sigv4"]] = dict(SIGV4_SCHEME)
        if "api_key" in self.schemes_used:
            schemes[self.schemes["api_key"]] = dict(API_KEY_SCHEME)
        return schemes

    def authorizer_scheme(self, authorizer: Authorizer) -> dict[str, object]:
        extension: dict[str, object] = {"type": authorizer.type.lower()}
        uri = self.uri(authorizer.uri, authorizer.function)
        if uri is not None:
            extension["authorizerUri"] = uri
        if authorizer.credentials is not None:
            extension["authorizerCredentials"] = authorizer.credentials
        if authorizer.type != "COGNITO_USER_POOLS":
            extension["authorizerResultTtlInSeconds"] = authorizer.result_ttl_seconds
        if authorizer.identity_source is not None:
            extension["identitySource"] = authorizer.identity_source
        if authorizer.identity_validation_expression is not None:
            extension["identityValidationExpression"] = authorizer.identity_validation_expression
        if authorizer.provider_arns:
            extension["providerARNs"] = list(authorizer.provider_arns)
        cognito = authorizer.type == "COGNITO_USER_POOLS"
        return {
            "type": "apiKey",
            "name": _authorizer_header(authorizer),
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools" if cognito else "custom",
            "x-amazon-apigateway-authorizer": extension,
        }


def _scheme_names(api: RestApi) -> dict[str, str]:
    """The API key's and IAM's scheme names, by kind: names no authorizer has."""
    names: dict[str, str] = {}
    for kind in ("api_key", "sigv4"):
        chosen, number = kind, 1
        while chosen in api.authorizers:
            number += 1
            chosen = f"{kind}{number}"
        names[kind] = chosen
    return names


def _authorizer_header(authorizer: Authorizer) -> str:
    """The header a TOKEN or Cognito authorizer reads; a REQUEST one reads several places, named in its extension."""
    source = authorizer.identity_source or ""
    if authorizer.type != "REQUEST" and source.startswith(_HEADER_SOURCE) and "," not in source:
        return source[len(_HEADER_SOURCE) :]
    return "Authorization" if authorizer.type != "REQUEST" else "Unused"


def _parameter(name: str, where_in: str, *, required: bool) -> dict[str, object]:
    return {"name": name, "in": where_in, "required": required, "schema": {"type": "string"}}


def _made_operation_id(verb: str, path: str) -> str:
    words = _WORD.findall(path) or ["root"]
    return verb.lower() + "".join(word[:1].upper() + word[1:] for word in words)


def _gateway_response(
    status: int | None, headers: tuple[tuple[str, str], ...], template: str | None
) -> dict[str, object]:
    written: dict[str, object] = {}
    if status is not None:
        written["statusCode"] = str(status)
    if headers:
        written["responseParameters"] = {f"gatewayresponse.header.{name}": value for name, value in headers}
    if template is not None:
        written["responseTemplates"] = {DEFAULT_CONTENT_TYPE: template}
    return written


def _refs(value: object) -> Iterator[str]:
    """The model names a converted schema refers to."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(SCHEMAS_REF):
                yield item[len(SCHEMAS_REF) :]
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
