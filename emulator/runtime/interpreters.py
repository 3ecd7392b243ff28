"""Which Python runs a function: the one its ``Runtime`` names, where one is on the PATH and runs.

Lambda runs a function on the runtime it was deployed with, so a handler written for ``python3.12``
may use what ``python3.11`` lacks (and the reverse). Process isolation starts a function's workers
with the ``pythonX.Y`` its runtime names when the PATH has one that runs: found with ``shutil.which``
and run once to ask its version (a pyenv shim for a version pyenv has not activated is on the PATH
but fails, and an alias may point at another version), the answer kept for the process's life.
A version older than the worker's own code supports (apig-emu's ``requires-python``) is refused.
Every other case runs the function on the interpreter running apig-emu, with a warning that says so
(``config/runtimes.py``).

The executable is used as found, never resolved: a virtualenv's ``bin/python3.12`` is a symlink whose
target would lose the virtualenv's packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from emulator.model import Function

#: The runtime of the interpreter running apig-emu, as Lambda names runtimes.
RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"
#: The oldest Python the worker's code runs on: apig-emu's own ``requires-python``.
OLDEST = (3, 10)
#: Seconds a candidate interpreter has to say its version (a cold disk, a slow shim).
PROBE_TIMEOUT = 20.0

_ASK_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


@dataclass(frozen=True)
class Found:
    """What the PATH offers for a runtime: an executable that runs it, or why there is none."""

    runtime: str
    executable: str | None
    #: Why there is none, as a clause: "no python3.12 is on the PATH".
    problem: str | None = None
    #: Whether putting another one on the PATH would do (not for a version the workers cannot run on).
    fixable: bool = True


_FOUND: dict[tuple[str, str], Found] = {}


def find(runtime: str) -> Found:
    """The ``pythonX.Y`` on the PATH for ``runtime``, checked by running it; once per runtime and PATH."""
    key = (runtime, os.environ.get("PATH", ""))
    found = _FOUND.get(key)
    if found is None:
        found = _FOUND[key] = _probe(runtime)
    return found


def _probe(runtime: str) -> Found:
    version = _version(runtime)
    if version is None:
        return Found(runtime, None, f"'{runtime}' is not a Python runtime", fixable=False)
    path = shutil.which(runtime)
    if path is None:
        return Found(runtime, None, f"no {runtime} is on the PATH")
    if version < OLDEST:
        oldest = ".".join(map(str, OLDEST))
        return Found(
            runtime, None, f"apig-emu's workers run on Python {oldest} or later, not on {path}", fixable=False
        )
    try:
        ran = subprocess.run(
            [path, "-I", "-c", _ASK_VERSION],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Found(runtime, None, f"the {runtime} on the PATH, {path}, does not run: {exc}")
    if ran.returncode != 0:
        said = next((line.strip() for line in ran.stderr.splitlines() if line.strip()), "")
        detail = f": {said}" if said else f" (exit status {ran.returncode})"
        return Found(runtime, None, f"the {runtime} on the PATH, {path}, does not run{detail}")
    answered = ran.stdout.strip()
    if answered != f"{version[0]}.{version[1]}":
        return Found(runtime, None, f"the {runtime} on the PATH, {path}, is Python {answered}")
    return Found(runtime, path)


def _version(runtime: str) -> tuple[int, int] | None:
    major, dot, minor = runtime.removeprefix("python").partition(".")
    if not runtime.startswith("python") or not dot or not major.isdigit() or not minor.isdigit():
        return None
    return int(major), int(minor)


def foreign(function: Function) -> bool:
    """Whether the function names a runtime other than the one running apig-emu."""
    return function.runtime is not None and function.runtime != RUNNING


def executable(function: Function) -> str:
    """The interpreter process isolation starts the function's workers with."""
    if function.runtime is None or not foreign(function):
        return sys.executable
    return find(function.runtime).executable or sys.executable
