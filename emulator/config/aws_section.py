"""The YAML's top-level ``aws:`` section: where AWS service integrations call, in which region, as whom.

    aws:
      endpoint_url: http://127.0.0.1:5000      # every service (serve --aws-endpoint-url wins)
      endpoints: {dynamodb: http://127.0.0.1:8000}
      region: us-east-1                        # instead of each uri's region
      credentials: {access_key_id: test, secret_access_key: test, session_token: ...}

The emulator's own settings (AWS knows its endpoints, and signs as the integration's role), read into
``model.AwsSettings``; one file of a configuration holds them.
"""

from __future__ import annotations

import re

from emulator.aws.endpoints import url_problem
from emulator.config.nodes import Field, Reader
from emulator.model import AwsCredentials, AwsSettings

KEYS = ("endpoint_url", "endpoints", "region", "credentials")
_CREDENTIAL_KEYS = ("access_key_id", "secret_access_key", "session_token")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
#: A uri's service: its endpoint prefix, as in ``arn:aws:apigateway:REGION:SERVICE:…``.
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*")


def read_aws(reader: Reader, field: Field) -> AwsSettings | None:
    keys = reader.mapping(field, optional=KEYS)
    if keys is None:
        return None
    region = reader.string(keys["region"]) if "region" in keys else None
    if region is not None and not _REGION.fullmatch(region):
        reader.error(keys["region"], f"'{region}' is not an AWS region (such as us-east-1)")
        region = None
    return AwsSettings(
        endpoint_url=_url(reader, keys["endpoint_url"]) if "endpoint_url" in keys else None,
        endpoints=_endpoints(reader, keys["endpoints"]) if "endpoints" in keys else {},
        region=region,
        credentials=_credentials(reader, keys["credentials"]) if "credentials" in keys else None,
        location=reader.location(field),
    )


def _endpoints(reader: Reader, field: Field) -> dict[str, str]:
    endpoints: dict[str, str] = {}
    for service, value in (reader.entries(field) or {}).items():
        if not _SERVICE.fullmatch(service):
            reader.error(
                value,
                f"'{service}' is not a service name as an integration's uri names it (dynamodb, sqs, states…: "
                "lower case)",
            )
            continue
        url = _url(reader, value)
        if url is not None:
            endpoints[service] = url
    return endpoints


def _url(reader: Reader, field: Field) -> str | None:
    url = reader.string(field)
    if url is None:
        return None
    problem = url_problem(url)
    if problem is not None:
        reader.error(field, problem)
        return None
    return url


def _credentials(reader: Reader, field: Field) -> AwsCredentials | None:
    keys = reader.mapping(field, required=_CREDENTIAL_KEYS[:2], optional=_CREDENTIAL_KEYS[2:])
    if keys is None:
        return None
    values = {name: reader.string(value) for name, value in keys.items()}
    access_key, secret = values.get("access_key_id"), values.get("secret_access_key")
    if not access_key or not secret:
        return None
    return AwsCredentials(access_key, secret, values.get("session_token"))
