"""POST /signup, a non-proxy Lambda behind a form: the request template turns the HTML form's
``application/x-www-form-urlencoded`` body into the JSON event this function reads.

Without the template, API Gateway would refuse the form (a Lambda event must be JSON); with it, the
function never sees the wire format, which is what a non-proxy integration is for.
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"welcome": event.get("name", ""), "newsletter": event.get("newsletter") == "on"}
