"""Request parameter mapping: what an integration's ``requestParameters`` put into the integration request.

Each entry maps a target, ``integration.request.header|querystring|path.NAME`` (or AWS's
``multivalueheader``/``multivaluequerystring`` targets), from one source:

- ``method.request.path|querystring|multivaluequerystring|header|multivalueheader.NAME``,
- ``method.request.body`` (the body's text) or ``method.request.body.JSONPATH`` (a value inside it),
- ``stageVariables.NAME``, ``context.NAME`` (``context.identity.sourceIp``…),
- a literal in single quotes, ``'application/json'``.

A source with no value leaves its target out, as AWS does. The HTTP kinds and AWS-service integrations
put the result on the wire; Lambda integrations read ``X-Amz-Invocation-Type`` from it. Which mapped
headers a backend refuses, or the gateway drops, is the caller's to say (``mapped_headers``), since it
differs by integration type (reference A.7(b)).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.context import RequestContext, flatten
from emulator.errors import IntegrationFailure
from emulator.mapping.expressions import (
    BODY,
    CONTEXT_PREFIX,
    METHOD_REQUEST_PLACES,
    METHOD_REQUEST_PREFIX,
    SOURCES,
    STAGE_VARIABLES_PREFIX,
    TARGETS,
    is_literal,
    split_target,
)
from emulator.mapping.jsonpath import JsonPathError, body_path

#: Request headers that never reach the method request, so ``method.request.header.X`` finds none of
#: them (reference A.7(a): ``$input.params`` renders them empty, recorded on AWS).
STRIPPED_REQUEST_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "content-md5",
        "expect",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "www-authenticate",
    }
)


@dataclass(slots=True)
class IntegrationParameters:
    """The mapped headers (in mapping order), query pairs and path parameters of one integration request."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    querystring: list[tuple[str, str]] = field(default_factory=list)
    path: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The mapped value of a header, looked up case-insensitively; ``None`` when nothing maps it."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


def map_request_parameters(ctx: RequestContext) -> IntegrationParameters:
    """The method's integration ``requestParameters``, evaluated for this request."""
    assert ctx.match is not None
    return map_parameters(ctx.match.method.integration.request_parameters, ctx)


def map_parameters(parameters: Mapping[str, str], ctx: RequestContext) -> IntegrationParameters:
    """Evaluate ``target -> source`` mappings; an expression API Gateway would not accept is AWS's 500."""
    mapped = IntegrationParameters()
    if not parameters:
        return mapped
    sources = _Sources(ctx)
    for target, source in parameters.items():
        place, name = _target(target)
        values = sources.values(target, source)
        if values is None:
            continue
        if place == "header":
            mapped.headers.append((name, ",".join(values)))
        elif place == "multivalueheader":
            mapped.headers.extend((name, value) for value in values)
        elif place == "path":
            mapped.path[name] = ",".join(values)
        else:
            mapped.querystring.extend((name, value) for value in values)
    return mapped


def apply_request_override(parameters: IntegrationParameters, override: Mapping[str, Any] | None) -> None:
    """What a request template set in ``$context.requestOverride`` (``header``, ``querystring``, ``path``),
    over what the mappings gave: a template has the last word, as on AWS. A null value sets nothing."""
    if not override:
        return
    for name, value in (override.get("header") or {}).items():
        if value is not None:
            lower = str(name).lower()
            parameters.headers = [(key, old) for key, old in parameters.headers if key.lower() != lower]
            parameters.headers.append((str(name), _text(value)))
    for name, value in (override.get("querystring") or {}).items():
        if value is not None:
            parameters.querystring = [(key, old) for key, old in parameters.querystring if key != name]
            parameters.querystring.append((str(name), _text(value)))
    for name, value in (override.get("path") or {}).items():
        if value is not None:
            parameters.path[str(name)] = _text(value)


def _text(value: Any) -> str:
    """A template's value as text: Velocity's booleans print ``true``, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def source_values(source: str, ctx: RequestContext) -> list[str] | None:
    """The value(s) of one mapping source for this request; ``None`` when it has none."""
    return _Sources(ctx).values(source, source)


def mapped_headers(
    parameters: IntegrationParameters, *, refused: Iterable[str], dropped: Iterable[str], backend: str
) -> list[tuple[str, str]]:
    """The mapped headers a backend receives: ``dropped`` ones left out silently, a ``refused`` one a 500.

    AWS accepts such a mapping when it is defined and fails every call that applies it (recorded,
    reference A.7(b)); the log names the header so the fix is obvious.
    """
    refused_names = {name.lower() for name in refused}
    dropped_names = {name.lower() for name in dropped}
    kept: list[tuple[str, str]] = []
    for name, value in parameters.headers:
        lower = name.lower()
        if lower in refused_names:
            raise IntegrationFailure(
                f"{backend}: the request parameter integration.request.header.{name} cannot be mapped; "
                f"API Gateway fails every call that sets {name} on the integration request"
            )
        if lower not in dropped_names:
            kept.append((name, value))
    return kept


def _target(target: str) -> tuple[str, str]:
    found = split_target(target)
    if found is None:
        raise IntegrationFailure(
            f"the request parameter {target!r} is not a mapping target: expected {TARGETS}"
        )
    return found


class _Sources:
    """The request's values, each read at most once per request (the body is parsed once for every path)."""

    def __init__(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None
        self.ctx = ctx
        self.request = ctx.request
        self.match = ctx.match
        self._context: dict[str, str] | None = None
        self._document: tuple[Any] | None = None

    def values(self, target: str, source: str) -> list[str] | None:
        if is_literal(source):
            return [source[1:-1]]
        if source == BODY or source.startswith(BODY + "."):
            return self._body(target, source)
        if source.startswith(METHOD_REQUEST_PREFIX):
            place, dot, name = source[len(METHOD_REQUEST_PREFIX) :].partition(".")
            if dot and name and place in METHOD_REQUEST_PLACES:
                return self._method_request(place, name)
        elif source.startswith(STAGE_VARIABLES_PREFIX):
            value = self.match.stage.variables.get(source[len(STAGE_VARIABLES_PREFIX) :])
            return None if value is None else [value]
        elif source.startswith(CONTEXT_PREFIX):
            if self._context is None:
                self._context = flatten(self.ctx.variables or {})
            value = self._context.get(source)
            return None if value is None else [value]
        raise IntegrationFailure(
            f"the request parameter {target} maps from {source!r}, which is not a source API Gateway maps from "
            f"({SOURCES})"
        )

    def _method_request(self, place: str, name: str) -> list[str] | None:
        if place == "path":
            value = (self.match.path_parameters or {}).get(name)
            return None if value is None else [value]
        if place in ("querystring", "multivaluequerystring"):
            values = [value for key, value in self.request.query_pairs() if key == name]
            if not values:
                return None
            return values if place == "multivaluequerystring" else values[-1:]
        wanted = name.lower()
        if wanted in STRIPPED_REQUEST_HEADERS:
            return None
        values = [value for key, value in self.request.headers if key.lower() == wanted]
        if not values:
            return None
        return values if place == "multivalueheader" else values[-1:]

    def _body(self, target: str, source: str) -> list[str] | None:
        text = self.request.body.decode("utf-8", "replace")
        if source == BODY:
            return [text]
        try:
            path = body_path(source[len(BODY) + 1 :])
        except JsonPathError as error:
            raise IntegrationFailure(
                f"the request parameter {target} maps from {source!r}: {error}"
            ) from None
        if self._document is None:
            try:
                self._document = (json.loads(text),)
            except (ValueError, RecursionError):
                self._document = (None,)
        document = self._document[0]
        if document is None:
            return None
        found = path.find(document)
        if found is None:
            return None
        return [found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))]
