"""``apig-emu token``: a token of the built-in local issuer, for a frontend or ``curl`` to log in as anyone.

It reads the same definitions as ``serve`` (``--config`` and the rest), so the pool it signs for, and
the project key it signs with, are the ones ``serve`` verifies against. The token alone goes to stdout:
``TOKEN=$(apig-emu token --sub alice)``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import Any

from emulator.auth.cognito import TOKEN_USES

AddConfigOptions = Callable[[argparse.ArgumentParser], None]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``1h``, ``30m``, ``90s``, ``2d`` or plain seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 1h, 30m, 90s or 2d, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def claim(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def add_command(commands: Any, add_config_options: AddConfigOptions) -> None:
    token = commands.add_parser(
        "token",
        help="print a token of the built-in local issuer for a user",
        description="Print a JWT for a user of one of the definitions' user pools, signed by the built-in "
        "local issuer (its key is kept in the project's .apig-emu/, made on first use). serve accepts it on "
        "methods whose Cognito authorizer names that pool, unless the pool has a jwks file under user_pools:.",
    )
    token.add_argument("--pool", default=None, help="the user pool id (default: the only local pool)")
    token.add_argument("--sub", required=True, help="the user: the token's sub and username")
    token.add_argument(
        "--groups", default="", metavar="G1,G2", help="the user's groups (cognito:groups), comma-separated"
    )
    token.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help='an OAuth scope, e.g. "orders/read" (repeatable, or several space-separated)',
    )
    token.add_argument(
        "--claim", action="append", default=[], type=claim, metavar="NAME=VALUE", help="a claim (repeatable)"
    )
    token.add_argument(
        "--expires-in", type=duration, default=3600.0, metavar="DURATION", help="e.g. 1h, 30m (default: 1h)"
    )
    token.add_argument(
        "--token-use",
        choices=TOKEN_USES,
        default="id",
        help="id (for methods without scopes) or access (for methods with scopes) (default: id)",
    )
    add_config_options(token)


def cmd_token(args: argparse.Namespace) -> int:
    from emulator.auth.tokens import TokenProblem, mint
    from emulator.cli import load_or_report

    definitions = load_or_report(args)
    if definitions is None:
        return 1
    scopes = [scope for text in args.scope for scope in text.split()]
    try:
        token = mint(
            definitions,
            args.sub,
            pool=args.pool,
            groups=[group.strip() for group in args.groups.split(",") if group.strip()],
            scopes=scopes,
            claims=dict(args.claim),
            expires_in=args.expires_in,
            token_use=args.token_use,
        )
    except TokenProblem as problem:
        print(f"apig-emu token: {problem}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"apig-emu token: the local issuer's key: {error}", file=sys.stderr)
        return 1
    if scopes and args.token_use == "id":
        print(
            "apig-emu token: note: scopes are checked on access tokens only; add --token-use access",
            file=sys.stderr,
        )
    print(token)
    return 0


COMMANDS = {"token": cmd_token}
