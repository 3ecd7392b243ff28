"""``serve``'s execution environments: where handlers run, how the log looks, and hot reload."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from emulator.config.errors import described, in_order
from emulator.log_writer import LogWriter
from emulator.logs import LOG_FORMATS, configure
from emulator.model import Definitions
from emulator.runtime.invoker import Invoker
from emulator.runtime.isolation import ISOLATIONS, create_invoker
from emulator.validation import COMMAND_LINE, handler_errors

log = logging.getLogger("apig_emu")

if TYPE_CHECKING:
    from starlette.applications import Starlette

#: Seconds ``serve`` lets requests in flight finish after Ctrl-C or SIGTERM: the longest integration
#: timeout (29 s) plus a margin, so every request gets its answer, even if it is a 504.
GRACEFUL_SHUTDOWN_S = 30


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--isolation",
        choices=ISOLATIONS,
        default="process",
        help="run each function in worker processes of its own (default), or in the emulator's "
        "process on threads, where breakpoints work",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text (coloured on a terminal) or json, one object per line (default: text)",
    )
    serve.add_argument(
        "--log-file",
        metavar="PATH",
        default=None,
        help="append the log to this file instead of stderr (if writing fails, e.g. a full disk, "
        "requests are still answered and stderr says so once)",
    )
    serve.add_argument(
        "--quiet",
        action="store_true",
        help="log warnings and errors only: no START/END/REPORT, handler output or access lines",
    )
    serve.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="restart a function's workers when its code changes, redeploy when the config changes "
        "(default: on when run from a terminal)",
    )


def configure_logging(args: argparse.Namespace) -> LogWriter | None:
    """Set the log up as the options say: its writer, or ``None``, having said why, if the log file
    cannot be opened."""
    try:
        return configure(args.log_format, quiet=args.quiet, log_file=args.log_file)
    except OSError as exc:
        print(f"apig-emu: cannot open the log file {args.log_file}: {exc.strerror or exc}", file=sys.stderr)
        return None


def invoker_for(args: argparse.Namespace) -> Invoker:
    return create_invoker(args.isolation)


def warn_about_handlers(args: argparse.Namespace, definitions: Definitions) -> None:
    """Handlers that will not load, in ``validate``'s words; the server starts all the same, as Lambda would.

    Checked in a throwaway process unless handlers run in this one.
    """
    functions = list(definitions.functions.values())
    errors = handler_errors(functions, isolation=args.isolation, setting=COMMAND_LINE)
    if not errors:
        return
    count = len(errors)
    log.warning(
        "%d handler%s not load; %s routes answer as Lambda would, with an init error:",
        count,
        " does" if count == 1 else "s do",
        "its" if count == 1 else "their",
    )
    for text in described(in_order(errors)):
        log.warning("%s", text)


def reload_enabled(args: argparse.Namespace) -> bool:
    if args.reload is not None:
        return bool(args.reload)
    return sys.stdin.isatty() and sys.stdout.isatty()


def install_reload(
    args: argparse.Namespace,
    app: Starlette,
    *,
    load: Callable[[], Definitions | None],
    on_deploy: Callable[[Definitions], None] | None = None,
) -> bool:
    """Watch the code and the config while the app serves, if ``--reload`` (or a terminal) says so."""
    if not reload_enabled(args):
        return False
    from emulator.reload import Reloader

    reloader = Reloader(app, config=args.config, code_dir=args.code_dir, load=load, on_deploy=on_deploy)
    app.state.background = [*getattr(app.state, "background", ()), reloader.run]
    return True


def reap(invoker: Invoker) -> None:
    """After the server stopped: no worker may outlive it, even if its shutdown was cut short."""
    kill_now = getattr(invoker, "kill_now", None)
    if kill_now is not None:
        kill_now()
