"""The gateway's own failures, as data-carrying exceptions.

Any step of the chain raises one of these; ``emulator.gateway_responses`` turns it into the wire
response in one place. Each class records what AWS answers: status, ``x-amzn-ErrorType``, the
gateway response type that users can customise, and the message. ``reason`` is what our log says
and AWS hides (e.g. which rule a proxy response broke).
"""

from __future__ import annotations

import json
from typing import ClassVar


class GatewayError(Exception):
    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "InternalServerErrorException"
    #: The gateway response type (``DEFAULT_4XX``/``DEFAULT_5XX`` apply when a type has no entry).
    response_type: ClassVar[str] = "DEFAULT_5XX"
    default_message: ClassVar[str] = "Internal server error"
    #: AWS renders its default template as ``{"message":"..."}``; some answers carry a space after the colon.
    spaced_body: ClassVar[bool] = False
    #: ``$context.error.validationErrorString``: what a request validator found wrong, empty for other errors.
    validation_error: str = ""
    #: AWS leaves the message ``null`` (the authorizer's configuration error): ``$context.error.messageString``
    #: renders ``null`` and the default body is ``{"message": null}``.
    null_message: ClassVar[bool] = False

    def __init__(self, reason: str = "", *, message: str | None = None) -> None:
        self.message = self.default_message if message is None else message
        self.reason = reason or self.message
        super().__init__(self.reason)

    def body(self) -> bytes:
        separators = (", ", ": ") if self.spaced_body else (",", ":")
        return json.dumps({"message": self.json_message()}, separators=separators).encode()

    def json_message(self) -> str | None:
        return None if self.null_message else self.message


class MissingAuthenticationToken(GatewayError):
    """No resource, stage or method matches; AWS answers this and a plain 404 alike (section 4.2)."""

    status = 403
    error_type = "MissingAuthenticationTokenException"
    response_type = "MISSING_AUTHENTICATION_TOKEN"
    default_message = "Missing Authentication Token"


class ForbiddenNoStage(GatewayError):
    """The bare root URL, without a stage; a product decision (reference section 10)."""

    status = 403
    error_type = "ForbiddenException"
    response_type = "DEFAULT_4XX"
    default_message = "Forbidden"


class UnknownApi(GatewayError):
    """A ``Host`` naming an API id that is not defined; AWS has no DNS name for it, LocalStack answers 404."""

    status = 404
    error_type = "NotFoundException"
    response_type = "DEFAULT_4XX"
    default_message = "Not Found"


class RequestTooLarge(GatewayError):
    """A request payload over 10 MB (reference sections 4.2 and 10)."""

    status = 413
    error_type = "RequestTooLargeException"
    response_type = "REQUEST_TOO_LARGE"
    default_message = "Request Too Long"


class RequestHeadersTooLarge(GatewayError):
    """Request line plus header values over AWS's 10,240-byte quota (reference 4.4).

    The limit is documented; the status (431, as reported by users) and the message are a product decision.
    """

    status = 431
    error_type = "RequestHeaderFieldsTooLargeException"
    response_type = "DEFAULT_4XX"
    default_message = "Request Header Fields Too Large"


class IncompleteRequest(GatewayError):
    """The client went away before its body was complete: no one to answer, and no handler is invoked."""

    status = 400
    error_type = "BadRequestException"
    response_type = "DEFAULT_4XX"
    default_message = "Bad Request"


class BadRequestBody(GatewayError):
    """A non-JSON body for a non-proxy Lambda integration without a mapping template."""

    status = 400
    error_type = "BadRequestException"
    response_type = "DEFAULT_4XX"
    spaced_body = True


class MalformedProxyResponse(GatewayError):
    """A Lambda proxy result that breaks a rule, or a function error under proxy: exactly AWS's 36-byte 502."""

    status = 502
    response_type = "DEFAULT_5XX"
    spaced_body = True


class IntegrationFailure(GatewayError):
    """An integration that fails after the backend answered (e.g. undecodable base64): 500."""

    status = 500
    response_type = "DEFAULT_5XX"
    spaced_body = True


class IntegrationTimeout(GatewayError):
    """The integration's own limit (29 s by default) passed before the backend answered."""

    status = 504
    response_type = "INTEGRATION_TIMEOUT"
    default_message = "Endpoint request timed out"
    spaced_body = True


class Throttled(GatewayError):
    """The function's concurrency is exhausted: Lambda rejects the Invoke with 429 TooManyRequestsException.

    API Gateway does not pass the 429 on, for proxy and non-proxy integrations alike: "If the Lambda
    API rejects the invocation request, API Gateway returns a 500 error code ... {"message":
    "Internal server error"}" [AWS-doc lambda/latest/dg/services-apigateway-errors.html]; the gateway
    response type that applies is INTEGRATION_FAILURE (its documented 504 is not what AWS sends for
    Lambda, reference section 4.1). Stage and usage-plan throttling, AWS's own 429, is another error.
    """

    status = 500
    response_type = "INTEGRATION_FAILURE"
    spaced_body = True


class ApiConfigurationError(GatewayError):
    """The API's own definition cannot produce a response, e.g. no integration response matches and none is the default."""

    status = 500
    response_type = "API_CONFIGURATION_ERROR"
    spaced_body = True


class UnsupportedMediaType(GatewayError):
    """No request template matches the Content-Type and the passthrough behaviour refuses to pass the body
    (``NEVER``, or ``WHEN_NO_TEMPLATES`` with templates defined) [AWS-doc integration-passthrough-behaviors]."""

    status = 415
    # UNCONFIRMED on the wire (reference 3.1); the name follows AWS's pattern for the type.
    error_type = "UnsupportedMediaTypeException"
    response_type = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Unsupported Media Type"


class MissingRequestParameters(GatewayError):
    """The method's request validator checks parameters and some it requires are absent or blank (reference B.1)."""

    status = 400
    # Not in the recording (reference B.2); LocalStack and AWS's pattern for 400s agree on it.
    error_type = "BadRequestException"
    response_type = "BAD_REQUEST_PARAMETERS"

    def __init__(self, names: list[str], reason: str) -> None:
        super().__init__(reason, message=f"Missing required request parameters: [{', '.join(names)}]")


class InvalidRequestBody(GatewayError):
    """The method's request validator checks bodies and this one does not match its model (reference B.1).

    AWS's client sees only the message; what the model found wrong is ``$context.error.validationErrorString``
    for a customised gateway response, and the log's.
    """

    status = 400
    error_type = "BadRequestException"
    response_type = "BAD_REQUEST_BODY"
    default_message = "Invalid request body"

    def __init__(self, validation_error: str, reason: str) -> None:
        super().__init__(reason)
        self.validation_error = validation_error


class EndpointUnreachable(GatewayError):
    """An HTTP or AWS-service backend that cannot be reached: refused, unresolvable, reset, or not a URL.

    Recorded on AWS (companion E): TestInvokeMethod on an integration with an invalid endpoint answers
    500 ``{"message": "Internal server error"}``, ``InternalServerErrorException``, and its execution log
    says ``Execution failed due to configuration error: Invalid endpoint address``. LocalStack answers a
    504 "Network error communicating with endpoint" instead, but that is its own emulation, not a
    recording; the 500 is the best evidence of AWS's answer, so that is this one.
    """

    status = 500
    response_type = "INTEGRATION_FAILURE"
    spaced_body = True

    def __init__(self, reason: str = "", *, message: str | None = None) -> None:
        super().__init__(
            f"Execution failed due to configuration error: Invalid endpoint address: {reason}",
            message=message,
        )


class InvalidApiKey(GatewayError):
    """A method requiring an API key got none, an unknown or disabled one, or one no usage plan of its
    stage holds (reference 7.2, D.1: 403 recorded; the body and header from user reports, D.2)."""

    status = 403
    error_type = "ForbiddenException"
    response_type = "INVALID_API_KEY"
    default_message = "Forbidden"


class TooManyRequests(GatewayError):
    """A stage's, a method's or a usage plan's throttle has no token left (reference 7.2, 4.2)."""

    status = 429
    error_type = "TooManyRequestsException"
    response_type = "THROTTLED"
    default_message = "Too Many Requests"


class LimitExceeded(GatewayError):
    """The API key's quota for the period is used up (reference 7.2; the message from AWS's knowledge
    center, D.2, not recorded on the wire)."""

    status = 429
    error_type = "LimitExceededException"
    response_type = "QUOTA_EXCEEDED"
    default_message = "Limit Exceeded"


class Unauthorized(GatewayError):
    """An authorizer refused the caller's token: missing, malformed, badly signed, expired, of the wrong
    issuer or use, or without one of the method's scopes. AWS never says which (reference 7.5)."""

    status = 401
    error_type = "UnauthorizedException"
    response_type = "UNAUTHORIZED"
    default_message = "Unauthorized"


class IncompleteSignature(GatewayError):
    """An ``AWS_IAM`` method's ``Authorization`` header that is no complete SigV4 signature (``Bearer x``, a
    parameter missing): AWS's messages name what is wrong (companion C.4). The gateway response type is
    UNCONFIRMED: AWS documents INVALID_SIGNATURE for "an invalid AWS signature"."""

    status = 403
    error_type = "IncompleteSignatureException"
    response_type = "INVALID_SIGNATURE"


class UnrecognizedClient(GatewayError):
    """A SigV4 signature by an access key the ``iam:`` section does not list, or with a security token that is
    not the key's (AWS's answer to an unknown key, companion C.4; the gateway response type is UNCONFIRMED)."""

    status = 403
    error_type = "UnrecognizedClientException"
    response_type = "INVALID_SIGNATURE"
    default_message = "The security token included in the request is invalid."


class InvalidSignature(GatewayError):
    """A SigV4 signature that does not verify: computed differently, stale (``X-Amz-Date`` more than five
    minutes off), or scoped to another date, region or service (companion C.4)."""

    status = 403
    error_type = "InvalidSignatureException"
    response_type = "INVALID_SIGNATURE"


class AccessDenied(GatewayError):
    """A Lambda authorizer's policy does not allow the method: an explicit ``Deny``, or no ``Allow`` covering it.

    AWS's default body spells ``Message`` with a capital M here and nowhere else (reference 4.2, companion
    C.3); ``x-amzn-ErrorType`` ``AccessDeniedException`` is UNCONFIRMED on the wire (reference 4.3 lists it).
    """

    status = 403
    error_type = "AccessDeniedException"
    response_type = "ACCESS_DENIED"
    default_message = "User is not authorized to access this resource"

    def body(self) -> bytes:
        return json.dumps({"Message": self.message}, separators=(",", ":")).encode()


#: What an explicit ``Deny`` says, against ``AccessDenied``'s default for a policy that allows nothing here.
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"


class AuthorizerConfigurationError(GatewayError):
    """A Lambda authorizer that failed (any error but ``Unauthorized``), timed out, or answered something that
    is not a valid authorizer response: AWS's body is literally ``{"message": null}`` (companion C.3)."""

    status = 500
    error_type = "AuthorizerConfigurationException"
    response_type = "AUTHORIZER_CONFIGURATION_ERROR"
    default_message = ""
    spaced_body = True
    null_message = True
