#!/usr/bin/env python3
"""Set up a virtual environment on first use, then serve the example API or run the tests.

    python3 scripts/dev.py serve [apig-emu serve options]   # the example API on http://localhost:3000
    python3 scripts/dev.py test [pytest options]            # the test suite
    python3 scripts/dev.py check                            # ruff and mypy
    python3 scripts/dev.py bench [bench.py options]         # the benchmark (needs wrk: apt-get install wrk)

Only Python 3.10+ is needed: everything else is installed into .venv from the package's metadata.
`serve` installs apig-emu alone; the other commands add the test tools (the `test` extra).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".apig-emu-installed"

#: The extras each command needs: serving needs the runtime only, so a user who only wants to try the
#: API does not download Playwright, mypy and ruff; the others need the test tools.
EXTRAS: dict[str, frozenset[str]] = {
    "serve": frozenset(),
    "test": frozenset({"test"}),
    "check": frozenset({"test"}),
    "bench": frozenset({"test"}),
}


def stamp_text(extras: frozenset[str], pyproject: bytes) -> str:
    """What the stamp records: the extras installed, and the pyproject.toml they were installed from.

    A digest rather than a modification time: a git checkout touches files it does not change.
    """
    return json.dumps({"extras": sorted(extras), "pyproject": hashlib.sha256(pyproject).hexdigest()})


def to_install(stamp: str | None, extras: frozenset[str], pyproject: bytes) -> frozenset[str] | None:
    """The extras to (re)install for a command that needs ``extras``, or ``None`` if .venv has them.

    Extras installed before are kept, so `test` after `serve` adds the test tools and `serve` after
    `test` changes nothing; a new pyproject.toml reinstalls all that was there.
    """
    try:
        recorded = json.loads(stamp or "")
        installed = frozenset(recorded["extras"])
        digest = recorded["pyproject"]
    except (ValueError, TypeError, KeyError):  # no stamp, or the empty one an older dev.py wrote
        return extras
    if digest == hashlib.sha256(pyproject).hexdigest() and extras <= installed:
        return None
    return extras | installed


def requirement(extras: frozenset[str]) -> str:
    """The checkout as pip's editable requirement, e.g. ``/src/apig-emu[test]``."""
    return f"{ROOT}[{','.join(sorted(extras))}]" if extras else str(ROOT)


def shown(path: Path) -> str:
    """A path as the user would type it from where they are."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def pip_install(editable: str) -> None:
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    code = subprocess.run([*pip, "-e", editable]).returncode
    if code != 0:
        sys.exit(f"installing into {VENV} failed (pip exited with {code}): see pip's message above")


def ensure_venv(extras: frozenset[str]) -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 - this script may be run by an older python3
        sys.exit(f"apig-emu needs Python 3.10 or newer, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating {shown(VENV)} ...", flush=True)
        venv.create(VENV, with_pip=True)
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    wanted = to_install(STAMP.read_text() if STAMP.exists() else None, extras, pyproject)
    if wanted is None:
        return
    what = "apig-emu and its test tools" if "test" in wanted else "apig-emu"
    print(f"installing {what} into {shown(VENV)} ...", flush=True)
    pip_install(requirement(wanted))
    STAMP.write_text(stamp_text(wanted, pyproject))
    # The venv is not activated for the user: say once how to reach the command the README uses.
    print(
        f"apig-emu is installed in {shown(VENV)}, not on your PATH: run {shown(BIN / 'apig-emu')}, "
        f"or `. {shown(BIN / 'activate')}` first to type plain `apig-emu`",
        flush=True,
    )


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    ensure_venv(EXTRAS[action])
    if action == "serve":
        return run([str(BIN / "apig-emu"), "serve", *rest])
    if action == "test":
        return run([str(BIN / "python"), "-m", "pytest", *rest])
    if action == "bench":
        return run([str(BIN / "python"), str(ROOT / "scripts" / "bench.py"), *rest])
    return (
        run([str(BIN / "ruff"), "check", "."])
        or run([str(BIN / "ruff"), "format", "--check", "."])
        or run([str(BIN / "mypy")])
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
