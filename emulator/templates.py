"""Mapping templates: which one applies to a request or response, and the ones that are fixed text.

A template that uses no Velocity at all, or is one ``#[[…]]#`` unparsed block, renders as its own
text; that covers every template the YAML's conveniences store (a mock's ``{"statusCode": 200}`` and
its body) and the static pages and CORS answers of imported APIs. Velocity reads ``$`` only before a
name, ``{`` or ``!`` (``$5.00`` is text) and ``#`` only before a directive's letter, ``{``, a comment
or an unparsed block (``color: #333`` is text). Templates that need the engine are recognised here
too, so the gateway can say that it cannot run them rather than send them raw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from werkzeug.http import parse_list_header, parse_options_header

DEFAULT_CONTENT_TYPE = "application/json"
_UNPARSED_OPEN = "#[["
_UNPARSED_CLOSE = "]]#"
#: A reference (``$name``, ``${name}``, ``$!name``), a directive or comment (``#set``, ``#{if}``, ``##``,
#: ``#*``), an unparsed block, or an escape in front of either.
_VELOCITY = re.compile(r"\$!?[A-Za-z{]|#[A-Za-z{*#]|#\[\[|\\[$#]")


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


def static_text(template: str) -> str | None:
    """The text a template renders to when it needs no engine; ``None`` when it does."""
    if template.startswith(_UNPARSED_OPEN) and template.endswith(_UNPARSED_CLOSE):
        inner = template[len(_UNPARSED_OPEN) : -len(_UNPARSED_CLOSE)]
        if _UNPARSED_CLOSE not in inner:
            return inner
    if _VELOCITY.search(template):
        return None
    return template


def literal_template(text: str) -> str:
    """A template that renders as ``text`` exactly, whatever Velocity would make of it."""
    if static_text(text) == text or _UNPARSED_CLOSE in text:
        return text
    return f"{_UNPARSED_OPEN}{text}{_UNPARSED_CLOSE}"
