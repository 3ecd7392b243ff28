"""Minting a token for a user of one of the definitions' pools: what ``apig-emu token``, the harness and
the pytest fixture share, so each names pools and refuses alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from emulator.auth.access import pool_ids
from emulator.model import Definitions


class TokenProblem(ValueError):
    """A token that cannot be minted for these definitions; the message says why and what would do."""


def pools(definitions: Definitions) -> list[str]:
    """Every pool the definitions know, in order: those under ``user_pools:``, then those authorizers name."""
    found = list(definitions.user_pools)
    for api in definitions.apis.values():
        for authorizer in api.authorizers.values():
            if authorizer.type == "COGNITO_USER_POOLS":
                found += [pool for pool in pool_ids(authorizer) if pool not in found]
    return found


def local_pool(definitions: Definitions, pool: str | None) -> str:
    """The pool to mint for: ``pool`` if the local issuer signs for it, else the only one it signs for."""
    known = pools(definitions)
    local = [
        name
        for name in known
        if (declared := definitions.user_pools.get(name)) is None or declared.jwks is None
    ]
    if pool is None:
        if len(local) == 1:
            return local[0]
        if not local:
            raise TokenProblem(
                "no user pool of these definitions is the local issuer's"
                + (f" (pools with a jwks file: {', '.join(known)})" if known else "")
                + "; name one under user_pools: with {} or give an authorizer a pool ARN"
            )
        raise TokenProblem(f"several user pools; name one with --pool: {', '.join(local)}")
    if pool in local:
        return pool
    if pool in known:
        raise TokenProblem(
            f"user pool '{pool}' is verified with its jwks file: only the real pool can sign its tokens; "
            f"the local issuer signs for {', '.join(local) or 'no pool here'}"
        )
    raise TokenProblem(f"unknown user pool '{pool}'; the pools are: {', '.join(known) or '(none)'}")


def mint(
    definitions: Definitions,
    sub: str,
    *,
    pool: str | None = None,
    groups: Iterable[str] = (),
    scopes: Iterable[str] = (),
    claims: Mapping[str, object] | None = None,
    expires_in: float = 3600,
    token_use: str = "id",
    now: float | None = None,
) -> str:
    # Imported by the first token: it brings PyJWT and ``cryptography``, and the pytest plugin and the
    # harness import this module whether a test mints tokens or not.
    from emulator.auth.local_issuer import local_issuer, project_dir

    issuer = local_issuer(project_dir(definitions.sources))
    return issuer.mint(
        local_pool(definitions, pool),
        sub,
        groups=groups,
        scopes=scopes,
        claims=claims,
        expires_in=expires_in,
        token_use=token_use,
        now=now,
    )


def mint_for(
    definitions: Definitions,
    sub: str = "test-user",
    *,
    pool: str | None = None,
    groups: Iterable[str] = (),
    scopes: Iterable[str] = (),
    claims: Mapping[str, object] | None = None,
    expires_in: float = 3600,
    token_use: str | None = None,
    now: float | None = None,
) -> str:
    """``mint`` as the harness and the pytest fixture offer it: with ``scopes``, an access token by default."""
    use = token_use or ("access" if scopes else "id")
    return mint(
        definitions,
        sub,
        pool=pool,
        groups=groups,
        scopes=scopes,
        claims=claims,
        expires_in=expires_in,
        token_use=use,
        now=now,
    )
