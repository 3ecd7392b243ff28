"""The warning for a function written for another Python than the one running apig-emu: which one runs it.

Lambda runs a function on the runtime it names; here that depends on ``--isolation`` and on the PATH
(``runtime/interpreters.py``), so the warning says what will happen, not only that something differs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from emulator.config.errors import ConfigError
from emulator.model import Function
from emulator.runtime.interpreters import RUNNING, find, foreign


def runtime_warnings(functions: Iterable[Function], isolation: str) -> list[ConfigError]:
    """A warning for each function written for another Python, saying which one runs it under ``isolation``."""
    warnings = []
    for function in functions:
        if function.runtime is None or not foreign(function):
            continue
        location = function.runtime_location or function.location
        warnings.append(ConfigError(location, _runs_on(function, function.runtime, isolation)))
    return warnings


def _runs_on(function: Function, runtime: str, isolation: str) -> str:
    found = find(runtime)
    written = f"function '{function.name}' is written for {runtime}, not {RUNNING}, which runs apig-emu"
    if isolation == "thread":
        elsewhere = (
            f"--isolation process would run its workers on {found.executable}"
            if found.executable is not None
            else f"{found.problem}, where --isolation process would find one"
        )
        return (
            f"{written}: --isolation thread runs every handler in apig-emu's own process, so it runs on "
            f"{RUNNING} ({sys.executable}); {elsewhere}"
        )
    if found.executable is not None:
        return f"{written}: its workers run on {found.executable}, the {runtime} on the PATH"
    remedy = (
        f"; put a {runtime} that runs on the PATH (a virtualenv made with it, activated, will do) to run "
        "its workers with it"
        if found.fixable
        else ""
    )
    return f"{written}: it runs on {RUNNING} ({sys.executable}), as {found.problem}{remedy}"
