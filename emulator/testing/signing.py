"""Signing a test's requests with SigV4, as an AWS SDK signs them, to call ``AWS_IAM`` methods.

``SigV4Signer`` is an auth object for ``httpx`` (``auth=``) and ``requests`` (``auth=``) alike, built on
botocore's signer: the request a test sends is signed the way a client in production signs it, so the
gateway's verification is exercised for real. ``Harness.signer`` makes one for a key of the ``iam:``
section, signing at the harness's clock; ``Harness.get(url, sign_as="AKIDEXAMPLE")`` uses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx

from emulator.account import REGION
from emulator.auth.sigv4 import SERVICE, TIMESTAMP

#: Signed besides ``host``: the content type and AWS's own headers, which no proxy rewrites. Headers such
#: as ``accept-encoding`` or ``connection`` are left out: a hop on the way may change them.
_ALSO_SIGNED = ("content-type",)


class SigV4Signer(httpx.Auth):
    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        *,
        session_token: str | None = None,
        region: str = REGION,
        now: Callable[[], float] = time.time,
    ) -> None:
        """``now`` is the signing time: the gateway's clock, which refuses a signature five minutes off it."""
        self.access_key_id = access_key_id
        self._secret = secret_access_key
        self._token = session_token
        self.region = region
        self._now = now

    def sign(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"") -> dict[str, str]:
        """The headers that sign the request: ``Authorization``, ``X-Amz-Date`` (and the session token)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        chosen = {
            name.lower(): value
            for name, value in headers.items()
            if name.lower() in _ALSO_SIGNED or name.lower().startswith("x-amz-") or name.lower() == "host"
        }
        request = AWSRequest(method=method, url=url, data=body, headers=chosen)
        request.context["timestamp"] = datetime.fromtimestamp(self._now(), timezone.utc).strftime(TIMESTAMP)
        signer = SigV4Auth(Credentials(self.access_key_id, self._secret, self._token), SERVICE, self.region)
        # add_auth's steps, at the signing time given rather than the machine's.
        signer._modify_request_before_signing(request)
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signer._inject_signature_to_request(request, signature)
        added = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
        return {name: request.headers[name] for name in added if name in request.headers}

    def presign(self, method: str, url: str, *, expires: int = 300) -> str:
        """``url`` with the signature in its query (a presigned URL), good for ``expires`` seconds."""
        from botocore.auth import SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=method, url=url, headers={"host": httpx.URL(url).netloc.decode()})
        request.context["timestamp"] = datetime.fromtimestamp(self._now(), timezone.utc).strftime(TIMESTAMP)
        signer = SigV4QueryAuth(
            Credentials(self.access_key_id, self._secret, self._token), SERVICE, self.region, expires=expires
        )
        # add_auth's steps, at the signing time given.
        signer._modify_request_before_signing(request)
        canonical = signer.canonical_request(request)
        signer._inject_signature_to_request(
            request, signer.signature(signer.string_to_sign(request, canonical), request)
        )
        return str(request.url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self.sign(request.method, str(request.url), request.headers, request.read()))
        yield request

    def __call__(self, request: Any) -> Any:
        """``requests``' auth hook: it hands over a ``PreparedRequest`` to sign in place."""
        body = request.body or b""
        signed = self.sign(
            request.method, request.url, request.headers, body.encode() if isinstance(body, str) else body
        )
        request.headers.update(signed)
        return request

    def __repr__(self) -> str:
        return f"SigV4Signer({self.access_key_id!r}, secret=***)"
