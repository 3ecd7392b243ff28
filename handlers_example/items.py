"""/items and /items/{id}, Lambda proxy integrations over an in-memory table.

Module state survives between invocations like a warm Lambda's, so a POSTed item can be read back.
The GET answers a browser on another origin, so it returns its own Access-Control-Allow-Origin:
API Gateway adds none to proxy responses.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

logger = logging.getLogger()
ITEMS: dict[str, dict[str, Any]] = {"1": {"id": "1", "name": "teapot", "price": 418}}


def _reply(status: int, body: Any, *, cors: bool = False) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = (event.get("stageVariables") or {}).get("table", "items")
    print(f"{event['httpMethod']} {event['path']} on table {table} (LOG_LEVEL={os.environ.get('LOG_LEVEL')})")
    if event["httpMethod"] == "POST":
        item = json.loads(event["body"] or "{}")
        item_id = str(len(ITEMS) + 1)
        ITEMS[item_id] = {**item, "id": item_id}
        return _reply(201, ITEMS[item_id])
    item_id = event["pathParameters"]["id"]
    if item_id not in ITEMS:
        logger.warning("no item %s", item_id)
        return _reply(404, {"message": f"no item {item_id}"}, cors=True)
    return _reply(200, ITEMS[item_id], cors=True)
