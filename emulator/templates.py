"""Mapping templates: which one applies to a request or response (``emulator.velocity`` says which are
fixed text, and what that text is).
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.http import parse_list_header, parse_options_header

from emulator.velocity import literal_template, static_text

DEFAULT_CONTENT_TYPE = "application/json"


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``; none -> AWS's assumed ``application/json``."""
    if not content_type:
        return DEFAULT_CONTENT_TYPE
    return parse_options_header(content_type)[0].lower() or DEFAULT_CONTENT_TYPE


def request_template(templates: Mapping[str, str], content_type: str | None) -> str | None:
    """The template for the request's Content-Type, else ``$default``; ``None``: the passthrough rules apply."""
    wanted = media_type(content_type)
    for key, template in templates.items():
        if key.lower() == wanted:
            return template
    return templates.get("$default")


def response_template(templates: Mapping[str, str], accept: str | None) -> tuple[str, str] | None:
    """(content type, template) for the response: the first Accept type that has one, else
    ``application/json``'s, else the first; ``None`` without templates."""
    if not templates:
        return None
    lowered = {key.lower(): (key, template) for key, template in templates.items()}
    for part in parse_list_header(accept or ""):
        found = lowered.get(media_type(part))
        if found is not None:
            return found
    return lowered.get(DEFAULT_CONTENT_TYPE) or next(iter(lowered.values()))


__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "literal_template",
    "media_type",
    "request_template",
    "response_template",
    "static_text",
]
