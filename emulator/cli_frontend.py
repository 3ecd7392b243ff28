"""``serve``'s options for frontend developers: the inspector, the static origin and ``--mock``.

Kept apart from ``emulator.cli`` so that ``cmd_serve`` reads as its few steps, each a call here.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.config import ConfigErrors
from emulator.config.builder import MockAnswer
from emulator.config.mocks import parse_mock_option
from emulator.listening import bound_port, listen, port_number

if TYPE_CHECKING:
    import uvicorn
    from starlette.routing import BaseRoute

    from emulator.gateway import Gateway
    from emulator.server import GracefulServer

#: Where the inspector lives (``emulator.inspector.PREFIX``), without importing the web stack for ``validate``.
INSPECTOR_PREFIX = "/_emu"

log = logging.getLogger("apig_emu")


def allowed_host(value: str) -> str:
    """``--allowed-host``'s type: argparse shows the message of an ``ArgumentTypeError`` only."""
    from emulator.inspector.hosts import allowed_host_option

    try:
        return allowed_host_option(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--static",
        type=Path,
        metavar="DIR",
        help="also serve this frontend folder on its own origin (--static-port), index.html for unknown routes",
    )
    serve.add_argument(
        "--static-port",
        type=port_number,
        default=8080,
        help="port of the --static origin, 0 for any free one (default: 8080)",
    )
    serve.add_argument(
        "--mock",
        action="append",
        default=[],
        metavar="FUNCTION=FILE_OR_JSON",
        help="answer FUNCTION's methods with a fixed response for this run, e.g. "
        'items=\'{"status": 200, "body": {"items": []}}\' or items=mocks/items.json (repeatable)',
    )
    serve.add_argument(
        "--no-inspector", action="store_true", help=f"do not serve the live inspector at {INSPECTOR_PREFIX}/"
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        type=allowed_host,
        metavar="NAME",
        help=f"a Host name the inspector at {INSPECTOR_PREFIX}/ also answers to, besides localhost, "
        "*.localhost, loopback addresses and --host (others get a 403: a defence against DNS "
        "rebinding); *.example.test for every name under a domain, * for any name (repeatable)",
    )


def mocks_from_args(args: argparse.Namespace) -> dict[str, MockAnswer] | None:
    """``--mock``'s answers by function, for loading the definitions; ``None`` after printing what is wrong."""
    mocks: dict[str, MockAnswer] = {}
    try:
        for option in args.mock:
            name, answer = parse_mock_option(option, cwd=Path.cwd())
            mocks[name] = answer
    except ConfigErrors as errors:
        print(errors, file=sys.stderr)
        return None
    return mocks


def check_static(args: argparse.Namespace) -> bool:
    if args.static is not None and not args.static.is_dir():
        print(f"--static {args.static}: no such folder", file=sys.stderr)
        return False
    if args.static is not None and args.static_port == args.port != 0:
        print(f"--static-port {args.static_port} is the API's port; pick another", file=sys.stderr)
        return False
    return True


def app_routes(args: argparse.Namespace, gateway: Gateway) -> list[BaseRoute]:
    """The emulator's own pages for ``create_app``: the inspector, recording from now on."""
    from emulator.inspector import AllowedHosts, Recorder, inspector_routes

    if args.no_inspector:
        return []
    if "*" in args.allowed_host:
        log.warning(
            "--allowed-host '*': the inspector answers any Host name, so a web page that rebinds its "
            "name to this machine can read the recorded requests (with their Authorization headers)"
        )
    recorder = Recorder()
    recorder.attach(gateway)
    return inspector_routes(recorder, AllowedHosts([args.host, *args.allowed_host]))


def listen_static(args: argparse.Namespace) -> list[socket.socket]:
    """The static origin's sockets, if ``--static`` asks for one (raises ``ListenError``)."""
    return [] if args.static is None else listen(args.host, args.static_port)


def describe(args: argparse.Namespace, base_url: str, static_sockets: list[socket.socket]) -> str:
    """The lines ``serve`` prints under the route table: where the inspector and the frontend are."""
    lines = []
    if not args.no_inspector:
        lines.append(f"Inspector: {base_url}{INSPECTOR_PREFIX}/")
    if args.static is not None:
        shown = base_url.rsplit(":", 1)[0]
        lines.append(f"Frontend:  {shown}:{bound_port(static_sockets)}/  (serving {args.static.resolve()})")
    return "\n".join(lines)


def make_server(
    args: argparse.Namespace, config: uvicorn.Config, static_sockets: list[socket.socket]
) -> GracefulServer:
    """The server for ``config``; with ``--static``, one that runs the static origin alongside."""
    if args.static is None:
        from emulator.server import GracefulServer

        return GracefulServer(config)
    from emulator.static import with_static

    return with_static(config, args.static, static_sockets)
