"""Loading a SAM or CloudFormation template into the model, through the builder like every loader.

One loader for both: a SAM template may hold plain CloudFormation resources, and a CloudFormation
template is a SAM template without SAM's resource types. In order: the template is read and its
values made resolvable (``template``); layers and functions are read; then each API with its
methods: SAM's APIs and events (``emulator.config.sam``), CloudFormation's RestApi trees
(``apigateway``). Every error and warning names the template path and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from emulator.config.builder import DefinitionsBuilder, answered_by_mock
from emulator.config.cloudformation.apigateway import load_rest_apis
from emulator.config.cloudformation.code import inline_source, local_folder
from emulator.config.cloudformation.document import read_template
from emulator.config.cloudformation.functions import local_layers, read_function
from emulator.config.cloudformation.properties import Properties
from emulator.config.cloudformation.template import Template
from emulator.config.errors import ConfigError
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.nodes import did_you_mean, one_of
from emulator.config.openapi.imported import ImportedApi, Operation
from emulator.config.sam.apis import IMPLICIT_API, SamApi, read_api
from emulator.config.sam.events import ApiEvent, event_method, read_events
from emulator.config.sam.globals import with_globals
from emulator.config.stage_functions import stage_function_warnings
from emulator.model import CorsConfig, Definitions, Function, Location, Method

SAM_FUNCTION = "AWS::Serverless::Function"
SAM_API = "AWS::Serverless::Api"
SAM_HTTP_API = "AWS::Serverless::HttpApi"
LAMBDA_FUNCTION = "AWS::Lambda::Function"


@dataclass
class TemplateLoad:
    """One load on its way: the template, the builder, and the functions found so far."""

    template: Template
    builder: DefinitionsBuilder
    options: LoadOptions
    base: Path
    importable: dict[str, Function] = field(default_factory=dict)

    def has_function(self, name: str) -> bool:
        """Whether the template defines the function (or ``serve --mock`` stands in for it)."""
        return self.builder.has_function(name) or name in self.options.mocks

    def mocked(self, method: Method) -> Method:
        return answered_by_mock(method, self.options.mocks.get(method.integration.function or ""))

    def add_body(
        self, api: str, body: ImportedApi, cors: CorsConfig | None
    ) -> dict[tuple[str, str], Operation]:
        """Add an OpenAPI body's integrated operations; return those waiting for an integration."""
        return _body_operations(self, api, body, cors)


def load_template(path: Path, options: LoadOptions) -> Loaded:
    document, errors = read_template(path)
    if document is None:
        return Loaded(Definitions(sources=(path,)), errors, {})
    template = Template(document, options.parameter_overrides, implicit={IMPLICIT_API: SAM_API})
    template.errors.extend(errors)
    builder = DefinitionsBuilder()
    builder.add_source(path)
    load = TemplateLoad(template, builder, options, (options.code_dir or path.parent).resolve())
    events = _functions(load)
    _check_mocks(load)
    for resource in template.resources(SAM_HTTP_API):
        template.warn(
            resource.path,
            f"{SAM_HTTP_API} '{resource.logical_id}' is not served: apig-emu emulates REST APIs "
            f"({SAM_API}, AWS::ApiGateway::RestApi), not HTTP APIs",
        )
    _sam_apis(load, events)
    load_rest_apis(load)
    definitions = builder.build()
    return Loaded(
        definitions,
        [*template.errors, *builder.errors],
        load.importable,
        [*template.warnings, *builder.warnings, *stage_function_warnings(definitions)],
    )


def _functions(load: TemplateLoad) -> list[ApiEvent]:
    template = load.template
    layers = local_layers(template, load.base)
    events: list[ApiEvent] = []
    for resource in template.resources(SAM_FUNCTION, LAMBDA_FUNCTION):
        logical = resource.logical_id
        if resource.type == SAM_FUNCTION:
            props = with_globals(template, resource, "Function")
            if "InlineCode" in props:
                code = inline_source(props.value("InlineCode"), props, "InlineCode")
            elif "CodeUri" in props:
                code = local_folder(props, "CodeUri", load.base)
            else:
                code = load.base
            events.extend(read_events(props, logical))
        else:
            props = Properties(template, (*resource.path, "Properties"), resource.properties)
            code = _lambda_code(props, load.base)
        if logical in load.options.mocks:
            continue  # never imported: the backend may not exist yet
        function = read_function(props, logical, code, layers)
        load.builder.add_function(logical, props.location(), function)
        if function is not None:
            load.importable[logical] = function
    return events


def _lambda_code(props: Properties, base: Path) -> Path | None:
    """``Code``: a local folder (as ``aws cloudformation package`` takes it) or inline ``ZipFile`` source."""
    if isinstance(props.raw.get("Code"), str):
        return local_folder(props, "Code", base)
    code = props.mapping("Code")
    if code is None:
        props.error(None, "a Lambda function needs Code: a folder, or ZipFile with its source")
        return None
    if "ZipFile" in code:
        return inline_source(code.value("ZipFile"), code, "ZipFile")
    code.error(
        None,
        "Code in S3 or a container image cannot be read locally",
        "write Code: ./folder-of-the-code (as aws cloudformation package takes it), or ZipFile with the source",
    )
    return None


def _check_mocks(load: TemplateLoad) -> None:
    known = [resource.logical_id for resource in load.template.resources(SAM_FUNCTION, LAMBDA_FUNCTION)]
    for name in load.options.mocks:
        if name not in known:
            load.builder.error(
                Location(f"--mock {name}=..."),
                f"no function '{name}'{did_you_mean(name, known)}; the functions are: {one_of(known) or '(none)'}",
            )


def _sam_apis(load: TemplateLoad, events: list[ApiEvent]) -> None:
    template = load.template
    apis: dict[str, SamApi] = {}
    for resource in template.resources(SAM_API):
        props = with_globals(template, resource, "Api")
        apis[resource.logical_id] = read_api(props, resource.logical_id, load.base)
    if any(event.api == IMPLICIT_API for event in events) and IMPLICIT_API not in apis:
        apis[IMPLICIT_API] = read_api(
            with_globals(template, None, "Api"), IMPLICIT_API, load.base, implicit=True
        )
    methods: dict[str, list[tuple[ApiEvent, Method]]] = {name: [] for name in apis}
    for event in events:
        api = apis.get(event.api)
        if api is None:
            event.props.error(
                "RestApiId",
                f"RestApiId names '{event.api}', which is not an {SAM_API} of the template"
                f"{did_you_mean(event.api, list(apis))}",
            )
            continue
        methods[event.api].append(
            (event, answered_by_mock(event_method(event, api), load.options.mocks.get(event.function)))
        )
    shared: list[SamApi] = []
    for name, api in apis.items():
        load.builder.add_api(api.api)
        for source in api.sources:
            load.builder.add_source(source)
        pending = _body_operations(load, name, api.body, api.cors)
        for event, method in methods[name]:
            operation = pending.pop((event.path, event.verb), None)
            if operation is not None:
                method = replace(operation.method, integration=method.integration, location=method.location)
            load.builder.add_method(
                name, event.path, method, path_location=event.props.location("Path"), cors=api.cors
            )
        for operation in pending.values():
            load.builder.error(
                operation.method.location,
                f"{operation.name} of api '{name}' has no x-amazon-apigateway-integration and no event of a "
                "function integrates it; API Gateway would refuse to deploy it",
            )
        for authorizer, function, spec in api.authorizer_functions:
            if not load.builder.has_function(function) and function not in load.options.mocks:
                spec.error(
                    "FunctionArn",
                    f"authorizer '{authorizer}' names function '{function}', which is not "
                    "a function of the template",
                )
        if api.api_key is not None and api.usage_plan is not None:
            if api.shared_plan:
                shared.append(api)
            else:
                load.builder.add_api_key(api.api_key)
                load.builder.add_usage_plan(api.usage_plan)
    if shared:
        # SHARED: one plan and one key for every API that asks for it.
        first = shared[0]
        assert first.api_key is not None and first.usage_plan is not None
        load.builder.add_api_key(first.api_key)
        load.builder.add_usage_plan(
            replace(first.usage_plan, stages=tuple((api.logical_id, api.stage) for api in shared))
        )


def _body_operations(
    load: TemplateLoad, api: str, body: ImportedApi | None, cors: CorsConfig | None
) -> dict[tuple[str, str], Operation]:
    """Add the document's integrated operations; return those still waiting for an event's integration."""
    if body is None:
        return {}
    builder = load.builder
    builder.errors.extend(body.errors)
    builder.warnings.extend(body.warnings)
    pending: dict[tuple[str, str], Operation] = {}
    for reference in body.functions:
        _check_function(load, reference.function, reference.user, reference.location)
    for operation in body.operations:
        if not operation.integrated:
            pending[(operation.path, operation.method.http_method)] = operation
            continue
        if all(_check_function(load, ref.function, ref.user, ref.location) for ref in operation.functions):
            method = answered_by_mock(
                operation.method, load.options.mocks.get(operation.method.integration.function or "")
            )
            builder.add_method(api, operation.path, method, path_location=operation.path_location, cors=cors)
    return pending


def _check_function(load: TemplateLoad, function: str, user: str, location: Location) -> bool:
    if load.builder.has_function(function) or function in load.options.mocks:
        return True
    known = load.builder.function_names()
    load.builder.errors.append(
        ConfigError(
            location,
            f"{user} names the Lambda function '{function}', which is not a function of the template"
            f"{did_you_mean(function, known)}",
        )
    )
    return False
