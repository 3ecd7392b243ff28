"""``serve --debug-port PORT`` and ``--debug-function NAME``: which function is debugged, and how it is prepared.

SAM CLI debugs the function a request invokes, starting a container for it per request. Here
environments are warm workers and one port serves one of them, so one function is debugged for the
server's life: the one ``--debug-function`` names, else the only function of the definitions;
with several and none named, ``serve`` refuses and lists them. See ``runtime/debugging.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import socket

from emulator.config.lambda_uris import UnresolvedFunction, resolve_function
from emulator.config.nodes import did_you_mean
from emulator.model import Definitions, Integration, Method, RestApi
from emulator.runtime.debugging import DEBUG_HOST, DEBUG_TIMEOUT_S, DebugTarget, debugpy_problem
from emulator.runtime.interpreters import executable

#: What to install where debugpy is missing from the Python running apig-emu.
INSTALL_HINT = "pip install 'apig-emu[debug]'"


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--debug-port",
        "-d",
        type=_debug_port,
        default=None,
        metavar="PORT",
        help="start the debugged function's worker under debugpy, listening on 127.0.0.1:PORT and waiting "
        "for your IDE to attach before it runs the function, as sam local start-api -d does (needs "
        f"debugpy: {INSTALL_HINT}; implies one worker for it, no timeouts while it is paused)",
    )
    serve.add_argument(
        "--debug-function",
        default=None,
        metavar="NAME",
        help="the function --debug-port debugs (default: the only function; with several, required)",
    )


def _debug_port(text: str) -> int:
    try:
        port = int(text, 10)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return port


def debug_target(args: argparse.Namespace, definitions: Definitions) -> DebugTarget | str | None:
    """The function to debug and where, ``None`` without ``--debug-port``, or what is wrong."""
    if args.debug_port is None:
        return "--debug-function needs --debug-port PORT" if args.debug_function is not None else None
    if args.isolation != "process":
        return (
            "--debug-port starts a function's worker process under debugpy, so it needs --isolation process; "
            "under --isolation thread handlers run in apig-emu's own process: start apig-emu itself under "
            "your debugger instead"
        )
    names = sorted(definitions.functions)
    name = args.debug_function
    if name is None:
        if len(names) != 1:
            listed = ", ".join(names) or "none"
            return f"--debug-port: the definitions have {len(names)} functions ({listed}); name the one to debug with --debug-function NAME"
        name = names[0]
    elif name not in definitions.functions:
        return f"--debug-function: no function {name!r}{did_you_mean(name, names)}; the functions are: {', '.join(names) or 'none'}"
    python = executable(definitions.functions[name])
    problem = debugpy_problem(python)
    if problem is not None:
        return f"--debug-port: {problem}; install it for that Python ({python} -m pip install debugpy, or {INSTALL_HINT} where apig-emu is installed)"
    try:
        with socket.socket() as probe:
            probe.bind((DEBUG_HOST, args.debug_port))
    except OSError as exc:
        return f"--debug-port: cannot listen on {DEBUG_HOST}:{args.debug_port}: {exc.strerror or exc}"
    return DebugTarget(name, args.debug_port)


def debugged(definitions: Definitions, name: str) -> Definitions:
    """The definitions with ``name`` ready to be debugged: one worker, no timeout to cut a pause short."""
    function = dataclasses.replace(definitions.functions[name], timeout=DEBUG_TIMEOUT_S, concurrency=1)
    apis = {key: _patient(api, name) for key, api in definitions.apis.items()}
    return dataclasses.replace(definitions, apis=apis, functions={**definitions.functions, name: function})


def _patient(api: RestApi, name: str) -> RestApi:
    """The API with every integration that may call ``name`` waiting as long as the debugger needs."""
    resources = {}
    for path, resource in api.resources.items():
        methods = {
            verb: _waiting(method) if _calls(api, method.integration, name) else method
            for verb, method in resource.methods.items()
        }
        resources[path] = (
            dataclasses.replace(resource, methods=methods) if methods != resource.methods else resource
        )
    return dataclasses.replace(api, resources=resources)


def _waiting(method: Method) -> Method:
    integration = dataclasses.replace(method.integration, timeout_ms=DEBUG_TIMEOUT_S * 1000)
    return dataclasses.replace(method, integration=integration)


def _calls(api: RestApi, integration: Integration, name: str) -> bool:
    """Whether the integration calls ``name`` on some stage (directly, or through a stage variable)."""
    if integration.function is not None:
        return integration.function == name
    if integration.uri is None or "${stageVariables." not in integration.uri:
        return False
    for stage in api.stages.values():
        try:
            if resolve_function(integration.uri, stage.name, stage.variables) == name:
                return True
        except UnresolvedFunction:
            continue
    return False
