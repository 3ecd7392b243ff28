"""How to call the API in a test: the ``apig`` fixture, in-process, fresh for each test.

The fixture reads ``config/apig.yaml`` (the same file ``apig-emu serve`` reads) and answers as API
Gateway would, without a socket. It is a ``Harness`` whose ``get``, ``post``… take ``httpx``'s
arguments and answer ``httpx`` responses with ``.status`` for short.
"""

from __future__ import annotations

from emulator.testing import Harness


def test_get_an_item(apig: Harness) -> None:
    response = apig.get("/Prod/items/1")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"id": "1", "name": "teapot", "price": 418}


def test_post_json_to_a_non_proxy_method(apig: Harness) -> None:
    response = apig.post("/Prod/smartpath", json={"name": "Ann"})
    assert response.status == 200
    assert response.json()["greeting"] == "Hello, Ann!"


def test_the_gateways_own_answers(apig: Harness) -> None:
    # No DELETE on /items/{id}: API Gateway's famous 403, and no function runs.
    response = apig.delete("/Prod/items/1")
    assert response.status == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert apig.invocations == []
