"""The grammar of request parameter mappings, apart from their evaluation, so that loaders can refuse a
mapping API Gateway refuses (``Invalid mapping expression specified``) where it is written, before a
request meets it. ``emulator.mapping.parameters`` evaluates what this accepts.
"""

from __future__ import annotations

from emulator.mapping.jsonpath import JsonPathError, body_path

TARGET_PREFIX = "integration.request."
TARGET_PLACES = ("header", "querystring", "path", "multivalueheader", "multivaluequerystring")
METHOD_REQUEST_PREFIX = "method.request."
METHOD_REQUEST_PLACES = ("path", "querystring", "multivaluequerystring", "header", "multivalueheader")
BODY = "method.request.body"
STAGE_VARIABLES_PREFIX = "stageVariables."
CONTEXT_PREFIX = "context."

SOURCES = (
    "method.request.path|querystring|multivaluequerystring|header|multivalueheader.NAME, "
    "method.request.body[.JSONPATH], stageVariables.NAME, context.NAME or a 'literal'"
)
TARGETS = "integration.request.header|querystring|path|multivalueheader|multivaluequerystring.NAME"


def split_target(target: str) -> tuple[str, str] | None:
    """``integration.request.header.X-Id`` -> ``("header", "X-Id")``; ``None`` for what is not a target."""
    if target.startswith(TARGET_PREFIX):
        place, dot, name = target[len(TARGET_PREFIX) :].partition(".")
        if dot and name and place in TARGET_PLACES:
            return place, name
    return None


def is_literal(source: str) -> bool:
    return len(source) >= 2 and source.startswith("'") and source.endswith("'")


def mapping_problem(target: str, source: str) -> str | None:
    """What is wrong with one ``target: source`` mapping, in API Gateway's words; ``None`` when nothing is."""
    if split_target(target) is None:
        return f"Invalid mapping expression specified: {target!r} is not a mapping target ({TARGETS})"
    if is_literal(source):
        return None
    if source.startswith(BODY + "."):
        try:
            body_path(source[len(BODY) + 1 :])
        except JsonPathError as error:
            return f"Invalid mapping expression specified: {target} maps from {source!r}: {error}"
        return None
    if source == BODY:
        return None
    for prefix, places in (
        (METHOD_REQUEST_PREFIX, METHOD_REQUEST_PLACES),
        (STAGE_VARIABLES_PREFIX, None),
        (CONTEXT_PREFIX, None),
    ):
        if source.startswith(prefix):
            rest = source[len(prefix) :]
            if places is None:
                return None if rest else _unknown(target, source)
            place, dot, name = rest.partition(".")
            return None if dot and name and place in places else _unknown(target, source)
    return _unknown(target, source)


def _unknown(target: str, source: str) -> str:
    return (
        f"Invalid mapping expression specified: {target} maps from {source!r}, which is not a source API Gateway "
        f"maps from ({SOURCES})"
    )
