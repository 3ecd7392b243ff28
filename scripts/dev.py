#!/usr/bin/env python3
"""Set up a virtual environment on first use, then serve the example API or run the tests.

    python3 scripts/dev.py serve [apig-emu serve options]   # the example API on http://localhost:3000
    python3 scripts/dev.py test [pytest options]            # the test suite
    python3 scripts/dev.py check                            # ruff and mypy
    python3 scripts/dev.py bench [bench.py options]         # the benchmark (needs wrk: apt-get install wrk)

Only Python 3.10+ is needed: everything else is installed into .venv from the package's metadata.
"""

from __future__ import annotations

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


def ensure_venv() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 - this script may be run by an older python3
        sys.exit(f"apig-emu needs Python 3.10 or newer, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    pyproject = ROOT / "pyproject.toml"
    if not STAMP.exists() or STAMP.stat().st_mtime < pyproject.stat().st_mtime:
        print("installing apig-emu and its test tools into .venv ...", flush=True)
        pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
        STAMP.touch()


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
    if not argv or argv[0] not in ("serve", "test", "check", "bench"):
        print(__doc__)
        return 2
    ensure_venv()
    action, rest = argv[0], argv[1:]
    if action == "serve":
        return become([str(BIN / "apig-emu"), "serve", *rest])
    if action == "test":
        return become([str(BIN / "python"), "-m", "pytest", *rest])
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
