"""When a function's code would import apig-emu's modules in place of its own.

On Lambda the function's code root wins every name: the runtime's modules never shadow it. apig-emu
is itself a Python package, imported as ``emulator``, and a user's project may have a package of
that name too. Names in ``sys.modules`` win over anything on ``sys.path``, so wherever apig-emu's
modules occupy the name, a handler's ``from emulator import x`` gets apig-emu's.

Process isolation gives the name up: its worker moves apig-emu's modules out of ``sys.modules``
before it imports the function's code (``emulator.runtime.worker``). Thread isolation cannot: the
handler runs in the emulator's own process, which needs its modules where they are. There, a code
root that provides the name is refused at load time with a message that says why and what to do,
rather than left to fail later with an ``ImportError`` or ``AttributeError`` that points nowhere.

Only the package's own name is guarded. Libraries the emulator imports (``yaml``, ``starlette``) are
shadowed in thread isolation too when the code root has a copy, but a vendored copy of the same
library is what it was meant to be; a clash there is a version difference, not a different module.
"""

from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

#: apig-emu's import name: the top-level package this module belongs to.
OWN_PACKAGE = __name__.partition(".")[0]
_OWN_DIR = Path(__file__).resolve().parent.parent


def occupied() -> bool:
    """Whether apig-emu's modules hold their names in this process (a worker gives them up)."""
    return __name__ in sys.modules


def own_modules() -> list[str]:
    """The names in ``sys.modules`` that are apig-emu's package or one of its modules."""
    prefix = OWN_PACKAGE + "."
    return [name for name in sys.modules if name == OWN_PACKAGE or name.startswith(prefix)]


def provided(code_dir: Path, name: str) -> Path | None:
    """The top-level package or module ``name`` in ``code_dir``, as the import system would find it."""
    suffixes = importlib.machinery.all_suffixes()
    package = code_dir / name
    if any((package / f"__init__{suffix}").is_file() for suffix in suffixes):
        return package
    for suffix in suffixes:
        if (code_dir / f"{name}{suffix}").is_file():
            return code_dir / f"{name}{suffix}"
    return None


def clash(code_dir: Path) -> str | None:
    """Why handlers from ``code_dir`` cannot be imported in this process, if they cannot."""
    if not occupied():
        return None
    found = provided(code_dir, OWN_PACKAGE)
    if found is None or found.resolve() == _OWN_DIR:
        return None  # none, or apig-emu's own source tree
    kind = "package" if found.is_dir() else "module"
    return (
        f"the code root {code_dir} has a top-level {kind} {OWN_PACKAGE!r} ({found}), which is also "
        f"apig-emu's own import name: in thread isolation the handler runs in apig-emu's process and "
        f"would import apig-emu's modules instead of yours. Use process isolation (--isolation process; "
        f"for the pytest fixtures, apig_isolation = process in the ini file), where your {kind} wins as "
        f"on Lambda, or rename it"
    )
