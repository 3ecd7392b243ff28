"""SigV4 signatures of ``AWS_IAM`` methods, verified with botocore's signer, never a hand-written one.

The request is rebuilt as the client signed it (method, path as received, query, the signed headers
only, the body's hash) and botocore's ``SigV4Auth`` computes the canonical request, the string to sign
and the signature from the listed credential's secret; the result is compared in constant time. A
refusal is the ``GatewayError`` AWS answers with, its message AWS's own (companion C.4): a client
library's error handling meets locally what it meets on AWS.

botocore is imported here only, when the first signed request arrives: a project without ``AWS_IAM``
methods never loads it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

from emulator.account import REGION
from emulator.errors import (
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    UnrecognizedClient,
)
from emulator.model import IamCredential
from emulator.request import GatewayRequest

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
TIMESTAMP = "%Y%m%dT%H%M%SZ"
#: How far ``X-Amz-Date`` may be from the gateway's clock, either way.
MAX_SKEW_SECONDS = 5 * 60
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details.\n\n"
    "The Canonical String for this request should have been\n'{canonical}'\n\n"
    "The String-to-Sign should have been\n'{string_to_sign}'\n"
)


@dataclass(frozen=True)
class Signature:
    """What an ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` says."""

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


@lru_cache(maxsize=1024)
def parse_authorization(header: str, amz_date: str | None) -> Signature:
    """The header's parts, or AWS's ``IncompleteSignatureException`` naming what is missing or malformed."""
    _, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for part in (piece.strip() for piece in rest.split(",")):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise IncompleteSignature(
                message=f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                f"'{header}'."
            )
        params[name.strip()] = value.strip()
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in params
    ]
    if amz_date is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing or not header.startswith(ALGORITHM + " "):
        # Every parameter but another algorithm (``AWS4-HMAC-SHA512``...): AWS's wording is UNCONFIRMED.
        raise IncompleteSignature(
            message=" ".join(missing or _algorithm(header)) + f" Authorization={header}"
        )
    return Signature(
        *_scope(params["Credential"]),
        signed_headers=tuple(name.strip().lower() for name in params["SignedHeaders"].split(";")),
        signature=params["Signature"],
    )


def _scope(credential: str) -> tuple[str, str, str, str, str]:
    """``AKID/20261129/us-east-1/execute-api/aws4_request``'s five parts."""
    parts = credential.split("/")
    if len(parts) != 5:
        raise IncompleteSignature(
            message="Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/"
            f"term, got '{credential}'"
        )
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _algorithm(header: str) -> list[str]:
    written = header.strip().partition(" ")[0]
    return [f"Unsupported Authorization Type: '{written}'; expected {ALGORITHM}."]


@dataclass(frozen=True)
class Verified:
    credential: IamCredential
    #: The signature's ``X-Amz-Date``, for the decision's text.
    amz_date: str
    #: Signed in the query (a presigned URL) rather than the ``Authorization`` header.
    presigned: bool = False


@dataclass(frozen=True)
class Presigned:
    """A presigned URL's signature (``X-Amz-Signature`` and its companions in the query)."""

    signature: Signature
    amz_date: str
    expires: int
    token: str | None
    #: The query the client signed: all of it but ``X-Amz-Signature``, as written.
    signed_query: str


#: A presigned URL's parameters, each of which AWS requires.
_QUERY_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
)
#: SigV4's longest presigned lifetime: seven days.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600


def parse_presigned(query: str) -> Presigned | None:
    """The query's SigV4 parameters, ``None`` when it has none (the request is not presigned)."""
    pieces = [piece for piece in query.split("&") if piece]
    pairs = [(unquote(piece.partition("=")[0]), unquote(piece.partition("=")[2]), piece) for piece in pieces]
    found = {name: value for name, value, _ in pairs}
    if not any(name in found for name in _QUERY_PARAMS):
        return None
    if any(name not in found for name in _QUERY_PARAMS):
        raise IncompleteSignature(
            message="AWS query-string parameters must include "
            + ", ".join(f"'{name}'" for name in _QUERY_PARAMS)
            + ". Re-examine the query-string parameters."
        )
    if found["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(
            message=f"X-Amz-Algorithm only supports '{ALGORITHM}', not '{found['X-Amz-Algorithm']}'."
        )
    written = found.get("X-Amz-Expires", str(MAX_EXPIRES_SECONDS))
    if not written.isdigit() or not 0 < int(written) <= MAX_EXPIRES_SECONDS:
        raise IncompleteSignature(
            message=f"X-Amz-Expires must be a whole number of seconds from 1 to {MAX_EXPIRES_SECONDS}, got "
            f"'{written}'."
        )
    scope = _scope(found["X-Amz-Credential"])
    signature = Signature(
        *scope,
        signed_headers=tuple(name.strip().lower() for name in found["X-Amz-SignedHeaders"].split(";")),
        signature=found["X-Amz-Signature"],
    )
    signed_query = "&".join(piece for name, _, piece in pairs if name != "X-Amz-Signature")
    return Presigned(
        signature, found["X-Amz-Date"], int(written), found.get("X-Amz-Security-Token"), signed_query
    )


class SigV4Verifier:
    """Verifies requests against the ``iam:`` credentials, by access key id, at the gateway's time."""

    def __init__(self, credentials: Mapping[str, IamCredential]) -> None:
        self.credentials = credentials
        #: Signatures that verified, by everything the signature covers: the same request signed the same
        #: way verifies again without botocore (its time and token are still checked). Refusals are never
        #: kept; a reload makes a new verifier, so a changed secret starts afresh.
        self._verified: dict[tuple[object, ...], None] = {}

    def verify(self, request: GatewayRequest, now: float) -> Verified:
        header = request.header("authorization")
        presigned = parse_presigned(request.query_string) if header is None else None
        if presigned is not None:
            signature, amz_date, token = presigned.signature, presigned.amz_date, presigned.token
            query, lifetime = presigned.signed_query, presigned.expires
        elif header is None:
            raise MissingAuthenticationToken("no Authorization header: the request is not signed")
        else:
            found_date = request.header("x-amz-date")
            signature = parse_authorization(header, found_date)
            assert found_date is not None
            amz_date, token = found_date, request.header("x-amz-security-token")
            query, lifetime = request.query_string, MAX_SKEW_SECONDS
        credential = self.credentials.get(signature.access_key_id)
        if credential is None:
            raise UnrecognizedClient(
                f"access key id '{signature.access_key_id}' is not under iam: credentials"
            )
        if token != credential.session_token:
            which = (
                "carries no session token"
                if token is None
                else "carries a session token that is not its key's"
            )
            raise UnrecognizedClient(f"the request signed with '{credential.access_key_id}' {which}")
        _check_time(amz_date, now, lifetime)
        _check_scope(signature, amz_date)
        signed = _signed_parts(request, header, signature, amz_date)
        if signed not in self._verified:
            _check_signature(request, query, signature, credential, amz_date)
            if len(self._verified) >= MAX_REMEMBERED:
                self._verified.clear()
            self._verified[signed] = None
        return Verified(credential, amz_date, presigned=presigned is not None)

    def __repr__(self) -> str:
        return f"SigV4Verifier({sorted(self.credentials)})"


#: How many verified signatures a deployment remembers; past it, it forgets them all and starts again.
MAX_REMEMBERED = 4096


def _signed_parts(
    request: GatewayRequest, header: str | None, signature: Signature, amz_date: str
) -> tuple[object, ...]:
    """Everything a signature covers, and the signature itself: equal parts, equal verdict."""
    wanted = set(signature.signed_headers)
    values = tuple((name.lower(), value) for name, value in request.headers if name.lower() in wanted)
    body = hashlib.sha256(request.body).digest() if request.body else b""
    return (header, amz_date, request.method, request.raw_path, request.query_string, values, body)


def _check_time(amz_date: str, now: float, lifetime: int = MAX_SKEW_SECONDS) -> None:
    """Not older than ``lifetime`` (five minutes, or a presigned URL's ``X-Amz-Expires``), nor more than five
    minutes ahead."""
    try:
        signed_at = _parse_stamp(amz_date)
    except ValueError:
        raise IncompleteSignature(
            message=f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    # Whole seconds, as X-Amz-Date has them.
    whole = int(now)
    earliest, latest = whole - lifetime, whole + MAX_SKEW_SECONDS
    if signed_at < earliest:
        # A presigned URL's wording on execute-api is UNCONFIRMED: the header form's, with its lifetime.
        span = "5 min." if lifetime == MAX_SKEW_SECONDS else f"{lifetime} sec."
        raise InvalidSignature(
            message=f"Signature expired: {amz_date} is now earlier than {_stamp(earliest)} "
            f"({_stamp(whole)} - {span})"
        )
    if signed_at > latest:
        raise InvalidSignature(
            message=f"Signature not yet current: {amz_date} is still later than {_stamp(latest)} "
            f"({_stamp(whole)} + 5 min.)"
        )


@lru_cache(maxsize=256)
def _parse_stamp(amz_date: str) -> int:
    """``20261129T120000Z`` in epoch seconds; a client sends the same one for a second, so it is parsed once."""
    return int(datetime.strptime(amz_date, TIMESTAMP).replace(tzinfo=timezone.utc).timestamp())


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime(TIMESTAMP)


def _check_scope(signature: Signature, amz_date: str) -> None:
    if signature.date != amz_date[:8]:
        raise InvalidSignature(
            message="Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{signature.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if signature.region != REGION:
        raise InvalidSignature(
            message=f"Credential should be scoped to a valid region, not '{signature.region}'. "
        )
    if signature.service != SERVICE:
        raise InvalidSignature(message=f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if signature.terminator != "aws4_request":
        raise InvalidSignature(
            message=f"Credential should be scoped with a valid terminator: 'aws4_request', not "
            f"'{signature.terminator}'. "
        )


def _check_signature(
    request: GatewayRequest, query: str, signature: Signature, credential: IamCredential, amz_date: str
) -> None:
    declared = request.header("x-amz-content-sha256")
    if (
        declared is not None
        and "x-amz-content-sha256" in signature.signed_headers
        and declared not in (_UNSIGNED_PAYLOAD, hashlib.sha256(request.body).hexdigest())
    ):
        # The signature covers the declared hash, not the body: a body changed on the way would pass.
        raise InvalidSignature(
            message="The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    computed: tuple[str, str] | None = None
    for signed in _as_signed(request, query, signature, credential, amz_date):
        canonical, string_to_sign, expected = signed
        if hmac.compare_digest(expected, signature.signature):
            return
        computed = computed or (canonical, string_to_sign)
    assert computed is not None
    raise InvalidSignature(
        f"signature by '{credential.access_key_id}' does not match",
        message=_MISMATCH.format(canonical=computed[0], string_to_sign=computed[1]),
    )


def _as_signed(
    request: GatewayRequest, query: str, signature: Signature, credential: IamCredential, amz_date: str
) -> Iterator[tuple[str, str, str]]:
    """(canonical request, string to sign, signature) of the request as a client would have signed it.

    The query first in its canonical form (each name and value percent-encoded once, as SigV4 prescribes
    and botocore does from parameters), then as written in the URL (what botocore signs when handed a URL
    whose query is already encoded, as a ``requests`` or ``httpx`` auth hook is): both are the client's
    signature over the same parameters.
    """
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"http://{request.host}{request.raw_path}" + (f"?{query}" if query else "")
    aws_request = AWSRequest(method=request.method, url=url)
    aws_request.context["payload"] = hashlib.sha256(request.body).hexdigest()
    wanted = set(signature.signed_headers)
    for name, value in request.headers:
        if name.lower() in wanted:
            aws_request.headers[name.lower()] = value
    aws_request.context["timestamp"] = amz_date
    signer = _signer_class()(
        Credentials(credential.access_key_id, credential.secret_access_key), SERVICE, REGION
    )
    forms = [[(unquote(name), unquote(value)) for name, _, value in _pairs(query)], None]
    for params in forms:
        aws_request.params = params or {}
        if params is None and not query:
            break
        canonical = signer.canonical_request(aws_request)
        string_to_sign = signer.string_to_sign(aws_request, canonical)
        yield canonical, string_to_sign, signer.signature(string_to_sign, aws_request)


def _pairs(query: str) -> list[tuple[str, str, str]]:
    return [piece.partition("=") for piece in query.split("&") if piece]


@cache
def _signer_class() -> Any:
    """botocore's ``SigV4Auth`` that signs exactly the headers the client listed, none that botocore would
    add (``host``) or leave out (``user-agent``): the request is put together from those alone."""
    from botocore.auth import SigV4Auth
    from botocore.compat import HTTPHeaders

    class ListedHeadersSigner(SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, aws_request: Any) -> Any:
            chosen = HTTPHeaders()
            for name, value in aws_request.headers.items():
                chosen[name.lower()] = value
            return chosen

        def payload(self, aws_request: Any) -> str:
            # The body's SHA-256, as botocore's own computes it for a plain-HTTP request, hashed once by
            # the caller rather than through botocore's request preparation.
            return str(aws_request.context["payload"])

    return ListedHeadersSigner
