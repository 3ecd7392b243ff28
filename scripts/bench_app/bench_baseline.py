"""The ceiling: a bare Starlette app whose plain ``def`` endpoint calls the same handler.

Starlette runs a ``def`` endpoint in its thread pool, the cost any server pays to keep a blocking
handler off the event loop; the endpoint passes a minimal event and returns the handler's answer.
"""

from __future__ import annotations

from bench_handlers import proxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def endpoint(request: Request) -> Response:
    result = proxy({"httpMethod": request.method, "path": request.url.path}, None)
    return Response(result["body"], status_code=result["statusCode"], headers=result["headers"])


app = Starlette(routes=[Route("/Prod/bench", endpoint)])
