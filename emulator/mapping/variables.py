"""What a mapping template reads: ``$input``, ``$context``, ``$stageVariables`` and ``$util`` (reference 3.3).

Everything is built when a template first names it, not before: a template that reads only
``$input.body`` never builds ``$context`` or the header map, and the body is parsed as JSON once, on
the first ``$input.path``/``$input.json``. ``$context`` is the request's one ``$context``
(``RequestContext.variables``) in the key order AWS's ``keySet()`` shows (A.9), with the request's
``requestOverride``/``responseOverride`` maps, which live on the ``RequestContext``: what a request
template sets there is what the response phase (and an HTTP integration's request) reads (A.3).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from emulator.context import RequestContext
from emulator.events import event_headers
from emulator.mapping.java_values import ContextMap, JsonList, OpaqueMap, java_string, json_text
from emulator.mapping.jsonpath import compile_path
from emulator.model import EDGE

#: ``$context.identity``'s keys in the order AWS's ``keySet()`` lists them in a template (A.9).
TEMPLATE_IDENTITY_KEYS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "sourceIp",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "userAgent",
    "user",
)


def _wrap_arrays(value: dict[str, Any]) -> dict[str, Any]:
    for key, item in value.items():
        if type(item) is list:
            value[key] = _json_list(item)
    return value


def _json_list(items: list[Any]) -> JsonList:
    return JsonList(_json_list(item) if type(item) is list else item for item in items)


#: Made once: ``json.loads`` with a hook builds a decoder on every call.
_DECODER = json.JSONDecoder(object_hook=_wrap_arrays)


def parse_json(text: str) -> Any:
    """A JSON text as a template holds it: objects as maps, arrays as ``JsonList`` (which print as JSON)."""
    value = _DECODER.decode(text)
    return _json_list(value) if type(value) is list else value


class TemplateInput:
    """``$input``: the body a template maps (the client's, or the backend's in a response template) and the
    method request's parameters."""

    __slots__ = ("_body", "_document", "_params", "_params_source", "_text")

    def __getitem__(self, name: str) -> Any:
        """``$input.body``, ``$input.json``: the engine tries an item before an attribute; answering it
        here spares an exception per reference."""
        return getattr(self, name, None) if not name.startswith("_") else None

    def __init__(self, body: bytes, params: Callable[[], dict[str, dict[str, str]]]) -> None:
        self._body = body
        self._text: str | None = None
        self._document: Any = None
        self._params: dict[str, dict[str, str]] | None = None
        self._params_source = params

    @property
    def body(self) -> str:
        """The raw body as text; an empty body is ``{}`` (reference A.2)."""
        if self._text is None:
            self._text = self._body.decode("utf-8", "replace") if self._body else "{}"
        return self._text

    def _parsed(self) -> Any:
        """The body as JSON; a body that is not JSON is its text, which ``$input.path('$')`` then gives
        (Serverless's form template splits it on ``&``, as it works on AWS)."""
        if self._document is None:
            text = self.body
            try:
                self._document = parse_json(text)
            except (ValueError, RecursionError):
                self._document = text
        return self._document

    def path(self, path: str) -> Any:
        """The JSONPath's value, to navigate (``$input.path('$.items').size()``); nothing prints empty.

        An indefinite path's list of matches is a JSON array, as Jayway returns it.
        """
        found = compile_path(java_string(path)).find(self._parsed())
        return _json_list(found) if type(found) is list else found

    def json(self, path: str = "$") -> str:
        """The JSONPath's value as JSON text (``$input.json('$')`` is the whole body)."""
        return json_text(self.path(path))

    def params(self, name: Any = None) -> Any:
        """``params()``: every parameter, by where it came from; ``params('x')``: path, then query string,
        then header (by name, ignoring case); ``""`` when none has it."""
        if self._params is None:
            self._params = self._params_source()
        if name is None:
            return self._params
        wanted = java_string(name)
        for where in ("path", "querystring"):
            found = self._params[where].get(wanted)
            if found is not None:
                return found
        lowered = wanted.lower()
        for header, value in self._params["header"].items():
            if header.lower() == lowered:
                return value
        return ""


class TemplateUtil:
    """``$util``: the functions AWS documents, with Java's answers (``urlEncode`` is ``URLEncoder``'s)."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Any:
        """``$util.urlEncode``: see ``TemplateInput.__getitem__``."""
        return getattr(self, name, None) if not name.startswith("_") else None

    def escapeJavaScript(self, text: Any) -> str | None:
        if text is None:
            return None
        return escape_javascript(java_string(text))

    def parseJson(self, text: Any) -> Any:
        if text is None:
            return None
        return parse_json(java_string(text))

    def urlEncode(self, text: Any) -> str:
        if text is None:
            return ""
        # URLEncoder keeps letters, digits and ".-*_"; quote_plus also keeps "~", which Java encodes.
        return quote_plus(java_string(text), safe="*").replace("~", "%7E")

    def urlDecode(self, text: Any) -> str | None:
        if text is None:
            return None
        return unquote_plus(java_string(text))

    def base64Encode(self, text: Any) -> str | None:
        if text is None:
            return None
        return base64.b64encode(java_string(text).encode()).decode("ascii")

    def base64Decode(self, text: Any) -> str | None:
        if text is None:
            return None
        encoded = java_string(text).strip()
        try:
            raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"$util.base64Decode: {encoded[:100]!r} is not base64: {error}") from None
        return raw.decode("utf-8", "replace")


UTIL = TemplateUtil()

_JS_ESCAPES = {
    "\b": "\\b",
    "\n": "\\n",
    "\t": "\\t",
    "\f": "\\f",
    "\r": "\\r",
    "'": "\\'",
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
}


#: A character ``escape_javascript`` changes: one of ``_JS_ESCAPES``, or one outside printable ASCII. Text
#: without one (most values) is its own escape, found without a loop in Python.
_JS_ESCAPED = re.compile(r"""[^\x20-\x7e]|['"\\/]""")


def escape_javascript(text: str) -> str:
    """Commons Lang's ``escapeJavaScript``: quotes, backslash and ``/`` escaped, control characters and
    everything past ASCII as ``\\uXXXX`` (UTF-16 units, upper-case hex)."""
    if _JS_ESCAPED.search(text) is None:
        return text
    out: list[str] = []
    for char in text:
        escaped = _JS_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
            continue
        code = ord(char)
        if 32 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
        else:
            out.append(f"\\u{code:04X}")
    return "".join(out)


def overrides(ctx: RequestContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's ``requestOverride`` and ``responseOverride``, made on first use and kept on ``ctx``."""
    if ctx.request_override is None:
        ctx.request_override = OpaqueMap(path=OpaqueMap(), header=OpaqueMap(), querystring=OpaqueMap())
    if ctx.response_override is None:
        ctx.response_override = OpaqueMap(header=OpaqueMap())
    return ctx.request_override, ctx.response_override


def template_context(ctx: RequestContext) -> ContextMap:
    """``$context`` for a mapping template: AWS's keys in AWS's order, with the request's overrides; built
    once per request, so the request and response templates share it as they share it on AWS."""
    context = ctx.template_context
    if not isinstance(context, ContextMap):
        request_override, response_override = overrides(ctx)
        context = ctx.template_context = context_map(ctx.variables or {}, request_override, response_override)
    return context


def context_map(
    variables: Mapping[str, Any],
    request_override: Mapping[str, Any] | None = None,
    response_override: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ContextMap:
    """``$context`` from the request's variables: ``identity`` in AWS's template order, the overrides after
    ``protocol`` and ``deploymentId`` as AWS's ``keySet()`` places them (A.9), then ``extra`` (``error``)."""
    context = ContextMap()
    for key, value in variables.items():
        if key == "identity":
            context[key] = OpaqueMap([(name, value.get(name)) for name in TEMPLATE_IDENTITY_KEYS])
            continue
        context[key] = OpaqueMap(value) if isinstance(value, dict) else value
        if key == "protocol" and request_override is not None:
            context["requestOverride"] = request_override
        elif key == "deploymentId" and response_override is not None:
            context["responseOverride"] = response_override
    if extra:
        context.update(extra)
    return context


def request_parameters(ctx: RequestContext) -> dict[str, dict[str, str]]:
    """``$input.params()``: the method request's path, query string (last value wins) and headers as the
    integration sees them (without those AWS strips, with those it adds: reference A.7(a))."""
    assert ctx.request is not None
    request = ctx.request
    match = ctx.match
    path = dict(match.path_parameters or {}) if match is not None else {}
    edge = None
    if match is not None and match.api.endpoint_type == EDGE:
        edge = (match.api.id, ctx.ids.request_id)
    headers = dict(event_headers(request, ctx.ids.trace_id, edge=edge))
    return {"path": path, "querystring": dict(request.query_pairs()), "header": headers}


class TemplateVariables(dict[str, Any]):
    """A template's top-level names, each built when first read (a template that does not name
    ``$context`` never builds it)."""

    __slots__ = ("_builders",)

    def __init__(self, builders: Mapping[str, Callable[[], Any]]) -> None:
        super().__init__()
        self._builders = builders

    def __missing__(self, key: str) -> Any:
        builder = self._builders.get(key)
        if builder is None:
            raise KeyError(key)
        value = self[key] = builder()
        return value


def template_variables(ctx: RequestContext, body: bytes) -> TemplateVariables:
    """The variables of a mapping template over ``body`` for this request."""
    stage = ctx.match.stage if ctx.match is not None else None
    return TemplateVariables(
        {
            "input": lambda: TemplateInput(body, lambda: request_parameters(ctx)),
            "context": lambda: template_context(ctx),
            "stageVariables": lambda: dict(stage.variables) if stage is not None else {},
            "util": lambda: UTIL,
        }
    )
