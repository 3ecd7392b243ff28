"""A handler that writes what a client sent, as handlers do, for the tests of the log's escaping.

Each line it prints starts with a label, so a test can find it whatever the escaping made of the rest.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

#: What it prints of its own: terminal controls that no client sent.
OWN = (
    "own=\x1b[2J\x1b]0;pwned\x07\x9b31m\x7f\b\u202egnp.exe\u2066\u200f\u061c\ttab\rcr\x85nel\u2028ls\u2029ps"
)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Proxy: prints the query's ``q`` and the User-Agent (also from a thread), logs ``q``; raises with
    ``q`` if ``fail`` is set."""
    query = event.get("queryStringParameters") or {}
    value = query.get("q", "")
    print("q=" + value)
    user_agent = (event["headers"] or {}).get("User-Agent", "")
    print("ua=" + user_agent)
    # A thread of its own prints too: in thread isolation, outside the invocation's output.
    thread = threading.Thread(target=print, args=("thread ua=" + user_agent,))
    thread.start()
    thread.join()
    print(OWN)
    logging.getLogger().warning("logged=%s", value)
    if "fail" in query:
        raise ValueError("bad q=" + value)
    return {"statusCode": 200, "body": "ok"}
