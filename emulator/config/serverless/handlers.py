"""Serverless's ``handler: path/module.function`` as the ``package.module.function`` Lambda's Python runtime imports.

Serverless packages the service folder as the function's code, so a handler's folders, relative to
serverless.yml, are packages under the code root (the service folder, unless ``--code-dir`` names
another): ``src/api/items.list_items`` imports ``src.api.items`` and calls ``list_items``.
"""

from __future__ import annotations

from emulator.config import rules


def python_handler(written: str) -> str:
    """``src/api/items.list_items`` -> ``src.api.items.list_items``; a leading ``./`` is the service folder."""
    path = written.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.replace("/", ".")


def handler_problem(written: str) -> str | None:
    """What is wrong with a handler; Lambda splits the function off at the last ``.`` after the last ``/``."""
    has_function = "." in written.rpartition("/")[2]
    if has_function and rules.handler_problem(python_handler(written)) is None:
        return None
    return (
        f"invalid handler '{written}'; expected Serverless's path/module.function, each folder, the module "
        "and the function a Python identifier, like 'src/api/items.list_items'"
    )


def is_python(runtime: str) -> bool:
    return runtime.lower().startswith("python")
