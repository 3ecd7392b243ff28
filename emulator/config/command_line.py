"""What the command line changes in definitions of any format, once their format's loader has read them.

A loader reads what its format says (``LoadOptions`` fields its format knows, such as a template's
parameters); the options here apply alike to every format's model, so they are applied once, after
any loader: ``--env-vars``; ``--stage``, which keeps only that stage of each API; ``--no-stage-prefix``,
which serves them at the root as a service's ``noPrependStageInUrl`` does; ``--aws-endpoint-url``,
where AWS service integrations call; then the warnings
about functions written for another Python, which depend on ``--isolation`` and on what the PATH
offers (``runtime/interpreters.py``). Mapping templates that do not parse are errors of every format
alike, found here too (``mapping/compiled.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from emulator.aws.endpoints import url_problem
from emulator.config.env_vars import apply_env_vars, read_env_vars
from emulator.config.errors import ConfigError
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.nodes import did_you_mean
from emulator.config.runtimes import runtime_warnings
from emulator.mapping.compiled import template_errors
from emulator.model import Definitions, Location, RestApi, Stage


def apply_options(loaded: Loaded, options: LoadOptions, path: Path) -> Loaded:
    """``loaded`` (from ``path``) as the options change it, their errors and warnings added to its own."""
    if options.env_vars is not None:
        loaded = _env_vars(loaded, options.env_vars)
    if options.stage is not None and options.stage_narrows:
        loaded = _one_stage(loaded, options.stage, path)
    if options.no_stage_prefix:
        loaded = dataclasses.replace(loaded, definitions=at_root(loaded.definitions))
    if options.aws_endpoint_url is not None:
        loaded = _aws_endpoint(loaded, options.aws_endpoint_url)
    broken = template_errors(loaded.definitions)
    if broken:
        loaded = dataclasses.replace(loaded, errors=[*loaded.errors, *broken])
    found = runtime_warnings(loaded.definitions.functions.values(), options.isolation)
    if found:
        loaded = dataclasses.replace(loaded, warnings=[*loaded.warnings, *found])
    return loaded


def at_root(definitions: Definitions) -> Definitions:
    """``definitions`` served with each API's stage at the root, as a custom domain's empty base path maps it.

    The one switch the router, the route table and the root-clash report read (``Serving.stage_in_path``),
    whether ``--no-stage-prefix`` or a service's ``noPrependStageInUrl`` asked for it; the definitions'
    own prefix and port are kept.
    """
    serving = dataclasses.replace(definitions.serving, stage_in_path=False)
    return dataclasses.replace(definitions, serving=serving)


def with_aws_endpoint(definitions: Definitions, url: str) -> Definitions:
    """``definitions`` whose AWS service integrations all call ``url`` (``--aws-endpoint-url``), whatever
    their ``aws:`` settings name; a harness's ``aws_endpoint_url`` applies it the same way."""
    aws = dataclasses.replace(definitions.aws, command_line_endpoint_url=url)
    return dataclasses.replace(definitions, aws=aws)


def _aws_endpoint(loaded: Loaded, url: str) -> Loaded:
    problem = url_problem(url)
    if problem is not None:
        error = ConfigError(Location("--aws-endpoint-url"), problem)
        return dataclasses.replace(loaded, errors=[*loaded.errors, error])
    return dataclasses.replace(loaded, definitions=with_aws_endpoint(loaded.definitions, url))


def _env_vars(loaded: Loaded, path: Path) -> Loaded:
    env, errors = read_env_vars(path)
    if env is None:
        return dataclasses.replace(loaded, errors=[*loaded.errors, *errors])
    definitions, importable, errors, warnings = apply_env_vars(env, loaded.definitions, loaded.importable)
    return Loaded(definitions, [*loaded.errors, *errors], importable, [*loaded.warnings, *warnings])


def _one_stage(loaded: Loaded, stage: str, path: Path) -> Loaded:
    """Each API on ``stage`` alone; an API without it is not served (a warning), none with it an error.

    As ``sam local start-api`` serves one stage: the stage a user names is the one they test, and a
    second stage of the same API would only hide it (its URLs differ by the stage alone).
    """
    apis = loaded.definitions.apis
    kept: dict[str, RestApi] = {}
    warnings: list[ConfigError] = []
    for name, api in apis.items():
        if stage in api.stages:
            kept[name] = dataclasses.replace(api, stages={stage: api.stages[stage]})
        else:
            warnings.append(
                ConfigError(
                    api.location,
                    f"--stage {stage}: api '{name}' has no stage '{stage}' (its stages: "
                    f"{_names(api.stages) or 'none'}), so it is not served",
                )
            )
    errors: list[ConfigError] = []
    if apis and not kept:
        every = sorted({name for api in apis.values() for name in api.stages})
        listed = "; ".join(f"api '{name}': {_names(api.stages) or 'none'}" for name, api in apis.items())
        errors.append(
            ConfigError(
                Location(str(path)),
                f"--stage {stage}: no API has a stage '{stage}'{did_you_mean(stage, every)}; the stages are, "
                f"by api: {listed}",
            )
        )
        warnings = []
    definitions = dataclasses.replace(loaded.definitions, apis=kept)
    return dataclasses.replace(
        loaded,
        definitions=definitions,
        errors=[*loaded.errors, *errors],
        warnings=[*loaded.warnings, *warnings],
    )


def _names(stages: Mapping[str, Stage]) -> str:
    return ", ".join(stages)
