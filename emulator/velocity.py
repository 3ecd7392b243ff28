"""Which mapping templates need Velocity, and the text of those that do not.

A template that uses no Velocity at all, or is one ``#[[…]]#`` unparsed block, renders as its own
text; that covers every template the YAML's conveniences store (a mock's ``{"statusCode": 200}`` and
its body) and the static pages and CORS answers of imported APIs. Velocity reads ``$`` only before a
name, ``{`` or ``!`` (``$5.00`` is text) and ``#`` only before a directive's letter, ``{``, a comment
or an unparsed block (``color: #333`` is text). Templates that need the engine are recognised here
too, so the gateway can say that it cannot run them rather than send them raw. A module of its own,
without the HTTP parsing ``emulator.templates`` needs, so ``routes`` can tell which without it.
"""

from __future__ import annotations

import re

_UNPARSED_OPEN = "#[["
_UNPARSED_CLOSE = "]]#"
#: A reference (``$name``, ``${name}``, ``$!name``), a directive or comment (``#set``, ``#{if}``, ``##``,
#: ``#*``), an unparsed block, or an escape in front of either.
_VELOCITY = re.compile(r"\$!?[A-Za-z{]|#[A-Za-z{*#]|#\[\[|\\[$#]")


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
