"""One report of everything wrong with a config: its errors, its unknown references and its handlers.

``validate`` prints it and the pytest plugin fails tests with it, under one ``N errors`` heading;
``serve`` warns with its handler part. The same text everywhere, so a message learnt in one place
is recognised in the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emulator.config import ConfigError, load
from emulator.config.errors import HINT, settle
from emulator.model import Definitions, Function
from emulator.runtime.handler_problems import HandlerProblem, check_handlers

#: Where a hint stops listing folders that hold a handler's module.
_SHOWN_FOLDERS = 3


@dataclass(frozen=True)
class CodeRootSetting:
    """How the user moves the code root where the report is shown, for the hint that names it."""

    #: As a sentence names it: ``--code-dir``.
    name: str
    #: Setting it to a folder, ``{}`` standing for the folder: ``--code-dir {}``.
    example: str


#: The command line's: ``--code-dir`` on ``validate``, ``serve`` and the other commands.
COMMAND_LINE = CodeRootSetting("--code-dir", "--code-dir {}")


def validate(
    config: str | Path,
    *,
    code_dir: str | Path,
    isolation: str,
    setting: CodeRootSetting,
    fail_on_warnings: bool = False,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: str | Path | None = None,
    stage: str | None = None,
    no_stage_prefix: bool = False,
) -> tuple[Definitions, list[ConfigError], list[ConfigError]]:
    """The definitions (partial if there are errors), every error, handlers' imports included, and the warnings.

    Handlers are checked even when the definitions have errors, for every function whose
    ``handler`` is valid, so one run shows everything to fix. ``fail_on_warnings`` makes the warnings
    errors, as AWS's import does with ``failonwarnings=true``.
    """
    loaded = load(
        config,
        code_dir=code_dir,
        parameter_overrides=parameter_overrides,
        env_vars=env_vars,
        isolation=isolation,
        stage=stage,
        no_stage_prefix=no_stage_prefix,
    )
    problems = handler_errors(list(loaded.importable.values()), isolation=isolation, setting=setting)
    errors, warnings = settle([*loaded.errors, *problems], loaded.warnings, fail_on_warnings=fail_on_warnings)
    return loaded.definitions, errors, warnings


def handler_errors(
    functions: Sequence[Function], *, isolation: str, setting: CodeRootSetting
) -> list[ConfigError]:
    """An error at its ``handler:`` line for each function whose handler does not load."""
    problems = check_handlers(functions, isolation=isolation)
    return [
        handler_error(function, problems[function.name], setting)
        for function in functions
        if function.name in problems
    ]


def handler_error(function: Function, problem: HandlerProblem, setting: CodeRootSetting) -> ConfigError:
    notes = list(problem.trace)
    if problem.missing:
        notes.append(HINT + _code_root_hint(function, problem, setting))
    if problem.hint:
        notes.append(HINT + problem.hint)
    return ConfigError(function.handler_location or function.location, problem.error, tuple(notes))


def _code_root_hint(function: Function, problem: HandlerProblem, setting: CodeRootSetting) -> str:
    where = (
        f"handlers are imported from the code root, {problem.code_root}, which holds no "
        f"{problem.missing}.py or {problem.missing}/"
    )
    if not problem.elsewhere:
        return f"{where}; if your code is in another folder, name that folder with {setting.name}"
    shown = ", ".join(problem.elsewhere[:_SHOWN_FOLDERS])
    holds = "holds" if len(problem.elsewhere) == 1 else "hold"
    module = function.module_name.replace(".", "/")
    return f"{where}; {shown} {holds} {module}.py: {setting.example.format(problem.elsewhere[0])}"
