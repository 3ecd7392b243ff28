"""Cognito user-pool authorizers (``COGNITO_USER_POOLS``): a token's signature, issuer, expiry and use, for real.

Every peer decodes these tokens without checking them, so a test passes with a token AWS would
refuse. Here a token is accepted only if every check passes: RS256 (nothing else, so ``alg: none``
and HS256 signed with the public key are refused before any key is touched), a ``kid`` one of the
authorizer's pools published, a valid signature, the pool's issuer, an unexpired ``exp``, and the
``token_use`` the method asks for: an ID token when the method has no authorization scopes, an
access token carrying one of them when it has. Any failure is the same 401 AWS answers, the reason
kept for the log and the inspector.

The keys are parsed once per deployment (``PoolKeys``). A token whose signature and issuer were
verified is remembered by its exact text, in the deployment's verifier, so that a client sending the
same token again costs no RSA and JSON work: any other text (a single byte changed) is verified
afresh, a refused token is never remembered, and the time and the method's ``token_use``/scopes are
checked on every request. A reload deploys anew and forgets them all.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.errors import Unauthorized

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

#: The one algorithm Cognito signs with.
ALGORITHM = "RS256"
#: The ``token_use`` of a pool's tokens: an ID token, or an access token (with scopes).
TOKEN_USES = ("id", "access")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Claims AWS delivers as Java's ``Date.toString()`` rather than as the number in the token.
_DATE_CLAIMS = frozenset({"exp", "iat"})
#: Verified tokens remembered per authorizer: a local test suite or frontend uses a handful.
_REMEMBERED = 1024


class JwksProblem(ValueError):
    """A JWKS that cannot verify anything: said when the definitions load, with the file and key."""


def issuer(pool_id: str) -> str:
    """The ``iss`` of a pool's tokens; the region is the pool id's prefix (``us-east-1_AbC123``)."""
    return f"https://cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/{pool_id}"


def public_keys(jwks: Mapping[str, object]) -> dict[str, RSAPublicKey]:
    """A JWKS's RSA keys by ``kid``; raises ``JwksProblem`` naming the key that is wrong.

    PyJWT and ``cryptography`` are imported by the first pool that needs them, here and in
    ``_signed_claims``: they cost a fifth of ``serve``'s start, and most APIs have no Cognito authorizer.
    """
    import jwt
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from jwt.algorithms import RSAAlgorithm

    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise JwksProblem("expected a JSON Web Key Set: an object whose 'keys' is a non-empty list")
    found: dict[str, RSAPublicKey] = {}
    for index, jwk in enumerate(keys):
        where = f"keys[{index}]"
        if not isinstance(jwk, dict):
            raise JwksProblem(f"{where} is not an object")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise JwksProblem(f"{where} has no 'kid': a token names the key it was signed with by its kid")
        if jwk.get("kty") != "RSA":
            raise JwksProblem(
                f"{where} ('{kid}') is not an RSA key (kty {jwk.get('kty')!r}); Cognito signs with RSA"
            )
        if jwk.get("alg", ALGORITHM) != ALGORITHM:
            raise JwksProblem(f"{where} ('{kid}') is for {jwk.get('alg')!r}; Cognito signs with {ALGORITHM}")
        if kid in found:
            raise JwksProblem(f"{where}: kid '{kid}' is used twice")
        try:
            key = RSAAlgorithm.from_jwk(jwk)
        except (jwt.InvalidKeyError, ValueError, TypeError, KeyError) as error:
            raise JwksProblem(f"{where} ('{kid}') is not a valid RSA key: {error}") from None
        # A private key's file gives the public half: only that is ever needed to verify.
        found[kid] = key.public_key() if isinstance(key, RSAPrivateKey) else key
    return found


@dataclass(frozen=True)
class PoolKeys:
    """One pool as a deployment verifies against it: its issuer and its public keys by ``kid``."""

    pool_id: str
    keys: Mapping[str, RSAPublicKey]

    @property
    def issuer(self) -> str:
        return issuer(self.pool_id)


class CognitoVerifier:
    """One authorizer's check: the pools its ``providerARNs`` name, the header its token comes in."""

    def __init__(self, pools: Iterable[PoolKeys], header: str) -> None:
        self.pools = tuple(pools)
        self.header = header
        # kid -> (key, issuer); a kid two pools publish verifies against each in turn.
        self._keys: dict[str, list[tuple[RSAPublicKey, str]]] = {}
        # Exact token text -> its verified claims and those claims as delivered.
        self._verified: OrderedDict[str, tuple[dict[str, Any], dict[str, str]]] = OrderedDict()
        for pool in self.pools:
            for kid, key in pool.keys.items():
                self._keys.setdefault(kid, []).append((key, pool.issuer))

    def claims(self, token: str | None, scopes: tuple[str, ...], now: float) -> dict[str, str]:
        """The claims as ``requestContext.authorizer.claims`` holds them (a fresh dict for each request).

        ``now`` is the request's time on the gateway's clock, which a test moves to expire a token.
        """
        return dict(self._check(token, scopes, now)[1])

    def verify(self, token: str | None, scopes: tuple[str, ...], now: float) -> dict[str, Any]:
        """The token's claims, or ``Unauthorized`` with the reason; ``scopes`` are the method's."""
        return dict(self._check(token, scopes, now)[0])

    def _check(
        self, token: str | None, scopes: tuple[str, ...], now: float
    ) -> tuple[dict[str, Any], dict[str, str]]:
        if not token:
            raise Unauthorized(f"no token in the {self.header} header")
        verified = self._verified.get(token)
        if verified is None:
            claims = self._signed(token)
            verified = (claims, delivered_claims(claims))
        _check_time(verified[0], now)
        _check_use(verified[0], scopes)
        if token not in self._verified:
            self._verified[token] = verified
            if len(self._verified) > _REMEMBERED:
                self._verified.popitem(last=False)
        return verified

    def _signed(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature and issuer are good; its time and use are not checked here."""
        header = _header(token)
        if header is None:
            raise Unauthorized(f"the {self.header} header is not a JWT")
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            raise Unauthorized(f"token signed with {algorithm!r}; a user pool's tokens are {ALGORITHM}")
        kid = header.get("kid")
        candidates = self._keys.get(kid) if isinstance(kid, str) else None
        if not candidates:
            raise Unauthorized(f"token signed with key {kid!r}, which none of the authorizer's pools publish")
        return self._signed_claims(token, candidates)

    def _signed_claims(self, token: str, candidates: list[tuple[RSAPublicKey, str]]) -> dict[str, Any]:
        import jwt

        problem = "no key"
        for key, expected_issuer in candidates:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    issuer=expected_issuer,
                    # Time is checked against the gateway's clock below; Cognito's ``aud`` is the app
                    # client, which API Gateway does not check.
                    options={
                        "verify_exp": False,
                        "verify_iat": False,
                        "verify_nbf": False,
                        "verify_aud": False,
                        "require": ["exp", "iss", "token_use"],
                    },
                )
            except jwt.PyJWTError as error:
                problem = str(error)
                continue
            return claims
        raise Unauthorized(f"token refused: {problem}")


def _check_time(claims: Mapping[str, Any], now: float) -> None:
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        raise Unauthorized("token's exp is not a number")
    if now >= expires:
        raise Unauthorized(f"token expired at {java_date(expires)}")
    not_before = claims.get("nbf")
    if not_before is not None and (not _is_number(not_before) or now < not_before):
        raise Unauthorized("token not valid yet (nbf)")


def _header(token: str) -> dict[str, Any] | None:
    """The token's header, read only to pick the key; PyJWT reads it again, strictly, when it verifies."""
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return None
    return header if isinstance(header, dict) else None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_use(claims: Mapping[str, Any], scopes: tuple[str, ...]) -> None:
    use = claims.get("token_use")
    if not scopes:
        if use != "id":
            raise Unauthorized(f"an ID token is needed (the method has no authorization scopes); got {use!r}")
        return
    if use != "access":
        raise Unauthorized(f"an access token is needed (the method has authorization scopes); got {use!r}")
    granted = claims.get("scope")
    held = set(granted.split()) if isinstance(granted, str) else set()
    if not held.intersection(scopes):
        raise Unauthorized(
            f"the token's scopes ({granted or 'none'}) hold none of the method's: {' '.join(scopes)}"
        )


def java_date(epoch: float) -> str:
    """Java's ``Date.toString()`` in UTC, as AWS renders ``exp`` and ``iat``: ``Wed Nov 15 10:00:00 UTC 2023``."""
    moment = time.gmtime(int(epoch))
    return (
        f"{_DAYS[moment.tm_wday]} {_MONTHS[moment.tm_mon - 1]} {moment.tm_mday:02d} "
        f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} UTC {moment.tm_year}"
    )


def delivered_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as a REST API delivers them in ``requestContext.authorizer.claims``: every value a string.

    Booleans are ``"true"``/``"false"`` and numbers their digits (recorded, reference C.2); ``exp`` and
    ``iat`` Java dates. A list (``cognito:groups``) is joined with commas: a decision, AWS's exact
    rendering is unrecorded (chalice splits it on commas). Objects are their compact JSON.
    """
    delivered: dict[str, str] = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and _is_number(value):
            delivered[name] = java_date(value)
        elif isinstance(value, str):
            delivered[name] = value
        elif isinstance(value, bool):
            delivered[name] = "true" if value else "false"
        elif isinstance(value, list):
            delivered[name] = ",".join(str(item) for item in value)
        elif _is_number(value):
            delivered[name] = str(value)
        else:
            delivered[name] = json.dumps(value, separators=(",", ":"))
    return delivered
