"""``apig-emu event`` and ``apig-emu invoke``: the test harness's event factories and runtime in a shell.

``event`` prints what the gateway would deliver for a request, built by the same code as the server's
events; ``invoke`` runs one function once, as Lambda's Invoke API does, so the two pipe together::

    apig-emu event proxy --path /Prod/items/1 | apig-emu invoke items --event -
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator import ids
from emulator.config.nodes import did_you_mean
from emulator.model import Definitions, Function
from emulator.runtime.result import InvocationResult
from emulator.table import backend_label

#: Exit status when the command could not run at all (a bad argument), as argparse uses it.
USAGE_ERROR = 2

AddConfigOptions = Callable[[argparse.ArgumentParser], None]


def add_commands(commands: Any, add_config_options: AddConfigOptions) -> None:
    """Register ``event`` and ``invoke`` on the ``apig-emu`` parser's subcommands."""
    event = commands.add_parser(
        "event",
        help="print the event the gateway would deliver for a request",
        description="Print, as JSON, the event the gateway would deliver to the function that serves "
        "this request under the definitions: a Lambda proxy event, or a non-proxy method's JSON body.",
    )
    event.add_argument("kind", choices=("proxy", "json"), help="the integration's event: proxy or json")
    event.add_argument("--method", default="GET", help="the HTTP method (default: GET)")
    event.add_argument("--path", required=True, help="the URL path, stage first: /Prod/items/1")
    event.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable)"
    )
    event.add_argument(
        "--query", action="append", default=[], metavar="NAME=VALUE", help="a query parameter (repeatable)"
    )
    event.add_argument("--body", default=None, help="the request body: text, @FILE, or @- for stdin")
    add_config_options(event)

    invoke = commands.add_parser(
        "invoke",
        help="run one function once and print its result",
        description="Invoke a function as Lambda's Invoke API would: print its result (or error object) "
        "on stdout and its logs on stderr; exit 1 if the function failed.",
    )
    invoke.add_argument("function", help="the function's name in the definitions")
    invoke.add_argument(
        "--event",
        default=None,
        metavar="FILE|-",
        help="a JSON file holding the event, or - for stdin (default: {})",
    )
    add_config_options(invoke)


def _load(args: argparse.Namespace) -> Definitions | None:
    from emulator.cli import load_or_report

    # ``invoke`` runs the handler in this process, on a thread.
    return load_or_report(args, isolation="thread" if args.command == "invoke" else "process")


def _usage(command: str, message: str) -> int:
    print(f"apig-emu {command}: {message}", file=sys.stderr)
    return USAGE_ERROR


def _pairs(values: list[str], separator: str) -> list[tuple[str, str]] | None:
    pairs = []
    for value in values:
        name, found, rest = value.partition(separator)
        if not found or not name.strip():
            return None
        pairs.append((name.strip(), rest.strip() if separator == ":" else rest))
    return pairs


def _body(value: str | None) -> bytes | None:
    if value is None:
        return None
    if value == "@-":
        return sys.stdin.buffer.read()
    if value.startswith("@"):
        return Path(value[1:]).read_bytes()
    return value.encode()


def cmd_event(args: argparse.Namespace) -> int:
    from emulator.testing.events import EventError, EventFactory

    headers = _pairs(args.header, ":")
    if headers is None:
        return _usage("event", f"--header expects NAME:VALUE, got {args.header}")
    query = _pairs(args.query, "=")
    if query is None:
        return _usage("event", f"--query expects NAME=VALUE, got {args.query}")
    try:
        body = _body(args.body)
    except OSError as exc:
        return _usage("event", f"--body: cannot read {args.body[1:]!r}: {exc.strerror or exc}")
    definitions = _load(args)
    if definitions is None:
        return 1
    factory = EventFactory(definitions)
    try:
        match, event = factory.routed_event(
            args.method.upper(), args.path, headers=headers, query=query, body=body, kind=args.kind
        )
    except EventError as error:
        print(f"apig-emu event: {error}", file=sys.stderr)
        return 1
    # A function named through a stage variable is the request's stage's.
    function = backend_label(match.method, match.stage)
    print(
        f"event for function {function!r}: {match.method.http_method} {match.resource.path} "
        f"of API {match.api.name!r}, stage {match.stage.name}",
        file=sys.stderr,
    )
    print(json.dumps(event, indent=2))
    return 0


def _read_event(source: str | None) -> Any:
    if source is None:
        return {}
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def invoke_function(function: Function, event: Any) -> InvocationResult:
    """One invocation outside any API, in this process, with Lambda's context, environment and timeout.

    The invocation gets an event loop of its own, in a thread: the caller's thread may have one
    running already (Playwright's sync API leaves one marked as running).
    """
    from anyio.from_thread import start_blocking_portal

    from emulator.runtime.threads import ThreadInvoker

    invoker = ThreadInvoker()

    async def run() -> InvocationResult:
        try:
            return await invoker.invoke(function, event, trace_id=ids.trace_id(int(time.time())))
        finally:
            await invoker.aclose()

    with start_blocking_portal() as portal:
        return portal.call(run)


def cmd_invoke(args: argparse.Namespace) -> int:
    from emulator.logs import log_invocation

    try:
        event = _read_event(args.event)
    except OSError as exc:
        return _usage("invoke", f"--event: cannot read {args.event!r}: {exc.strerror or exc}")
    except ValueError as exc:
        return _usage("invoke", f"--event: not JSON: {exc}")
    definitions = _load(args)
    if definitions is None:
        return 1
    function = definitions.functions.get(args.function)
    if function is None:
        names = sorted(definitions.functions)
        return _usage(
            "invoke",
            f"no function {args.function!r}{did_you_mean(args.function, names)}; "
            f"the functions are: {', '.join(names) or 'none'}",
        )
    result = invoke_function(function, event)
    log_invocation(function, result)
    try:
        shown = json.dumps(json.loads(result.payload), indent=2)
    except ValueError:
        shown = result.payload.decode("utf-8", "replace")
    print(shown, flush=True)
    if result.timed_out:
        # The handler's thread cannot be stopped, and Python would wait for it before exiting.
        print(
            "apig-emu invoke: the handler is still running; exiting without it", file=sys.stderr, flush=True
        )
        os._exit(1)
    return 1 if result.function_error else 0


COMMANDS = {"event": cmd_event, "invoke": cmd_invoke}
