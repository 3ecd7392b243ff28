"""Reading an AWS service integration's uri: ``arn:aws:apigateway:REGION:SERVICE:action/ACTION`` or ``path/PATH``.

API Gateway's form is ``arn:PARTITION:apigateway:REGION:[SUBDOMAIN.]SERVICE:action/NAME[&p1=v1&p2=v2]`` or
``…:path/PATH``: an action is called through the service's own protocol (its parameters after ``&`` go
to the query string), a path is a request to the service's REST API (``{name}`` filled from
``integration.request.path.name``). Lambda's ``path/2015-03-31/functions/…`` uris are the Lambda
kinds', never this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

_SERVICE_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):apigateway:(?P<region>[^:]*):(?P<service>[^:]+):"
    r"(?P<form>action|path)/(?P<rest>.*)",
    re.DOTALL,
)
_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")


class NotAServiceUri(ValueError):
    """A uri that names no AWS service call; ``str()`` says what is wrong, in a sentence after a colon."""


@dataclass(frozen=True)
class ServiceTarget:
    region: str
    #: The service as the uri names it: its endpoint prefix (``dynamodb``, ``sqs``, ``states``).
    service: str
    #: ``bucket`` of ``bucket.s3``: the host's first label on AWS.
    subdomain: str | None = None
    #: ``PutItem`` for ``action/PutItem``; ``None`` for a path.
    action: str | None = None
    #: ``(name, value)`` of ``action/NAME&name=value``, in order.
    action_parameters: tuple[tuple[str, str], ...] = ()
    #: ``123456789012/queue`` for ``path/123456789012/queue``, ``{name}`` placeholders kept.
    path: str | None = None

    def describe(self) -> str:
        """How messages name the call: ``dynamodb action PutItem``, ``sqs path /1234/queue``."""
        what = f"action {self.action}" if self.action is not None else f"path /{self.path}"
        return f"{self.service} {what}"


def is_service_uri(uri: str | None) -> bool:
    """Whether ``uri`` names an AWS service (not Lambda's invocation path, which the Lambda kinds call)."""
    match = _SERVICE_ARN.fullmatch(uri or "")
    if match is None:
        return False
    rest = match["rest"]
    invokes = match["form"] == "path" and "/functions/" in rest and rest.endswith("/invocations")
    return not (match["service"] == "lambda" and invokes)


@lru_cache(maxsize=256)
def service_target(uri: str) -> ServiceTarget:
    """The call ``uri`` asks for; cached, since a method's uri (stage variables resolved) rarely varies."""
    match = _SERVICE_ARN.fullmatch(uri)
    if match is None:
        raise NotAServiceUri(
            f"{uri!r} is not an AWS service uri (arn:aws:apigateway:REGION:SERVICE:action/ACTION or "
            "arn:aws:apigateway:REGION:SERVICE:path/PATH)"
        )
    subdomain, _, service = match["service"].rpartition(".")
    if not _SERVICE_NAME.fullmatch(service):
        raise NotAServiceUri(f"{match['service']!r} in {uri!r} is not a service name")
    rest = match["rest"]
    if match["form"] == "path":
        return ServiceTarget(match["region"], service, subdomain or None, path=rest.lstrip("/"))
    action, _, query = rest.partition("&")
    if not action:
        raise NotAServiceUri(f"{uri!r} names no action after 'action/'")
    parameters = tuple(parse_qsl(query, keep_blank_values=True))
    return ServiceTarget(
        match["region"], service, subdomain or None, action=action, action_parameters=parameters
    )
