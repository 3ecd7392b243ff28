"""What API Gateway does with a header it is told to put on a non-proxy method's response (reference A.7(c)).

Headers the gateway owns on the wire (``Date``, ``Content-Length``, ``Connection``…) or that would
change what the client trusts (``Authorization``, ``WWW-Authenticate``) keep the gateway's value: the
mapped one comes out renamed ``x-amzn-Remapped-<Name>``. ``Transfer-Encoding`` is dropped entirely.
Every other header, ``Content-Type`` included, is set as mapped.
"""

from __future__ import annotations

import re

REMAPPED = frozenset(
    name.lower()
    for name in (
        "Authorization",
        "Connection",
        "Content-Length",
        "Content-MD5",
        "Date",
        "Expect",
        "Host",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Server",
        "Trailer",
        "Upgrade",
        "User-Agent",
        "WWW-Authenticate",
    )
)
DROPPED = frozenset({"transfer-encoding"})

#: A header value may not carry what ends a header line (a template or body can produce anything).
_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def wire_name(name: str) -> str | None:
    """The name a mapped response header goes out under; ``None`` when AWS drops it."""
    lower = name.lower()
    if lower in DROPPED:
        return None
    if lower in REMAPPED:
        return f"x-amzn-Remapped-{name}"
    return name


def unsafe_value(value: str) -> bool:
    """Whether ``value`` holds a character no header line may carry (a line break, a control character)."""
    return _LINE_BREAKING.search(value) is not None
