"""What a deployment needs to authorize requests, compiled once from the definitions.

Keys are parsed here, once per deployment (a reload parses them anew), so a request only verifies.
IAM credentials are indexed by access key id for ``AWS_IAM`` methods' SigV4 verifier (``sigv4.py``).
A pool's keys come from its ``user_pools:`` entry's JWKS, or, for a pool without ``jwks`` or without an
entry, from the project's built-in local issuer (``local_issuer.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from emulator.auth.cognito import CognitoVerifier, PoolKeys, public_keys
from emulator.auth.sigv4 import SigV4Verifier
from emulator.model import AuthOff, Authorizer, Definitions

log = logging.getLogger("apig_emu.auth")

HEADER_SOURCE = "method.request.header."
DEFAULT_HEADER = "Authorization"


@dataclass(frozen=True)
class Access:
    #: (api name, authorizer name) -> its verifier, for every COGNITO_USER_POOLS authorizer.
    cognito: Mapping[tuple[str, str], CognitoVerifier] = field(default_factory=dict)
    #: ``--auth off``: every method's authorization is skipped, ``auth_off``'s claims stand in.
    off: bool = False
    auth_off: AuthOff = field(default_factory=AuthOff)
    #: ``AWS_IAM`` methods' SigV4 verifier over the ``iam:`` credentials.
    iam: SigV4Verifier = field(default_factory=lambda: SigV4Verifier({}))

    def skips(self, api: str, path: str, verb: str) -> bool:
        return self.off or (api, path, verb) in self.auth_off.methods


def pool_id(provider_arn: str) -> str | None:
    """``arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123`` -> ``us-east-1_AbC123``."""
    marker = ":userpool/"
    if not provider_arn.startswith("arn:") or marker not in provider_arn:
        return None
    found = provider_arn.rsplit(marker, 1)[1]
    return found or None


def pool_ids(authorizer: Authorizer) -> list[str]:
    return [found for arn in authorizer.provider_arns if (found := pool_id(arn)) is not None]


def header_name(authorizer: Authorizer) -> str:
    """The header a Cognito authorizer reads its token from (its identity source)."""
    source = (authorizer.identity_source or "").strip()
    return source[len(HEADER_SOURCE) :] if source.startswith(HEADER_SOURCE) else DEFAULT_HEADER


def compile_access(definitions: Definitions, *, off: bool = False) -> Access:
    pools: dict[str, PoolKeys] = {}
    verifiers: dict[tuple[str, str], CognitoVerifier] = {}
    for api in definitions.apis.values():
        for authorizer in api.authorizers.values():
            if authorizer.type != "COGNITO_USER_POOLS":
                continue
            keys = [pools.setdefault(pool, _pool_keys(definitions, pool)) for pool in pool_ids(authorizer)]
            verifiers[(api.name, authorizer.name)] = CognitoVerifier(keys, header_name(authorizer))
    return Access(
        cognito=verifiers, off=off, auth_off=definitions.auth_off, iam=SigV4Verifier(dict(definitions.iam))
    )


def _pool_keys(definitions: Definitions, pool: str) -> PoolKeys:
    declared = definitions.user_pools.get(pool)
    if declared is not None and declared.jwks is not None:
        # Checked when the definitions were read, with the file and line of a problem.
        return PoolKeys(pool, public_keys(declared.jwks))
    # Imported here: it brings PyJWT and ``cryptography``, which an API without Cognito never needs.
    from emulator.auth.local_issuer import local_issuer, project_dir

    try:
        issuer = local_issuer(project_dir(definitions.sources))
    except (OSError, ValueError) as error:
        # Without its key no token can be verified: every request to the pool's methods is refused.
        log.error(
            "user pool %s: the local issuer's key is unusable (%s); its tokens are all refused", pool, error
        )
        return PoolKeys(pool, {})
    return PoolKeys(pool, {issuer.kid: issuer.public_key})
