"""The chain's integration response step: from what the backend answered to the method's response.

A proxy integration's answer is the response as it is. For the others, API Gateway selects one of the
integration's responses (a Lambda error's ``errorMessage``, or a status code, matched against each
selection pattern, else the default), which sets the status, maps headers onto the method response
and renders the body through its template (reference section 3.2). What a template sets in
``$context.responseOverride`` (a request or a response template) then replaces the status and headers
(A.3, A.5); mapped headers go out under AWS's names (``emulator.mapping.response_headers``). CORS on a
non-proxy method is one such header mapping, stored when CORS was enabled (``emulator.cors``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio.to_thread

from emulator.context import RequestContext
from emulator.errors import ApiConfigurationError, IntegrationFailure
from emulator.limited_files import MAX_BODY_FILE_BYTES, FileRefused, read_limited
from emulator.mapping.content_handling import response_payload
from emulator.mapping.java_values import java_string, json_text
from emulator.mapping.jsonpath import JsonPathError, body_path
from emulator.mapping.response_headers import unsafe_value, wire_name
from emulator.mapping.variables import parse_json, template_variables
from emulator.mapping.vtl import TemplateRenderError
from emulator.model import METHOD_RESPONSE_HEADER, IntegrationResponse
from emulator.response import GatewayResponse
from emulator.templates import DEFAULT_CONTENT_TYPE, response_template

_BACKEND_HEADER = "integration.response.header."
_BACKEND_MULTI_HEADER = "integration.response.multivalueheader."
_BACKEND_BODY = "integration.response.body"
_STAGE_VARIABLES = "stageVariables."
_CONTEXT = "context."


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
    # Chosen once: the payload's handling and the body both depend on it (Accept parsed once a request).
    selected = response_template(chosen.response_templates, ctx.request.header("accept"))
    response_payload(ctx, chosen, templated=selected is not None)
    content_type, body = await _body(chosen, selected, ctx)
    headers = [("Content-Type", content_type)]
    sources = _Sources(ctx)
    for target, expression in chosen.response_parameters.items():
        if target.startswith(METHOD_RESPONSE_HEADER):
            _set_header(headers, target[len(METHOD_RESPONSE_HEADER) :], sources.value(expression))
    status = int(chosen.status)
    if ctx.response_override is not None:
        status = _override_status(ctx.response_override.get("status"), status)
        for name, value in (ctx.response_override.get("header") or {}).items():
            _set_header(headers, str(name), None if value is None else java_string(value))
    ctx.response = GatewayResponse(status, headers, body)


async def _body(
    chosen: IntegrationResponse, selected: tuple[str, str] | None, ctx: RequestContext
) -> tuple[str, bytes]:
    """(content type, body): a file, the ``selected`` template rendered, or the backend's body passed through."""
    assert ctx.request is not None and ctx.backend is not None
    content_type = DEFAULT_CONTENT_TYPE if selected is None else selected[0]
    if chosen.body_file is not None:
        return content_type, await read_body_file(chosen.body_file)
    if selected is None:
        return content_type, ctx.backend.body
    template = ctx.deployment.template(selected[1])
    if template.static is not None:
        return content_type, template.static.encode()
    try:
        text = template.render(template_variables(ctx, ctx.backend.body))
    except TemplateRenderError as error:
        raise ApiConfigurationError(
            f"the response template for {content_type} of the {chosen.status} integration response failed at "
            f"line {error.line}: {error.problem} (Unable to transform response)"
        ) from None
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


def _override_status(value: Any, status: int) -> int:
    """``$context.responseOverride.status``: any status 100-599, declared or not (reference A.3, A.5)."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return status


def _set_header(headers: list[tuple[str, str]], name: str, value: str | None) -> None:
    """Put a mapped header on the response, under the name AWS gives it; a later mapping replaces an earlier."""
    if value is None:
        return
    if unsafe_value(value):
        raise ApiConfigurationError(
            f"the value mapped to the response header {name!r} holds a line break or a control character: {value[:100]!r}"
        )
    if name.lower() == "content-type":
        headers[0] = (name, value)
        return
    wire = wire_name(name)
    if wire is None:
        return
    lower = wire.lower()
    headers[:] = [header for header in headers if header[0].lower() != lower]
    headers.append((wire, value))


class _Sources:
    """What a response parameter can map from, for one response: the backend's answer, the stage, ``$context``."""

    def __init__(self, ctx: RequestContext) -> None:
        assert ctx.backend is not None and ctx.match is not None
        self.backend = ctx.backend
        self.ctx = ctx
        self._document: Any = _UNPARSED

    def value(self, expression: str) -> str | None:
        """A header mapping's value; ``None`` when its source is absent (AWS then leaves the header out)."""
        if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
            return expression[1:-1]
        for prefix in (_BACKEND_HEADER, _BACKEND_MULTI_HEADER):
            if expression.startswith(prefix):
                wanted = expression[len(prefix) :].lower()
                values = [value for name, value in self.backend.headers if name.lower() == wanted]
                return ",".join(values) if values else None
        if expression == _BACKEND_BODY:
            return self.backend.body.decode("utf-8", "replace")
        if expression.startswith(_BACKEND_BODY + "."):
            return self._body_value(expression[len(_BACKEND_BODY) + 1 :])
        if expression.startswith(_STAGE_VARIABLES):
            assert self.ctx.match is not None
            return self.ctx.match.stage.variables.get(expression[len(_STAGE_VARIABLES) :])
        if expression.startswith(_CONTEXT):
            found: Any = self.ctx.variables or {}
            for part in expression[len(_CONTEXT) :].split("."):
                found = found.get(part) if isinstance(found, Mapping) else None
            return None if found is None or isinstance(found, Mapping) else java_string(found)
        raise ApiConfigurationError(
            f"the response parameter mapping {expression!r} names no source API Gateway knows: a 'literal', "
            "integration.response.header.X, integration.response.multivalueheader.X, integration.response.body, "
            "integration.response.body.JSONPath, stageVariables.X or context.X"
        )

    def _body_value(self, path: str) -> str | None:
        """``integration.response.body.a.b``: the JSONPath's value in the backend's JSON body, text as is,
        anything else as JSON; ``None`` when the body is not JSON or the path reaches nothing."""
        try:
            compiled = body_path(path)
        except JsonPathError as error:
            raise ApiConfigurationError(f"the response parameter mapping's {error}") from None
        if self._document is _UNPARSED:
            try:
                self._document = (
                    parse_json(self.backend.body.decode("utf-8")) if self.backend.body.strip() else None
                )
            except (UnicodeDecodeError, ValueError, RecursionError):
                self._document = None
        found = compiled.find(self._document)
        if found is None:
            return None
        return found if isinstance(found, str) else json_text(found)


_UNPARSED = object()
