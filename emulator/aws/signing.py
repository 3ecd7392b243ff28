"""Signing a service call with SigV4, by botocore's own signer, as whom the settings or the environment say.

botocore is what every AWS SDK for Python signs with, and what moto and LocalStack are tested against:
a hand-made signer would be one more thing to get subtly wrong (canonical query order, header folding,
S3's payload hash). It is imported here only, and this module only when a service integration is
served, so that a configuration without one never pays botocore's import (a quarter of a second).

Credentials: the YAML's ``aws.credentials``, else botocore's chain (environment, shared files and
profiles, a container's role) without the EC2 instance metadata lookup, which off EC2 only waits for a
timeout. With none found, calls are signed with the placeholder key ``test`` (what moto and LocalStack
accept), and the log says so once. The integration's role ARN (``credentials`` on the integration) is
not assumed: locally there is no IAM to ask; it is named in the log line of each call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials, create_credential_resolver
from botocore.session import get_session

from emulator.model import AwsCredentials

log = logging.getLogger("apig_emu.aws")

PLACEHOLDER = ReadOnlyCredentials("test", "test", None)


class Signer:
    """Signs calls with the configured keys, or with botocore's chain's, found once and refreshed as it says."""

    def __init__(self, configured: AwsCredentials | None) -> None:
        self._configured = configured
        self._lock = threading.Lock()
        self._found: Credentials | None = None
        self._looked = False

    @property
    def ready(self) -> bool:
        """Whether ``credentials()`` answers without reading anything."""
        return self._configured is not None or self._looked

    def credentials(self) -> tuple[ReadOnlyCredentials, str]:
        """The keys to sign with, and where they came from (for the log). Reads files: call off the loop."""
        if self._configured is not None:
            keys = self._configured
            return ReadOnlyCredentials(
                keys.access_key_id, keys.secret_access_key, keys.session_token
            ), "aws.credentials"
        with self._lock:
            if not self._looked:
                self._looked = True
                self._found = _chain()
                if self._found is None:
                    log.warning(
                        "no AWS credentials found (aws.credentials in the YAML, AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY, ~/.aws): AWS service integrations sign with the placeholder "
                        "access key 'test', which moto and LocalStack accept"
                    )
        if self._found is None:
            return PLACEHOLDER, "placeholder"
        return self._found.get_frozen_credentials(), self._found.method

    def sign(
        self,
        keys: ReadOnlyCredentials,
        *,
        service: str,
        region: str,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> list[tuple[str, str]]:
        """``headers`` with SigV4's (``Authorization``, ``X-Amz-Date``, the session token) added."""
        request = AWSRequest(method=method, url=url, data=body)
        for name, value in headers:
            request.headers[name] = value
        # S3 signs the payload's hash as a header of its own (x-amz-content-sha256), which it checks.
        auth = S3SigV4Auth if service == "s3" else SigV4Auth
        auth(Credentials(keys.access_key, keys.secret_key, keys.token), service, region).add_auth(request)
        return list(request.headers.items())


def _chain() -> Credentials | None:
    resolver = create_credential_resolver(get_session())
    resolver.remove("iam-role")
    found: Credentials | None = resolver.load_credentials()
    return found
