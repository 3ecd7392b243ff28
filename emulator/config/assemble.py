"""Joining every file's declarations into the model through the builder, with the checks that span files."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.account import lambda_arn
from emulator.auth.access import pool_ids
from emulator.config.builder import (
    DefinitionsBuilder,
    MockAnswer,
    integration_method,
    lambda_method,
    mock_method,
)
from emulator.config.errors import ConfigError
from emulator.config.integration_keys import sources_problems
from emulator.config.lambda_authorizers import LAMBDA_TYPES
from emulator.config.nodes import did_you_mean, one_of, where
from emulator.config.schema import DocumentDecls, TriggerDecl
from emulator.config.stage_functions import stage_function_warnings
from emulator.config.usage_plans import check_references
from emulator.model import AwsSettings, Definitions, Location, Method

if TYPE_CHECKING:
    from emulator.config.openapi.binding import Documents


def assemble(
    documents: Sequence[DocumentDecls],
    sources: Iterable[Path],
    *,
    mocks: Mapping[str, MockAnswer] | None = None,
    base: Definitions | None = None,
) -> tuple[Definitions, list[ConfigError], list[ConfigError]]:
    """The definitions of every document, the errors and the warnings; ``mocks`` answer the named
    functions' methods instead (``serve --mock``). ``base`` is what another loader built (a template's
    model, under its companion ``apig-emu.yaml``): the documents join it as one more file of a folder.

    A mocked function is left out, so its handler is never imported: the backend may not exist yet.
    An api bound to an OpenAPI document (``openapi:``) is read from it, and its operations join the
    triggers' methods.
    """
    mocks = mocks or {}
    builder = DefinitionsBuilder()
    if base is not None:
        builder.include(base)
    for path in sources:
        builder.add_source(path)
    openapi = _documents(builder, documents, mocks)
    _access(builder, documents)
    for document in documents:
        for api in document.apis:
            imported = openapi.api(api.name) if openapi is not None else None
            builder.add_api(imported.api if imported is not None else api)
    for document in documents:
        for decl in document.functions:
            if decl.name not in mocks:
                builder.add_function(decl.name, decl.location, decl.function)
    for name in mocks:
        if not any(decl.name == name for document in documents for decl in document.functions):
            known = [decl.name for document in documents for decl in document.functions]
            builder.error(
                Location(f"--mock {name}=..."),
                f"no function '{name}'{did_you_mean(name, known)}; "
                f"the functions are: {one_of(known) or '(none)'}",
            )
    first_mocks: dict[str, Location] = {}
    triggers: list[TriggerDecl] = []
    for document in documents:
        for decl in document.functions:
            triggers.extend(decl.triggers)
        for mock in document.mocks:
            first = first_mocks.setdefault(mock.name, mock.location)
            if first is not mock.location:
                builder.error(
                    mock.location,
                    f"mock '{mock.name}' is defined in both {where(first)} and {where(mock.location)}",
                )
                continue
            triggers.extend(mock.triggers)
    first_integrations: dict[str, Location] = {}
    for document in documents:
        for integration in document.integrations:
            first = first_integrations.setdefault(integration.name, integration.location)
            if first is not integration.location:
                builder.error(
                    integration.location,
                    f"integration '{integration.name}' is defined in both {where(first)} and "
                    f"{where(integration.location)}",
                )
                continue
            triggers.extend(integration.triggers)
    if openapi is not None:
        openapi.add_operations()
    broken = {name for document in documents for name in document.broken_apis}
    for reference in (reference for document in documents for reference in document.references):
        if not builder.has_api(reference.api) and reference.api not in broken:
            builder.error(reference.location, _unknown_api(reference.api, builder.api_names()))
    for trigger in triggers:
        if not builder.has_api(trigger.api):
            continue  # reported above, or its api's own errors are
        builder.add_stage(trigger.api, trigger.stage)
        method = _method(trigger, _mock_of(trigger, mocks))
        if openapi is not None and openapi.declares(trigger.api, trigger.path, method.http_method):
            if trigger.request.location is not None:
                builder.error(
                    trigger.request.location,
                    f"{method.http_method} {trigger.path} is an operation of the OpenAPI document of api "
                    f"'{trigger.api}', whose parameters, request body and validator it takes; set them there",
                )
            method = openapi.integrate(trigger.api, trigger.path, method)
        else:
            site = f"{method.http_method} {trigger.path}"
            builder.errors.extend(trigger.request.check(builder.api(trigger.api), site))
        if trigger.mapping is not None:
            builder.errors.extend(sources_problems(method, trigger.path, trigger.mapping.parameter_locations))
        builder.add_method(
            trigger.api, trigger.path, method, path_location=trigger.path_location, cors=trigger.cors
        )
    if openapi is not None:
        openapi.finish()
    for document in documents:
        for key in document.api_keys:
            builder.add_api_key(key)
        for plan in document.usage_plans:
            builder.add_usage_plan(plan.plan)
    definitions = builder.build()
    aws = _aws_settings(builder, documents) or (base.aws if base is not None else None)
    if aws is not None:
        definitions = dataclasses.replace(definitions, aws=aws)
    errors, warnings = access_checks(definitions, documents)
    errors += authorizer_references(definitions, documents, triggers)
    errors += check_references(
        definitions,
        [plan for document in documents for plan in document.usage_plans],
        [throttle for document in documents for throttle in document.method_throttles],
    )
    return (
        definitions,
        [*builder.errors, *errors],
        [*builder.warnings, *stage_function_warnings(definitions), *warnings],
    )


def _access(builder: DefinitionsBuilder, documents: Sequence[DocumentDecls]) -> None:
    """``user_pools:`` and ``iam:`` of every file, and the one ``auth_off:``."""
    first: Location | None = None
    for document in documents:
        for pool in document.user_pools:
            builder.add_user_pool(pool)
        for credential in document.iam:
            builder.add_iam_credential(credential)
        if document.auth_off is not None:
            auth_off, location, _ = document.auth_off
            if first is not None:
                builder.error(location, f"auth_off is defined in both {where(first)} and {where(location)}")
                continue
            first = location
            builder.set_auth_off(auth_off)


def access_checks(
    definitions: Definitions, documents: Sequence[DocumentDecls]
) -> tuple[list[ConfigError], list[ConfigError]]:
    """Errors: an ``auth_off:`` method that does not exist. Warnings: pools that look mistyped."""
    errors: list[ConfigError] = []
    for document in documents:
        for (api, path, verb), location in document.auth_off[2] if document.auth_off else []:
            found = definitions.apis.get(api)
            resource = found.resources.get(path) if found is not None else None
            if resource is None or verb not in resource.methods:
                errors.append(ConfigError(location, f"auth_off: no method {verb} {path} in api '{api}'"))
    named = {
        pool: authorizer.location
        for api in definitions.apis.values()
        for authorizer in api.authorizers.values()
        if authorizer.type == "COGNITO_USER_POOLS"
        for pool in pool_ids(authorizer)
    }
    warnings = [
        ConfigError(
            pool.location,
            f"user pool '{pool.id}' is named by no Cognito authorizer{did_you_mean(pool.id, list(named))}",
        )
        for pool in definitions.user_pools.values()
        if pool.id not in named
    ]
    return errors, warnings


def _documents(
    builder: DefinitionsBuilder, documents: Sequence[DocumentDecls], mocks: Mapping[str, MockAnswer]
) -> Documents | None:
    """The apis bound to OpenAPI documents; ``None`` without any, so a YAML-only start never loads the importer."""
    if not any(document.openapi for document in documents):
        return None
    from emulator.config.openapi.binding import Documents

    return Documents(builder, documents, mocks)


def _mock_of(trigger: TriggerDecl, mocks: Mapping[str, MockAnswer]) -> MockAnswer | None:
    """A mock's answer; ``serve --mock`` answering for a function's trigger; ``None`` otherwise."""
    if trigger.mock is not None or trigger.integration is not None:
        return trigger.mock
    return mocks.get(trigger.function)


def _method(trigger: TriggerDecl, mock: MockAnswer | None) -> Method:
    request = trigger.request.request
    if mock is not None:
        method = mock_method(
            trigger.method, mock, timeout_ms=trigger.timeout_ms, location=trigger.location, request=request
        )
    elif trigger.integration is not None:
        method = integration_method(
            trigger.method, trigger.integration, location=trigger.location, request=request
        )
    else:
        method = lambda_method(
            trigger.method,
            trigger.function,
            proxy=trigger.proxy,
            timeout_ms=trigger.timeout_ms,
            location=trigger.location,
            function_arn=lambda_arn(trigger.function),
            mapping=trigger.mapping.mapping if trigger.mapping is not None else None,
            request=request,
        )
    if trigger.authorizer == IAM_AUTHORIZER:
        method = replace(method, authorization_type="AWS_IAM")
    elif trigger.authorizer is not None:
        method = replace(method, authorization_type="CUSTOM", authorizer=trigger.authorizer)
    return replace(method, api_key_required=trigger.api_key_required)


#: A trigger's ``authorizer: AWS_IAM`` asks for IAM authorization (SigV4), as SAM's ``Authorizer: AWS_IAM`` does.
IAM_AUTHORIZER = "AWS_IAM"


def _aws_settings(builder: DefinitionsBuilder, documents: Sequence[DocumentDecls]) -> AwsSettings | None:
    """The one ``aws:`` section of the configuration's files; a second one is an error naming both."""
    found = [document.aws for document in documents if document.aws is not None]
    for extra in found[1:]:
        assert extra.location is not None and found[0].location is not None
        builder.error(
            extra.location,
            f"the aws: section is defined in both {where(found[0].location)} and {where(extra.location)}; "
            "keep one",
        )
    return found[0] if found else None


def _unknown_api(name: str, known: list[str]) -> str:
    if not known:
        return f"unknown api '{name}'; no apis are defined under 'apis'"
    return f"unknown api '{name}'{did_you_mean(name, known)}; the apis are: {one_of(known)}"


def authorizer_references(
    definitions: Definitions, documents: Sequence[DocumentDecls], triggers: Sequence[TriggerDecl]
) -> list[ConfigError]:
    """A trigger's ``authorizer:`` that its api lacks, a YAML authorizer's ``function`` that is not defined
    (an OpenAPI document's are checked with its other functions)."""
    errors: list[ConfigError] = []
    for trigger in triggers:
        api = definitions.apis.get(trigger.api)
        if trigger.authorizer is None or trigger.authorizer == IAM_AUTHORIZER:
            continue
        if api is None or trigger.authorizer_location is None:
            continue
        found = api.authorizers.get(trigger.authorizer)
        if found is None or found.type not in LAMBDA_TYPES:
            known = [name for name, one in api.authorizers.items() if one.type in LAMBDA_TYPES]
            errors.append(
                ConfigError(
                    trigger.authorizer_location,
                    f"api '{api.name}' has no Lambda authorizer '{trigger.authorizer}'"
                    f"{did_you_mean(trigger.authorizer, known)}; its authorizers: {one_of(known) or '(none)'}",
                )
            )
    for document in documents:
        for authorizer in (one for api in document.apis for one in api.authorizers.values()):
            name = authorizer.function
            if authorizer.type in LAMBDA_TYPES and name is not None and name not in definitions.functions:
                known = sorted(definitions.functions)
                errors.append(
                    ConfigError(
                        authorizer.location,
                        f"authorizer '{authorizer.name}' names no function '{name}'{did_you_mean(name, known)}; "
                        f"the functions are: {one_of(known) or '(none)'}",
                    )
                )
    return errors
