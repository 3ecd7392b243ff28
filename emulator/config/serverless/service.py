"""Loading a serverless.yml into the model, through the builder, every problem reported at once with its line.

The file is read into items, its variables resolved as each setting is read (``--stage`` is
``${opt:stage}``), then: the provider's settings, the functions, and each function's http events as
the methods of one REST API, ``<stage>-<service>``, deployed to the one stage, with the preflights of
the paths that ask for CORS, the authorizers and models the events name, the API keys and usage
plans. Handlers are imported from the service's folder (Serverless packages it as each function's
code) unless ``code_dir`` says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from emulator.config import rules
from emulator.config.builder import DefinitionsBuilder, MockAnswer, answered_by_mock
from emulator.config.loaded import Loaded
from emulator.config.nodes import did_you_mean, one_of, where
from emulator.config.serverless.cors import Cors, preflight
from emulator.config.serverless.dotenv import dotenv_file, read_dotenv
from emulator.config.serverless.events import HttpEvent, Service, read_http_event
from emulator.config.serverless.files import read_items
from emulator.config.serverless.functions import (
    ServiceFunction,
    deployed_name,
    function_entries,
    read_function,
)
from emulator.config.serverless.items import Item
from emulator.config.serverless.keys import read_keys
from emulator.config.serverless.offline import read_offline, read_plugins
from emulator.config.serverless.provider import Provider, read_provider
from emulator.config.serverless.report import Report
from emulator.config.serverless.values import At, Values
from emulator.config.serverless.variables import Inputs, Resolver
from emulator.config.stage_functions import stage_function_warnings
from emulator.ids import stable_id
from emulator.model import Authorizer, Function, Location, Method, RequestValidator, RestApi, Stage


def load_serverless(
    path: str | Path,
    *,
    code_dir: str | Path | None = None,
    mocks: Mapping[str, MockAnswer] | None = None,
    stage: str | None = None,
    options: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Loaded:
    """Read a serverless.yml, collecting every problem rather than the first.

    ``code_dir`` is where handler paths start (default: the file's folder); ``mocks`` answer the named
    functions' methods instead; ``stage`` and ``options`` are the command line's ``--stage`` and other
    options, as ``${opt:...}`` reads them; ``environ`` is what ``${env:...}`` reads (default: this
    process's environment).
    """
    file = Path(path)
    report = Report()
    builder = DefinitionsBuilder()
    builder.add_source(file)
    root = read_items(file, report)
    if root is None:
        return Loaded(builder.build(), report.errors, {}, report.warnings)
    service_dir = file.parent.resolve()
    environment: Mapping[str, str] = os.environ if environ is None else environ
    inputs = Inputs(service_dir, stage, dict(options or {}), environment)
    if _uses_dotenv(root):
        # The file is chosen by the stage, resolved as Serverless resolves it before loading the file.
        chosen = dotenv_file(service_dir, Resolver(root, inputs, Report()).stage())
        if chosen is not None:
            builder.add_source(chosen)
            inputs = replace(inputs, environ={**read_dotenv(chosen, report), **environment})
    resolver = Resolver(root, inputs, report)
    values = Values(resolver, report)
    loading = _Loading(
        values, builder, Path(code_dir).resolve() if code_dir is not None else service_dir, mocks or {}
    )
    importable = loading.load(At(root, ""))
    for extra in resolver.files:
        builder.add_source(extra)
    definitions = builder.build()
    errors = [*report.errors, *builder.errors]
    warnings = [*report.warnings, *builder.warnings, *stage_function_warnings(definitions)]
    return Loaded(definitions, errors, importable, warnings)


class _Loading:
    def __init__(
        self, values: Values, builder: DefinitionsBuilder, code_dir: Path, mocks: Mapping[str, MockAnswer]
    ) -> None:
        self.values = values
        self.builder = builder
        self.code_dir = code_dir
        self.mocks = mocks

    def load(self, root: At) -> dict[str, Function]:
        values = self.values
        top = values.entries(root)
        if top is None:
            return {}
        service = self._service_name(root, top.get("service"))
        if service is None:
            return {}
        provider = read_provider(values, top.get("provider"), service)
        read_plugins(values, top.get("plugins"))
        self.builder.serve_as(read_offline(values, top.get("custom")))
        entries = function_entries(values, top.get("functions"))
        names = {key: deployed_name(values, at, key, provider) for key, at in entries.items()}
        functions = [
            read_function(values, key, at, provider, self.code_dir, names[key]) for key, at in entries.items()
        ]
        self._functions(functions)
        events = self._events(functions, Service(provider, names))
        if events or provider.api_keys_at is not None or provider.usage_plan_at is not None:
            self._api(root, provider, events)
        return {found.key: found.importable for found in functions if found.importable is not None}

    def _service_name(self, root: At, at: At | None) -> str | None:
        values = self.values
        if at is None:
            values.error(root, "serverless.yml needs a service name: service: my-service")
            return None
        item = values.value(at)
        if item is not None and isinstance(item.value, dict):
            # Serverless v1's ``service: {name: ...}``.
            name_at = (values.entries(at) or {}).get("name")
            if name_at is None:
                values.error(at, "expected the service's name")
                return None
            at = name_at
        return values.string(at)

    def _functions(self, functions: list[ServiceFunction]) -> None:
        for found in functions:
            if found.key in self.mocks or found.skipped:
                continue
            self.builder.add_function(found.key, found.location, found.function)
        known = [found.key for found in functions]
        for name in self.mocks:
            if name not in known:
                self.builder.error(
                    Location(f"--mock {name}=..."),
                    f"no function '{name}'{did_you_mean(name, known)}; the functions are: {one_of(known) or '(none)'}",
                )

    def _events(self, functions: list[ServiceFunction], service: Service) -> list[HttpEvent]:
        events: list[HttpEvent] = []
        for found in functions:
            if found.skipped:
                continue
            for at in found.http_events:
                event = read_http_event(self.values, at, found.key, service)
                if event is not None:
                    events.append(event)
        return events

    def _api(self, root: At, provider: Provider, events: list[HttpEvent]) -> None:
        values = self.values
        builder = self.builder
        stage_problem = rules.stage_name_problem(provider.stage)
        if stage_problem is not None:
            values.error(root, f"{stage_problem}: API Gateway's stage names allow only these")
            return
        authorizers: dict[str, Authorizer] = {}
        models = {model.name: model for model in provider.models.values()}
        validators: dict[str, RequestValidator] = {}
        for event in events:
            if event.authorizer is not None:
                authorizers.setdefault(event.authorizer.name, event.authorizer)
            for model in event.models:
                models.setdefault(model.name, model)
            if event.method.request_validator is not None:
                name = event.method.request_validator
                validators[name] = RequestValidator(
                    name, validate_request_body=True, validate_request_parameters=True
                )
        api = RestApi(
            provider.api_name,
            stable_id(provider.api_name),
            stages={provider.stage: Stage(provider.stage, "")},
            binary_media_types=provider.binary_media_types,
            location=values.location(root),
            endpoint_type=provider.endpoint_type,
            api_key_source=provider.api_key_source,
            authorizers=authorizers,
            models=models,
            request_validators=validators,
            description=provider.description,
            policy=provider.policy,
        )
        builder.add_api(api)
        preflights: dict[str, tuple[Cors, Location]] = {}
        explicit_options: dict[str, Location] = {}
        for event in events:
            builder.add_method(api.name, event.path, self._mocked(event), path_location=event.path_location)
            if event.method.http_method == "OPTIONS":
                explicit_options[event.path] = event.method.location
            if event.cors is not None:
                previous = preflights.get(event.path)
                cors = event.cors if previous is None else previous[0].merged(event.cors)
                preflights[event.path] = (cors, event.method.location if previous is None else previous[1])
        for path, (cors, location) in preflights.items():
            if path in explicit_options:
                builder.warn(
                    location,
                    f"cors on {path} asks for an OPTIONS method, but one is defined at "
                    f"{where(explicit_options[path])}; that one answers preflight requests",
                )
                continue
            builder.add_method(api.name, path, preflight(cors, location))
        keys = read_keys(values, provider)
        for key in keys.api_keys:
            builder.add_api_key(key)
        for plan in keys.usage_plans:
            builder.add_usage_plan(plan)

    def _mocked(self, event: HttpEvent) -> Method:
        """The event's method, answered by a mock if ``serve --mock`` replaced its function."""
        return answered_by_mock(event.method, self.mocks.get(event.function))


def _uses_dotenv(root: Item) -> bool:
    top = root.value
    return isinstance(top, dict) and "useDotenv" in top and top["useDotenv"].value is True
