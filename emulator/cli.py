"""``apig-emu``: serve the API, print its routes, validate its definitions."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from emulator import cli_frontend, cli_harness, cli_runtime
from emulator.config import DEFAULT_CONFIG_PATH, ConfigErrors, load_definitions
from emulator.config.builder import MockAnswer
from emulator.model import Definitions
from emulator.table import format_table
from emulator.validation import COMMAND_LINE, validate

log = logging.getLogger("apig_emu")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"a YAML file, or a folder of them (default: {DEFAULT_CONFIG_PATH})",
    )
    parser.add_argument(
        "--code-dir",
        type=Path,
        default=None,
        help="where handler modules are imported from, like Lambda's code root (default: the working directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apig-emu", description="Emulate AWS API Gateway REST APIs locally."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the APIs over HTTP")
    _add_config_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to bind (default: 3000)")
    cli_frontend.add_serve_options(serve)
    cli_runtime.add_serve_options(serve)
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        help="seconds a client has to send a whole request before a 408 (default: 30; 0 disables)",
    )

    routes = commands.add_parser("routes", help="print every route with its URL")
    _add_config_options(routes)
    routes.add_argument("--host", default="127.0.0.1")
    routes.add_argument("--port", type=int, default=3000)

    validate = commands.add_parser("validate", help="check the definitions and the handlers they name")
    _add_config_options(validate)

    cli_harness.add_commands(commands, _add_config_options)
    return parser


def load_or_report(
    config: Path, code_dir: Path | None, mocks: Mapping[str, MockAnswer] | None = None
) -> Definitions | None:
    """The definitions, or ``None`` after printing every error to stderr."""
    try:
        return load_definitions(config, code_dir=code_dir, mocks=mocks)
    except ConfigErrors as errors:
        print(errors, file=sys.stderr)
        return None


def _base_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def cmd_validate(args: argparse.Namespace) -> int:
    # Handlers are imported in a throwaway process, as serve's default isolation would import them:
    # one that crashes, hangs or exits at import is reported, not fatal to validate.
    definitions, errors = validate(
        args.config, code_dir=args.code_dir, isolation="process", setting=COMMAND_LINE
    )
    if errors:
        print(ConfigErrors(errors), file=sys.stderr)
        return 1
    print(
        f"{args.config}: {len(definitions.apis)} API(s), {len(definitions.functions)} function(s), no errors"
    )
    return 0


def cmd_routes(args: argparse.Namespace) -> int:
    definitions = load_or_report(args.config, args.code_dir)
    if definitions is None:
        return 1
    print(format_table(definitions, _base_url(args.host, args.port)))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from emulator.app import create_app
    from emulator.deployment import deploy
    from emulator.gateway import Gateway
    from emulator.server import (
        DEFAULT_REQUEST_TIMEOUT,
        abandon_handler_threads,
        tune_garbage_collector,
        uvicorn_config,
        warn_if_exposed,
    )

    if not cli_runtime.configure_logging(args):
        return 1
    mocks = cli_frontend.mocks_from_args(args)
    if mocks is None or not cli_frontend.check_static(args):
        return 1
    definitions = load_or_report(args.config, args.code_dir, mocks)
    if definitions is None:
        return 1
    cli_runtime.warn_about_handlers(args, definitions)
    invoker = cli_runtime.invoker_for(args)
    gateway = Gateway(deploy(definitions), invoker=invoker)
    print(format_table(definitions, _base_url(args.host, args.port)), flush=True)
    print(cli_frontend.describe(args, _base_url(args.host, args.port)), flush=True)
    warn_if_exposed(args.host)
    timeout = DEFAULT_REQUEST_TIMEOUT if args.request_timeout is None else args.request_timeout
    app = create_app(gateway, routes=cli_frontend.app_routes(args, gateway))
    cli_runtime.install_reload(
        args,
        app,
        load=lambda: load_definitions(args.config, code_dir=args.code_dir, mocks=mocks),
        on_deploy=lambda new: print(format_table(new, _base_url(args.host, args.port)), flush=True),
    )
    config = uvicorn_config(
        app,
        host=args.host,
        port=args.port,
        request_timeout=timeout,
        timeout_graceful_shutdown=cli_runtime.GRACEFUL_SHUTDOWN_S,
    )
    server = cli_frontend.wrap_server(args, uvicorn.Server(config))
    tune_garbage_collector()
    try:
        server.run()
    except KeyboardInterrupt:
        cli_runtime.reap(invoker)
        abandon_handler_threads(130)
        raise
    cli_runtime.reap(invoker)
    abandon_handler_threads(0)
    return 0


COMMANDS = {"serve": cmd_serve, "routes": cmd_routes, "validate": cmd_validate, **cli_harness.COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.code_dir is None:
        args.code_dir = Path.cwd()
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
