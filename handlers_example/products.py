"""GET /products/{id}, a non-proxy Lambda whose failure becomes a 404 through a selection pattern.

The function raises with a message that starts ``Not found:``; API Gateway matches its integration
responses' selection patterns against that ``errorMessage``, so the method answers 404 with a body the
response template writes, while any other failure stays the default 200 with Lambda's error object,
as on AWS.
"""

from __future__ import annotations

from typing import Any

PRODUCTS = {
    "1": {"id": "1", "name": "Kettle", "price": 24.5},
    "2": {"id": "2", "name": "Teapot", "price": 31.0},
}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    product = PRODUCTS.get(str(event.get("id")))
    if product is None:
        raise LookupError(f"Not found: product {event.get('id')}")
    return product
