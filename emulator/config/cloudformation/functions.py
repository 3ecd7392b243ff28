"""A template's Lambda function as the model's ``Function``: SAM's and CloudFormation's share these properties.

The function's local name is its logical id, as ``sam local invoke HelloFunction`` names it; its
``Ref`` and ``Fn::GetAtt .Arn`` give that name (``references``), so integration URIs find it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from emulator.config import rules
from emulator.config.cloudformation.code import local_folder
from emulator.config.cloudformation.properties import Properties
from emulator.config.cloudformation.references import LAYER_TYPES
from emulator.config.cloudformation.template import Template
from emulator.model import Function
from emulator.runtime.interpreters import RUNNING

#: Lambda's own bounds.
MAX_TIMEOUT_S = 900
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10_240
_LAYER_ARN_NAME = ":layer:"


def read_function(
    props: Properties, logical: str, code_dir: Path | None, layers: Mapping[str, Path]
) -> Function | None:
    """The function, or ``None`` when a setting it cannot run without is wrong (each reported)."""
    problem = rules.function_name_problem(logical)
    if problem is not None:
        props.error(None, f"function '{logical}': {problem}")
    if props.text("PackageType") == "Image":
        props.error(
            "PackageType",
            f"function '{logical}' is a container image; apig-emu runs Python handlers from source",
        )
        return None
    runtime = _runtime(props, logical)
    handler = props.text("Handler")
    if handler is None:
        props.error(None, f"function '{logical}' has no Handler (module.function, e.g. app.lambda_handler)")
        return None
    problem = rules.handler_problem(handler)
    if problem is not None:
        props.error("Handler", problem)
        return None
    timeout = props.integer("Timeout", 1, MAX_TIMEOUT_S, default=3)
    memory = props.integer("MemorySize", MIN_MEMORY_MB, MAX_MEMORY_MB, default=128)
    environment = _environment(props)
    if code_dir is None:
        return None
    return Function(
        name=logical,
        handler=handler,
        code_dir=code_dir,
        timeout=float(timeout or 3),
        memory=memory or 128,
        environment=environment,
        location=props.location(),
        handler_location=props.location("Handler"),
        layer_paths=tuple(_layer_paths(props, layers, runtime or RUNNING)),
        runtime=runtime,
        runtime_location=props.location("Runtime") if runtime is not None else None,
    )


def local_layers(template: Template, base: Path) -> dict[str, Path]:
    """Each layer of the template with local content: its folder, by logical id."""
    found: dict[str, Path] = {}
    for resource in template.resources(*LAYER_TYPES):
        props = Properties(template, (*resource.path, "Properties"), resource.properties)
        name = "ContentUri" if resource.type == "AWS::Serverless::LayerVersion" else "Content"
        folder = local_folder(props, name, base)
        if folder is not None:
            found[resource.logical_id] = folder
    return found


def layer_folders(folder: Path, runtime: str) -> list[Path]:
    """The folders of a layer Lambda puts on a function's path, for the function's runtime.

    A layer's zip holds ``python/`` (``/opt/python``) and perhaps ``python/lib/pythonX.Y/site-packages``
    for the runtime's version; a SAM layer built by ``sam build`` (``Metadata: BuildMethod: python…``)
    has its modules at the top of ``ContentUri``, which the build would move under ``python/``.
    """
    paths = [folder / "python", folder / "python" / "lib" / runtime / "site-packages"]
    return [path for path in paths if path.is_dir()] or [folder]


def _runtime(props: Properties, logical: str) -> str | None:
    """Its Python runtime; which interpreter runs it is the runtime's to say (``runtime/interpreters.py``)."""
    runtime = props.text("Runtime")
    if runtime is None:
        return None
    if not runtime.startswith("python"):
        props.error("Runtime", f"function '{logical}' runs on {runtime}; apig-emu runs Python handlers only")
        return None
    problem = rules.runtime_problem(runtime)
    if problem is not None:
        props.error("Runtime", f"function '{logical}': {problem}")
        return None
    return runtime


def _environment(props: Properties) -> dict[str, str]:
    environment = props.mapping("Environment")
    variables = environment.mapping("Variables") if environment is not None else None
    if variables is None:
        return {}
    values: dict[str, str] = {}
    for name in variables.names():
        problem = rules.environment_name_problem(name)
        if problem is not None:
            variables.error(name, problem)
            continue
        value = variables.text(name)
        if value is not None:
            values[name] = value
    problem = rules.environment_size_problem(values)
    if problem is not None and environment is not None:
        environment.error("Variables", problem)
    return values


def _layer_paths(props: Properties, layers: Mapping[str, Path], runtime: str) -> list[Path]:
    paths: list[Path] = []
    for index, arn in enumerate(props.strings("Layers")):
        name = arn.partition(_LAYER_ARN_NAME)[2].split(":")[0]
        if name in layers:
            paths.extend(layer_folders(layers[name], runtime))
        else:
            props.template.warn(
                (*props.at("Layers"), index),
                f"layer {arn} is not a layer of this template with local content: its code is not on the path",
            )
    return paths
