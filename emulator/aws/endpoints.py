"""Where a service integration's call goes, and for which region it is signed.

API Gateway calls the service in the uri's region at its AWS endpoint; locally nothing answers there
unless the user says where: ``--aws-endpoint-url`` (every service), the YAML's ``aws.endpoints.SERVICE``
then ``aws.endpoint_url``, then the environment botocore also reads (``AWS_ENDPOINT_URL_SERVICE``, then
``AWS_ENDPOINT_URL``). The command line wins because it is the choice made for this run; within the
file and within the environment a service's own endpoint wins over the one for every service. Without
any, the call is never sent to real AWS by accident: the method answers 500 and the log says how to
name one (``missing_endpoint``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from emulator.aws.targets import ServiceTarget
from emulator.model import AwsSettings

#: Where no setting names a region: botocore's own environment variables, then AWS's first region.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Endpoint:
    url: str
    #: Where the url was named, for the log: ``--aws-endpoint-url``, ``aws.endpoints.sqs``, an env variable.
    source: str


def env_variable(service: str) -> str:
    """``AWS_ENDPOINT_URL_DYNAMODB`` for ``dynamodb``, as botocore names a service's endpoint variable."""
    return "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_").replace(".", "_")


def endpoint_for(
    settings: AwsSettings, service: str, environ: Mapping[str, str] | None = None
) -> Endpoint | None:
    environ = os.environ if environ is None else environ
    where = f" ({settings.location})" if settings.location is not None else ""
    candidates = (
        (settings.command_line_endpoint_url, "--aws-endpoint-url"),
        (settings.endpoints.get(service), f"aws.endpoints.{service}{where}"),
        (settings.endpoint_url, f"aws.endpoint_url{where}"),
        (environ.get(env_variable(service)), env_variable(service)),
        (environ.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"),
    )
    for url, source in candidates:
        if url:
            return Endpoint(url.rstrip("/"), source)
    return None


def missing_endpoint(service: str) -> str:
    """The log's advice when a service has no endpoint: each way to name one."""
    return (
        f"no endpoint for AWS service '{service}': start apig-emu with --aws-endpoint-url URL (moto_server, "
        f"LocalStack…), or set aws.endpoints.{service} or aws.endpoint_url in the YAML, or the environment "
        f"variable {env_variable(service)} or AWS_ENDPOINT_URL"
    )


def region_for(settings: AwsSettings, target: ServiceTarget, environ: Mapping[str, str] | None = None) -> str:
    """The region the call is signed for: ``aws.region``, else the uri's, else the environment's.

    ``aws.region`` wins over the uri because a local service keeps each region's data apart (moto
    does): a test that made its table in one region reaches it whatever region the definitions name.
    """
    environ = os.environ if environ is None else environ
    return (
        settings.region
        or target.region
        or environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint, or ``None``: the command line and the YAML check alike."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http:// or https:// URL"
    if parts.query or parts.fragment:
        return f"{url!r} has a query or fragment; an endpoint is a scheme, host, port and optional path"
    return None
