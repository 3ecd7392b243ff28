"""A hint for a classic mix-up: a handler written for the proxy event behind a non-proxy method.

Leaving ``proxy`` out of a trigger means a non-proxy (``AWS``) integration, whose event is the
request's JSON body; SAM's ``Api`` events default to proxy, and so do most examples people read. A
handler written for the proxy event then fails reading ``event["pathParameters"]``. AWS answers as
it always does (the error object, with a 200), and so does the emulator: the hint only tells the
developer where to look, in the log and in the invocation's record.
"""

from __future__ import annotations

import re
from typing import Any

#: The top-level keys of the proxy event (payload format 1.0), which a JSON body rarely has.
PROXY_EVENT_KEYS = frozenset(
    {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
)
_QUOTED_KEY = re.compile(r"""(['"])({})\1""".format("|".join(sorted(PROXY_EVENT_KEYS))))


def proxy_hint(
    function: str, method: str, resource: str, event: Any, error: dict[str, Any] | None
) -> str | None:
    """What to tell the developer when the failed function read a proxy-only key on its event."""
    key = _proxy_key_read(event, error or {})
    if key is None:
        return None
    return (
        f"function {function!r} failed reading {key!r} on its event, a key of the proxy event, but "
        f"{method} {resource} has a non-proxy integration (a trigger without `proxy` is non-proxy: the "
        f"event is the request's JSON body); if the handler expects API Gateway's proxy event, set "
        f"`proxy: true` on its trigger"
    )


def _proxy_key_read(event: Any, error: dict[str, Any]) -> str | None:
    """The proxy-only key behind the error, if the event lacks it and the error is from reading it.

    A ``KeyError`` names its key. A ``TypeError`` or ``AttributeError`` does not, but reading a key
    from an event that is a list, a string or ``None`` raises one (``event["body"]``,
    ``event.get("headers").get(...)``, ``json.loads(event.get("body"))``): the key is then in the
    source line of a frame of the error's stack trace.
    """
    error_type = error.get("errorType")
    key: str | None = None
    if error_type == "KeyError":
        message = str(error.get("errorMessage", ""))
        if len(message) > 2 and message[0] == message[-1] and message[0] in "'\"":
            key = message[1:-1]
    elif error_type in ("TypeError", "AttributeError"):
        for frame in reversed(error.get("stackTrace") or []):
            source = str(frame).splitlines()[1:2]
            found = _QUOTED_KEY.search(source[0]) if source else None
            if found:
                key = found[2]
                break
    if key not in PROXY_EVENT_KEYS or (isinstance(event, dict) and key in event):
        return None
    return key
