"""Joining every file's declarations into the model, with the checks that span definitions and files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from emulator.config import rules
from emulator.config.errors import ConfigError
from emulator.config.nodes import did_you_mean, one_of, where
from emulator.config.schema import ApiDecl, DocumentDecls, FunctionDecl, MockDecl, TriggerDecl
from emulator.ids import stable_id
from emulator.model import Definitions, Method, Resource, RestApi, Stage

_Decl = TypeVar("_Decl", ApiDecl, FunctionDecl, MockDecl)


def assemble(
    documents: Sequence[DocumentDecls], sources: Iterable[Path]
) -> tuple[Definitions, list[ConfigError]]:
    errors: list[ConfigError] = []
    apis = _unique("api", [api for document in documents for api in document.apis], errors)
    functions = _unique(
        "function", [function for document in documents for function in document.functions], errors
    )
    mocks = _unique("mock", [mock for document in documents for mock in document.mocks], errors)
    _check_api_ids(apis.values(), errors)
    builders = {name: _ApiBuilder(api) for name, api in apis.items()}
    broken = {name for document in documents for name in document.broken_apis}
    for reference in (reference for document in documents for reference in document.references):
        if reference.api not in apis and reference.api not in broken:
            errors.append(ConfigError(reference.location, _unknown_api(reference.api, list(apis))))
    triggers = [trigger for decl in functions.values() for trigger in decl.triggers]
    triggers += [trigger for decl in mocks.values() for trigger in decl.triggers]
    for trigger in triggers:
        builder = builders.get(trigger.api)
        if builder is None:
            continue  # reported above, or its api's own errors are
        error = builder.add(trigger)
        if error is not None:
            errors.append(error)
    definitions = Definitions(
        apis={name: builder.build() for name, builder in builders.items()},
        functions={name: decl.function for name, decl in functions.items() if decl.function is not None},
        sources=tuple(sources),
    )
    return definitions, errors


def _unique(kind: str, decls: list[_Decl], errors: list[ConfigError]) -> dict[str, _Decl]:
    """Definitions by name; YAML's duplicate keys catch repeats within a file, this across files."""
    unique: dict[str, _Decl] = {}
    for decl in decls:
        first = unique.setdefault(decl.name, decl)
        if first is not decl:
            message = (
                f"{kind} '{decl.name}' is defined in both {where(first.location)} and {where(decl.location)}"
            )
            errors.append(ConfigError(decl.location, message))
    return unique


def _check_api_ids(apis: Iterable[ApiDecl], errors: list[ConfigError]) -> None:
    """The id is the first segment of every URL, so two APIs sharing one could not both be served."""
    by_id: dict[str, ApiDecl] = {}
    for api in apis:
        first = by_id.setdefault(api.id, api)
        if first is not api:
            message = (
                f"api id '{api.id}' is used by both api '{first.name}' ({where(first.location)}) "
                f"and api '{api.name}' ({where(api.location)}); each api needs its own id"
            )
            errors.append(ConfigError(api.location, message))


def _unknown_api(name: str, known: list[str]) -> str:
    if not known:
        return f"unknown api '{name}'; no apis are defined under 'apis'"
    return f"unknown api '{name}'{did_you_mean(name, known)}; the apis are: {one_of(known)}"


class _ApiBuilder:
    """Grows one API's resource tree trigger by trigger, refusing what API Gateway would refuse."""

    def __init__(self, decl: ApiDecl) -> None:
        self._api = RestApi(
            decl.name,
            decl.id,
            binary_media_types=decl.binary_media_types,
            location=decl.location,
            gateway_responses=decl.gateway_responses,
        )
        # Every stage is a deployment of the same, whole API.
        self._deployment_id = stable_id(decl.id, "deployment", length=6)
        for name, variables in decl.stages.items():
            self._api.stages[name] = Stage(name, self._deployment_id, variables)
        # Every API has a root resource, as on AWS.
        self._resource("/")
        #: Parent path -> its variable child's segment and the trigger that made it.
        self._variable_children: dict[str, tuple[str, TriggerDecl]] = {}

    def add(self, trigger: TriggerDecl) -> ConfigError | None:
        steps = _steps(trigger.path)
        for parent, segment in steps:
            first = self._variable_children.get(parent)
            if rules.is_variable(segment) and first is not None and first[0] != segment:
                return self._variable_clash(trigger, parent, segment, *first)
        resource = self._resource("/")
        for parent, segment in steps:
            if rules.is_variable(segment):
                self._variable_children.setdefault(parent, (segment, trigger))
            resource = self._resource(_join(parent, segment))
        existing = resource.methods.get(trigger.method)
        if existing is not None:
            return ConfigError(
                trigger.location,
                f"{trigger.method} {trigger.path} on api '{self._api.name}' is integrated with both "
                f"{existing.integration.describe()} ({where(existing.location)}) and "
                f"{trigger.integration.describe()} ({where(trigger.location)}); "
                "a method integrates with exactly one function"
                + (" or mock" if existing.integration.mock or trigger.integration.mock else ""),
            )
        resource.methods[trigger.method] = Method(
            trigger.method, trigger.integration, trigger.cors, trigger.location
        )
        self._api.stages.setdefault(trigger.stage, Stage(trigger.stage, self._deployment_id))
        return None

    def build(self) -> RestApi:
        self._api.resources = dict(sorted(self._api.resources.items()))
        return self._api

    def _resource(self, path: str) -> Resource:
        resource = self._api.resources.get(path)
        if resource is None:
            resource = self._api.resources[path] = Resource(path, stable_id(self._api.id, path))
        return resource

    def _variable_clash(
        self, trigger: TriggerDecl, parent: str, segment: str, first_segment: str, first: TriggerDecl
    ) -> ConfigError:
        # API Gateway could not tell which of the two a request's segment is meant for.
        return ConfigError(
            trigger.path_location,
            f"resource '{trigger.path}' on api '{self._api.name}' clashes with '{first.path}' "
            f"({where(first.path_location)}): '{parent}' would have two different variable children, "
            f"'{first_segment}' and '{segment}'; a resource may have only one",
        )


def _steps(path: str) -> list[tuple[str, str]]:
    """(parent path, segment) for each segment of ``path``, from the root down."""
    steps: list[tuple[str, str]] = []
    parent = "/"
    for segment in rules.segments(path):
        steps.append((parent, segment))
        parent = _join(parent, segment)
    return steps


def _join(parent: str, segment: str) -> str:
    return f"{parent.rstrip('/')}/{segment}"
