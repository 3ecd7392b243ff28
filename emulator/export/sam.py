"""One API of the model as a SAM template that deploys it with its functions: ``sam deploy`` and done.

The API is an ``AWS::Serverless::Api`` whose ``DefinitionBody`` is the OpenAPI document of
``export.openapi``, with each Lambda URI written as ``Fn::Sub`` over the function's ``Arn``, so the
template needs no account or region. Each function the API invokes (integrations and authorizers) is
an ``AWS::Serverless::Function`` whose ``CodeUri`` is its code directory, as Lambda's code root, and
API Gateway gets an ``AWS::Lambda::Permission`` to invoke it: with a ``DefinitionBody`` SAM adds no
permissions of its own. The usage plans that cover the deployed stage come along with their API keys.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from emulator.config.lambda_uris import LambdaFunction, Target, function_arn, invocation_uri, invoked_function
from emulator.export.notes import Notes
from emulator.export.openapi import OPENAPI_VERSION, openapi_document
from emulator.model import AWS, AWS_PROXY, DEFAULT_CONCURRENCY, Definitions, Function, RestApi, Stage

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
#: The runtime for the Python that runs the export, which is the one the handlers were tested with.
DEFAULT_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
#: What SAM and CloudFormation name a stage that the API declares none of.
DEFAULT_STAGE_NAME = "Prod"

_WORD = re.compile(r"[A-Za-z0-9]+")
#: Where CloudFormation fills in the stack's region, account and partition.
_STACK = {"region": "${AWS::Region}", "partition": "${AWS::Partition}"}


def sam_template(
    api: RestApi,
    definitions: Definitions,
    *,
    stage: Stage | None,
    target: Target,
    notes: Notes,
    template_dir: Path,
    runtime: str | None = None,
) -> dict[str, object]:
    """The template; ``template_dir`` is where it will be written, which ``CodeUri``s are relative to.

    ``runtime`` is every function's; by default each function's own, else the Python running the export.
    """
    taken: set[str] = set()
    api_id = _logical_id(api.name, "Api", taken)
    used = _functions_used(api, definitions, notes)
    function_ids = {name: _logical_id(name, "Function", taken) for name in used}

    def lambda_uri(function: LambdaFunction) -> object:
        logical_id = None if function.is_dynamic else function_ids.get(function.name)
        if logical_id is None:
            arn = function_arn(_escaped(function.qualified), account_id="${AWS::AccountId}", **_STACK)
        else:
            arn = f"${{{logical_id}.Arn}}" + (
                f":{_escaped(function.qualifier)}" if function.qualifier else ""
            )
        return {"Fn::Sub": invocation_uri(arn, api_version=function.api_version, **_STACK)}

    stage_name = stage.name if stage is not None else DEFAULT_STAGE_NAME
    body = openapi_document(
        api, stages=[stage] if stage else [], target=target, notes=notes, lambda_uri=lambda_uri
    )
    # The stack's API gets an id and URL of its own; the emulator's would only mislead.
    body.pop("servers", None)
    resources: dict[str, object] = {api_id: _api_resource(api, stage, stage_name, body)}
    runtimes = {name: runtime or function.runtime or DEFAULT_RUNTIME for name, function in used.items()}
    layers = _layers(used.values(), template_dir, runtimes, taken)
    resources.update({logical: resource for logical, (_, resource) in layers.items()})
    for name, function in used.items():
        own_roots = {_layer_root(path) for path in function.layer_paths}
        layer_ids = [logical for logical, (root, _) in layers.items() if root in own_roots]
        resources[function_ids[name]] = _function_resource(
            function, template_dir, runtimes[name], notes, layer_ids
        )
        resources[_logical_id(name, "Permission", taken)] = _permission(function_ids[name], api_id)
    resources.update(_usage_plans(api, definitions, api_id, stage_name, taken, notes))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": SAM_TRANSFORM,
        "Description": f"API '{api.name}' and its functions, exported by apig-emu",
        "Resources": resources,
        "Outputs": {
            f"{api_id}Url": {
                "Description": f"The URL of stage {stage_name} of API '{api.name}'",
                "Value": {
                    "Fn::Sub": f"https://${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage_name}/"
                },
            }
        },
    }


def _functions_used(api: RestApi, definitions: Definitions, notes: Notes) -> dict[str, Function]:
    """The local functions the API invokes, in the order its methods and authorizers name them."""
    used: dict[str, Function] = {}
    for where, named in _named_functions(api):
        if named.is_dynamic:
            notes.add(
                where,
                f"invokes {named.qualified}, chosen by a stage variable: the template names it by ARN and "
                "grants API Gateway nothing on it; give the functions it may name a FunctionName and a permission",
            )
            continue
        function = definitions.functions.get(named.name)
        if function is None:
            notes.add(
                where, f"invokes '{named.name}', which is not defined here: the template names it by ARN"
            )
            continue
        if named.qualifier is not None:
            notes.add(
                where,
                f"invokes '{named.qualified}': the template points at that version or alias and grants API "
                "Gateway the function only; create the alias (e.g. AutoPublishAlias) and grant it too",
            )
        used.setdefault(named.name, function)
    return used


def _named_functions(api: RestApi) -> Iterator[tuple[str, LambdaFunction]]:
    for resource, method in api.methods():
        integration = method.integration
        if integration.type not in (AWS, AWS_PROXY):
            continue
        named = invoked_function(integration.uri, integration.function)
        if named is not None:
            yield f"{method.http_method} {resource.path}", named
    for name, authorizer in api.authorizers.items():
        named = invoked_function(authorizer.uri, authorizer.function)
        if named is not None:
            yield f"authorizer '{name}'", named


def _api_resource(
    api: RestApi, stage: Stage | None, stage_name: str, body: dict[str, object]
) -> dict[str, object]:
    properties: dict[str, object] = {"Name": api.name, "StageName": stage_name}
    if api.description:
        properties["Description"] = api.description
    if stage is not None and stage.variables:
        properties["Variables"] = dict(stage.variables)
    if stage is not None and (stage.throttle is not None or stage.method_throttles):
        properties["MethodSettings"] = _method_settings(stage)
    properties["EndpointConfiguration"] = {"Type": api.endpoint_type}
    if api.binary_media_types:
        # SAM's own escaping: it turns "~1" back into "/" (a "/" would be read as a path in its patch).
        properties["BinaryMediaTypes"] = [
            media_type.replace("/", "~1") for media_type in api.binary_media_types
        ]
    # Without it, SAM adds a stage named "Stage" beside StageName.
    properties["OpenApiVersion"] = OPENAPI_VERSION
    properties["DefinitionBody"] = body
    return {"Type": "AWS::Serverless::Api", "Properties": properties}


def _method_settings(stage: Stage) -> list[dict[str, object]]:
    """The stage's throttling as CloudFormation writes it: ``/*`` ``*`` for the default, ``~1`` for slashes."""
    settings = [("/*", "*", stage.throttle)] if stage.throttle is not None else []
    for (path, verb), throttle in stage.method_throttles.items():
        settings.append(("/" if path == "/" else "/" + path.replace("/", "~1"), verb, throttle))
    return [
        {
            "ResourcePath": path,
            "HttpMethod": verb,
            "ThrottlingRateLimit": throttle.rate,
            "ThrottlingBurstLimit": throttle.burst,
        }
        for path, verb, throttle in settings
    ]


def _function_resource(
    function: Function, template_dir: Path, runtime: str, notes: Notes, layer_ids: list[str]
) -> dict[str, object]:
    where = f"function '{function.name}'"
    timeout = math.ceil(function.timeout)
    if timeout != function.timeout:
        notes.add(
            where, f"timeout {function.timeout} s is written as {timeout} s: Lambda counts whole seconds"
        )
    properties: dict[str, object] = {
        "Handler": function.handler,
        "CodeUri": _code_uri(function.code_dir, template_dir),
        "Runtime": runtime,
        "Timeout": timeout,
        "MemorySize": function.memory,
    }
    if function.environment:
        properties["Environment"] = {"Variables": dict(function.environment)}
    if function.concurrency != DEFAULT_CONCURRENCY:
        properties["ReservedConcurrentExecutions"] = function.concurrency
    if layer_ids:
        properties["Layers"] = [{"Ref": logical} for logical in layer_ids]
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _layer_root(path: Path) -> Path:
    """The folder a layer's zip is made of: the one holding ``python/`` (Lambda's ``/opt/python``)."""
    for parent in (path, *path.parents):
        if parent.name == "python":
            return parent.parent
    return path


def _layers(
    functions: Iterable[Function], template_dir: Path, runtimes: Mapping[str, str], taken: set[str]
) -> dict[str, tuple[Path, dict[str, object]]]:
    """A ``LayerVersion`` for each layer folder the functions have, by logical id, compatible with
    the runtimes of the functions that use it."""
    roots: dict[Path, set[str]] = {}
    for function in functions:
        for path in function.layer_paths:
            roots.setdefault(_layer_root(path), set()).add(runtimes[function.name])
    layers: dict[str, tuple[Path, dict[str, object]]] = {}
    for root, compatible in roots.items():
        logical = _logical_id(root.name, "Layer", taken)
        layers[logical] = (
            root,
            {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {
                    "ContentUri": _code_uri(root, template_dir),
                    "CompatibleRuntimes": sorted(compatible),
                },
            },
        )
    return layers


def _permission(function_id: str, api_id: str) -> dict[str, object]:
    """API Gateway may invoke the function for any stage, method and authorizer of this API, and no other."""
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": function_id},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*"
            },
        },
    }


def _usage_plans(
    api: RestApi, definitions: Definitions, api_id: str, stage_name: str, taken: set[str], notes: Notes
) -> dict[str, object]:
    """The usage plans that cover the deployed stage, with their API keys, as API Gateway's own resources."""
    resources: dict[str, object] = {}
    key_ids: dict[str, str] = {}
    for plan in definitions.usage_plans.values():
        where = f"usage plan '{plan.name}'"
        covered = [
            (api_name, stage)
            for api_name, stage in plan.stages
            if (api_name, stage) != (api.name, stage_name)
        ]
        if len(covered) == len(plan.stages):
            continue
        if covered:
            others = ", ".join(f"{api_name} {stage}" for api_name, stage in covered)
            notes.add(
                where,
                f"covers stage {stage_name} of api '{api.name}' only here; its other stages ({others}) "
                "are not in this template",
            )
        plan_id = _logical_id(plan.name, "UsagePlan", taken)
        # SAM's name for the stage it creates from StageName.
        api_stage: dict[str, object] = {"ApiId": {"Ref": api_id}, "Stage": {"Ref": f"{api_id}.Stage"}}
        method_throttles = {
            f"{path}/{verb}": {"RateLimit": throttle.rate, "BurstLimit": throttle.burst}
            for (api_name, stage, path, verb), throttle in plan.method_throttles.items()
            if (api_name, stage) == (api.name, stage_name)
        }
        if method_throttles:
            api_stage["Throttle"] = method_throttles
        properties: dict[str, object] = {"UsagePlanName": plan.name, "ApiStages": [api_stage]}
        if plan.throttle is not None:
            properties["Throttle"] = {"RateLimit": plan.throttle.rate, "BurstLimit": plan.throttle.burst}
        if plan.quota is not None:
            quota = plan.quota
            properties["Quota"] = {"Limit": quota.limit, "Period": quota.period, "Offset": quota.offset}
        resources[plan_id] = {"Type": "AWS::ApiGateway::UsagePlan", "Properties": properties}
        for key_name in plan.keys:
            key = definitions.api_keys.get(key_name)
            if key is None:
                notes.add(where, f"names API key '{key_name}', which is not defined; left out")
                continue
            if key_name not in key_ids:
                key_ids[key_name] = _logical_id(key_name, "ApiKey", taken)
                resources[key_ids[key_name]] = {
                    "Type": "AWS::ApiGateway::ApiKey",
                    "Properties": {"Name": key.name, "Enabled": key.enabled},
                }
                # A key that works locally should not become a known key in production.
                notes.add(
                    f"api key '{key_name}'",
                    "its value is not exported: AWS generates one (give the ApiKey a Value to choose it)",
                )
            resources[_logical_id(f"{plan.name} {key_name}", "UsagePlanKey", taken)] = {
                "Type": "AWS::ApiGateway::UsagePlanKey",
                "Properties": {
                    "KeyId": {"Ref": key_ids[key_name]},
                    "KeyType": "API_KEY",
                    "UsagePlanId": {"Ref": plan_id},
                },
            }
    return resources


def _code_uri(code_dir: Path, template_dir: Path) -> str:
    """The code directory relative to the template, as SAM resolves ``CodeUri``; absolute across drives."""
    try:
        return Path(os.path.relpath(code_dir.resolve(), template_dir.resolve())).as_posix()
    except ValueError:
        return code_dir.resolve().as_posix()


def _logical_id(name: str, kind: str, taken: set[str]) -> str:
    """A CloudFormation logical id (letters and digits only) from a name: ``get-pet`` -> ``GetPetFunction``.

    A name that already ends in the kind keeps it once, so a template read from SAM (``HelloFunction``)
    is exported with its own logical ids and reads back with the same function names.
    """
    base = "".join(word[:1].upper() + word[1:] for word in _WORD.findall(name))
    base = base if base.endswith(kind) else base + kind
    chosen, number = base, 1
    while chosen in taken:
        number += 1
        chosen = f"{base}{number}"
    taken.add(chosen)
    return chosen


def _escaped(text: str) -> str:
    """Text for ``Fn::Sub`` that it leaves as it is: ``${stageVariables.x}`` is API Gateway's, not CloudFormation's."""
    return text.replace("${", "${!")
