"""``--env-vars FILE``: SAM CLI's JSON of environment variables that override what the definitions set.

The file is SAM CLI's: ``{"HelloFunction": {"TABLE": "local"}, "Parameters": {"STAGE": "dev"}}``.
``Parameters`` applies to every function, an entry named after a function to that function, and a
function's own entry wins over ``Parameters``. As in SAM CLI (``samcli/local/lambdafn/env_vars.py``),
only the variables a function declares in its definition (SAM's ``Environment.Variables``, our
``environment:``) take a value from the file: Lambda gives a function only the variables it was
deployed with, and a test that passes because of a variable the deployment lacks proves nothing.
A variable the file sets for no function is said in a warning, where SAM CLI drops it silently.

Every format's functions are overridden alike, by the name the definitions give them (a template's
logical id, a YAML function's key). The file is read at every load, so a reload sees it changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode

from emulator.config import rules
from emulator.config.errors import ConfigError
from emulator.config.nodes import Field, Reader, did_you_mean, root_field
from emulator.config.openapi.json_nodes import JsonError, compose_json
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import Definitions, Function, Location

#: The entry that applies to every function, as SAM CLI names it (after CloudFormation's parameter files).
EVERY_FUNCTION = "Parameters"


@dataclass(frozen=True)
class Variable:
    value: str
    location: Location


@dataclass(frozen=True)
class EnvVars:
    """What the file sets: for every function, and by function name."""

    every: Mapping[str, Variable]
    functions: Mapping[str, Mapping[str, Variable]]
    #: Where each function's entry is, for a warning about a name that matches no function.
    entries: Mapping[str, Location]


def read_env_vars(path: Path) -> tuple[EnvVars | None, list[ConfigError]]:
    """The file's variables, or ``None`` with every problem at its line."""
    where = Location(str(path))
    try:
        data = read_limited(path, MAX_DEFINITION_BYTES, "an --env-vars file")
    except FileRefused as refused:
        return None, [ConfigError(where, f"--env-vars: {refused}")]
    try:
        root = compose_json(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [ConfigError(where, f"--env-vars: the file is not UTF-8 text: {exc}")]
    except JsonError as exc:
        at = Location(str(path), line=exc.line, column=exc.column)
        return None, [ConfigError(at, f"--env-vars: not JSON: {exc.message}")]
    reader = Reader(str(path))
    top = root_field(root)
    if not isinstance(root, MappingNode):
        reader.error(
            top,
            "expected an object of functions, each an object of variables, as SAM CLI reads it: "
            '{"HelloFunction": {"TABLE": "local"}, "Parameters": {"STAGE": "dev"}}',
        )
        return None, _named(reader.errors)
    every: dict[str, Variable] = {}
    functions: dict[str, dict[str, Variable]] = {}
    entries: dict[str, Location] = {}
    for name, field in (reader.entries(top) or {}).items():
        variables = _variables(reader, field)
        if name == EVERY_FUNCTION:
            every = variables
        else:
            functions[name] = variables
            entries[name] = reader.location(field)
    if reader.errors:
        return None, _named(reader.errors)
    return EnvVars(every, functions, entries), []


def _named(errors: list[ConfigError]) -> list[ConfigError]:
    """The file's errors, each saying which option named the file."""
    return [dataclasses.replace(error, message=f"--env-vars: {error.message}") for error in errors]


def _variables(reader: Reader, field: Field) -> dict[str, Variable]:
    if not isinstance(field.node, MappingNode):
        reader.expected(field, "an object of variables and their values")
        return {}
    variables: dict[str, Variable] = {}
    for name, value in (reader.entries(field) or {}).items():
        # A string, number or boolean, as Lambda's environment holds text; booleans as SAM CLI writes them.
        text = reader.text(value)
        if text is not None:
            variables[name] = Variable(text, reader.location(value))
    return variables


def apply_env_vars(
    env: EnvVars, definitions: Definitions, importable: Mapping[str, Function]
) -> tuple[Definitions, dict[str, Function], list[ConfigError], list[ConfigError]]:
    """The definitions with the file's values in place of the functions' own; the errors and warnings.

    ``importable`` (the functions ``validate`` imports) get the same values, so that a handler
    reading a variable at import is checked with the value it will run with.
    """
    errors: list[ConfigError] = []
    warnings: list[ConfigError] = []
    names = sorted(definitions.functions)
    for name, location in env.entries.items():
        if name not in definitions.functions:
            warnings.append(
                ConfigError(
                    location,
                    f"--env-vars: '{name}' names no function{did_you_mean(name, names)}, so its variables "
                    f"are not set; the functions: {', '.join(names) or 'none'}",
                )
            )
    used: set[str] = set()
    changed: dict[str, Function] = {}
    for function in definitions.functions.values():
        values = {**env.every, **env.functions.get(function.name, {})}
        declared = function.environment
        for variable, setting in env.functions.get(function.name, {}).items():
            if variable not in declared:
                warnings.append(
                    _undeclared(setting.location, variable, f"function '{function.name}' does not declare it")
                )
        overridden = {key: values[key].value for key in declared if key in values}
        used.update(key for key in declared if key in env.every)
        if not overridden:
            continue
        environment = {**declared, **overridden}
        problem = rules.environment_size_problem(environment)
        if problem is not None:
            first = next(values[key].location for key in declared if key in values)
            errors.append(ConfigError(first, f"--env-vars: function '{function.name}': {problem}"))
            continue
        changed[function.name] = dataclasses.replace(function, environment=environment)
    for variable, setting in env.every.items():
        if variable not in used:
            warnings.append(_undeclared(setting.location, variable, "no function declares it"))
    return (
        dataclasses.replace(definitions, functions={**definitions.functions, **changed}),
        {name: changed.get(name, function) for name, function in importable.items()},
        errors,
        warnings,
    )


def _undeclared(location: Location, variable: str, why: str) -> ConfigError:
    return ConfigError(
        location,
        f"--env-vars: '{variable}' is not set: {why} in its environment, and as in SAM CLI only the "
        "variables a function declares take a value from the file (declare it in the function's "
        "Environment.Variables, or environment:, to set it)",
    )
