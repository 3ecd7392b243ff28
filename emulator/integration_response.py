"""The chain's integration response step: from what the backend answered to the method's response.

A proxy integration's answer is the response as it is. For the others, API Gateway selects one of the
integration's responses (a Lambda error's ``errorMessage``, or a status code, matched against each
selection pattern, else the default), which sets the status, maps headers onto the method response
and renders the body through its template (reference section 3.2). CORS on a non-proxy method is one
such header mapping, stored when CORS was enabled (``emulator.cors``).
"""

from __future__ import annotations

import re
from pathlib import Path

import anyio.to_thread

from emulator.context import RequestContext
from emulator.errors import ApiConfigurationError, IntegrationFailure
from emulator.integrations.base import BackendReply
from emulator.limited_files import MAX_BODY_FILE_BYTES, FileRefused, read_limited
from emulator.mapping.content_handling import response_payload
from emulator.model import METHOD_RESPONSE_HEADER, IntegrationResponse
from emulator.response import GatewayResponse
from emulator.templates import DEFAULT_CONTENT_TYPE, response_template, static_text

_BACKEND_HEADER = "integration.response.header."
_BACKEND_BODY = "integration.response.body"


def select(responses: tuple[IntegrationResponse, ...], selector: str | None) -> IntegrationResponse | None:
    """The first response whose pattern matches the whole selector (Java's ``matches``), else the default."""
    default = None
    for response in responses:
        pattern = response.selection_pattern
        if pattern is None:
            default = default or response
        elif selector is not None and _matches(pattern, selector):
            return response
    return default


def _matches(pattern: str, selector: str) -> bool:
    try:
        return re.fullmatch(pattern, selector) is not None
    except re.error as exc:
        raise IntegrationFailure(
            f"selection pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from None


async def integration_response(ctx: RequestContext) -> None:
    assert ctx.match is not None and ctx.backend is not None and ctx.request is not None
    method = ctx.match.method
    backend = ctx.backend
    if method.is_proxy:
        ctx.response = GatewayResponse(backend.status, backend.headers, backend.body)
        return
    chosen = select(method.integration.responses, backend.selector)
    if chosen is None:
        raise ApiConfigurationError(
            f"no integration response of {method.http_method} {ctx.match.resource.path} matches "
            f"{backend.selector!r} and there is no default one (No match for output mapping and no default "
            "output mapping configured)"
        )
    if chosen.status not in method.method_responses:
        raise ApiConfigurationError(
            f"the integration response for {chosen.status} has no method response "
            f"{chosen.status} on {method.http_method} {ctx.match.resource.path} "
            "(Output mapping refers to an invalid method response)"
        )
    accept = ctx.request.header("accept")
    backend = response_payload(
        ctx, chosen, templated=response_template(chosen.response_templates, accept) is not None
    )
    content_type, body = await _body(chosen, backend, accept)
    headers = [("Content-Type", content_type)]
    for target, expression in chosen.response_parameters.items():
        if not target.startswith(METHOD_RESPONSE_HEADER):
            continue
        name = target[len(METHOD_RESPONSE_HEADER) :]
        value = _mapped_value(expression, backend)
        if value is None:
            continue
        if name.lower() == "content-type":
            headers[0] = (name, value)
        else:
            headers.append((name, value))
    ctx.response = GatewayResponse(int(chosen.status), headers, body)


async def _body(chosen: IntegrationResponse, backend: BackendReply, accept: str | None) -> tuple[str, bytes]:
    """(content type, body): a file, the selected template's text, or the backend's body passed through."""
    selected = response_template(chosen.response_templates, accept)
    content_type = DEFAULT_CONTENT_TYPE if selected is None else selected[0]
    if chosen.body_file is not None:
        return content_type, await read_body_file(chosen.body_file)
    if selected is None:
        return content_type, backend.body
    text = static_text(selected[1])
    if text is None:
        raise IntegrationFailure(
            f"the response template for {content_type} needs Velocity, which is not executed yet"
        )
    return content_type, text.encode()


async def read_body_file(path: Path) -> bytes:
    """A mock's ``body_file``, read on every request so that edits show at once, off the event loop.

    A read on the loop would hold every other request for as long as the disk takes (a network
    drive, a file being written); a worker thread does not. Limited to API Gateway's 10 MB payload:
    past it, or for a file that is gone or became a FIFO, the answer is the 500 AWS gives for a
    response it cannot produce, and the log line says why.
    """
    try:
        return await anyio.to_thread.run_sync(read_limited, path, MAX_BODY_FILE_BYTES, "a body_file")
    except FileRefused as exc:
        raise IntegrationFailure(f"the mock's body_file {path}: {exc}") from None


def _mapped_value(expression: str, backend: BackendReply) -> str | None:
    """A header mapping's value; ``None`` when its source is absent (AWS then leaves the header out)."""
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    if expression.startswith(_BACKEND_HEADER):
        wanted = expression[len(_BACKEND_HEADER) :].lower()
        values = [value for name, value in backend.headers if name.lower() == wanted]
        return ",".join(values) if values else None
    if expression == _BACKEND_BODY:
        return backend.body.decode("utf-8", "replace")
    raise IntegrationFailure(f"the response parameter mapping {expression!r} is not executed yet")
