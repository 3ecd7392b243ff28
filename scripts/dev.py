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
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "check", "bench"):
        print(__doc__)
        return 2
    ensure_venv()
    action, rest = argv[0], argv[1:]
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
