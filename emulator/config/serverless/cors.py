"""An http event's ``cors``, and the ``OPTIONS`` method Serverless creates for each path that asks for it.

Serverless merges the ``cors`` of every event on one path into a single preflight: the headers, methods
and origins of all of them, the last origin, ``allowCredentials`` if any asks. The preflight is a MOCK
whose request template is ``{statusCode:200}`` and whose integration response maps each header to its
fixed value; several allowed origins are matched against the request's ``Origin`` by a Velocity
template (which needs Velocity to run). A non-proxy method maps ``Access-Control-Allow-Origin`` onto
every integration response; a proxy function returns its own headers, as on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from emulator.config.serverless.defaults import (
    CORS_HEADERS,
    CORS_ORIGIN,
    PREFLIGHT_CONTENT_HANDLING,
    PREFLIGHT_REQUEST_TEMPLATE,
)
from emulator.config.serverless.values import At, Values
from emulator.model import (
    HTTP_METHODS,
    METHOD_RESPONSE_HEADER,
    MOCK,
    Integration,
    IntegrationResponse,
    Location,
    Method,
    MethodResponse,
    literal,
)

_KEYS = ("origin", "origins", "headers", "methods", "allowCredentials", "maxAge", "cacheControl")


@dataclass(frozen=True)
class Cors:
    """One event's ``cors``, or the merge of a path's, with Serverless's defaults filled in."""

    origin: str | None = CORS_ORIGIN
    origins: tuple[str, ...] = ()
    headers: tuple[str, ...] = CORS_HEADERS
    methods: tuple[str, ...] = ("OPTIONS",)
    allow_credentials: bool = False
    max_age: int | None = None
    cache_control: str | None = None

    def response_origin(self) -> str:
        """What a non-proxy method's responses map ``Access-Control-Allow-Origin`` to."""
        return ",".join(self.origins) if self.origins else self.origin or ""

    def merged(self, later: Cors) -> Cors:
        """This path's preflight so far, with a later event's ``cors`` added, as Serverless merges them."""
        return Cors(
            origin=later.origin,
            origins=_union(later.origins, self.origins),
            headers=_union(later.headers, self.headers),
            methods=_union(later.methods, self.methods),
            allow_credentials=self.allow_credentials or later.allow_credentials,
            max_age=later.max_age if later.max_age else self.max_age,
            cache_control=later.cache_control if later.cache_control else self.cache_control,
        )


def read_cors(values: Values, at: At, verb: str) -> Cors | None:
    """``cors: true`` or the object form; ``None`` for ``false`` or after an error."""
    item = values.value(at)
    if item is None:
        return None
    if isinstance(item.value, bool):
        return Cors(methods=("OPTIONS", verb)) if item.value else None
    keys = values.keys(at, _KEYS, what="cors")
    if keys is None:
        return None
    origins = tuple(_strings(values, keys["origins"])) if "origins" in keys else ()
    origin: str | None = None if origins else CORS_ORIGIN
    if "origin" in keys:
        origin = values.string(keys["origin"])
    headers = CORS_HEADERS
    if "headers" in keys:
        headers_item = values.value(keys["headers"])
        if headers_item is not None and isinstance(headers_item.value, str):
            headers = (headers_item.value,)
        else:
            headers = tuple(_strings(values, keys["headers"]))
    methods = [method.upper() for method in _strings(values, keys["methods"])] if "methods" in keys else []
    for needed in ("OPTIONS", verb):
        if needed not in methods:
            methods.append(needed)
    allow_credentials = (
        bool(values.boolean(keys["allowCredentials"])) if "allowCredentials" in keys else False
    )
    max_age = values.integer(keys["maxAge"], 0, 2**31 - 1) if "maxAge" in keys else None
    cache_control = values.string(keys["cacheControl"]) if "cacheControl" in keys else None
    return Cors(origin, origins, headers, tuple(methods), allow_credentials, max_age, cache_control)


def on_responses(method: Method, cors: Cors) -> Method:
    """A non-proxy method with the allowed origin mapped onto each of its responses; a proxy unchanged."""
    if method.is_proxy:
        return method
    headers = {"Access-Control-Allow-Origin": cors.response_origin()}
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    mapped = {METHOD_RESPONSE_HEADER + name: literal(value) for name, value in headers.items()}
    responses = tuple(
        replace(response, response_parameters={**mapped, **response.response_parameters})
        for response in method.integration.responses
    )
    declared = {
        status: replace(
            response, response_parameters={**dict.fromkeys(mapped, True), **response.response_parameters}
        )
        for status, response in method.method_responses.items()
    }
    return replace(
        method, integration=replace(method.integration, responses=responses), method_responses=declared
    )


def preflight(cors: Cors, location: Location) -> Method:
    """The ``OPTIONS`` MOCK method answering a path's preflight requests."""
    origins = list(cors.origins)
    origin = cors.origin or ""
    if "," in origin:
        origins = [part.strip() for part in origin.split(",")]
    if origins:
        origin = origins[0]
    methods = ",".join(cors.methods)
    if "ANY" in cors.methods:
        methods = methods.replace("ANY", ",".join(verb for verb in HTTP_METHODS if verb != "OPTIONS"))
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Headers": ",".join(cors.headers),
        "Access-Control-Allow-Methods": methods,
    }
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.max_age:
        headers["Access-Control-Max-Age"] = str(cors.max_age)
    if cors.cache_control:
        headers["Cache-Control"] = cors.cache_control
    mapped = {METHOD_RESPONSE_HEADER + name: literal(value) for name, value in headers.items()}
    template = _origin_template(origins) if origins else ""
    integration = Integration(
        type=MOCK,
        request_templates={"application/json": PREFLIGHT_REQUEST_TEMPLATE},
        content_handling=PREFLIGHT_CONTENT_HANDLING,
        responses=(
            IntegrationResponse(
                "200", response_parameters=mapped, response_templates={"application/json": template}
            ),
        ),
    )
    return Method(
        "OPTIONS",
        integration,
        location=location,
        method_responses={"200": MethodResponse("200", dict.fromkeys(mapped, True))},
    )


def _origin_template(origins: list[str]) -> str:
    """Answers with the request's ``Origin`` when it matches one of ``origins`` (``*`` matching any part)."""
    patterns = [origin.replace(".", "[.]").replace("*", ".+", 1) for origin in origins]
    condition = " || ".join(f'$origin.matches("{pattern}")' for pattern in patterns)
    return (
        '#set($origin = $input.params("Origin"))\n'
        '#if($origin == "") #set($origin = $input.params("origin")) #end\n'
        f"#if({condition}) #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin) #end"
    )


def _strings(values: Values, at: At) -> list[str]:
    return [text for item in values.items(at) or [] if (text := values.string(item)) is not None]


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))
