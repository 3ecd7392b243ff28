"""Reference 3.2's validated Lambda: succeeds with "Pass" or raises a message a selection pattern picks."""

from __future__ import annotations

from typing import Any

MESSAGES = {
    "four": "Error: Raising four hundred from within the Lambda function",
    "five": "Error: Raising five hundred from within the Lambda function",
}


def handler(event: Any, context: Any) -> str:
    action = event.get("action") if isinstance(event, dict) else None
    if action in MESSAGES:
        raise Exception(MESSAGES[action])
    return "Pass"
