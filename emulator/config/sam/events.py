"""A SAM function's ``Events`` of type ``Api``: each a Lambda proxy method on its API, as SAM deploys it.

``Path``, ``Method`` (``any`` is ``ANY``), ``RestApiId`` (the implicit ``ServerlessRestApi`` without
it), ``Auth`` (an authorizer by name, ``NONE``, ``AWS_IAM``, ``ApiKeyRequired``, scopes; the API's
``DefaultAuthorizer`` otherwise), ``RequestParameters`` and ``RequestModel`` with the validator SAM
creates for them. ``HttpApi`` events are named in a warning: HTTP APIs are not emulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from emulator.account import lambda_arn
from emulator.config import rules
from emulator.config.builder import lambda_method
from emulator.config.cloudformation.properties import Properties
from emulator.config.policies import policy_problem
from emulator.config.sam import resource_policy
from emulator.config.sam.apis import IMPLICIT_API, SamApi
from emulator.model import ANY, HTTP_METHODS, MAX_TIMEOUT_MS, Method, RequestValidator

#: SAM's names for the validators it creates for ``RequestModel`` and ``RequestParameters``.
_VALIDATORS = {
    (True, True): "body-and-params",
    (True, False): "body-only",
    (False, True): "params-only",
}


@dataclass(frozen=True)
class ApiEvent:
    function: str
    name: str
    api: str
    path: str
    verb: str
    props: Properties


def read_events(props: Properties, function: str) -> list[ApiEvent]:
    """The function's ``Api`` events; other kinds are for other services and are left to them."""
    events = props.mapping("Events")
    found: list[ApiEvent] = []
    for name, event in events.entries() if events else ():
        kind = event.text("Type")
        if kind == "HttpApi":
            event.warn(
                "Type",
                f"HttpApi event '{name}' of function '{function}' is not served: apig-emu emulates REST APIs "
                "(Type: Api), not HTTP APIs",
            )
            continue
        if kind != "Api":
            continue
        details = event.mapping("Properties")
        if details is None:
            event.error(None, f"Api event '{name}' needs Properties with Path and Method")
            continue
        path = details.text("Path")
        verb = (details.text("Method") or "").upper()
        if path is None or not verb:
            details.error(None, f"Api event '{name}' needs a Path and a Method")
            continue
        problem = rules.resource_path_problem(path)
        if problem is not None:
            details.error("Path", problem)
            continue
        if verb not in (*HTTP_METHODS, ANY):
            details.error("Method", f"Method '{verb.lower()}' is not an HTTP method (or any)")
            continue
        api = IMPLICIT_API
        if "RestApiId" in details:
            api = _api_name(details)
        found.append(ApiEvent(function, name, api, path, verb, details))
    return found


def _api_name(details: Properties) -> str:
    """The logical id ``RestApiId`` names: written ``!Ref MyApi``, which resolves to the api's id."""
    raw = details.raw["RestApiId"]
    if isinstance(raw, dict) and isinstance(raw.get("Ref"), str):
        return str(raw["Ref"])
    return details.text("RestApiId") or IMPLICIT_API


def event_method(event: ApiEvent, api: SamApi, timeout_ms: int = MAX_TIMEOUT_MS) -> Method:
    """The proxy method SAM deploys for the event, with its authorization, parameters and model."""
    details = event.props
    location = details.location()
    method = lambda_method(
        event.verb,
        event.function,
        proxy=True,
        timeout_ms=timeout_ms,
        location=location,
        function_arn=lambda_arn(event.function),
    )
    auth = details.mapping("Auth")
    authorizer = (auth.text("Authorizer") if auth else None) or api.default_authorizer
    if event.verb == "OPTIONS" and not api.cors_preflight_authorized and not (auth and "Authorizer" in auth):
        authorizer = None
    authorization = "NONE"
    scopes: tuple[str, ...] = ()
    if authorizer == "AWS_IAM":
        authorization, authorizer = "AWS_IAM", None
    elif authorizer == "NONE":
        authorizer = None
    elif authorizer is not None:
        declared = api.api.authorizers.get(authorizer)
        if declared is None:
            where = auth if auth is not None and "Authorizer" in auth else None
            message = (
                f"event '{event.name}' of function '{event.function}' uses authorizer '{authorizer}', which api "
                f"'{api.logical_id}' does not declare ({', '.join(sorted(api.api.authorizers)) or 'none'})"
            )
            (where or details).error("Authorizer" if where else None, message)
            authorizer = None
        else:
            authorization = "COGNITO_USER_POOLS" if declared.type == "COGNITO_USER_POOLS" else "CUSTOM"
            if auth is not None and "AuthorizationScopes" in auth:
                scopes = tuple(auth.strings("AuthorizationScopes"))
            else:
                scopes = _authorizer_scopes(api, authorizer)
    api_key = auth.boolean("ApiKeyRequired", api.api_key_required) if auth else api.api_key_required
    if auth is not None:
        auth.unsupported(("InvokeRole",), "IAM invoke roles are not used locally")
    _resource_policy(event, api, auth)
    parameters = _request_parameters(details)
    models, body_validated, params_validated = _request_model(details, api)
    params_validated = params_validated or any(parameters.values())
    validator = _VALIDATORS.get((body_validated, params_validated))
    if validator is not None:
        api.api = replace(
            api.api,
            request_validators={
                **api.api.request_validators,
                validator: RequestValidator(validator, body_validated, params_validated),
            },
        )
    return replace(
        method,
        authorization_type=authorization,
        authorizer=authorizer,
        authorization_scopes=scopes,
        api_key_required=api_key,
        request_parameters=parameters,
        request_models=models,
        request_validator=validator,
    )


def _resource_policy(event: ApiEvent, api: SamApi, auth: Properties | None) -> None:
    """The API's and the event's ``Auth.ResourcePolicy``, as SAM writes them into the API's policy."""
    resource = resource_policy.method_resource(api.stage, event.verb, event.path)
    for spec, where in (
        (api.resource_policy, api.props.mapping("Auth")),
        (auth and auth.value("ResourcePolicy"), auth),
    ):
        if spec is None or where is None:
            continue
        try:
            added = resource_policy.statements(spec, resource) + resource_policy.custom_statements(spec)
        except resource_policy.ShorthandError as error:
            where.error("ResourcePolicy", str(error))
            continue
        policy = resource_policy.merged(api.api.policy, added)
        problem = policy_problem(policy)
        if problem is not None:
            where.error("ResourcePolicy", problem)
            continue
        api.api = replace(api.api, policy=policy)


def _authorizer_scopes(api: SamApi, name: str) -> tuple[str, ...]:
    auth = api.props.mapping("Auth")
    declared = auth.mapping("Authorizers") if auth else None
    spec = declared.mapping(name) if declared else None
    return tuple(spec.strings("AuthorizationScopes")) if spec is not None else ()


def _request_parameters(details: Properties) -> dict[str, bool]:
    """``[method.request.header.X]`` or ``[{method.request.querystring.y: {Required: true}}]``."""
    value = details.value("RequestParameters")
    if value is None:
        return {}
    items = value if isinstance(value, list) else [value]
    found: dict[str, bool] = {}
    for item in items:
        entries: Mapping[str, object] = item if isinstance(item, dict) else {str(item): {}}
        for name, settings in entries.items():
            if not name.startswith(
                ("method.request.header.", "method.request.querystring.", "method.request.path.")
            ):
                details.error(
                    "RequestParameters",
                    f"request parameter '{name}' must start with method.request.header., "
                    "method.request.querystring. or method.request.path.",
                )
                continue
            required = settings.get("Required", False) if isinstance(settings, dict) else False
            found[name] = required is True or str(required).lower() == "true"
    return found


def _request_model(details: Properties, api: SamApi) -> tuple[dict[str, str], bool, bool]:
    model = details.mapping("RequestModel")
    if model is None:
        return {}, False, False
    name = model.text("Model")
    if name is None:
        model.error(None, "RequestModel needs a Model (one of the api's Models)")
        return {}, False, False
    if name not in api.api.models:
        model.error(
            "Model",
            f"model '{name}' is not one of api '{api.logical_id}''s Models "
            f"({', '.join(sorted(api.api.models)) or 'none'})",
        )
        return {}, False, False
    required = model.boolean("Required")
    body = model.boolean("ValidateBody", required)
    parameters = model.boolean("ValidateParameters", required)
    return {"application/json": name}, body, parameters
