"""How a service takes an action: its wire protocol, API version and JSON target, from botocore's service models.

API Gateway builds an ``action/NAME`` call the way the service's own SDKs do: a query-protocol service
(SNS, STS…) gets ``Action=NAME&Version=API_VERSION``, a JSON one (DynamoDB, Kinesis, Step Functions…)
gets ``X-Amz-Target: PREFIX.NAME`` and ``application/x-amz-json-1.0`` or ``1.1``. botocore ships those
facts for every service; reading them from it (one small model file per service, once) keeps them
right for services added after this was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

QUERY = "query"
JSON = "json"
#: botocore's ``ec2`` protocol is the query protocol with another way of naming lists.
_QUERY_LIKE = (QUERY, "ec2")

#: A uri names a service by its endpoint prefix; where botocore's name for it differs.
_BOTOCORE_NAMES = {
    "states": "stepfunctions",
    "monitoring": "cloudwatch",
    "email": "ses",
    "elasticloadbalancing": "elbv2",
    "execute-api": "apigateway",
    "runtime.sagemaker": "sagemaker-runtime",
    "data.iot": "iot-data",
}
#: Services botocore now calls with JSON that still take the query protocol, which existing mapping
#: templates are written in (``Action=SendMessage&MessageBody=…``): JSON only when the call says so.
_ALSO_QUERY = frozenset({"sqs"})


class UnknownService(LookupError):
    """A service botocore does not know; ``str()`` is the reason for the log."""


@dataclass(frozen=True)
class ServiceProtocol:
    #: ``query`` or ``json`` for actions; ``rest-json``/``rest-xml`` services are called by path.
    protocol: str
    api_version: str
    #: SigV4's service name: ``signingName``, else the endpoint prefix.
    signing_name: str
    target_prefix: str | None = None
    json_version: str | None = None
    #: Whether an action may also be called with the query protocol although botocore's is JSON.
    also_query: bool = False

    @property
    def takes_actions(self) -> bool:
        return self.protocol in (*_QUERY_LIKE, JSON)

    @property
    def json_content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version or '1.0'}"


@lru_cache(maxsize=64)
def service_protocol(service: str) -> ServiceProtocol:
    """The protocol of the service a uri names (its endpoint prefix, such as ``dynamodb``)."""
    name = _BOTOCORE_NAMES.get(service, service)
    try:
        model = _loader().load_service_model(name, "service-2")
    except UnknownServiceError:
        raise UnknownService(
            f"botocore knows no AWS service named {service!r}, so apig-emu does not know how to call its "
            "actions; name a REST path instead (path/...) with the request it expects"
        ) from None
    metadata = model["metadata"]
    protocol = QUERY if metadata["protocol"] in _QUERY_LIKE else metadata["protocol"]
    return ServiceProtocol(
        protocol=protocol,
        api_version=metadata["apiVersion"],
        signing_name=metadata.get("signingName") or metadata.get("endpointPrefix") or service,
        target_prefix=metadata.get("targetPrefix"),
        json_version=metadata.get("jsonVersion"),
        also_query=service in _ALSO_QUERY,
    )


def signing_name(service: str) -> str:
    """SigV4's name for a service a ``path/`` uri names: botocore's when it knows it, else the uri's own."""
    try:
        return service_protocol(service).signing_name
    except UnknownService:
        return service


@lru_cache(maxsize=1)
def _loader() -> Loader:
    return Loader()
