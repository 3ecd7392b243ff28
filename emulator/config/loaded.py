"""What every format's loader takes and gives back: the options of one load, and everything it found."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.config.errors import ConfigError
from emulator.model import Definitions, Function

if TYPE_CHECKING:
    from emulator.config.builder import MockAnswer


@dataclass(frozen=True)
class LoadOptions:
    """What the command line (or a test) adds to a definition file; a loader uses what its format knows.

    A new command-line option that a format reads is one more field here, with a default, so the other
    loaders need no change.
    """

    #: Where handler modules are found: ``--code-dir``. ``None``: the format's own default (the working
    #: directory for apig-emu's YAML; the template's folder for a template's ``CodeUri``).
    code_dir: Path | None = None
    #: ``serve --mock NAME=...``: these functions' methods answer with a fixed response instead.
    mocks: Mapping[str, MockAnswer] = dataclasses.field(default_factory=dict)
    #: ``--parameter-overrides Key=Value``: a template's ``Parameters``, as ``sam local start-api`` takes them.
    parameter_overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: ``--env-vars FILE``: SAM CLI's JSON of environment variables, applied to every format's functions
    #: once loaded (``config/env_vars.py``).
    env_vars: Path | None = None
    #: Where handlers will run (``--isolation``), for what depends on it: which Python runs a function
    #: written for another one. ``serve``'s default unless a command or the test fixtures say otherwise.
    isolation: str = "process"
    #: ``--stage NAME``: a format whose stage comes from the command line (serverless's
    #: ``${opt:stage}``) reads it; then every format's APIs keep only that stage (``command_line``).
    stage: str | None = None
    #: ``False`` for ``export``, whose ``--stage`` picks what to write: every stage stays loaded, so that
    #: export can name them.
    stage_narrows: bool = True
    #: ``--no-stage-prefix``: every format's APIs served at the root, as serverless-offline's
    #: ``noPrependStageInUrl`` asks in a service: both set ``Serving.stage_in_path`` (``command_line``).
    no_stage_prefix: bool = False
    #: ``--aws-endpoint-url``: where every AWS service integration calls, winning over the definitions'
    #: ``aws:`` settings (``command_line``).
    aws_endpoint_url: str | None = None


@dataclass(frozen=True)
class Loaded:
    """Everything one load found, errors or not, so ``validate`` can check handlers alongside the errors."""

    #: Partial when there are errors: what could be built.
    definitions: Definitions
    errors: list[ConfigError]
    #: Each function with a valid ``handler``, by name, even one whose other settings are wrong.
    importable: dict[str, Function]
    #: What API Gateway would accept with a warning (an OpenAPI document's unsupported extensions…).
    warnings: list[ConfigError] = dataclasses.field(default_factory=list)
