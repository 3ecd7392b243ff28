"""``apig-emu``: serve the API, print its routes, validate its definitions, export them for AWS."""

from __future__ import annotations

import argparse
import logging
import platform
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import emulator
from emulator import cli_debug, cli_export, cli_frontend, cli_harness, cli_runtime, cli_token
from emulator.config import ConfigErrors, formats, load
from emulator.config.builder import MockAnswer
from emulator.config.companion import companion_note
from emulator.config.errors import settle, warnings_report
from emulator.config.overrides import OverrideError, parse_overrides
from emulator.key_listing import format_api_keys
from emulator.listening import ListenError, bound_port, listen, port_number, url_port
from emulator.log_writer import LogWriter
from emulator.logs import TextFormatter
from emulator.model import Definitions
from emulator.not_executed import Note, grouped, not_executed
from emulator.stopping import exit_interrupted
from emulator.table import format_table
from emulator.validation import COMMAND_LINE, validate

log = logging.getLogger("apig_emu")
#: ``serve``'s port when neither ``--port`` nor the definitions name one.
DEFAULT_PORT = 3000


def _add_config_options(parser: argparse.ArgumentParser, *, local: bool = True) -> None:
    """The options that say which definitions to read and how.

    ``--stage`` is defined here alone, for every command: serverless's ``${opt:stage}`` everywhere, and
    where the definitions run here (``local``) it also keeps only that stage of each API. ``export``
    (not ``local``) writes for AWS: its ``--stage`` picks the stage to write while every stage stays
    loaded, so that export can name them, and ``--env-vars`` (local values) is not offered.
    """
    parser.add_argument(
        "--config",
        "-t",
        "--template",
        dest="config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the definitions: apig-emu's YAML (a file, or a folder of them), a SAM or CloudFormation "
        "template, recognised by content (default: the first of "
        f"{', '.join(formats.default_paths())} found in the working directory)",
    )
    parser.add_argument(
        "--code-dir",
        type=Path,
        default=None,
        help="where handler modules are imported from, like Lambda's code root; a template's CodeUri "
        "folders are relative to it, as with sam's --base-dir (default: the working directory; for a "
        "template, its folder)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="a template's Parameters, as sam local start-api takes them: Key=Value or "
        "ParameterKey=Key,ParameterValue=Value, several per argument or in several arguments",
    )
    parser.add_argument(
        "--stage",
        default=None,
        metavar="NAME",
        help=(
            "the stage: serverless.yml's ${opt:stage}, as sls offline --stage; then only this stage of each "
            "API is served (an API without it is not served; none with it is an error)"
            if local
            else "the stage to describe: openapi's server URL (default: one server per stage); sam's "
            "StageName and stage variables (default: the only stage); for serverless.yml, also its "
            "${opt:stage}"
        ),
    )
    # Only serve and routes take --no-stage-prefix (``_add_stage_prefix_option``).
    parser.set_defaults(stage_prefix=True, stage_narrows=local)
    if not local:
        parser.set_defaults(env_vars=None)
        return
    parser.add_argument(
        "--env-vars",
        type=Path,
        default=None,
        metavar="FILE",
        help='SAM CLI\'s JSON of environment variables: {"FunctionName": {"VAR": "value"}, "Parameters": '
        '{"VAR": "value"}}, Parameters for every function, a function\'s own entry winning; as in SAM CLI, '
        "only variables a function declares in its definition are overridden",
    )


def resolve_config(args: argparse.Namespace) -> str | None:
    """Fill in ``args.config``, ``args.code_dir`` and ``args.overrides``; what is wrong if they cannot be.

    Without ``--config`` the default files are looked for in order, and the one found is named on
    stderr, so that a user whose folder holds both a config/apig.yaml and a template.yaml sees which
    one was served.
    """
    try:
        args.overrides = parse_overrides(args.parameter_overrides)
    except OverrideError as error:
        return f"--parameter-overrides: {error}"
    if args.config is None:
        found = formats.find_default(Path.cwd())
        if found is None:
            return (
                f"no definitions found: none of {', '.join(formats.default_paths())} is in {Path.cwd()}; "
                "name them with --config FILE (or -t FILE)"
            )
        args.config = found
        print(
            f"apig-emu: using {found}, {formats.recognise(found).title} (no --config given)", file=sys.stderr
        )
    if args.code_dir is None:
        args.code_dir = formats.recognise(args.config).default_code_dir(args.config)
    return None


def _add_stage_prefix_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-stage-prefix",
        dest="stage_prefix",
        action="store_false",
        help="serve the APIs at the root, /items rather than /Prod/items, as behind a custom domain whose "
        "base path mapping is empty (sam local start-api's URLs; serverless-offline's noPrependStageInUrl); "
        "where two stages could answer a path the first does, and the clash is reported",
    )


def _add_aws_endpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aws-endpoint-url",
        default=None,
        metavar="URL",
        help="where AWS service integrations (DynamoDB, SQS… actions and paths) send their signed calls, "
        "e.g. moto_server's or LocalStack's http://127.0.0.1:5000; wins over the definitions' aws: settings "
        "and AWS_ENDPOINT_URL. Without any, such methods answer 500 and the log says so",
    )


def _add_warnings_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on-warnings",
        action="store_true",
        help="treat the definitions' warnings (e.g. an OpenAPI document's unsupported extensions) as errors, "
        "as AWS's import does with failonwarnings=true",
    )


def version() -> str:
    """The installed distribution's version; the package's own when it runs from a checkout uninstalled."""
    import importlib.metadata

    try:
        return importlib.metadata.version("apig-emu")
    except importlib.metadata.PackageNotFoundError:
        return f"{emulator.__version__} (not installed)"


class _PrintVersion(argparse.Action):
    """``--version``, looked up only when asked for: reading the metadata would cost every command ~60 ms."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"{parser.prog} {version()} (Python {platform.python_version()})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apig-emu", description="Emulate AWS API Gateway REST APIs locally."
    )
    parser.add_argument(
        "--version",
        action=_PrintVersion,
        help="print the version of apig-emu (and of the Python running it) and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the APIs over HTTP",
        description="Serve the APIs over HTTP, running each function's handler as Lambda would. Prints the "
        "route table once listening; Ctrl-C or SIGTERM stops it, letting requests in flight finish.",
    )
    _add_config_options(serve)
    _add_warnings_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=port_number,
        default=None,
        help=f"port to bind, 0 for any free one (default: the definitions' own, as serverless.yml's "
        f"custom.serverless-offline.httpPort, else {DEFAULT_PORT})",
    )
    _add_stage_prefix_option(serve)
    _add_aws_endpoint_option(serve)
    serve.add_argument(
        "--auth",
        choices=("on", "off"),
        default="on",
        help="off: serve every method without its authorization, its requestContext.authorizer filled "
        "from the definitions' auth_off: (for frontend work; logged) (default: on)",
    )
    cli_frontend.add_serve_options(serve)
    cli_runtime.add_serve_options(serve)
    cli_debug.add_serve_options(serve)
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        help="seconds a client has to send a whole request before a 408 (default: 30; 0 disables)",
    )

    routes = commands.add_parser(
        "routes",
        help="print every route with its URL",
        description="Print every route of every API with its URL, integration, function and CORS, as "
        "serve prints them when it starts.",
    )
    _add_config_options(routes)
    _add_warnings_option(routes)
    routes.add_argument(
        "--host", default="127.0.0.1", help="the host the URLs name, as serve --host (default: 127.0.0.1)"
    )
    routes.add_argument(
        "--port",
        type=url_port,
        default=None,
        help=f"the port the URLs name, as serve --port (default: as serve's, else {DEFAULT_PORT})",
    )
    _add_stage_prefix_option(routes)
    _add_aws_endpoint_option(routes)

    validate = commands.add_parser(
        "validate",
        help="check the definitions and the handlers they name",
        description="Check the definitions and import every handler they name, as serve would; print "
        "every problem found and exit 1 if there is any.",
    )
    _add_config_options(validate)
    _add_warnings_option(validate)

    cli_harness.add_commands(commands, _add_config_options)
    cli_export.add_command(commands, lambda parser: _add_config_options(parser, local=False))
    cli_token.add_command(commands, _add_config_options)
    return parser


def _print_warnings(text: str) -> None:
    print(text, file=sys.stderr)


def _print_note(text: str) -> None:
    print(f"apig-emu: {text}", file=sys.stderr)


def _log_note(text: str) -> None:
    log.info("%s", text)


def _log_warnings(text: str) -> None:
    for line in text.splitlines():
        log.warning("%s", line)


def load_or_report(
    args: argparse.Namespace,
    mocks: Mapping[str, MockAnswer] | None = None,
    *,
    fail_on_warnings: bool = False,
    warn: Callable[[str], None] = _print_warnings,
    isolation: str = "process",
    say: Callable[[str], None] = _print_note,
) -> Definitions | None:
    """The definitions ``args`` name, or ``None`` after printing every error to stderr; warnings go to ``warn``,
    the line naming a template's companion ``apig-emu.yaml`` to ``say``.

    ``isolation`` is where the command runs the handlers (``serve``'s by default), which some warnings
    depend on. ``export`` keeps every stage loaded: its ``--stage`` picks what to write.
    """
    loaded = load(
        args.config,
        code_dir=args.code_dir,
        mocks=mocks,
        parameter_overrides=args.overrides,
        env_vars=args.env_vars,
        isolation=isolation,
        stage=args.stage,
        stage_narrows=args.stage_narrows,
        no_stage_prefix=not args.stage_prefix,
        aws_endpoint_url=getattr(args, "aws_endpoint_url", None),
    )
    errors, warnings = settle(loaded.errors, loaded.warnings, fail_on_warnings=fail_on_warnings)
    if errors:
        print(ConfigErrors(errors), file=sys.stderr)
        return None
    note = companion_note(loaded.definitions)
    if note is not None:
        say(note)
    if warnings:
        warn(warnings_report(warnings))
    return loaded.definitions


def _report_root_clashes(
    args: argparse.Namespace, definitions: Definitions, warn: Callable[[str], None]
) -> None:
    """At the root (``--no-stage-prefix``, or the definitions' ``noPrependStageInUrl``): what two stages
    would both answer, and which one does."""
    from emulator.root_clashes import root_clashes

    if definitions.serving.stage_in_path:
        return
    said = "--no-stage-prefix" if not args.stage_prefix else "served at the root"
    for line in root_clashes(definitions):
        warn(f"{said}: {line}")


def _print_api_keys(definitions: Definitions) -> None:
    listing = format_api_keys(definitions)
    if listing:
        print(listing, flush=True)


def _log_not_executed(notes: Iterable[Note]) -> None:
    """What the gateway serves without, or answers 500 for, until it executes it: one line per note."""
    for line in grouped(notes):
        log.warning("not executed yet: %s", line)


def _port(args: argparse.Namespace, definitions: Definitions) -> int:
    """``--port``, else the port the definitions ask for (serverless-offline's), else the default."""
    if args.port is not None:
        return int(args.port)
    return DEFAULT_PORT if definitions.serving.port is None else definitions.serving.port


def _base_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def cmd_validate(args: argparse.Namespace) -> int:
    # Handlers are imported in a throwaway process, as serve's default isolation would import them:
    # one that crashes, hangs or exits at import is reported, not fatal to validate.
    definitions, errors, warnings = validate(
        args.config,
        code_dir=args.code_dir,
        isolation="process",
        setting=COMMAND_LINE,
        fail_on_warnings=args.fail_on_warnings,
        parameter_overrides=args.overrides,
        env_vars=args.env_vars,
        stage=args.stage,
    )
    if errors:
        print(ConfigErrors(errors), file=sys.stderr)
        return 1
    note = companion_note(definitions)
    if note is not None:
        _print_note(note)
    if warnings:
        print(warnings_report(warnings), file=sys.stderr)
    counted = f", {len(warnings)} warning(s)" if warnings else ""
    print(
        f"{args.config}: {len(definitions.apis)} API(s), {len(definitions.functions)} function(s), "
        f"no errors{counted}"
    )
    cli_runtime.print_concurrency_notes(definitions)
    return 0


def cmd_routes(args: argparse.Namespace) -> int:
    definitions = load_or_report(args, fail_on_warnings=args.fail_on_warnings)
    if definitions is None:
        return 1
    _report_root_clashes(args, definitions, _print_warnings)
    print(
        format_table(definitions, _base_url(args.host, _port(args, definitions)), not_executed(definitions))
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    writer = cli_runtime.configure_logging(args)
    if writer is None:
        return 1
    try:
        return _serve(args, writer)
    finally:
        # Whatever ended the server, even an exception: its lines before the traceback Python prints.
        writer.stop()


def _serve(args: argparse.Namespace, writer: LogWriter) -> int:
    from emulator.app import create_app
    from emulator.deployment import deploy
    from emulator.exchange_log import ExchangeLog
    from emulator.gateway import Gateway
    from emulator.server import (
        DEFAULT_REQUEST_TIMEOUT,
        abandon_handler_threads,
        log_listening,
        tune_garbage_collector,
        uvicorn_config,
        warn_if_exposed,
    )

    mocks = cli_frontend.mocks_from_args(args)
    if mocks is None or not cli_frontend.check_static(args):
        return 1
    definitions = load_or_report(
        args,
        mocks,
        fail_on_warnings=args.fail_on_warnings,
        warn=_log_warnings,
        isolation=args.isolation,
        say=_log_note,
    )
    if definitions is None:
        return 1
    debug = cli_debug.debug_target(args, definitions)
    if isinstance(debug, str):
        print(f"apig-emu serve: {debug}", file=sys.stderr)
        return cli_harness.USAGE_ERROR
    if debug is not None:
        definitions = cli_debug.debugged(definitions, debug.function)
    cli_runtime.warn_about_handlers(args, definitions)
    cli_runtime.note_concurrency(args, definitions)
    args.port = _port(args, definitions)
    try:
        sockets = listen(args.host, args.port)
        static_sockets = cli_frontend.listen_static(args)
    except ListenError as error:
        print(f"apig-emu serve: {error}", file=sys.stderr)
        return 1
    base_url = _base_url(args.host, bound_port(sockets))
    invoker = cli_runtime.invoker_for(args, debug=debug)
    deployment = deploy(definitions, auth_off=args.auth == "off")
    gateway = Gateway(deployment, invoker=invoker, log=ExchangeLog(writer))
    print(format_table(definitions, base_url, deployment.notes), flush=True)
    _print_api_keys(definitions)
    _log_not_executed(deployment.notes)
    _report_root_clashes(args, definitions, _log_warnings)
    print(cli_frontend.describe(args, base_url, static_sockets), flush=True)
    warn_if_exposed(args.host)
    log_listening(sockets)
    timeout = DEFAULT_REQUEST_TIMEOUT if args.request_timeout is None else args.request_timeout
    app = create_app(gateway, routes=cli_frontend.app_routes(args, gateway))

    def redeployed(new: Definitions) -> None:
        notes = not_executed(new)
        print(format_table(new, base_url, notes), flush=True)
        _print_api_keys(new)
        _log_not_executed(notes)
        _report_root_clashes(args, new, _log_warnings)

    def reload() -> Definitions | None:
        new = load_or_report(
            args,
            mocks,
            fail_on_warnings=args.fail_on_warnings,
            warn=_log_warnings,
            isolation=args.isolation,
            say=_log_note,
        )
        if new is not None and debug is not None and debug.function in new.functions:
            new = cli_debug.debugged(new, debug.function)
        return new

    cli_runtime.install_reload(args, app, load=reload, on_deploy=redeployed)
    config = uvicorn_config(
        app,
        host=args.host,
        port=args.port,
        request_timeout=timeout,
        timeout_graceful_shutdown=cli_runtime.GRACEFUL_SHUTDOWN_S,
    )
    server = cli_frontend.make_server(args, config, static_sockets)
    server.abandon = lambda: cli_runtime.reap(invoker)
    tune_garbage_collector()
    try:
        server.run(sockets=sockets)
    finally:
        cli_runtime.reap(invoker)
    abandon_handler_threads(interrupted=server.interrupted)
    if server.interrupted:
        exit_interrupted()
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "routes": cmd_routes,
    "validate": cmd_validate,
    **cli_harness.COMMANDS,
    **cli_export.COMMANDS,
    **cli_token.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The message, escaped as serve's log escapes it: ``invoke`` prints the function's output.
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setFormatter(TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[terminal])
    problem = resolve_config(args)
    if problem is not None:
        print(f"apig-emu {args.command}: {problem}", file=sys.stderr)
        return cli_harness.USAGE_ERROR
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        # Ctrl-C outside the server's loop (loading, checking handlers, ``invoke``): stopped as asked.
        exit_interrupted()


if __name__ == "__main__":
    sys.exit(main())
