"""Handlers behind tests/fixtures/openapi/orders-swagger.json, a Swagger 2.0 document."""

import json

ORDERS = {"o-1": {"id": "o-1", "item": "teapot", "quantity": 1, "status": "open"}}


def _json(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def list_orders(event, context):
    """Non-proxy behind a static request template: the event is the template's JSON, not the client's body."""
    return {"event": event, "orders": list(ORDERS.values())}


def create_order(event, context):
    order = json.loads(event["body"])
    return _json(
        201, {"id": "o-2", **order, "status": "open", "customer": event["headers"].get("X-Customer")}
    )


def get_order(event, context):
    order = ORDERS.get(event["pathParameters"]["orderId"])
    return _json(200, order) if order else _json(404, {"message": "no such order"})


def cancel_order(event, context):
    return _json(
        200,
        {
            "cancelled": event["pathParameters"]["orderId"],
            "reason": (event["queryStringParameters"] or {}).get("reason"),
        },
    )


def catch_all(event, context):
    return _json(200, {"path": event["path"], "resource": event["resource"]})


def authorize(event, context):
    """A REQUEST authorizer: a caller who says which customer they are may call the method asked for."""
    customer = (event.get("headers") or {}).get("X-Customer")
    statement = {
        "Action": "execute-api:Invoke",
        "Effect": "Allow" if customer else "Deny",
        "Resource": event["methodArn"],
    }
    return {
        "principalId": customer or "anonymous",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }
