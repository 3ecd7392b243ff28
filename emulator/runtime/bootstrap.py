"""How a worker process starts: ``python -u <this file> ARGS``, run as a script, never imported.

Not ``python -m emulator.runtime.worker``: ``-m`` puts the working directory first on ``sys.path``
and looks the package up there, so started from a project that has a package named ``emulator`` of
its own (the user's code root, usually), the worker would import the user's package as apig-emu's.
A script's own directory goes first instead, and that is this one's to take back off. The package
is then loaded from the files next to this one, by location rather than through ``sys.path``, so
the worker runs the very apig-emu that started it, however that one was found (installed, editable,
``PYTHONPATH``, the working directory of the parent).

The worker later hands the name ``emulator`` over to the function's code (``worker._step_aside``).
"""

from __future__ import annotations

import importlib.util
import os
import sys


def _load_package() -> None:
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    name = os.path.basename(package_dir)
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(package_dir, "__init__.py"), submodule_search_locations=[package_dir]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)


def _main() -> int:
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    # Absent under ``-P`` / ``PYTHONSAFEPATH``; present, it would make the runtime's own modules
    # (``handlers``, ``pool``…) importable as top-level names by the function's code.
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]
    _load_package()
    from emulator.runtime.worker import main

    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(_main())
