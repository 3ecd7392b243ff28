"""The round trip of the export: a config's APIs exported as OpenAPI, then bound back through ``openapi:``.

What a user does with an export before deploying it: ``apig-emu export --format openapi`` writes each
document, and a YAML file binds it (``apis.<name>.openapi``) to the same functions and stages, with no
triggers or mocks, since the document holds every method they compiled to. ``as_exported`` is what the
README promises the export keeps and changes; ``comparable`` leaves out what no definition decides
(where things were read, the ids AWS assigns on deployment).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import yaml

from emulator.cli import main
from emulator.config import load, rules
from emulator.export.openapi import DEFAULT_MODELS
from emulator.export.schemas import openapi_schema
from emulator.model import (
    DEFAULT_CONCURRENCY,
    EDGE,
    Definitions,
    Integration,
    IntegrationResponse,
    Location,
    Method,
    MethodResponse,
    Model,
    RestApi,
    Stage,
    UsagePlan,
)
from emulator.templates import DEFAULT_CONTENT_TYPE, literal_template

_WORD = re.compile(r"[A-Za-z0-9]+")
#: The region and account of a Lambda invocation URI, and those ``export`` writes without options.
_LAMBDA_ACCOUNT = re.compile(
    r"^(arn:aws:apigateway:)[a-z0-9-]+(:lambda:path/[^/]+/functions/arn:aws:lambda:)[a-z0-9-]+:\d{12}:"
)
_FUNCTION_NAME = re.compile(r"(:function:)([^:/]+)")
_REGION = "us-east-1"
_ACCOUNT_ID = "123456789012"


def exported_binding(config: Path, code_dir: Path, folder: Path) -> Path:
    """Export each API of ``config`` into ``folder`` and write the YAML that binds them back; its path."""
    definitions = load(config, code_dir=code_dir).definitions
    apis: dict[str, object] = {}
    for name, api in definitions.apis.items():
        document = folder / f"{name}.openapi.yaml"
        arguments = ["export", "--format", "openapi", "--api", name, "--output", str(document)]
        with contextlib.redirect_stderr(io.StringIO()):
            assert main([*arguments, "--config", str(config), "--code-dir", str(code_dir)]) == 0
        apis[name] = binding(api, document.name)
    written = folder / "apig.yaml"
    document = {"apis": apis, "functions": functions(definitions), **keys_and_plans(definitions)}
    written.write_text(yaml.safe_dump(document, sort_keys=False))
    return written


def _plan_method_throttles(plan: UsagePlan, api: str, stage: str) -> dict[str, object]:
    throttles = {
        f"{verb} {path}": {"rate": throttle.rate, "burst": throttle.burst}
        for (api_name, stage_name, path, verb), throttle in plan.method_throttles.items()
        if (api_name, stage_name) == (api, stage)
    }
    return {"method_throttle": throttles} if throttles else {}


def keys_and_plans(definitions: Definitions) -> dict[str, object]:
    """``api_keys:`` and ``usage_plans:``, which an OpenAPI document does not hold: the binding keeps them."""
    written: dict[str, object] = {}
    if definitions.api_keys:
        written["api_keys"] = {
            key.name: {"value": key.value, "enabled": key.enabled} for key in definitions.api_keys.values()
        }
    if definitions.usage_plans:
        written["usage_plans"] = {
            plan.name: {
                "stages": [
                    {"api": api, "stage": stage, **_plan_method_throttles(plan, api, stage)}
                    for api, stage in plan.stages
                ],
                "keys": list(plan.keys),
                **(
                    {"throttle": {"rate": plan.throttle.rate, "burst": plan.throttle.burst}}
                    if plan.throttle
                    else {}
                ),
                **(
                    {
                        "quota": {
                            "limit": plan.quota.limit,
                            "period": plan.quota.period,
                            "offset": plan.quota.offset,
                        }
                    }
                    if plan.quota
                    else {}
                ),
            }
            for plan in definitions.usage_plans.values()
        }
    return written


def sam_binding(config: Path, code_dir: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """Export the only API of ``config`` as a SAM template into ``folder``, and bind it back as a SAM
    importer would: the ``DefinitionBody`` as the document, the ``AWS::Serverless::Function``s as the
    functions (named by their logical ids, as ``Fn::Sub`` names them), the stage and its variables.
    The binding's path, and each function's logical id by its name in ``config``."""
    template_path = folder / "template.yaml"
    arguments = ["export", "--format", "sam", "--output", str(template_path)]
    with contextlib.redirect_stderr(io.StringIO()):
        assert main([*arguments, "--config", str(config), "--code-dir", str(code_dir)]) == 0
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    apis: dict[str, object] = {}
    written: dict[str, object] = {}
    for logical_id, resource in template["Resources"].items():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::Serverless::Api":
            document = folder / f"{logical_id}.openapi.yaml"
            document.write_text(
                yaml.safe_dump(properties["DefinitionBody"], sort_keys=False), encoding="utf-8"
            )
            apis[properties["Name"]] = {
                "openapi": document.name,
                "endpoint_type": properties["EndpointConfiguration"]["Type"],
                "stages": {properties["StageName"]: {"variables": properties.get("Variables", {})}},
            }
        elif resource["Type"] == "AWS::Serverless::Function":
            assert (folder / properties["CodeUri"]).resolve() == code_dir.resolve()
            written[logical_id] = {
                "handler": properties["Handler"],
                "timeout": properties["Timeout"],
                "memory": properties["MemorySize"],
                "environment": properties.get("Environment", {}).get("Variables", {}),
            }
    binding_path = folder / "apig.yaml"
    binding_path.write_text(yaml.safe_dump({"apis": apis, "functions": written}, sort_keys=False))
    names = load(config, code_dir=code_dir).definitions.functions
    return binding_path, {name: _logical_id(name) for name in names if _logical_id(name) in written}


def _logical_id(name: str) -> str:
    """The SAM export's logical id of a function: ``get-pet`` -> ``GetPetFunction``; a name that ends in
    ``Function`` already (one read from SAM) keeps it once."""
    base = "".join(word[:1].upper() + word[1:] for word in _WORD.findall(name))
    return base if base.endswith("Function") else base + "Function"


def binding(api: RestApi, document: str) -> dict[str, object]:
    """``apis.<name>`` binding ``document``: what belongs to the api's import request and stages."""
    bound: dict[str, object] = {"id": api.id, "openapi": document}
    if api.endpoint_type != EDGE:
        bound["endpoint_type"] = api.endpoint_type
    bound["stages"] = {stage.name: _stage(stage) for stage in api.stages.values()}
    return bound


def _stage(stage: Stage) -> dict[str, object]:
    """A stage's settings: its variables and throttling, which live on the stage, not in the document."""
    entry: dict[str, object] = {"variables": dict(stage.variables)}
    if stage.throttle is not None:
        entry["throttle"] = {"rate": stage.throttle.rate, "burst": stage.throttle.burst}
    if stage.method_throttles:
        entry["method_throttle"] = {
            f"{verb} {path}": {"rate": throttle.rate, "burst": throttle.burst}
            for (path, verb), throttle in stage.method_throttles.items()
        }
    return entry


def functions(definitions: Definitions) -> dict[str, object]:
    """``functions:`` with every setting of the definitions' functions, and no triggers."""
    written: dict[str, object] = {}
    for name, function in definitions.functions.items():
        entry: dict[str, object] = {
            "handler": function.handler,
            "timeout": function.timeout,
            "memory": function.memory,
        }
        if function.environment:
            entry["environment"] = dict(function.environment)
        if function.concurrency != DEFAULT_CONCURRENCY:
            entry["concurrency"] = function.concurrency
        written[name] = entry
    return written


def as_exported(api: RestApi, renamed: Mapping[str, str] | None = None) -> RestApi:
    """``api`` as the README says its export brings it back: every method named and declaring a
    response and its path's variables, AWS's default models where named, Lambda URIs in the account and
    region exported to (the defaults), and mocks as AWS stores them (no delay, no name, a body file's
    current text as the template). ``renamed``: the functions' names in the export (a SAM template's
    logical ids)."""
    renamed = renamed or {}
    resources = {
        path: replace(
            resource,
            methods={verb: _method(path, method, renamed) for verb, method in resource.methods.items()},
        )
        for path, resource in api.resources.items()
    }
    named = {
        model
        for _, method in api.methods()
        for model in [
            *method.request_models.values(),
            *(
                name
                for response in method.method_responses.values()
                for name in response.response_models.values()
            ),
        ]
    }
    models = dict(api.models)
    for name in sorted(named - set(models)):
        if name in DEFAULT_MODELS:
            models[name] = Model(name, schema=DEFAULT_MODELS[name])
    authorizers = {
        name: replace(
            authorizer,
            uri=_exported_uri(authorizer.uri, renamed),
            function=renamed.get(authorizer.function or "", authorizer.function),
        )
        for name, authorizer in api.authorizers.items()
    }
    return replace(api, resources=resources, models=models, authorizers=authorizers)


def _exported_uri(uri: str | None, renamed: Mapping[str, str]) -> str | None:
    """A Lambda invocation URI in the region and account ``export`` names by default, its function renamed."""
    if uri is None:
        return None
    uri = _FUNCTION_NAME.sub(lambda found: found[1] + renamed.get(found[2], found[2]), uri)
    return _LAMBDA_ACCOUNT.sub(rf"\g<1>{_REGION}\g<2>{_REGION}:{_ACCOUNT_ID}:", uri)


def _method(path: str, method: Method, renamed: Mapping[str, str]) -> Method:
    parameters = dict(method.request_parameters)
    for segment in rules.segments(path):
        if rules.is_variable(segment):
            parameters[f"method.request.path.{segment[1:-1].rstrip('+')}"] = True
    words = _WORD.findall(path) or ["root"]
    made_name = method.http_method.lower() + "".join(word[:1].upper() + word[1:] for word in words)
    return replace(
        method,
        operation_name=method.operation_name or made_name,
        request_parameters=parameters,
        method_responses=method.method_responses or {"200": MethodResponse("200")},
        integration=_integration(method.integration, renamed),
    )


def _integration(integration: Integration, renamed: Mapping[str, str]) -> Integration:
    return replace(
        integration,
        uri=_exported_uri(integration.uri, renamed),
        function=renamed.get(integration.function or "", integration.function),
        latency_ms=0,
        mock_name=None,
        name=None,
        responses=tuple(_response(response) for response in integration.responses),
    )


def _response(response: IntegrationResponse) -> IntegrationResponse:
    if response.body_file is None:
        return response
    text = response.body_file.read_text(encoding="utf-8")
    content_types = response.response_templates or [DEFAULT_CONTENT_TYPE]
    templates = {content_type: literal_template(text) for content_type in content_types}
    return replace(response, body_file=None, response_templates=templates)


def comparable(api: RestApi) -> dict[str, object]:
    """``api`` as plain data, without what no definition decides: where each part was read (``Location``s
    and the fields the model leaves out of equality, such as where each template was), the
    deployment's id, the resources' ids and the resources without methods (both follow from the
    paths), and models in JSON Schema's spellings that OpenAPI 3.0 writes another way."""
    plain = _plain(api)
    assert isinstance(plain, dict)
    plain["resources"] = {
        path: _plain(dict(resource.methods)) for path, resource in api.resources.items() if resource.methods
    }
    plain["stages"] = {name: dict(stage.variables) for name, stage in api.stages.items()}
    plain["models"] = {
        name: (model.content_type, openapi_schema(model.schema, [])) for name, model in api.models.items()
    }
    return plain


def _plain(value: object) -> object:
    if isinstance(value, Location):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            # compare=False: where a part was read (template_locations), which no definition decides.
            if field.compare
            and not isinstance(getattr(value, field.name), Location)
            and field.name != "handler_location"
        }
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
