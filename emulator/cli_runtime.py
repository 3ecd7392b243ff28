"""``serve``'s execution environments: where handlers run, how the log looks, and hot reload."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from emulator.config.errors import described, in_order
from emulator.log_text import PrintableStream
from emulator.log_writer import LogWriter
from emulator.logs import LOG_FORMATS, configure
from emulator.model import Definitions
from emulator.runtime.debugging import DebugTarget
from emulator.runtime.invoker import Invoker
from emulator.runtime.isolation import ISOLATIONS, create_invoker
from emulator.runtime.worker_limits import DEFAULT_IDLE_TIMEOUT, WORKER_MB, default_max_workers
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
        "--max-workers",
        type=worker_count,
        default=None,
        metavar="N",
        help="the most worker processes at once, all functions together (process isolation; default on "
        f"this machine: {default_max_workers()}, about {WORKER_MB} MB each). At the limit a cold start "
        "retires the least recently used idle worker, else waits for one, else is throttled",
    )
    serve.add_argument(
        "--idle-timeout",
        type=idle_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="retire a worker idle this long, as Lambda reclaims idle execution environments; its "
        f"function's next request starts cold (default: {DEFAULT_IDLE_TIMEOUT:g}, ten minutes; 0 keeps them)",
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
    cannot be opened. From then on stdout and stderr escape what is printed as the log does."""
    try:
        writer = configure(args.log_format, quiet=args.quiet, log_file=args.log_file)
    except OSError as exc:
        print(f"apig-emu: cannot open the log file {args.log_file}: {exc.strerror or exc}", file=sys.stderr)
        return None
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    return writer


def invoker_for(args: argparse.Namespace, *, debug: DebugTarget | None = None) -> Invoker:
    return create_invoker(
        args.isolation, max_workers=args.max_workers, idle_timeout=args.idle_timeout, debug=debug
    )


def concurrency_notes(definitions: Definitions, max_workers: int, setting: str) -> list[str]:
    """Functions whose ``concurrency`` the cap on worker processes cuts short, in words for the log.

    Any concurrency AWS accepts is valid (a definition is also for deploying), but each execution
    environment here is a process, and ``--max-workers`` bounds them all.
    """
    return [
        f"function {function.name!r}: concurrency {function.concurrency}, but at most {max_workers} of its "
        f"requests run at once in the emulator, which runs {max_workers} worker processes at most ({setting})"
        for function in definitions.functions.values()
        if function.concurrency > max_workers
    ]


def print_concurrency_notes(definitions: Definitions) -> None:
    """``validate``'s notes, for the limit ``serve`` has by default on this machine."""
    setting = "serve --max-workers; the default on this machine"
    for note in concurrency_notes(definitions, default_max_workers(), setting):
        print(f"note: {note}")


def note_concurrency(args: argparse.Namespace, definitions: Definitions) -> None:
    if args.isolation != "process":
        return
    if args.max_workers is None:
        max_workers, setting = default_max_workers(), "--max-workers; the default on this machine"
    else:
        max_workers, setting = args.max_workers, "--max-workers"
    for note in concurrency_notes(definitions, max_workers, setting):
        log.info("%s", note)


def worker_count(text: str) -> int:
    """``--max-workers``: a whole number of processes, at least one."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of worker processes, 1 or more, got {text!r}"
        )
    return count


def idle_seconds(text: str) -> float:
    """``--idle-timeout``: seconds, 0 for never."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds, 0 (never) or more, got {text!r}")
    return seconds


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
        # A line a record: the text log escapes a line break that a record's value brings.
        for line in text.splitlines():
            log.warning("%s", line)


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
