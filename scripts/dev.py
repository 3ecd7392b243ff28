#!/usr/bin/env python3
"""Set up a virtual environment on first use, then serve the example API or run the tests.

    python3 scripts/dev.py serve [apig-emu serve options]   # the example API on http://localhost:3000
    python3 scripts/dev.py test [pytest options]            # the test suite
    python3 scripts/dev.py test --fast [pytest options]     # without the slow tests, in well under a minute
    python3 scripts/dev.py check                            # ruff and mypy
    python3 scripts/dev.py bench [bench.py options]         # the benchmark (needs wrk: apt-get install wrk)

Only Python 3.10+ is needed: everything else is installed into .venv from the package's metadata.
`serve` installs apig-emu alone; the other commands add the test tools (the `test` extra).

`--fast` leaves out the tests marked `slow` (they start servers, worker processes, pytest runs or a
browser, or put a server under load): pytest's `-m "not slow"`, joined to a `-m` of your own. CI
runs everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
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


def pytest_args(args: list[str]) -> list[str]:
    """pytest's arguments for ``test``: ``--fast`` becomes ``-m "not slow"``.

    pytest keeps only the last ``-m``, so a marker expression of the user's (``-m EXPR``, ``-mEXPR``
    or ``-m=EXPR``) is joined to it rather than given beside it.
    """
    if "--fast" not in args:
        return args
    rest = [arg for arg in args if arg != "--fast"]
    joined: list[str] = []
    own = False
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg == "-m" and index + 1 < len(rest):
            joined += ["-m", f"not slow and ({rest[index + 1]})"]
            own = True
            index += 2
            continue
        if arg.startswith("-m") and len(arg) > 2:
            joined += ["-m", f"not slow and ({arg[2:].removeprefix('=')})"]
            own = True
        else:
            joined.append(arg)
        index += 1
    return joined if own else ["-m", "not slow", *joined]


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
    """Run ``command`` to its end; SIGINT or SIGTERM sent to dev.py goes on to it, and dev.py waits.

    dev.py then ends as the command did, killed by the same signal if it was, so a shell sees the
    command's own status and no traceback of dev.py's. (A Ctrl-C in a terminal reaches the command
    twice, from the terminal and from here: harmless for the short commands run this way.)
    """
    child = subprocess.Popen(command, cwd=ROOT)

    def forward(signum: int, _frame: object) -> None:
        if os.name == "posix":  # Windows delivers Ctrl-C to every process on the console anyway
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if returncode < 0:
        signal.signal(-returncode, signal.SIG_DFL)
        signal.raise_signal(-returncode)
    return returncode if returncode >= 0 else 128 - returncode


def become(command: list[str]) -> int:
    """Run a long-lived ``command`` (a server, the tests) in dev.py's place, where the system allows.

    The command then is the process a terminal's Ctrl-C and a ``kill`` reach: it stops exactly as it
    does when run directly, and nothing in between can deliver a signal twice (a second Ctrl-C makes
    the server stop at once, without waiting for requests in flight).
    """
    if os.name != "posix":
        return run(command)
    os.chdir(ROOT)
    sys.stdout.flush()
    sys.stderr.flush()
    # What subprocess restores for every child: Python ignores these, and exec would pass that on.
    for name in ("SIGPIPE", "SIGXFSZ"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.execv(command[0], command)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    ensure_venv(EXTRAS[action])
    if action == "serve":
        return become([str(BIN / "apig-emu"), "serve", *rest])
    if action == "test":
        return become([str(BIN / "python"), "-m", "pytest", *pytest_args(rest)])
    if action == "bench":
        return become([str(BIN / "python"), str(ROOT / "scripts" / "bench.py"), *rest])
    return (
        run([str(BIN / "ruff"), "check", "."])
        or run([str(BIN / "ruff"), "format", "--check", "."])
        or run([str(BIN / "mypy")])
    )


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # Ctrl-C while setting up: what was interrupted has said so
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.raise_signal(signal.SIGINT)
