"""``provider``: the runtime, stage, region, environment and function defaults, and the REST API's settings.

Serverless deploys one stage of one REST API per service, named ``<stage>-<service>`` (or
``provider.apiName``), with the settings of ``provider.apiGateway``. A provider key that only matters
to an AWS account (``iam``, ``vpc``, ``deploymentBucket``, ``tags``…) is not read; one that changes what
the API does and the model cannot hold is warned about, with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.config import rules
from emulator.config.nodes import one_of
from emulator.config.policies import policy_problem
from emulator.config.serverless.values import At, Values
from emulator.model import API_KEY_SOURCES, EDGE, ENDPOINT_TYPES, Model

#: Serverless's own defaults for a function, which differ from Lambda's (3 seconds, 128 MB).
DEFAULT_TIMEOUT = 6.0
DEFAULT_MEMORY = 1024

_API_GATEWAY_KEYS = (
    "apiKeys",
    "apiKeySourceType",
    "binaryMediaTypes",
    "description",
    "disableDefaultEndpoint",
    "metrics",
    "minimumCompressionSize",
    "request",
    "resourcePolicy",
    "restApiId",
    "restApiResources",
    "restApiRootResourceId",
    "shouldStartNameWithService",
    "stage",
    "timeoutInMillis",
    "usagePlan",
    "websocketApiId",
)
#: Settings of the REST API the emulator does not apply, and what a request meets instead.
_NOT_EMULATED = {
    "minimumCompressionSize": "responses are not compressed",
    "disableDefaultEndpoint": "the API is served at its usual local URL all the same",
    "timeoutInMillis": "each integration waits API Gateway's 29 seconds",
}
#: Serverless v2's places for settings v3 reads under ``provider.apiGateway``.
_V2_KEYS = ("apiKeys", "usagePlan", "resourcePolicy")


@dataclass
class Provider:
    """What ``provider`` says, resolved, with Serverless's defaults filled in."""

    service: str
    stage: str
    region: str
    runtime: str | None = None
    runtime_at: At | None = None
    environment: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    api_name: str = ""
    endpoint_type: str = EDGE
    binary_media_types: tuple[str, ...] = ()
    api_key_source: str = "HEADER"
    description: str | None = None
    policy: dict[str, object] | None = None
    #: ``provider.apiGateway.request.schemas``: models an http event may name by their key.
    models: dict[str, Model] = field(default_factory=dict)
    #: ``provider.apiGateway.apiKeys`` and ``usagePlan``, read with the API (``keys.py``).
    api_keys_at: At | None = None
    usage_plan_at: At | None = None


def read_provider(values: Values, at: At | None, service: str) -> Provider:
    resolver = values.resolver
    stage = resolver.stage()
    provider = Provider(service, stage, resolver.region())
    provider.api_name = f"{stage}-{service}"
    if at is None:
        return provider
    keys = values.entries(at)
    if keys is None:
        return provider
    if "name" in keys:
        name = values.string(keys["name"])
        if name is not None and name != "aws":
            values.error(
                keys["name"], f"provider '{name}' is not AWS; apig-emu emulates AWS API Gateway only"
            )
    if "runtime" in keys:
        provider.runtime = values.string(keys["runtime"])
        provider.runtime_at = keys["runtime"]
    if "environment" in keys:
        provider.environment = read_environment(values, keys["environment"])
    if "timeout" in keys:
        provider.timeout = values.number(keys["timeout"], 1, 900) or DEFAULT_TIMEOUT
    if "memorySize" in keys:
        provider.memory = values.integer(keys["memorySize"], 128, 10240) or DEFAULT_MEMORY
    if "endpointType" in keys:
        endpoint = values.string(keys["endpointType"])
        if endpoint is not None and endpoint.upper() in ENDPOINT_TYPES:
            provider.endpoint_type = endpoint.upper()
        elif endpoint is not None:
            values.error(
                keys["endpointType"],
                f"unknown endpointType '{endpoint}'; expected one of {one_of(ENDPOINT_TYPES)}",
            )
    for key in _V2_KEYS:
        if key in keys:
            values.warn(
                keys[key],
                f"provider.{key} is Serverless v2's place for it, which v3 does not read; it is ignored",
                f"move it under provider.apiGateway.{key}",
            )
    gateway = (
        values.keys(keys["apiGateway"], _API_GATEWAY_KEYS, what="provider.apiGateway")
        if "apiGateway" in keys
        else {}
    )
    gateway = gateway or {}
    start_with_service = (
        "shouldStartNameWithService" in gateway
        and values.boolean(gateway["shouldStartNameWithService"]) is True
    )
    if "apiName" in keys:
        provider.api_name = values.string(keys["apiName"]) or provider.api_name
    elif start_with_service:
        provider.api_name = f"{service}-{stage}"
    _read_api_gateway(values, gateway, provider)
    return provider


def _read_api_gateway(values: Values, keys: dict[str, At], provider: Provider) -> None:
    if "binaryMediaTypes" in keys:
        types = []
        for item in values.items(keys["binaryMediaTypes"]) or []:
            media_type = values.string(item)
            if media_type is None:
                continue
            problem = rules.media_type_problem(media_type)
            if problem is not None:
                values.error(item, problem)
                continue
            types.append(media_type)
        provider.binary_media_types = tuple(types)
    if "apiKeySourceType" in keys:
        source = values.string(keys["apiKeySourceType"])
        if source is not None and source.upper() in API_KEY_SOURCES:
            provider.api_key_source = source.upper()
        elif source is not None:
            values.error(
                keys["apiKeySourceType"],
                f"unknown apiKeySourceType '{source}'; expected one of {one_of(API_KEY_SOURCES)}",
            )
    if "description" in keys:
        provider.description = values.string(keys["description"])
    if "resourcePolicy" in keys:
        statements = values.plain(keys["resourcePolicy"])
        if isinstance(statements, list):
            policy: dict[str, object] = {"Version": "2012-10-17", "Statement": statements}
            problem = policy_problem(policy)
            if problem is None:
                provider.policy = policy
            else:
                values.error(keys["resourcePolicy"], problem)
        elif statements is not None:
            values.error(keys["resourcePolicy"], "expected a list of IAM policy statements")
    if "request" in keys:
        request = values.keys(keys["request"], ("schemas",), what="provider.apiGateway.request") or {}
        if "schemas" in request:
            provider.models = read_provider_models(values, request["schemas"])
    if "restApiId" in keys:
        values.warn(
            keys["restApiId"],
            "restApiId attaches the http events to a REST API deployed elsewhere, whose other resources apig-emu "
            "cannot know; the events are served as an API of their own",
        )
    for key, effect in _NOT_EMULATED.items():
        if key in keys:
            values.warn(keys[key], f"provider.apiGateway.{key} is not emulated: {effect}")
    provider.api_keys_at = keys.get("apiKeys")
    provider.usage_plan_at = keys.get("usagePlan")


def read_provider_models(values: Values, at: At) -> dict[str, Model]:
    """``provider.apiGateway.request.schemas``: each a JSON schema, or ``{name, description, schema}``."""
    models: dict[str, Model] = {}
    for key, entry in (values.entries(at) or {}).items():
        settings = values.entries(entry) if isinstance(values.plain(entry), dict) else None
        name = f"ApiGatewayModel{model_name_part(key)}"
        schema_at = entry
        if settings is not None and "schema" in settings:
            if "name" in settings:
                name = values.string(settings["name"]) or name
            schema_at = settings["schema"]
        schema = values.plain(schema_at)
        if not isinstance(schema, dict):
            values.error(schema_at, "expected a JSON schema (a mapping)")
            continue
        models[key] = Model(name, "application/json", schema, values.location(entry))
    return models


def read_environment(values: Values, at: At) -> dict[str, str]:
    """Variables by name: text, numbers and booleans as Lambda stores them; a CloudFormation value warned about."""
    environment: dict[str, str] = {}
    for name, item in (values.entries(at) or {}).items():
        problem = rules.environment_name_problem(name)
        if problem is not None:
            values.error(item, problem)
            continue
        resolved = values.value(item)
        if resolved is None:
            continue
        if isinstance(resolved.value, (dict, list)) or not isinstance(
            resolved.value, (str, int, float, bool)
        ):
            if resolved.value is None:
                continue  # Serverless leaves a null variable out
            plain = values.plain(item)
            values.warn(
                item,
                f"environment variable {name} is {plain!r}, which CloudFormation resolves when it deploys; it is "
                "left unset locally",
                f"give it a local value, e.g. ${{env:{name}, 'local-value'}}",
            )
            continue
        text = values.text(item)
        if text is not None:
            environment[name] = text
    return environment


def model_name_part(text: str) -> str:
    """A name's part as Serverless writes it into CloudFormation's logical ids: letters and digits, each word capitalised."""
    words = [word for word in "".join(c if c.isalnum() else " " for c in text).split() if word]
    return "".join(word[0].upper() + word[1:] for word in words)
