"""How to reach the API over a real socket: ``apig_server``, for ``requests``, a browser or a process.

One uvicorn server is started per session on a free port; each test lends it its own ``apig``, so
recording and overrides work the same way.
"""

from __future__ import annotations

import requests

from emulator.testing import Harness, LiveServer


def test_over_a_real_socket(apig_server: LiveServer) -> None:
    response = requests.get(f"{apig_server.url}/Prod/items/1", timeout=5)
    assert response.status_code == 200
    assert response.json()["name"] == "teapot"
    event = apig_server.invocations[-1].event
    assert event["headers"]["User-Agent"].startswith("python-requests/")


def test_a_browsers_preflight(apig_server: LiveServer, apig: Harness) -> None:
    response = requests.options(
        f"{apig_server.url}/Prod/items/1",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert apig.invocations == []  # the gateway answers preflights itself
