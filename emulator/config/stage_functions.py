"""Functions named through stage variables (``function:${stageVariables.fn}``), checked against each stage.

The gateway resolves such a function per request, from the stage's variables; a stage that lacks the
variable, or whose value names no function, answers 500 there. Deploying it is not an error on AWS,
so it is a warning here, one per stage, saying which requests will fail.
"""

from __future__ import annotations

from emulator.config.errors import ConfigError
from emulator.config.lambda_uris import UnresolvedFunction, lambda_target, resolve_function
from emulator.model import Definitions, Location, RestApi, Stage


def stage_function_warnings(definitions: Definitions) -> list[ConfigError]:
    warnings: list[ConfigError] = []
    for api in definitions.apis.values():
        for resource, method in api.methods():
            integration = method.integration
            if integration.function is None and integration.uri is not None:
                user = f"{method.http_method} {resource.path} on api '{api.name}'"
                warnings += _check(definitions, api, integration.uri, user, method.location)
        for authorizer in api.authorizers.values():
            if authorizer.function is None and authorizer.uri is not None:
                user = f"authorizer '{authorizer.name}' of api '{api.name}'"
                warnings += _check(definitions, api, authorizer.uri, user, authorizer.location)
    return warnings


def _check(
    definitions: Definitions, api: RestApi, uri: str, user: str, location: Location
) -> list[ConfigError]:
    try:
        target = lambda_target(uri)
    except UnresolvedFunction:
        return []  # reported where the uri was read
    if target is None or not target.stage_variables:
        return []
    return [
        ConfigError(location, f"{user}: {problem}; its requests to stage '{stage.name}' answer 500")
        for stage in api.stages.values()
        if (problem := _problem(definitions, uri, stage)) is not None
    ]


def _problem(definitions: Definitions, uri: str, stage: Stage) -> str | None:
    try:
        function = resolve_function(uri, stage.name, stage.variables)
    except UnresolvedFunction as error:
        return str(error)
    if function in definitions.functions:
        return None
    return (
        f"with the variables of stage '{stage.name}' the uri names the function '{function}', which is not "
        "defined under functions:"
    )
