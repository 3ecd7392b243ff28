"""What the command line changes in definitions of any format, once their format's loader has read them.

A loader reads what its format says (``LoadOptions`` fields its format knows, such as a template's
parameters); the options here apply alike to every format's model, so they are applied once, after
any loader: ``--env-vars``, then the warnings about functions written for another Python, which
depend on ``--isolation`` and on what the PATH offers (``runtime/interpreters.py``).
"""

from __future__ import annotations

import dataclasses

from emulator.config.env_vars import apply_env_vars, read_env_vars
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.runtimes import runtime_warnings


def apply_options(loaded: Loaded, options: LoadOptions) -> Loaded:
    """``loaded`` as the options change it, with their errors and warnings added to its own."""
    if options.env_vars is not None:
        loaded = _env_vars(loaded, options)
    found = runtime_warnings(loaded.definitions.functions.values(), options.isolation)
    if found:
        loaded = dataclasses.replace(loaded, warnings=[*loaded.warnings, *found])
    return loaded


def _env_vars(loaded: Loaded, options: LoadOptions) -> Loaded:
    assert options.env_vars is not None
    env, errors = read_env_vars(options.env_vars)
    if env is None:
        return dataclasses.replace(loaded, errors=[*loaded.errors, *errors])
    definitions, importable, errors, warnings = apply_env_vars(env, loaded.definitions, loaded.importable)
    return Loaded(definitions, [*loaded.errors, *errors], importable, [*loaded.warnings, *warnings])
