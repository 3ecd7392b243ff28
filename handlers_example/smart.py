"""POST /smartpath, a non-proxy (custom) Lambda integration: the event is the JSON body itself."""

from __future__ import annotations

from typing import Any


def handler(event: Any, context: Any) -> dict[str, Any]:
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    return {
        "greeting": f"Hello, {name}!",
        "received": event,
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
